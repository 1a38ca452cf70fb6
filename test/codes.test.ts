// The quantized-code kernels (histogram of uint8 / 16-bit codes, and the in-place rewrite of a
// range of codes to the zero code with ties to the lowest index) against brute-force references,
// for the SIMD, scalar and pure-JS builds, with the default window and a tiny one (chunks then
// split ties); then the three builds bit for bit, and pruneArtifacts on quantized manifests the
// same in every build, in place or not, with the reported zeros equal to what stock tfjs decodes.
// Also: the select across arrays' one bracketed pass counts each array's zeros (global scope then
// needs no pass of its own for them).
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILD_CONFIGS, initBuild, type Build } from './support/builds.js';
import { init } from '../src/index.js';
import { codeHistogram, pruneCodeRanges, selectAcrossArrays, type CodeRanges } from '../src/kernels/index.js';
import { pruneArtifacts } from '../src/tfjs.js';
import { makeArtifacts, randn, stockDecode, zeros } from './model/support.js';
import { sameArray } from './support/reference.js';


afterAll(async () => {
  await init();
});

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/** Codes of `width` bytes as little-endian bytes: uniform, or clustered (long tie runs). */
function makeCodes(n: number, width: 1 | 2, seed: number, kind: 'uniform' | 'clustered' | 'runs'): Uint8Array {
  const r = rng(seed);
  const top = width === 1 ? 256 : 65536;
  const c = width === 1 ? new Uint8Array(n) : new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    if (kind === 'uniform') c[i] = Math.floor(r() * top);
    else if (kind === 'clustered') c[i] = (Math.floor(top / 2 + (r() - 0.5) * 12) + (width === 2 && r() < 0.5 ? 0x8000 : 0)) % top;
    else c[i] = Math.floor(i / 37) % 5 === 0 ? 7 : Math.floor(r() * 16);
  }
  return new Uint8Array(c.buffer);
}

const codesOf = (b: Uint8Array, width: 1 | 2) => (width === 1 ? b : new Uint16Array(b.slice().buffer));

function refHistogram(b: Uint8Array, width: 1 | 2): Uint32Array {
  const c = codesOf(b, width);
  const h = new Uint32Array(width === 1 ? 256 : 65536);
  for (let i = 0; i < c.length; i++) h[c[i]]++;
  return h;
}

/** Brute force, as sets: every code in range 2, and the first `take` in range 1 but not in 2. */
function refPrune(b: Uint8Array, width: 1 | 2, r: CodeRanges): { out: Uint8Array; taken: number } {
  const c = codesOf(b, width).slice();
  const keyOf = (v: number) => v & (width === 1 ? 0xff : r.mask);
  const inRange = (key: number, lo: number, span: number) => span >= 0 && key >= lo && key <= lo + span;
  let taken = 0;
  for (let i = 0; i < c.length; i++) {
    const key = keyOf(c[i]);
    if (inRange(key, r.lo2, r.span2)) c[i] = r.z;
    else if (inRange(key, r.lo1, r.span1) && taken < r.take) {
      c[i] = r.z;
      taken++;
    }
  }
  return { out: new Uint8Array(c.buffer, c.byteOffset, c.byteLength), taken };
}

const LENGTHS = [0, 1, 7, 15, 16, 17, 31, 33, 100, 4095, 4097, 9001];

/** Range plans over every shape the model layer makes: empty set 2, ties on one or both sides, no ties. */
function plans(width: 1 | 2, mask: number, counts: (lo: number, hi: number) => number, seed: number): CodeRanges[] {
  const r = rng(seed);
  const keys = width === 1 ? 256 : mask + 1;
  const out: CodeRanges[] = [];
  for (let j = 0; j < 6; j++) {
    const lo2 = Math.floor(r() * (keys - 8)) + 2;
    const span2 = Math.floor(r() * Math.min(keys - lo2 - 2, j < 3 ? 4 : keys));
    const left = j % 2; // ties below the range as well as above it
    const lo1 = lo2 - left;
    const span1 = span2 + left + 1;
    const ties = counts(lo1, lo1 + span1) - counts(lo2, lo2 + span2);
    const z = Math.floor(r() * (width === 1 ? 256 : 65536));
    for (const take of [0, 1, Math.floor(ties / 2), Math.max(ties - 1, 0)]) out.push({ mask, lo1, span1, lo2, span2, z, take });
  }
  // Set 2 empty: only the first `take` of the ties go.
  const t = Math.floor(r() * keys);
  out.push({ mask, lo1: t, span1: 0, lo2: 0, span2: -1, z: 0, take: Math.max(1, counts(t, t) >> 1) });
  // The whole code table.
  out.push({ mask, lo1: 0, span1: keys - 1, lo2: 0, span2: keys - 1, z: 3, take: 0 });
  return out;
}

