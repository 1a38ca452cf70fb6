import { expect } from 'vitest';

// Plain-JS reference for the kernels: obviously correct (sorts), slow, independent of the Wasm
// code. Every kernel test compares bit patterns against these.

export function roundHalfEvenRef(x: number): number {
  const f = Math.floor(x);
  if (x - f !== 0.5) return Math.round(x);
  return f % 2 === 0 ? f : f + 1;
}

/** Indices in pruning order: magnitude ascending, then index ascending. */
function pruneOrder(w: Float32Array): number[] {
  const idx = Array.from(w, (_, i) => i);
  return idx.sort((a, b) => Math.abs(w[a]) - Math.abs(w[b]) || a - b);
}

export function refPruneToSparsity(w: Float32Array, sparsity: number) {
  const n = w.length;
  const k = roundHalfEvenRef(sparsity * n);
  const order = pruneOrder(w);
  const out = w.slice();
  const mask = new Uint8Array(n).fill(1);
  for (let j = 0; j < k; j++) mask[order[j]] = 0;
  for (let i = 0; i < n; i++) if (w[i] === 0) mask[i] = 0; // zeros count as pruned
  for (let i = 0; i < n; i++) if (!mask[i]) out[i] = 0;
  const threshold = k === 0 ? 0 : Math.abs(w[order[k - 1]]);
  const kept = mask.reduce((s, v) => s + v, 0);
  return { out, mask, threshold, kept, pruned: n - kept };
}

export function refPruneByThreshold(w: Float32Array, t: number) {
  const out = w.slice();
  const mask = new Uint8Array(w.length);
  let kept = 0;
  for (let i = 0; i < w.length; i++) {
    if (Math.abs(w[i]) > t) {
      mask[i] = 1;
      kept++;
    } else out[i] = 0;
  }
  return { out, mask, kept, pruned: w.length - kept };
}

export function refApplyMask(w: Float32Array, mask: Uint8Array) {
  const out = w.slice();
  for (let i = 0; i < w.length; i++) if (!mask[i]) out[i] = 0;
  return out;
}

export function refNM(w: Float32Array, n: number, m: number, rowLength = w.length) {
  const mask = new Uint8Array(w.length);
  for (let row = 0; row < w.length; row += rowLength) {
    for (let g = 0; g < rowLength; g += m) {
      const idx: number[] = [];
      for (let j = g; j < Math.min(g + m, rowLength); j++) idx.push(row + j);
      idx.sort((a, b) => Math.abs(w[b]) - Math.abs(w[a]) || a - b);
      for (let j = 0; j < Math.min(n, idx.length); j++) mask[idx[j]] = 1;
    }
  }
  return mask;
}

/** Bit patterns, so +0 and -0 (and NaN payloads) differ. */
export function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}

/** Deterministic pseudo-random weights, roughly normal (sum of uniforms). */
export function randomWeights(n: number, seed = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) w[i] = (next() + next() + next() - 1.5) * 0.1;
  return w;
}

/** Element-wise equality that reports the first difference instead of diffing huge arrays. */
export function sameArray(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) {
      expect.fail(`${what}: first difference at index ${i}: got ${actual[i]}, expected ${expected[i]}`);
    }
  }
}
