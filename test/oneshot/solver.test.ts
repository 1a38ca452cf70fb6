// The one-shot solver's math against independent references: the statistics against a direct
// XᵀX, the exact refit against least squares solved by Gauss-Jordan elimination with partial
// pivoting (a different route from the solver's Cholesky), the reported error against
// ‖Y − X̃Ŵ‖/‖Y‖ computed from the rows, exact counts and ties, the OBS mask on a problem where it
// must differ from magnitude, SparseGPT's blocked path, and the error-curve allocation.
import { describe, expect, it } from 'vitest';
import { cholesky, choleskyInverse, choleskySolve, inverseDiagonal } from '../../src/oneshot/linalg.js';
import { curveCounts, pooledCounts, smallest } from '../../src/oneshot/allocate.js';
import { errorCurve, keepLargest, nmPrunedCount, solveLayer } from '../../src/oneshot/solver.js';
import { LayerStats } from '../../src/oneshot/stats.js';
import { centredRng } from '../support/rng.js';

const rng = centredRng;

/** A problem: rows x inputs inputs (some zeros, as ReLU outputs), m outputs, targets Y = X·W + b. */
function problem(rows: number, inputs: number, m: number, seed: number) {
  const r = rng(seed);
  const x = new Float32Array(rows * inputs);
  for (let i = 0; i < x.length; i++) x[i] = r() > 0.2 ? 0 : r() * 2 + (i % 3);
  const w = new Float64Array((inputs + 1) * m);
  for (let i = 0; i < w.length; i++) w[i] = r();
  const y = new Float32Array(rows * m);
  for (let s = 0; s < rows; s++) {
    for (let j = 0; j < m; j++) {
      let v = w[inputs * m + j];
      for (let i = 0; i < inputs; i++) v += x[s * inputs + i] * w[i * m + j];
      y[s * m + j] = v;
    }
  }
  return { x, w, y, rows, inputs, m };
}

function statsOf(p: ReturnType<typeof problem>): LayerStats {
  const st = new LayerStats(p.inputs, p.m, true);
  // Two calls: accumulation across batches.
  const half = Math.floor(p.rows / 2);
  st.add(p.x.subarray(0, half * p.inputs), p.y.subarray(0, half * p.m), half);
  st.add(p.x.subarray(half * p.inputs), p.y.subarray(half * p.m), p.rows - half);
  return st.finish();
}

/** Solves A·x = b by Gauss-Jordan elimination with partial pivoting (A n x n, copied). */
function gaussSolve(a0: number[][], b0: number[]): number[] {
  const n = b0.length;
  const a = a0.map((row, i) => [...row, b0[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
    [a[c], a[p]] = [a[p], a[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r][c] / a[c][c];
      for (let k = c; k <= n; k++) a[r][k] -= f * a[c][k];
    }
  }
  return a.map((row, i) => row[n] / row[i]);
}

/** ‖Y − X̃Ŵ‖ / ‖Y‖ straight from the rows. */
function directError(p: ReturnType<typeof problem>, w: Float64Array): number {
  let num = 0;
  let den = 0;
  for (let s = 0; s < p.rows; s++) {
    for (let j = 0; j < p.m; j++) {
      let v = w[p.inputs * p.m + j];
      for (let i = 0; i < p.inputs; i++) v += p.x[s * p.inputs + i] * w[i * p.m + j];
      const t = p.y[s * p.m + j];
      num += (t - v) ** 2;
      den += t * t;
    }
  }
  return Math.sqrt(num / den);
}

describe('linalg', () => {
  it('factors, solves and inverts an SPD matrix', () => {
    const r = rng(3);
    const n = 7;
    const b = Array.from({ length: n }, () => Array.from({ length: n }, () => r()));
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) a[i * n + j] += b[i][k] * b[j][k] + (i === j && k === 0 ? 0.5 : 0);
    const rhs = Array.from({ length: n }, () => r());
    const ref = gaussSolve(Array.from({ length: n }, (_, i) => Array.from(a.subarray(i * n, i * n + n))), rhs);
    const l = a.slice();
    expect(cholesky(l, n)).toBe(true);
    const x = Float64Array.from(rhs);
    choleskySolve(l, n, x);
    for (let i = 0; i < n; i++) expect(x[i]).toBeCloseTo(ref[i], 9);
    const inv = choleskyInverse(l, n);
    const diag = inverseDiagonal(l, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += a[i * n + k] * inv[k * n + j];
        expect(s).toBeCloseTo(i === j ? 1 : 0, 9);
      }
      expect(diag[i]).toBeCloseTo(inv[i * n + i], 12);
    }
  });

  it('refuses a matrix that is not positive definite', () => {
    expect(cholesky(Float64Array.from([1, 2, 2, 1]), 2)).toBe(false);
    expect(cholesky(Float64Array.from([NaN, 0, 0, 1]), 2)).toBe(false);
  });
});