describe.each(BUILD_CONFIGS)('code kernels, $build build, chunkLength $chunkLength', ({ build, chunkLength }) => {
  beforeAll(async () => {
    await initBuild(build, chunkLength);
  });

  for (const width of [1, 2] as const) {
    for (const kind of ['uniform', 'clustered', 'runs'] as const) {
      it(`${width * 8}-bit ${kind} codes: histogram and range rewrite match the references`, () => {
        for (const n of LENGTHS) {
          const b = makeCodes(n, width, n + 17 * width, kind);
          const before = b.slice();
          sameArray(codeHistogram('test', b, width), refHistogram(b, width), `histogram n=${n}`);
          for (const mask of width === 1 ? [0xff] : [0xffff, 0x7fff]) {
            const c = codesOf(b, width);
            const counts = (lo: number, hi: number) => {
              let k = 0;
              for (let i = 0; i < c.length; i++) if ((c[i] & mask) >= lo && (c[i] & mask) <= hi) k++;
              return k;
            };
            for (const r of plans(width, mask, counts, n + width)) {
              const expected = refPrune(b, width, r);
              const dst = new Uint8Array(b.length);
              const taken = pruneCodeRanges('test', b, dst, width, r);
              sameArray(dst, expected.out, `n=${n} ${JSON.stringify(r)}`);
              expect(taken).toBe(expected.taken);
              // In place gives the same.
              const inPlace = b.slice();
              expect(pruneCodeRanges('test', inPlace, inPlace, width, r)).toBe(expected.taken);
              sameArray(inPlace, expected.out, `in place n=${n}`);
            }
          }
          sameArray(b, before, 'input untouched');
        }
      });
    }
  }
});

describe('code kernels: SIMD, scalar and pure-JS builds agree bit for bit', () => {
  it('on histograms and rewrites of every shape', async () => {
    const outputs: Record<Build, Uint32Array[]> = { simd: [], scalar: [], js: [] };
    for (const build of ['simd', 'scalar', 'js'] as const) {
      await initBuild(build, 1024);
      for (const width of [1, 2] as const) {
        for (const n of [33, 4097, 20_011]) {
          const b = makeCodes(n, width, n, 'clustered');
          outputs[build].push(codeHistogram('test', b, width));
          const mid = width === 1 ? 126 : 32766;
          for (const take of [0, 1, 100, 1000]) {
            const dst = b.slice();
            const r = { mask: width === 1 ? 0xff : 0x7fff, lo1: mid - 3, span1: 6, lo2: mid - 2, span2: 4, z: mid, take };
            const taken = pruneCodeRanges('test', dst, dst, width, r);
            outputs[build].push(new Uint32Array(dst.slice(0, dst.length & ~3).buffer), Uint32Array.of(taken));
          }
        }
      }
    }
    outputs.simd.forEach((a, i) => sameArray(outputs.scalar[i], a, `scalar output ${i}`));
    outputs.simd.forEach((a, i) => sameArray(outputs.js[i], a, `js output ${i}`));
  });
});

describe('quantized manifests pruned in their codes, every build', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  // uint8 with a min a hair off the grid (the zero code decodes to a tiny nonzero value before
  // pruning, to exactly 0 after) and most weights on it; float16 with ±x pairs; uint16; odd sizes
  // and offsets (an odd uint8 tensor first leaves the 16-bit ones unaligned).
  const scale = 0.02;
  const tensors = () => [
    { name: 'a/kernel', shape: [3, 7], bytes: Uint8Array.from({ length: 21 }, (_, i) => 100 + (i % 5)), quantization: { dtype: 'uint8' as const, scale, min: -100 * scale * (1 + 1e-9) } },
    { name: 'z/kernel', shape: [61, 101], bytes: Uint8Array.from(randn(6161, 7, 1), (v, i) => (i % 4 ? 100 : 100 + Math.round(v * 9))), quantization: { dtype: 'uint8' as const, scale, min: -100 * scale * (1 + 1e-9) } },
    { name: 'h/kernel', shape: [131, 300], bytes: new Uint8Array(Uint16Array.from(randn(39300, 8, 1), (v) => (v < 0 ? 0x8000 : 0) | (0x3000 + (Math.floor(Math.abs(v) * 8) << 6))).buffer), quantization: { dtype: 'float16' as const } },
    { name: 'w/kernel', shape: [257, 300], bytes: new Uint8Array(Uint16Array.from(randn(77100, 9, 1), (v) => Math.max(0, Math.min(65535, 32768 + Math.round(v * 8) * 64))).buffer), quantization: { dtype: 'uint16' as const, scale: 1 / 4096, min: -8 } },
    { name: 'u/kernel', shape: [199, 101], bytes: Uint8Array.from(randn(20099, 10, 1), (v) => Math.max(0, Math.min(255, Math.round(128 + v * 40)))), quantization: { dtype: 'uint8' as const, scale: 1 / 32, min: -4 } },
  ];

  it('give the same bytes and reports in every build, in place or not, with zeros as decoded', async () => {
    const runs: Record<string, Uint8Array[]> = {};
    for (const build of ['simd', 'scalar', 'js'] as const) {
      await initBuild(build);
      for (const config of [{ sparsity: 0.5 }, { sparsity: 0.8 }, { sparsity: 0.7, scope: 'global' as const }, { sparsity: 0.02 }]) {
        for (const inPlace of [false, true]) {
          const a = makeArtifacts(tensors());
          const { artifacts, report } = await pruneArtifacts(a, config, { gzip: false, inPlace });
          const decoded = stockDecode(artifacts);
          report.tensors.forEach((t) => expect(`${t.name} ${zeros(decoded[t.name])}`).toBe(`${t.name} ${t.zerosAfter}`));
          const key = `${JSON.stringify(config)} ${inPlace}`;
          const bytes = new Uint8Array(artifacts.weightData as ArrayBuffer);
          (runs[key] ??= []).push(bytes.slice(), new TextEncoder().encode(JSON.stringify(report.tensors)));
        }
      }
    }
    for (const [key, outs] of Object.entries(runs)) {
      // 3 builds x (bytes, report), and in place the same as a copy.
      for (let j = 2; j < outs.length; j++) sameArray(outs[j], outs[j % 2], `${key} output ${j}`);
      const copy = runs[key.replace('true', 'false')];
      sameArray(outs[0], copy[0], `${key}: in place vs copy`);
    }
  });
});

