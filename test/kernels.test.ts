// Every kernel against the plain-JS reference, for both Wasm builds and the pure-JS fallback
// (init({ backend: 'js' }), what engines without WebAssembly run), for weights held in JS, in
// Wasm memory (WasmWeights) and as a Float32Array view of Wasm memory, with the default window
// and a tiny one that forces chunking (ties then straddle chunk boundaries).
import { beforeAll, describe, expect, it } from 'vitest';
import { BUILD_CONFIGS, initBuild } from './support/builds.js';
import {
  allocWeights,
  applyMask,
  countZeros,
  magnitudeMask,
  magnitudeThreshold,
  nmMask,
  pruneByThreshold,
  prunedCount,
  pruneToSparsity,
  wasmInfo,
  type Weights,
} from '../src/index.js';
import { pruneBelowBits } from '../src/kernels/index.js';
import {
  bits,
  randomWeights,
  refApplyMask,
  refNM,
  refPruneByThreshold,
  refPruneToSparsity,
  sameArray,
} from './support/reference.js';

const f = (xs: number[]) => Float32Array.from(xs);
const tieRun = (n: number, v: number) => new Float32Array(n).fill(v);

// Adversarial inputs, by name.
const CASES: Record<string, () => Float32Array> = {
  empty: () => new Float32Array(0),
  one: () => f([-0.75]),
  'one zero': () => f([0]),
  'one -0': () => f([-0]),
  three: () => f([0.3, -0.1, 0.2]),
  'all ties': () => tieRun(37, -0.5),
  'signed ties': () => Float32Array.from({ length: 41 }, (_, i) => (i % 2 ? 0.25 : -0.25)),
  'zeros and -0': () => f([0, -0, 1, -0, 0, -2, 0, 3, -0, 0.5, -0, 0]),
  denormals: () => f([1e-45, -1e-45, 1e-40, -1e-40, 1.1754942e-38, 0, -0, 1e-45, 2e-45, -3e-45, 1]),
  infinities: () => f([Infinity, -Infinity, 1, -1, 0, 3.4028234663852886e38, -Infinity, 2]),
  'ties at threshold': () => f([0.1, 0.2, 0.2, 0.2, 0.3, 0.2, 0.05, 0.2, 0.4, 0.2]),
  '4095': () => randomWeights(4095, 3),
  '4096': () => randomWeights(4096, 4),
  '4097': () => randomWeights(4097, 5),
  '16383': () => randomWeights(16383, 6),
  '16384 coarse ties': () => Float32Array.from(randomWeights(16384, 7), (v) => Math.round(v * 50) / 50),
  '16385': () => randomWeights(16385, 8),
  // Long runs of one value cross every chunk boundary of a 1024 window.
  'tie runs over chunks': () => {
    const w = randomWeights(9000, 9);
    for (let i = 500; i < 8500; i += 3) w[i] = i % 2 ? 0.03125 : -0.03125;
    return w;
  },
  // One bucket too large for the gather area: the select takes the three-pass path.
  'huge bucket': () => {
    const w = tieRun(70_001, 0.5);
    for (let i = 0; i < w.length; i += 7) w[i] = 0.5 + (i % 11) * 1e-7;
    return w;
  },
  'large random': () => randomWeights(70_001, 10),
};
const SPARSITIES = [0, 0.1, 0.25, 0.5, 0.7, 0.9, 0.999, 1];

// References are slow (they sort); compute each once per file.
const refCache = new Map<string, ReturnType<typeof refPruneToSparsity>>();
function ref(name: string, w: Float32Array, s: number) {
  const key = `${name}@${s}`;
  let r = refCache.get(key);
  if (!r) refCache.set(key, (r = refPruneToSparsity(w, s)));
  return r;
}

type Storage = 'js' | 'wasm' | 'view';

/** Runs fn on a copy of w held the given way; returns fn's result and the weights afterwards. */
function held<R>(storage: Storage, w: Float32Array, fn: (x: Weights) => R): { result: R; after: Float32Array } {
  if (storage === 'js') {
    const x = w.slice();
    return { result: fn(x), after: x };
  }
  const buf = allocWeights(w.length);
  try {
    buf.array.set(w);
    const result = fn(storage === 'wasm' ? buf : buf.array);
    return { result, after: buf.array.slice() };
  } finally {
    buf.free();
  }
}



