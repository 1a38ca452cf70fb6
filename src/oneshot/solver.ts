// The per-layer solver: given a layer's calibration statistics (stats.ts) and its dense weights,
// choose which `prune` weights to zero and what the kept ones become. Pure float64 math on plain
// arrays: no tfjs, no layers (docs/oneshot.md has the derivation). Where the Wasm kernels are
// loaded (src/wasm/oneshot.ts) the products, factorizations and refits run there (kernelsFor);
// the plain-JavaScript path below is the fallback and the reference they are tested against.
//
// Weights are d x m row-major (input i, output j at i·m + j); with a bias, row d-1 is the bias
// (never pruned, but refit by 'reconstruct'). Scores and masks cover the first `inputs` rows.
//
// 'reconstruct', per output unit j, minimises ‖y_j − X̃ŵ_j‖² over weights ŵ_j kept on a set S_j:
//   (H_SS + λI)·ŵ_S = R_Sj,  λ = damping · mean(diag H)          (exact refit, Cholesky)
// with the masks from OBS saliencies ŵ_q² / [(H_SS + λI)⁻¹]_qq (the growth of the error when q
// alone is removed and the others refit), ranked across the whole layer. The masks are chosen in a
// few steps, each removing the least salient weights of the last refit, so that the saliencies
// are those of a set close to the final one. Where the refits would cost too much (a wide layer
// at low sparsity), SparseGPT's blocked sequential update replaces them.
import { choleskyInverse, choleskySolve, dampedCholesky, inverseDiagonal } from './linalg.js';
import { smallest } from './allocate.js';
import { WASM_MIN_INPUTS, type LayerStats } from './stats.js';
import { oneShotKernels, type OneShotWasm } from '../wasm/oneshot.js';

/** The Wasm kernels for a layer of d rows and m outputs, or null (not loaded, too small to gain, too large). */
function kernelsFor(d: number, m: number): OneShotWasm | null {
  return d >= WASM_MIN_INPUTS ? oneShotKernels(d, m) : null;
}

export type OneShotMethod = 'magnitude' | 'activation' | 'reconstruct';

export interface SolveOptions {
  method: OneShotMethod;
  /** Weights (of the first `inputs` rows) to zero, exactly. */
  prune: number;
  /** λ = damping · mean(diag H). Default 0.01. */
  damping?: number;
  /** Mask selection steps of 'reconstruct' on the exact path (1 = one mask from the dense saliencies). */
  steps?: number;
  /** Floating-point operations the exact refits may take before the blocked path replaces them. */
  exactBudget?: number;
  /** SparseGPT block width (inputs per mask block). Default 128. */
  blockSize?: number;
  /**
   * N:M instead of a count: of every `m` consecutive inputs (in runs of `axis` inputs, the last
   * group of a run shorter), each output keeps its `n` most salient. `prune` must equal
   * nmPrunedCount(inputs, outputs, nm).
   */
  nm?: NMPattern;
}

export interface NMPattern {
  n: number;
  m: number;
  /** Inputs per run (Dense: all inputs; Conv2D: cin, runs repeated for each kernel position). */
  axis: number;
}

/** Weights an N:M pattern prunes in an inputs x outputs kernel. */
export function nmPrunedCount(inputs: number, outputs: number, nm: NMPattern): number {
  let perRun = 0;
  for (let g = 0; g < nm.axis; g += nm.m) perRun += Math.max(0, Math.min(nm.m, nm.axis - g) - nm.n);
  return perRun * (inputs / nm.axis) * outputs;
}

/** The N:M groups of rows: [start, end) pairs. */
function nmGroups(inputs: number, nm: NMPattern): [number, number][] {
  const out: [number, number][] = [];
  for (let r = 0; r < inputs; r += nm.axis) for (let g = 0; g < nm.axis; g += nm.m) out.push([r + g, r + Math.min(nm.axis, g + nm.m)]);
  return out;
}