describe('float16 tensors counted together (global scope)', () => {
  beforeAll(async () => {
    await init();
  });

  const half = (n: number, seed: number) => Uint16Array.from(randn(n, seed, 1), (v) => (v < 0 ? 0x8000 : 0) | (0x3000 + (Math.floor(Math.abs(v) * 8) << 6)));
  const t = (name: string, h: Uint16Array, rows: number) => ({ name, shape: [rows, h.length / rows], bytes: new Uint8Array(h.buffer), quantization: { dtype: 'float16' as const } });

  it('NaN is reported for the first tensor holding it, large or small', async () => {
    const big0 = half(20_000, 1);
    const small = half(1_000, 2);
    const big1 = half(30_000, 3);
    small[5] = 0x7e00;
    small[7] = 0xfe01;
    big1.set([0x7c01, 0x7e00, 0xffff], 100);
    const run = (tensors: ReturnType<typeof t>[]) => pruneArtifacts(makeArtifacts(tensors), { sparsity: 0.5, scope: 'global' }, { gzip: false });
    await expect(run([t('a/kernel', big0, 100), t('b/kernel', small, 10), t('c/kernel', big1, 100)])).rejects.toMatchObject({ name: 'NaNWeightsError', count: 2, firstIndex: 5, message: expect.stringContaining("'b/kernel'") });
    await expect(run([t('a/kernel', big0, 100), t('c/kernel', big1, 100), t('b/kernel', small, 10)])).rejects.toMatchObject({ name: 'NaNWeightsError', count: 3, firstIndex: 100, message: expect.stringContaining("'c/kernel'") });
  });
});

describe.each(BUILD_CONFIGS)('select across arrays, $build build, chunkLength $chunkLength', ({ build, chunkLength }) => {
  beforeAll(async () => {
    await initBuild(build, chunkLength);
  });

  it('counts each array\'s zeros (±0) in its counting pass, bracketed or radix, and its share below and at the k-th', () => {
    const r = rng(5);
    // Odd lengths (SIMD tails), zeros of both signs, coarse values (ties), an empty array.
    const arrays = [70_001, 0, 65_539, 3, 33_333].map((n, a) =>
      Float32Array.from({ length: n }, () => {
        const u = r();
        return u < 0.2 ? (a % 2 ? -0 : 0) : Math.round((u - 0.6) * 64) / 64;
      }),
    );
    const all = arrays.flatMap((x) => Array.from(x, Math.abs)).sort((a, b) => a - b);
    for (const s of [0.1, 0.5, 0.9]) {
      const k = Math.round(s * all.length);
      const sel = selectAcrossArrays('test', arrays, k);
      if ('nanPart' in sel) throw new Error('no NaN here');
      const kth = new Float32Array(new Uint32Array([sel.bits]).buffer)[0];
      expect(kth).toBe(all[k - 1]);
      // (A k-th of 0, s = 0.1 here, takes the radix path: its counting pass counts them too.)
      expect(sel.zeros).toEqual(arrays.map((x) => x.filter((v) => v === 0).length));
      expect(sel.lt).toEqual(arrays.map((x) => x.filter((v) => Math.abs(v) < kth).length));
      expect(sel.eq).toEqual(arrays.map((x) => x.filter((v) => Math.abs(v) === kth).length));
    }
  });
});