describe.each(BUILD_CONFIGS)('$build build, chunkLength $chunkLength', ({ build, chunkLength }) => {
  beforeAll(async () => {
    const info = await initBuild(build, chunkLength);
    expect(info.simd).toBe(build === 'simd');
    expect(info.backend).toBe(build === 'js' ? 'js' : 'wasm');
  });

  it('runs the build it was asked for', () => {
    expect(wasmInfo().simd).toBe(build === 'simd');
    expect(wasmInfo().backend).toBe(build === 'js' ? 'js' : 'wasm');
    expect(wasmInfo().chunkLength).toBe(chunkLength ?? 65536);
  });

  describe.each(['js', 'wasm', 'view'] as const)('weights held in %s', (storage) => {
    it.each(Object.keys(CASES))('pruneToSparsity, magnitudeThreshold, magnitudeMask: %s', (name) => {
      const w = CASES[name]();
      for (const s of SPARSITIES) {
        const r = ref(name, w, s);
        const { result, after } = held(storage, w, (x) => pruneToSparsity(x, s));
        sameArray(bits(after), bits(r.out), `${name} s=${s}`);
        expect(result).toEqual({ threshold: r.threshold, pruned: r.pruned, kept: r.kept, sparsity: w.length ? r.pruned / w.length : 0 });
        const t = held(storage, w, (x) => magnitudeThreshold(x, s));
        expect(t.result).toBe(r.threshold);
        sameArray(bits(t.after), bits(w), 'not modified');
        const m = held(storage, w, (x) => magnitudeMask(x, { sparsity: s }));
        sameArray(m.result, r.mask, `mask ${name} s=${s}`);
        sameArray(bits(m.after), bits(w), 'not modified');
      }
    });

    // The model layer's copy mode: the prune reads the weights and writes a separate output in
    // one pass (weights in Wasm memory are copied to the output and pruned there).
    it.each(Object.keys(CASES))('pruneBelowBits into a separate output: %s', (name) => {
      const w = CASES[name]();
      for (const s of SPARSITIES) {
        const r = ref(name, w, s);
        const k = prunedCount(s, w.length);
        const tb = bits(Float32Array.of(r.threshold))[0];
        const mags = Array.from(bits(w), (b) => b & 0x7fffffff);
        const lt = mags.filter((m) => m < tb).length;
        const eq = mags.filter((m) => m === tb).length;
        const out = new Float32Array(w.length).fill(7);
        const { result, after } = held(storage, w, (x) => (k === 0 ? null : pruneBelowBits('test', x, tb, k - lt, eq, undefined, out)));
        if (result === null) continue;
        sameArray(bits(out), bits(r.out), `${name} s=${s}`);
        expect(result).toBe(r.kept);
        sameArray(bits(after), bits(w), 'not modified');
      }
    });

    it.each(Object.keys(CASES))('pruneByThreshold and magnitudeMask by threshold: %s', (name) => {
      const w = CASES[name]();
      const thresholds = [0, 1e-45, 0.05, 0.1, 0.2, 0.5, 1, 3.4e38, 1e300, ref(name, w, 0.5).threshold];
      for (const t of thresholds) {
        const r = refPruneByThreshold(w, t);
        const { result, after } = held(storage, w, (x) => pruneByThreshold(x, t));
        sameArray(bits(after), bits(r.out), `${name} t=${t}`);
        expect(result.kept).toBe(r.kept);
        expect(result.pruned).toBe(r.pruned);
        expect(result.threshold).toBe(t);
        sameArray(held(storage, w, (x) => magnitudeMask(x, { threshold: t })).result, r.mask, `mask t=${t}`);
      }
    });

    it.each(Object.keys(CASES))('applyMask and countZeros: %s', (name) => {
      const w = CASES[name]();
      // Mask bytes other than 0 and 1 keep too.
      const mask = Uint8Array.from(w, (_, i) => (i * 2654435761) % 7 === 0 ? 0 : (i % 3) + 1);
      const expected = refApplyMask(w, mask);
      const { result, after } = held(storage, w, (x) => applyMask(x, mask));
      sameArray(bits(after), bits(expected), name);
      const zeros = expected.reduce((s, v) => s + (v === 0 ? 1 : 0), 0);
      expect(result).toEqual({ pruned: zeros, kept: w.length - zeros, sparsity: w.length ? zeros / w.length : 0 });
      expect(held(storage, w, (x) => countZeros(x)).result).toBe(w.reduce((s, v) => s + (v === 0 ? 1 : 0), 0));
    });

    it.each(Object.keys(CASES))('nmMask: %s', (name) => {
      const w = CASES[name]();
      for (const [n, m] of [[2, 4], [1, 4], [3, 8], [0, 2], [4, 4], [5, 16]]) {
        sameArray(held(storage, w, (x) => nmMask(x, { n, m })).result, refNM(w, n, m), `${name} ${n}:${m}`);
      }
      // Rows whose length is not a multiple of m: the last group of each row is short.
      const rowLength = [1, 3, 6, 7].find((r) => w.length % r === 0 && w.length > 0) ?? 1;
      sameArray(held(storage, w, (x) => nmMask(x, { n: 2, m: 4, rowLength })).result, refNM(w, 2, 4, rowLength), `rows of ${rowLength}`);
    });
  });

  it('nmMask with rows longer than the window', () => {
    const w = randomWeights(3 * 2503, 11);
    sameArray(nmMask(w, { n: 2, m: 4, rowLength: 2503 }), refNM(w, 2, 4, 2503), '2:4');
    sameArray(nmMask(w, { n: 3, m: 7, rowLength: 2503 }), refNM(w, 3, 7, 2503), '3:7');
  });
});