/** Keeps, per output, the n largest scores of every group (ties: the lowest index pruned first). */
export function nmKeep(scores: Float64Array, inputs: number, outputs: number, nm: NMPattern, rows: [number, number][] = nmGroups(inputs, nm)): Uint8Array {
  const keep = new Uint8Array(inputs * outputs);
  for (const [g0, g1] of rows) {
    const idx = Array.from({ length: g1 - g0 }, (_, t) => g0 + t);
    for (let j = 0; j < outputs; j++) {
      const sc = (i: number) => scores[i * outputs + j];
      idx.sort((a, b) => sc(b) - sc(a) || b - a);
      for (let t = 0; t < nm.n && t < idx.length; t++) keep[idx[t] * outputs + j] = 1;
    }
  }
  return keep;
}

export interface SolveResult {
  /** d x m: the new weights (pruned ones exactly +0), bias row included. */
  w: Float64Array;
  /** inputs x m: 1 = kept. */
  keep: Uint8Array;
  /** ‖Y − X̃Ŵ‖ / ‖Y‖ on the calibration rows (0 when Y is all zero). */
  error: number;
  solver: 'mask' | 'exact' | 'blocked';
  lambda: number;
}

export const DEFAULT_DAMPING = 0.01;
const DEFAULT_STEPS = 3;
const DEFAULT_BUDGET = 1e9;

/** Solves one layer. `w` (d x m, the dense weights) is not modified. */
export function solveLayer(stats: LayerStats, w: Float64Array, options: SolveOptions): SolveResult {
  const { inputs, m } = stats;
  const n = inputs * m;
  const lambda = (options.damping ?? DEFAULT_DAMPING) * meanDiagonal(stats);
  if (options.method !== 'reconstruct') {
    const norms = options.method === 'activation' ? stats.inputNorms() : null;
    const scores = new Float64Array(n);
    for (let i = 0; i < inputs; i++) for (let j = 0; j < m; j++) scores[i * m + j] = Math.abs(w[i * m + j]) * (norms === null ? 1 : norms[i]);
    const keep = options.nm ? nmKeep(scores, inputs, m, options.nm) : keepLargest(scores, n - options.prune, null);
    const out = w.slice();
    for (let q = 0; q < n; q++) if (keep[q] === 0) out[q] = 0;
    return { w: out, keep, error: relativeError(stats, out), solver: 'mask', lambda };
  }
  const { lam, hinv, u, wStar, scores } = prepare(stats, lambda);
  const keepCount = n - options.prune;
  // N:M fixes every group's count: one mask from the dense saliencies, one refit.
  const steps = options.nm ? 1 : (options.steps ?? DEFAULT_STEPS);
  const schedule = refitSchedule(keepCount, n, m, steps, options.exactBudget ?? DEFAULT_BUDGET);
  if (schedule === null) {
    const out = blockedPrune(stats, wStar, { hinv, u }, options.prune, options.blockSize ?? 128, options.nm ?? null);
    return { w: out.w, keep: out.keep, error: relativeError(stats, out.w), solver: 'blocked', lambda: lam };
  }
  let keep: Uint8Array | null = null;
  let out: Float64Array = wStar;
  for (let t = 0; t < schedule.length; t++) {
    keep = options.nm ? nmKeep(scores, inputs, m, options.nm) : keepLargest(scores, schedule[t], keep);
    const last = t === schedule.length - 1;
    out = refit(stats, keep, lam, last ? null : scores);
  }
  return { w: out, keep: keep as Uint8Array, error: relativeError(stats, out), solver: 'exact', lambda: lam };
}

interface Prepared {
  lam: number;
  /** (H + λI)⁻¹ (the JavaScript path), or null when `u` is given. */
  hinv: Float64Array | null;
  /** The Wasm path: U, upper triangular, with UᵀU = (H + λI)⁻¹; null on the JavaScript path. */
  u: Float64Array | null;
  /** The unconstrained optimum w* = (H + λI)⁻¹R (w itself, up to damping, when the target is X̃w). */
  wStar: Float64Array;
  /** OBS saliencies of w*: w*_ij² / [(H + λI)⁻¹]_ii (inputs x m). */
  scores: Float64Array;
}