describe('LayerStats', () => {
  it('accumulates X̃ᵀX̃, X̃ᵀY and Σy² as the direct sums do', () => {
    const p = problem(40, 6, 3, 1);
    const st = statsOf(p);
    const d = p.inputs + 1;
    const xt = (s: number, i: number) => (i === p.inputs ? 1 : p.x[s * p.inputs + i]);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        let h = 0;
        for (let s = 0; s < p.rows; s++) h += xt(s, i) * xt(s, j);
        expect(st.h[i * d + j]).toBeCloseTo(h, 9);
      }
      for (let j = 0; j < p.m; j++) {
        let r = 0;
        for (let s = 0; s < p.rows; s++) r += xt(s, i) * p.y[s * p.m + j];
        expect(st.r[i * p.m + j]).toBeCloseTo(r, 9);
      }
    }
    expect(st.rows).toBe(40);
    expect(st.inputNorms()[2]).toBeCloseTo(Math.sqrt(st.h[2 * d + 2]), 12);
  });
});

describe('solveLayer', () => {
  it("'reconstruct' refits each output's kept weights and bias to the damped least-squares optimum", () => {
    const p = problem(60, 8, 3, 7);
    const st = statsOf(p);
    const damping = 0.01;
    const res = solveLayer(st, p.w, { method: 'reconstruct', prune: 12, damping, steps: 1 });
    expect(res.solver).toBe('exact');
    let mean = 0;
    for (let i = 0; i < p.inputs; i++) mean += st.h[i * (p.inputs + 1) + i];
    const lambda = (damping * mean) / p.inputs;
    expect(res.lambda).toBeCloseTo(lambda, 12);
    for (let j = 0; j < p.m; j++) {
      const kept = [...Array.from({ length: p.inputs }, (_, i) => i).filter((i) => res.keep[i * p.m + j] === 1), p.inputs];
      // Normal equations built from the rows (not from the statistics), solved by elimination.
      const xt = (s: number, i: number) => (i === p.inputs ? 1 : p.x[s * p.inputs + i]);
      const a = kept.map((i) => kept.map((k) => Array.from({ length: p.rows }, (_, s) => xt(s, i) * xt(s, k)).reduce((u, v) => u + v, 0) + (i === k ? lambda : 0)));
      const b = kept.map((i) => Array.from({ length: p.rows }, (_, s) => xt(s, i) * p.y[s * p.m + j]).reduce((u, v) => u + v, 0));
      const ref = gaussSolve(a, b);
      kept.forEach((i, t) => expect(res.w[i * p.m + j]).toBeCloseTo(ref[t], 7));
      for (let i = 0; i < p.inputs; i++) if (res.keep[i * p.m + j] === 0) expect(Object.is(res.w[i * p.m + j], 0)).toBe(true);
    }
    expect(res.error).toBeCloseTo(directError(p, res.w), 6);
  });

  it('prunes exactly the requested count, in every method and path', () => {
    const p = problem(50, 10, 4, 11);
    const st = statsOf(p);
    for (const prune of [0, 1, 17, 39, 40]) {
      for (const method of ['magnitude', 'activation', 'reconstruct'] as const) {
        const res = solveLayer(st, p.w, { method, prune });
        expect(res.keep.reduce((a, b) => a + b, 0)).toBe(40 - prune);
        let zeros = 0;
        for (let q = 0; q < 40; q++) if (res.w[q] === 0) zeros++;
        expect(zeros).toBe(prune);
      }
      const blocked = solveLayer(st, p.w, { method: 'reconstruct', prune, exactBudget: 0, blockSize: 3 });
      expect(blocked.solver).toBe('blocked');
      expect(blocked.keep.reduce((a, b) => a + b, 0)).toBe(40 - prune);
    }
  });

  it('moves a pruned duplicate input onto its twin, where magnitude and activation cannot', () => {
    // Input 1 is an exact copy of input 0; its weight is the larger, so magnitude keeps it and
    // drops input 2's (small but irreplaceable) weight instead.
    const rows = 30;
    const r = rng(5);
    const x = new Float32Array(rows * 3);
    for (let s = 0; s < rows; s++) {
      x[s * 3] = r();
      x[s * 3 + 1] = x[s * 3];
      x[s * 3 + 2] = r();
    }
    const w = Float64Array.from([0.5, 0.6, 0.3, 0]);
    const y = new Float32Array(rows);
    for (let s = 0; s < rows; s++) y[s] = x[s * 3] * 0.5 + x[s * 3 + 1] * 0.6 + x[s * 3 + 2] * 0.3;
    const st = new LayerStats(3, 1, true);
    st.add(x, y, rows);
    st.finish();
    const rec = solveLayer(st, w, { method: 'reconstruct', prune: 1, damping: 1e-6 });
    expect(rec.keep[2]).toBe(1);
    expect(rec.keep[0] + rec.keep[1]).toBe(1);
    expect(rec.error).toBeLessThan(1e-3);
    const mag = solveLayer(st, w, { method: 'magnitude', prune: 1 });
    expect(Array.from(mag.keep)).toEqual([1, 1, 0]);
    expect(mag.error).toBeGreaterThan(0.1);
  });

  it("SparseGPT's blocked update: exact when nothing is pruned, close to the exact refits otherwise", () => {
    const p = problem(200, 24, 5, 21);
    const st = statsOf(p);
    const none = solveLayer(st, p.w, { method: 'reconstruct', prune: 0, exactBudget: 0, damping: 1e-8 });
    expect(none.error).toBeLessThan(1e-5);
    const blocked = solveLayer(st, p.w, { method: 'reconstruct', prune: 60, exactBudget: 0, blockSize: 8 });
    const exact = solveLayer(st, p.w, { method: 'reconstruct', prune: 60 });
    const masked = solveLayer(st, p.w, { method: 'magnitude', prune: 60 });
    expect(blocked.error).toBeCloseTo(directError(p, blocked.w), 5);
    expect(exact.error).toBeLessThanOrEqual(blocked.error * 1.0001);
    expect(blocked.error).toBeLessThan(masked.error);
  });
});

