// The quantized-code kernels against brute-force references, for the SIMD, scalar and pure-JS
// builds, with the default window and a tiny one (chunks then split ties): the in-place rewrite
// of a range of codes to the zero code (ties to the lowest index), counting codes in a range,
// the 8-bit code histogram, and the select across arrays with quantized parts (float16, uint8 and uint16 codes
// ranked by dequantized magnitude beside float32 arrays: the k-th, each part's share below and at
// it, its zeros, NaN), through the bracketed path and through the radix fallback that a
// misleading sample forces. Then pruneArtifacts on quantized manifests the same in every build,
// in place or not, with the reported zeros equal to what stock tfjs decodes.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILD_CONFIGS, initBuild } from './support/builds.js';
import { init } from '../src/index.js';
import { codeHistogram8, countCodes, pruneCodeRanges, selectAcrossArrays, type CodedInput, type CodeRanges, type CodeTable, type KeyRange } from '../src/kernels/index.js';
import { codeTableOf } from '../src/format/codec.js';
import { acrossSampleStarts } from '../src/wasm/select-parts.js';
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
const inRange = (key: number, r: KeyRange) => r.span >= 0 && key >= r.lo && key <= r.lo + r.span;

/** Brute force, as sets: every code in range 2, and the first `take` in range 1 but not in 2. */
function refPrune(b: Uint8Array, width: 1 | 2, r: CodeRanges) {
  const c = codesOf(b, width).slice();
  let taken = 0;
  for (let i = 0; i < c.length; i++) {
    const key = c[i] & r.mask;
    if (inRange(key, r.r2)) c[i] = r.z;
    else if (inRange(key, r.r1) && taken < r.take) {
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
  const keys = mask + 1;
  const out: CodeRanges[] = [];
  for (let j = 0; j < 6; j++) {
    const lo2 = Math.floor(r() * (keys - 8)) + 2;
    const span2 = Math.floor(r() * Math.min(keys - lo2 - 2, j < 3 ? 4 : keys));
    const left = j % 2; // ties below the range as well as above it
    const r1 = { lo: lo2 - left, span: span2 + left + 1 };
    const ties = counts(r1.lo, r1.lo + r1.span) - counts(lo2, lo2 + span2);
    const z = Math.floor(r() * (width === 1 ? 256 : 65536));
    for (const take of [0, 1, Math.floor(ties / 2), Math.max(ties - 1, 0)]) out.push({ mask, r1, r2: { lo: lo2, span: span2 }, z, take });
  }
  // Set 2 empty: only the first `take` of the ties go.
  const t = Math.floor(r() * keys);
  out.push({ mask, r1: { lo: t, span: 0 }, r2: { lo: 0, span: -1 }, z: 0, take: Math.max(1, counts(t, t) >> 1) });
  // The whole code table.
  out.push({ mask, r1: { lo: 0, span: keys - 1 }, r2: { lo: 0, span: keys - 1 }, z: 3, take: 0 });
  return out;
}

// Code tables as the model layer makes them: float16; uint8 with 0 on the grid, and a hair off
// it (min not exact: no code decodes to exactly 0); uint16.
const F16 = () => codeTableOf({ quant: 'float16', scale: 0, min: 0 }) as CodeTable;
const U8 = (scale = 0.02, min = -100 * 0.02) => codeTableOf({ quant: 'uint8', scale, min }) as CodeTable;
const U16 = (scale = 1 / 4096, min = -8) => codeTableOf({ quant: 'uint16', scale, min }) as CodeTable;

/** A select's expected answer from sorted magnitudes. */
function refSelect(parts: readonly (Float32Array | CodedInput)[], k: number) {
  const mags = parts.map((p) => (p instanceof Float32Array ? Array.from(new Uint32Array(p.buffer, p.byteOffset, p.length), (b) => b & 0x7fffffff) : Array.from(p.codes, (c) => p.table.lut[c])));
  const all = mags.flat().sort((a, b) => a - b);
  const bits = all[k - 1];
  return {
    bits,
    lt: mags.map((m) => m.filter((b) => b < bits).length),
    eq: mags.map((m) => m.filter((b) => b === bits).length),
    zeros: mags.map((m) => m.filter((b) => b === 0).length),
  };
}

/** float16 codes of N(0, scale²) values; uint8 / uint16 codes around their zero code. */
function f16Codes(n: number, seed: number, scale = 1): Uint16Array {
  return Uint16Array.from(randn(n, seed, scale), (v) => (v < 0 ? 0x8000 : 0) | (0x3000 + (Math.floor(Math.abs(v) * 8) << 6)));
}
function u8Codes(n: number, seed: number): Uint8Array {
  return Uint8Array.from(randn(n, seed, 1), (v) => Math.max(0, Math.min(255, Math.round(100 + v * 20))));
}
function u16Codes(n: number, seed: number): Uint16Array {
  return Uint16Array.from(randn(n, seed, 1), (v) => Math.max(0, Math.min(65535, 32768 + Math.round(v * 8) * 64)));
}

describe.each(BUILD_CONFIGS)('code kernels, $build build, chunkLength $chunkLength', ({ build, chunkLength }) => {
  beforeAll(async () => {
    await initBuild(build, chunkLength);
  });

  for (const width of [1, 2] as const) {
    for (const kind of ['uniform', 'clustered', 'runs'] as const) {
      it(`${width * 8}-bit ${kind} codes: range rewrite and range counts match the reference`, () => {
        for (const n of LENGTHS) {
          const b = makeCodes(n, width, n + 17 * width, kind);
          const before = b.slice();
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
              expect(pruneCodeRanges('test', b, dst, width, r)).toBe(expected.taken);
              sameArray(dst, expected.out, `n=${n} ${JSON.stringify(r)}`);
              // In place gives the same.
              const inPlace = b.slice();
              expect(pruneCodeRanges('test', inPlace, inPlace, width, r)).toBe(expected.taken);
              sameArray(inPlace, expected.out, `in place n=${n}`);
              // The counter (the bracket kernel with nothing to gather) on each range.
              for (const range of [r.r1, r.r2]) {
                const want = range.span < 0 ? 0 : counts(range.lo, range.lo + range.span);
                expect(countCodes('test', b, width, mask, range), `count n=${n} ${JSON.stringify(range)}`).toBe(want);
              }
            }
          }
          sameArray(b, before, 'input untouched');
        }
      });
    }
  }

  it('8-bit code histogram (a uint8 tensor\'s own threshold) matches the counts', () => {
    for (const n of LENGTHS) {
      for (const kind of ['uniform', 'clustered', 'runs'] as const) {
        const b = makeCodes(n, 1, n + 3, kind);
        const expected = new Uint32Array(256);
        for (const c of b) expected[c]++;
        sameArray(codeHistogram8('test', b), expected, `n=${n} ${kind}`);
      }
    }
  });

  it('select across float32 and quantized arrays: the k-th, each part\'s share and zeros, bracketed at any size', () => {
    const f32 = (n: number, seed: number) => Float32Array.from(randn(n, seed, 0.05), (v, i) => (i % 11 === 0 ? (i % 2 ? -0 : 0) : v));
    const pools: (Float32Array | CodedInput)[][] = [
      // Small pools: no sample, the bracket is everything.
      [{ codes: u8Codes(1000, 1), table: U8() }],
      [{ codes: f16Codes(3001, 2), table: F16() }, f32(17, 3), { codes: u8Codes(5, 4), table: U8(0.003, -0.3 * (1 + 1e-9)) }],
      // float16 subnormals, ±0, ±Infinity and the largest finite halves (every key converted).
      [{ codes: Uint16Array.from({ length: 2999 }, (_, i) => [i % 1024, 0x8000 | (i % 977), 0x7c00, 0xfc00, 0x7bff, 0x0400 + i][i % 6]), table: F16() }],
      // Large ones: a sample brackets the k-th.
      [{ codes: f16Codes(150_001, 5), table: F16() }],
      [f32(70_001, 6), { codes: f16Codes(40_003, 7, 0.03), table: F16() }, { codes: u8Codes(65_539, 8), table: U8(0.0015, -0.15) }, { codes: new Uint8Array(0), table: U8() }, { codes: u16Codes(33_333, 9), table: U16(1 / 65536, -0.5) }],
    ];
    for (const parts of pools) {
      const n = parts.reduce((a, p) => a + (p instanceof Float32Array ? p.length : p.codes.length), 0);
      for (const s of [0.05, 0.5, 0.9, 1]) {
        const k = Math.max(1, Math.round(s * n));
        const sel = selectAcrossArrays('test', parts, k);
        expect(sel).toEqual(refSelect(parts, k));
      }
    }
  });

  it('a sample that misleads falls back to the radix select over the decoded codes, with the same answer', () => {
    // Make every weight the sample reads tiny and the rest large, so the bracket lies far below
    // the k-th.
    const u8 = Uint8Array.from({ length: 20_000 }, (_, i) => 90 + (i % 21));
    const n = 300_000;
    const codes = f16Codes(n, 11, 0.1);
    const sampled = new Uint8Array(n + u8.length);
    const { run, starts } = acrossSampleStarts(n + u8.length);
    expect(starts.length).toBeGreaterThan(0);
    for (const start of starts) sampled.fill(1, start, start + run);
    // The pool: codes[0, 123457), u8, codes[123457, n).
    for (let i = 0; i < n; i++) codes[i] = sampled[i < 123_457 ? i : i + u8.length] ? 0x0001 + (i % 3) : 0x4000 + (i % 1000);
    for (let i = 0; i < u8.length; i++) if (sampled[123_457 + i]) u8[i] = 100;
    const parts = [{ codes: codes.subarray(0, 123_457), table: F16() }, { codes: u8, table: U8(0.5, -50) }, { codes: codes.subarray(123_457), table: F16() }];
    for (const s of [0.3, 0.9]) {
      const k = Math.round(s * (n + u8.length));
      expect(selectAcrossArrays('test', parts, k)).toEqual(refSelect(parts, k));
    }
  });

  it('NaN among float16 codes names its part, small pool or large, in the sample or not', () => {
    for (const [n, at] of [
      [2000, 1999],
      [200_000, 7],
      [200_000, 150_001],
    ]) {
      const a = f16Codes(n, 12);
      const b = f16Codes(n, 13);
      b[at] = 0x7e01;
      const sel = selectAcrossArrays('test', [{ codes: a, table: F16() }, { codes: b, table: F16() }], n);
      expect(sel).toEqual({ nanPart: 1 });
    }
  });
});