function prepare(stats: LayerStats, lambda: number): Prepared {
  const { d, inputs, m } = stats;
  const kernels = kernelsFor(d, m);
  if (kernels !== null) {
    // U = P·L⁻¹·P from the Cholesky L of the reversed matrix (src/wasm/oneshot.ts): one
    // factorization and one triangular inverse give both w* = Uᵀ(U·R) and SparseGPT's factor.
    const f = kernels.inverseFactor(stats.h, d, lambda);
    if (f === null) throw new Error(`tfjs-prune internal error: a ${d}x${d} Gram matrix stayed indefinite with damping ${lambda * 1e6}`);
    const { u } = f;
    const wStar = kernels.inverseTimes(u, d, stats.r, m);
    const diag = new Float64Array(d);
    for (let k = 0; k < d; k++) for (let i = k; i < d; i++) diag[i] += u[k * d + i] * u[k * d + i];
    return { lam: f.lambda, hinv: null, u, wStar, scores: saliencies(wStar, diag, inputs, m) };
  }
  const { l, lambda: lam } = dampedCholesky(stats.h, d, lambda);
  const hinv = choleskyInverse(l, d);
  const wStar = new Float64Array(d * m);
  for (let i = 0; i < d; i++) {
    const hi = i * d;
    const oi = i * m;
    for (let k = 0; k < d; k++) {
      const v = hinv[hi + k];
      if (v === 0) continue;
      const rk = k * m;
      for (let j = 0; j < m; j++) wStar[oi + j] += v * stats.r[rk + j];
    }
  }
  const diag = new Float64Array(d);
  for (let i = 0; i < d; i++) diag[i] = hinv[i * d + i];
  return { lam, hinv, u: null, wStar, scores: saliencies(wStar, diag, inputs, m) };
}

/** OBS saliencies w*_ij² / [(H + λI)⁻¹]_ii of the first `inputs` rows. */
function saliencies(wStar: Float64Array, diag: Float64Array, inputs: number, m: number): Float64Array {
  const scores = new Float64Array(inputs * m);
  for (let i = 0; i < inputs; i++) {
    const di = diag[i];
    for (let j = 0; j < m; j++) scores[i * m + j] = (wStar[i * m + j] * wStar[i * m + j]) / di;
  }
  return scores;
}

/**
 * The layer's relative error after 'reconstruct' at each sparsity (one mask from the dense
 * saliencies, one exact refit: a cheap estimate of solveLayer's), or null where the refit would
 * cost more than `budget` operations. For the global allocation (allocate.ts).
 */
export function errorCurve(stats: LayerStats, sparsities: readonly number[], options: { damping?: number; budget?: number } = {}): (number | null)[] {
  const { inputs, m } = stats;
  const n = inputs * m;
  const budget = options.budget ?? DEFAULT_BUDGET / 4;
  const { lam, scores } = prepare(stats, (options.damping ?? DEFAULT_DAMPING) * meanDiagonal(stats));
  return sparsities.map((s) => {
    const keepCount = n - Math.round(s * n);
    if (m * Math.pow(keepCount / m + 1, 3) * 0.5 > budget) return null;
    return relativeError(stats, refit(stats, keepLargest(scores, keepCount, null), lam, null));
  });
}

function meanDiagonal(stats: LayerStats): number {
  let s = 0;
  for (let i = 0; i < stats.inputs; i++) s += stats.h[i * stats.d + i];
  return stats.inputs === 0 ? 0 : s / stats.inputs;
}

/**
 * Kept counts of the mask steps, from about twice the final count down to it, or null when even
 * one exact refit exceeds the budget. A refit of output j costs about |S_j|³/2 operations.
 */
export function refitSchedule(keep: number, n: number, m: number, steps: number, budget: number): number[] | null {
  const cost = (k: number) => m * Math.pow(k / m + 1, 3) * 0.5;
  if (cost(keep) > budget) return null;
  for (let growth = 2; growth > 1.01; growth = 1 + (growth - 1) * 0.7) {
    const s: number[] = [];
    let total = 0;
    for (let t = steps - 1; t >= 0; t--) {
      const k = Math.min(n, Math.round(keep * Math.pow(growth, t / Math.max(1, steps - 1))));
      if (s.length === 0 || k !== s[s.length - 1]) s.push(k);
      total += cost(k);
    }
    if (total <= budget) return s;
  }
  return [keep];
}

