// spmmPanelsFused, the Wasm kernel for batch >= 3, called directly (no tfjs): its scratch at
// every alignment the op may hand it (the op lines it up to 64 bytes; the kernel moves the output
// panel up to the next line inside the 64 bytes of slack it asks for), against the pure-JS
// kernel bit for bit, SIMD and scalar builds, ragged shapes, u16 and u32 (k > 65536) indices, and
// nothing written past the scratch it was given.
import { describe, expect, it } from 'vitest';
import { packSparse, viewsOf, layoutOf } from '../../src/sparse/format.js';
import { spmmJs } from '../../src/sparse/spmm_js.js';
import { putWords, sparseBuildOn } from '../../src/wasm/sparse.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
}

function weights(k: number, n: number, sparsity: number, seed: number): Float32Array {
  const r = rng(seed);
  const w = new Float32Array(k * n);
  for (let i = 0; i < w.length; i++) w[i] = r() < sparsity ? 0 : (r() - 0.5) * 4;
  if (n > 2) for (let i = 0; i < k; i++) w[i * n + 1] = 0; // unit 1: no weights
  return w;
}

const GUARD = 0x7fc0dead; // a NaN pattern no product writes
const ACT = { linear: 0, relu: 1, relu6: 2 } as const;

// [k, n, rows, sparsity]: panels of 32, then 16/8/4 lanes, padded lanes, n not a multiple of 4,
// k not a multiple of 4, u32 indices.
const CASES: [number, number, number, number][] = [
  [37, 13, 3, 0.5], [101, 9, 5, 0.8], [64, 33, 32, 0.9], [300, 100, 37, 0.92], [1000, 11, 64, 0.9],
  [23, 5, 67, 0.6], [70001, 3, 9, 0.999], [70001, 5, 36, 0.999],
];

describe.each(['simd', 'scalar'] as const)('spmmPanelsFused, %s build', (build) => {
  it.each(CASES)('k=%i n=%i rows=%i sparsity=%f: equals spmmJs bit for bit at every scratch alignment, writes only its scratch', async (k, n, rows, sparsity) => {
    const m = packSparse(weights(k, n, sparsity, k * 7 + n), k, n);
    const r = rng(rows * 13 + k);
    const x = Float32Array.from({ length: rows * k }, () => (r() - 0.5) * 8);
    const bias = Float32Array.from({ length: n }, () => r() - 0.5);
    const lanes = (rows + 3) & ~3;
    const scratchBytes = Math.min(32, lanes) * (k + n) * 4 + 64; // the size the kernel documents
    const lay = layoutOf(n, m.nnz, m.wide);
    // Memory: weights, x, bias, y, then the scratch (at `shift` past a line) and a guard after it.
    const wPtr = 64;
    const xPtr = wPtr + ((m.data.byteLength + 63) & ~63);
    const bPtr = xPtr + ((x.byteLength + 63) & ~63);
    const yPtr = bPtr + ((bias.byteLength + 63) & ~63);
    const sBase = yPtr + ((rows * n * 4 + 63) & ~63);
    const total = sBase + 64 + scratchBytes + 256;
    const memory = new WebAssembly.Memory({ initial: Math.ceil(total / 65536) });
    const ex = await sparseBuildOn(build, memory);
    putWords(memory, wPtr, m.data);
    putWords(memory, xPtr, x);
    putWords(memory, bPtr, bias);
    for (const act of ['linear', 'relu6'] as const) {
      const want = new Float32Array(rows * n);
      const { counts, indices, values } = viewsOf(m);
      spmmJs({ x, xOff: 0, rows, k, n, counts, indices, values, bias, y: want, yOff: 0, act });
      for (const shift of [0, 4, 16, 60]) {
        const scratch = sBase + shift;
        const words = new Int32Array(memory.buffer);
        words.fill(GUARD, (scratch + scratchBytes) >>> 2, (sBase + 64 + scratchBytes + 256) >>> 2);
        new Float32Array(memory.buffer, yPtr, rows * n).fill(NaN);
        ex.spmmPanelsFused(xPtr, rows, k, n, wPtr + lay.countsByte, wPtr + lay.indicesByte, m.wide ? 1 : 0, wPtr + lay.valuesByte,
          bPtr, 1, yPtr, ACT[act], scratch, 32);
        const got = new Float32Array(memory.buffer, yPtr, rows * n);
        const diffs = [];
        for (let i = 0; i < got.length; i++) if (!Object.is(got[i], want[i])) diffs.push(i);
        expect(diffs.slice(0, 5), `${act}, scratch ${shift} bytes past a line`).toEqual([]);
        const guard = new Int32Array(memory.buffer, scratch + scratchBytes, (sBase + 64 + scratchBytes + 256 - scratch - scratchBytes) >>> 2);
        expect(guard.every((v) => v === GUARD), `${act}: written past the scratch (${shift} bytes past a line)`).toBe(true);
      }
    }
  });
});