describe('SIMD, scalar and pure-JS builds agree bit for bit', () => {
  it('on every case and sparsity', async () => {
    const outputs: Record<string, Uint32Array[]> = { simd: [], scalar: [], js: [] };
    for (const build of ['simd', 'scalar', 'js'] as const) {
      await initBuild(build);
      for (const name of Object.keys(CASES)) {
        for (const s of SPARSITIES) {
          const x = CASES[name]();
          pruneToSparsity(x, s);
          outputs[build].push(bits(x), new Uint32Array(magnitudeMask(CASES[name](), { sparsity: s })));
        }
        outputs[build].push(new Uint32Array(nmMask(CASES[name](), { n: 2, m: 4 })));
      }
    }
    expect(outputs.scalar.length).toBe(outputs.simd.length);
    expect(outputs.js.length).toBe(outputs.simd.length);
    outputs.simd.forEach((a, i) => sameArray(outputs.scalar[i], a, `output ${i}`));
    outputs.simd.forEach((a, i) => sameArray(outputs.js[i], a, `js output ${i}`));
  });
});

// Arrays of 2^20 and more take the bracketed select (a sample, then one counting pass); some of
// these are built so the sample misleads it and the radix path must take over. The reference
// here is linear: the k-th magnitude from a typed-array sort, then ties by lowest index.
describe.each(['simd', 'scalar', 'js'] as const)('large arrays, %s build', (build) => {
  beforeAll(async () => {
    await initBuild(build);
  });

  const N = (1 << 20) + 5;
  const LARGE: Record<string, () => Float32Array> = {
    random: () => randomWeights(N, 21),
    // Magnitudes grow along the array: evenly spaced sample runs still see every scale.
    'sorted ramp': () => Float32Array.from({ length: N }, (_, i) => (i % 2 ? -1 : 1) * (i + 1) * 1e-6),
    // Small weights everywhere except between the sample runs.
    'hidden between runs': () => {
      const w = randomWeights(N, 22);
      const runGap = Math.floor((N - 256) / 63);
      for (let i = 0; i < N; i++) if (i % runGap > 300) w[i] *= 100;
      return w;
    },
    'few levels (ties)': () => Float32Array.from(randomWeights(N, 23), (v) => Math.round(v * 20) / 20),
    'all equal': () => new Float32Array(N).fill(-0.125),
    'mostly zero': () => {
      const w = new Float32Array(N);
      for (let i = 0; i < N; i += 97) w[i] = (i % 5) - 2;
      return w;
    },
  };

  function expectExact(w: Float32Array, s: number, after: Float32Array, threshold: number) {
    const n = w.length;
    const k = Math.round(s * n) === s * n + 0.5 ? Math.floor(s * n) : Math.round(s * n); // no exact halves here
    const mags = Float32Array.from(w, Math.abs).sort();
    const t = k === 0 ? 0 : mags[k - 1];
    expect(threshold).toBe(t);
    let below = 0;
    for (let i = 0; i < n; i++) if (Math.abs(w[i]) < t) below++;
    let need = k - below;
    const expected = w.slice();
    for (let i = 0; i < n; i++) {
      const a = Math.abs(w[i]);
      if (a < t || a === 0 || (a === t && need-- > 0)) expected[i] = 0;
    }
    sameArray(bits(after), bits(expected), `s=${s}`);
  }

  it.each(Object.keys(LARGE))('%s', (name) => {
    const w = LARGE[name]();
    for (const s of [0.1, 0.5, 0.9, 0.98]) {
      const x = w.slice();
      const r = pruneToSparsity(x, s);
      expectExact(w, s, x, r.threshold);
      expect(magnitudeThreshold(w, s)).toBe(r.threshold);
      const buf = allocWeights(w.length);
      buf.array.set(w);
      expect(pruneToSparsity(buf, s)).toEqual(r);
      sameArray(bits(buf.array), bits(x), 'Wasm-held');
      buf.free();
    }
  });
});