/**
 * The `count` largest scores among those still kept (all when `prev` is null); ties at the cut are
 * pruned lowest index first, as everywhere in tfjs-prune.
 */
export function keepLargest(scores: Float64Array, count: number, prev: Uint8Array | null): Uint8Array {
  let eligible = 0;
  for (let q = 0; q < scores.length; q++) if (prev === null || prev[q] !== 0) eligible++;
  const drop = smallest(scores, eligible - count, prev);
  const keep = new Uint8Array(scores.length);
  for (let q = 0; q < scores.length; q++) keep[q] = (prev === null || prev[q] !== 0) && drop[q] === 0 ? 1 : 0;
  return keep;
}

/**
 * Exact least-squares refit of every output's kept weights (bias always kept). With `scores`,
 * also writes each kept weight's OBS saliency ŵ_q² / [(H_SS + λI)⁻¹]_qq there (others: 0).
 */
function refit(stats: LayerStats, keep: Uint8Array, lambda: number, scores: Float64Array | null): Float64Array {
  const { d, inputs, m, h, r, bias } = stats;
  const kernels = kernelsFor(d, m);
  if (kernels !== null) {
    const w = kernels.refitAll(h, d, r, m, keep, inputs, lambda, scores);
    if (w === null) throw new Error(`tfjs-prune internal error: a refit's Gram matrix stayed indefinite`);
    return w;
  }
  const out = new Float64Array(d * m);
  const idx = new Int32Array(d);
  for (let j = 0; j < m; j++) {
    let s = 0;
    for (let i = 0; i < inputs; i++) if (keep[i * m + j] !== 0) idx[s++] = i;
    if (bias) idx[s++] = inputs;
    if (s === 0) continue;
    const a = new Float64Array(s * s);
    const b = new Float64Array(s);
    for (let p = 0; p < s; p++) {
      const hp = idx[p] * d;
      for (let q = 0; q <= p; q++) a[p * s + q] = h[hp + idx[q]];
      a[p * s + p] += lambda;
      b[p] = r[idx[p] * m + j];
    }
    const { l } = dampedCholesky(a, s, 0);
    choleskySolve(l, s, b);
    for (let p = 0; p < s; p++) out[idx[p] * m + j] = b[p];
    if (scores !== null) {
      const di = inverseDiagonal(l, s);
      for (let i = 0; i < inputs; i++) scores[i * m + j] = 0;
      for (let p = 0; p < s; p++) if (idx[p] < inputs) scores[idx[p] * m + j] = (b[p] * b[p]) / di[p];
    }
  }
  return out;
}

/**
 * SparseGPT (Frantar & Alistarh 2023, Algorithm 1): inputs in order, in blocks of `blockSize`;
 * each block's mask is the smallest w²/[U]_ii² of the block at the block's share of `prune`
 * (cumulative rounding, so the counts add up exactly); each pruned input's error is pushed onto
 * the inputs after it (bias last) through the upper Cholesky factor U of (H + λI)⁻¹.
 */