describe('solveLayer with N:M', () => {
  it('keeps n of every m inputs per output on both paths (the last group shorter), with the count it announces', () => {
    const p = problem(120, 10, 3, 41);
    const st = statsOf(p);
    const nm = { n: 2, m: 4, axis: 5 }; // two runs of 5 inputs: groups [0,4) [4,5) [5,9) [9,10)
    const prune = nmPrunedCount(10, 3, nm);
    expect(prune).toBe(2 * 2 * 3);
    for (const exactBudget of [undefined, 0]) {
      const res = solveLayer(st, p.w, { method: 'reconstruct', prune, nm, exactBudget });
      expect(res.solver).toBe(exactBudget === 0 ? 'blocked' : 'exact');
      for (let j = 0; j < 3; j++) {
        const kept = (a: number, b: number) => Array.from({ length: b - a }, (_, t) => res.keep[(a + t) * 3 + j]).reduce((u, v) => u + v, 0);
        expect([kept(0, 4), kept(4, 5), kept(5, 9), kept(9, 10)]).toEqual([2, 1, 2, 1]);
      }
      expect(res.error).toBeCloseTo(directError(p, res.w), 6);
      const mag = solveLayer(st, p.w, { method: 'magnitude', prune, nm });
      expect(res.error).toBeLessThan(mag.error);
    }
  });
});

describe('selection and allocation', () => {
  it('prunes the smallest, ties lowest index first', () => {
    const s = Float64Array.from([3, 1, 2, 1, 1, 5]);
    expect(Array.from(smallest(s, 2, null))).toEqual([0, 1, 0, 1, 0, 0]);
    expect(Array.from(smallest(s, 2, Uint8Array.from([1, 0, 1, 1, 1, 1])))).toEqual([0, 0, 0, 1, 1, 0]);
    expect(Array.from(keepLargest(s, 4, null))).toEqual([1, 0, 1, 0, 1, 1]);
    expect(Array.from(keepLargest(s, 3, null))).toEqual([1, 0, 1, 0, 0, 1]);
    expect(pooledCounts([Float64Array.from([1, 1]), Float64Array.from([1, 0])], 2)).toEqual([1, 1]);
    expect(pooledCounts([Float64Array.from([1, 1]), Float64Array.from([1, 0])], 4)).toEqual([2, 2]);
  });

  it('splits a count by the cheapest squared-error slopes, exactly', () => {
    // Layer 0 is cheap to prune up to 80 of 100, then steep; layer 1 costs the same all along.
    const curves = [
      { n: 100, points: [{ count: 80, error: 0.1 }, { count: 100, error: 1 }] },
      { n: 50, points: [{ count: 25, error: 0.5 }, { count: 50, error: Math.SQRT1_2 }] },
    ];
    expect(curveCounts(curves, 90)).toEqual([80, 10]);
    expect(curveCounts(curves, 150)).toEqual([100, 50]);
    const c = curveCounts(curves, 117);
    expect(c[0] + c[1]).toBe(117);
  });

  it('measures an error curve that grows with sparsity', () => {
    const p = problem(80, 12, 4, 31);
    const e = errorCurve(statsOf(p), [0, 0.5, 0.9, 1], { damping: 1e-6 }) as number[];
    expect(e[0]).toBeLessThan(1e-2);
    expect(e[1]).toBeGreaterThan(e[0]);
    expect(e[2]).toBeGreaterThan(e[1]);
    expect(e[3]).toBeGreaterThan(e[2]);
  });
});