describe('code tables: the sets a threshold picks are one range of keys each', () => {
  it('below, at most, zero: the same sets as the magnitudes say, for every threshold a table holds', () => {
    const tables = [F16(), U8(), U8(0.02, -100 * 0.02 * (1 + 1e-9)), U8(0.01, 0.5), U8(0.01, -3), U16(1 / 4096, -8), U16(0.5, -0.25)];
    for (const t of tables) {
      const keys = t.mask + 1;
      const mag = (key: number) => t.lut[key];
      const last = t.mask === 0x7fff ? 0x7c00 : keys - 1; // float16: NaN keys above +Infinity
      const candidates = new Set([0, 1, ...Array.from({ length: 40 }, (_, j) => mag(Math.floor((j * last) / 39)))]);
      // Keys whose membership disagrees with the magnitudes (collected, then asserted once).
      const wrong: string[] = [];
      const check = (name: string, range: KeyRange, pred: (m: number) => boolean) => {
        for (let key = 0; key <= last; key++) if (inRange(key, range) !== pred(mag(key))) wrong.push(`${name}: key ${key}`);
      };
      for (const bits of candidates) {
        check(`below ${bits}`, t.below(bits), (m) => m < bits);
        check(`atMost ${bits}`, t.atMost(bits), (m) => m <= bits);
      }
      check('zero', t.zero, (m) => m === 0);
      expect(wrong.slice(0, 5)).toEqual([]);
    }
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

describe('a pool of uint8 tensors only (global scope reads the k-th off their code counts), every build', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  const u8t = (name: string, n: number, seed: number, scale: number, min: number) => ({
    name,
    shape: [n / 10, 10],
    bytes: Uint8Array.from(randn(n, seed, 1), (v) => Math.max(0, Math.min(255, Math.round(-min / scale + v * 12)))),
    quantization: { dtype: 'uint8' as const, scale, min },
  });
  // Different scales (magnitudes interleave across tensors), one min a hair off the grid, ties.
  const tensors = () => [u8t('a/kernel', 3000, 1, 0.01, -1.28), u8t('b/kernel', 20_000, 2, 0.004, -0.512 * (1 + 1e-9)), u8t('c/kernel', 7000, 3, 0.02, -2)];

  it('prunes exactly the reference set on the values stock tfjs decodes', async () => {
    const before = stockDecode(makeArtifacts(tensors()));
    const names = ['a/kernel', 'b/kernel', 'c/kernel'];
    for (const build of ['simd', 'scalar', 'js'] as const) {
      await initBuild(build);
      for (const s of [0.3, 0.9]) {
        const { artifacts } = await pruneArtifacts(makeArtifacts(tensors()), { sparsity: s, scope: 'global' }, { gzip: false });
        const after = stockDecode(artifacts);
        // Reference: every weight ranked by |decoded value|, then tensor, then index.
        const all: { m: number; t: number; i: number }[] = [];
        names.forEach((name, t) => (before[name] as Float32Array).forEach((v, i) => all.push({ m: Math.abs(v), t, i })));
        all.sort((x, y) => x.m - y.m || x.t - y.t || x.i - y.i);
        const k = Math.round(s * all.length);
        const expected = new Set(all.slice(0, k).map((e) => `${e.t}:${e.i}`));
        for (const e of all) if (e.m === 0) expected.add(`${e.t}:${e.i}`);
        const got = new Set<string>();
        names.forEach((name, t) => (after[name] as Float32Array).forEach((v, i) => v === 0 && got.add(`${t}:${i}`)));
        expect(got.size, `${build} s=${s}`).toBe(expected.size);
        expect([...expected].filter((x) => !got.has(x)).slice(0, 3), `${build} s=${s}`).toEqual([]);
      }
    }
  });
});