function blockedPrune(stats: LayerStats, wStar: Float64Array, inv: { hinv: Float64Array | null; u: Float64Array | null }, prune: number, blockSize: number, nm: NMPattern | null): { w: Float64Array; keep: Uint8Array } {
  const { d, inputs, m } = stats;
  const w = wStar.slice();
  const keep = new Uint8Array(inputs * m);
  let done = 0;
  // N:M: each group is a block, its mask chosen per output when the group is reached.
  const blocks: [number, number][] = [];
  if (nm !== null) blocks.push(...nmGroups(inputs, nm));
  else for (let b0 = 0; b0 < inputs; b0 += blockSize) blocks.push([b0, Math.min(inputs, b0 + blockSize)]);
  // The block's mask from its current rows; U_ii = diag(i).
  const chooseBlock = (b0: number, b1: number, rows: Float64Array, diag: (i: number) => number): Uint8Array => {
    const sc = new Float64Array((b1 - b0) * m);
    for (let i = b0; i < b1; i++) {
      const u = diag(i);
      for (let j = 0; j < m; j++) sc[(i - b0) * m + j] = (rows[(i - b0) * m + j] * rows[(i - b0) * m + j]) / (u * u);
    }
    let keepBlock: Uint8Array;
    if (nm !== null) {
      keepBlock = nmKeep(sc, b1 - b0, m, { n: nm.n, m: nm.m, axis: b1 - b0 }, [[0, b1 - b0]]);
      let kept = 0;
      for (let q = 0; q < keepBlock.length; q++) kept += keepBlock[q];
      done += keepBlock.length - kept;
    } else {
      const take = Math.round((prune * b1) / inputs) - Math.round((prune * b0) / inputs);
      keepBlock = keepLargest(sc, sc.length - take, null);
      done += take;
    }
    keep.set(keepBlock, b0 * m);
    return keepBlock;
  };
  const kernels = kernelsFor(d, m);
  if (inv.u !== null && kernels !== null) {
    const u = inv.u;
    kernels.sparseGpt(u, d, w, m, blocks, (b0, b1, rows) => chooseBlock(b0, b1, rows, (i) => u[i * d + i]));
  } else {
    // U with UᵀU = H⁻¹: the transpose of H⁻¹'s lower Cholesky factor.
    const { l: lower } = dampedCholesky(inv.hinv as Float64Array, d, 0);
    const err = new Float64Array(m);
    for (const [b0, b1] of blocks) {
      const keepBlock = chooseBlock(b0, b1, w.subarray(b0 * m, b1 * m), (i) => lower[i * d + i]);
      for (let i = b0; i < b1; i++) {
        const u = lower[i * d + i];
        const oi = i * m;
        for (let j = 0; j < m; j++) {
          if (keepBlock[(i - b0) * m + j] !== 0) err[j] = 0;
          else {
            err[j] = w[oi + j] / u;
            w[oi + j] = 0;
          }
        }
        for (let k = i + 1; k < d; k++) {
          const uik = lower[k * d + i];
          if (uik === 0) continue;
          const ok = k * m;
          for (let j = 0; j < m; j++) w[ok + j] -= uik * err[j];
        }
      }
    }
  }
  if (done !== prune) throw new Error(`tfjs-prune internal error: blocked prune zeroed ${done} weights instead of ${prune}`);
  return { w, keep };
}

/** ‖Y − X̃Ŵ‖ / ‖Y‖ from the statistics: Σ_j tt_j − 2ŵ_jᵀR_j + ŵ_jᵀHŵ_j over Σ_j tt_j. */
export function relativeError(stats: LayerStats, w: Float64Array): number {
  const { d, m, h, r, tt } = stats;
  let num = 0;
  let den = 0;
  const kernels = kernelsFor(d, m);
  if (kernels !== null) {
    const q = kernels.quadForms(h, d, w, r, m);
    for (let j = 0; j < m; j++) {
      num += tt[j] + q[j];
      den += tt[j];
    }
    return den > 0 ? Math.sqrt(Math.max(0, num) / den) : 0;
  }
  const idx = new Int32Array(d);
  const val = new Float64Array(d);
  for (let j = 0; j < m; j++) {
    let s = 0;
    for (let i = 0; i < d; i++) {
      const v = w[i * m + j];
      if (v !== 0) {
        idx[s] = i;
        val[s++] = v;
      }
    }
    let e = tt[j];
    for (let p = 0; p < s; p++) {
      e -= 2 * val[p] * r[idx[p] * m + j];
      const hp = idx[p] * d;
      let q2 = 0;
      for (let q = 0; q < s; q++) q2 += h[hp + idx[q]] * val[q];
      e += val[p] * q2;
    }
    num += e;
    den += tt[j];
  }
  return den > 0 ? Math.sqrt(Math.max(0, num) / den) : 0;
}
