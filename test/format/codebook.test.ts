import { describe, expect, it } from 'vitest';
import { assignCodes, kmeans1d, nearest, snapToCentroids } from '../../src/format/codebook.js';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** Brute-force Lloyd's objective: sum of squared distances of nonzeros to their nearest centroid. */
function sse(values: Float32Array, centroids: Float32Array): number {
  let total = 0;
  for (const v of values) {
    if (v === 0) continue;
    let best = Infinity;
    for (const c of centroids) best = Math.min(best, (v - c) ** 2);
    total += best;
  }
  return total;
}

describe('kmeans1d', () => {
  it('returns at most k sorted nonzero centroids, and zeros stay zero when snapped', () => {
    const rnd = lcg(7);
    const w = new Float32Array(5000).map(() => (rnd() < 0.9 ? 0 : rnd() * 2 - 1));
    const c = kmeans1d(w, 32);
    expect(c.length).toBeLessThanOrEqual(32);
    expect(c.length).toBeGreaterThan(16);
    for (let i = 1; i < c.length; i++) expect(c[i]).toBeGreaterThan(c[i - 1]);
    expect(Array.from(c)).not.toContain(0);
    const snapped = snapToCentroids(w, c);
    for (let i = 0; i < w.length; i++) {
      if (w[i] === 0) expect(snapped[i]).toBe(0);
      else expect(c).toContain(snapped[i]);
    }
  });

  it('is lossless when the tensor already has at most k distinct nonzero values', () => {
    const w = new Float32Array([0, 0.5, -0.25, 0.5, 0, 3, -0.25, 3]);
    const c = kmeans1d(w, 3);
    expect(Array.from(c)).toEqual([-0.25, 0.5, 3]);
    expect(Array.from(snapToCentroids(w, c))).toEqual(Array.from(w));
    expect(Array.from(assignCodes(w, c, 9))).toEqual([9, 1, 0, 1, 9, 2, 0, 2]);
  });

  it('does better than its linear initialisation and improves with k', () => {
    const rnd = lcg(3);
    // Gaussian-ish weights: most mass near 0, so the linear grid is a poor fit Lloyd must improve.
    const w = new Float32Array(20000).map(() => (rnd() + rnd() + rnd() - 1.5) * 0.3);
    const lin = new Float32Array(16).map((_, j) => Math.min(...w) + ((Math.max(...w) - Math.min(...w)) * j) / 15);
    const c16 = kmeans1d(w, 16);
    expect(sse(w, c16)).toBeLessThan(0.8 * sse(w, lin));
    expect(sse(w, kmeans1d(w, 32))).toBeLessThan(sse(w, c16));
  });

  it('finds well-separated clusters', () => {
    const rnd = lcg(11);
    const w = new Float32Array(3000).map((_, i) => [-2, 1, 5][i % 3] + (rnd() - 0.5) * 0.01);
    const c = kmeans1d(w, 3);
    expect(c.length).toBe(3);
    expect(c[0]).toBeCloseTo(-2, 2);
    expect(c[1]).toBeCloseTo(1, 2);
    expect(c[2]).toBeCloseTo(5, 2);
  });

  it('nearest picks the closest centroid, and names the tensor on bad input', () => {
    const c = new Float32Array([-1, 0.5, 2]);
    expect([-5, -0.3, -0.2, 1.2, 1.3, 9].map((v) => nearest(c, v))).toEqual([0, 0, 1, 1, 2, 2]);
    expect(() => kmeans1d(new Float32Array([1, NaN]), 4, { name: 'dense_1/kernel' })).toThrow(/dense_1\/kernel.*index 1/);
    expect(() => kmeans1d(new Float32Array(4), 0)).toThrow(/k must be/);
    expect(kmeans1d(new Float32Array(4), 4).length).toBe(0);
  });
});
