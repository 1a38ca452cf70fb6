// The typed-array API: argument checks, the meaning of sparsity and thresholds, and reports. The
// numeric work is done by a KernelBackend (the Wasm kernels).
import { ArgumentError, NaNWeightsError } from '../errors.js';
import { bracketPass, codeHistogram8 as codeHist8, countCodes as countCodesIn, pruneCodeRanges as pruneRanges, selectParts, wasmBackend, WasmWeights, type CodedInput, type CodeRanges, type KernelBackend, type KeyRange, type PartsSelection, type Selection, type Tally, type Weights } from '../wasm/index.js';

export interface CountReport {
  /** Weights that are zero afterwards (weights that were already zero count as pruned). */
  pruned: number;
  /** Weights left nonzero. */
  kept: number;
  /** pruned / length (0 for an empty array). */
  sparsity: number;
}

export interface PruneReport extends CountReport {
  /**
   * Magnitude threshold: every weight with |w| below it was pruned, every weight above it kept.
   * For pruneToSparsity it is the largest magnitude pruned (0 when nothing nonzero was).
   */
  threshold: number;
}

export type MaskOptions = { sparsity: number; threshold?: undefined } | { threshold: number; sparsity?: undefined };

export interface NMOptions {
  /** Weights kept in each group. */
  n: number;
  /** Group size: consecutive weights along the innermost axis. */
  m: number;
  /**
   * Length of the innermost axis; groups never cross a row and the last group of a row may be
   * shorter than m (its n largest are kept). Default: the whole array is one row.
   */
  rowLength?: number;
}

/** Round half to even, as numpy and TF Model Optimization round. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** How many of n weights a target sparsity prunes: round-half-to-even(sparsity * n). */
export function prunedCount(sparsity: number, n: number): number {
  return roundHalfEven(sparsity * n);
}

export interface ThresholdOptions {
  /**
   * Default true: look for NaN before writing anything, so NaN weights throw a NaNWeightsError
   * and leave the array untouched. That look is a read pass of its own; `false` skips it (one
   * pass in all) for weights known to be finite, and NaN weights are then kept as they are.
   */
  checkNaN?: boolean;
}

/**
 * Prunes in place every weight with |w| <= threshold (written as +0); one pass over the data
 * (two with the default NaN check, see ThresholdOptions).
 */
export function pruneByThreshold(weights: Weights, threshold: number, options: ThresholdOptions = {}): PruneReport {
  const fname = 'pruneByThreshold';
  checkWeights(fname, weights);
  const tBits = thresholdBits(fname, threshold);
  if (options === null || typeof options !== 'object') {
    throw new ArgumentError(`${fname}: options must be an object, got ${String(options)}`);
  }
  const be = wasmBackend(fname);
  if (options.checkNaN !== false) assertNoNaN(be, fname, weights);
  return report(weights.length, be.pruneAbove(weights, tBits), Math.abs(threshold));
}

/**
 * Prunes in place exactly round-half-to-even(sparsity * n) weights, the smallest magnitudes, ties
 * at the threshold broken by lowest index first. Weights already zero count among the pruned (so
 * when more are zero than the target, the result keeps every nonzero weight). Pruned weights are
 * written as +0. Found in O(n) by a radix select, never a sort.
 */
export function pruneToSparsity(weights: Weights, sparsity: number): PruneReport {
  const fname = 'pruneToSparsity';
  const { be, sel } = selectForSparsity(fname, weights, sparsity);
  if (sel === null) return report(weights.length, be.pruneAbove(weights, 0), 0);
  // A zero threshold means every pruned weight is already zero: prune all zeros alike.
  const kept = sel.bits === 0 ? be.pruneAbove(weights, 0) : be.pruneSelect(weights, sel);
  return report(weights.length, kept, bitsToFloat(sel.bits));
}

/**
 * For the model layer's global scope (not public API): the k-th smallest magnitude over several
 * arrays (k in [1, total]) as bits, with each array's counts below and at it and its zeros;
 * `nanPart` names the first array holding NaN. An array is float32 weights or a quantized
 * tensor's codes with their table.
 */
export function selectAcrossArrays(fname: string, arrays: readonly (Weights | CodedInput)[], k: number): PartsSelection | { nanPart: number } {
  return selectParts(fname, arrays, k);
}

/**
 * For the streaming select (not public API): magnitudes below `lo` and NaN counted, those inside
 * [lo, hi] copied out (bit patterns, in order); `values` is null when more than `cap` fell inside.
 */
export function gatherBracket(fname: string, weights: Weights, lo: number, hi: number, cap: number): { below: number; nan: number; values: Uint32Array | null } {
  return bracketPass(fname, weights, lo, hi, cap);
}

/**
 * For the model layer (not public API): prunes in place every weight whose magnitude bits are
 * below `bits` and the first `take` of the `ties` weights equal to them (in index order); returns
 * the weights kept. When all or none of the ties go, that is the one-pass fused prune at `bits` or
 * just below it; only a split runs the tie-settling kernel. The weights must hold no NaN (checked
 * by the caller's select). With `tally`, the weights' zeros before pruning are counted into
 * tally.zeros in the same pass. With `out` (as long as the weights), the result goes there in the
 * same pass and the weights are left as they are.
 */
export function pruneBelowBits(fname: string, weights: Weights, bits: number, take: number, ties: number, tally?: Tally, out?: Float32Array): number {
  const be = wasmBackend(fname);
  if (bits === 0) return be.pruneAbove(weights, 0, tally, out);
  if (take === 0) return be.pruneAbove(weights, bits - 1, tally, out);
  if (take >= ties) return be.pruneAbove(weights, bits, tally, out);
  return be.pruneSelect(weights, { bits, need: take }, tally, out);
}

/**
 * The largest magnitude that pruneToSparsity(weights, sparsity) prunes: the k-th smallest |w|
 * with k = round-half-to-even(sparsity * n), or 0 when k is 0. Does not modify the weights.
 */
export function magnitudeThreshold(weights: Weights, sparsity: number): number {
  const { sel } = selectForSparsity('magnitudeThreshold', weights, sparsity);
  return sel === null ? 0 : bitsToFloat(sel.bits);
}

/**
 * Checks the arguments and selects the k-th smallest magnitude, k = round-half-to-even(sparsity *
 * n); `sel` is null when k is 0. NaN in the weights throws either way.
 */
function selectForSparsity(fname: string, weights: Weights, sparsity: number): { be: KernelBackend; sel: Selection | null } {
  checkWeights(fname, weights);
  checkSparsity(fname, sparsity);
  const be = wasmBackend(fname);
  const k = prunedCount(sparsity, weights.length);
  if (k === 0) {
    assertNoNaN(be, fname, weights);
    return { be, sel: null };
  }
  return { be, sel: be.select(weights, k) ?? throwNaN(be, fname, weights) };
}

/**
 * A keep-mask (1 = keep, 0 = prune) with the same decisions as pruneToSparsity or
 * pruneByThreshold would make. Does not modify the weights.
 */
export function magnitudeMask(weights: Weights, options: MaskOptions): Uint8Array {
  const fname = 'magnitudeMask';
  checkWeights(fname, weights);
  const out = new Uint8Array(weights.length);
  if (options === null || typeof options !== 'object') {
    throw new ArgumentError(`${fname}: options must be { sparsity } or { threshold }, got ${String(options)}`);
  }
  const hasS = options.sparsity !== undefined;
  const hasT = options.threshold !== undefined;
  if (hasS === hasT) {
    throw new ArgumentError(`${fname}: options must have exactly one of sparsity and threshold`);
  }
  if (hasT) {
    const tBits = thresholdBits(fname, options.threshold as number);
    const be = wasmBackend(fname);
    assertNoNaN(be, fname, weights);
    be.maskAbove(weights, tBits, out);
    return out;
  }
  const sparsity = options.sparsity as number;
  checkSparsity(fname, sparsity);
  const be = wasmBackend(fname);
  const k = prunedCount(sparsity, weights.length);
  if (k === 0) {
    assertNoNaN(be, fname, weights);
    be.maskAbove(weights, 0, out);
    return out;
  }
  const sel = be.select(weights, k) ?? throwNaN(be, fname, weights);
  if (sel.bits === 0) be.maskAbove(weights, 0, out);
  else be.maskSelect(weights, sel, out);
  return out;
}

/** In place: w = mask ? w : +0 (any nonzero mask byte keeps). */
export function applyMask(weights: Weights, mask: Uint8Array): CountReport {
  const fname = 'applyMask';
  checkWeights(fname, weights);
  if (!isTyped(mask, 'Uint8Array')) {
    throw new ArgumentError(`${fname}: mask must be a Uint8Array, got ${describe(mask)}`);
  }
  if (mask.length !== weights.length) {
    throw new ArgumentError(`${fname}: mask has ${mask.length} entries but weights have ${weights.length}`);
  }
  return report(weights.length, wasmBackend(fname).applyMask(weights, mask));
}

/** Counts weights equal to zero (+0 or -0). */
export function countZeros(weights: Weights): number {
  checkWeights('countZeros', weights);
  return wasmBackend('countZeros').countZeros(weights);
}

/**
 * N:M keep-mask: in every group of m consecutive weights along the innermost axis, the n largest
 * magnitudes get 1, ties going to the lowest index (the order of tf.topk). 2:4 is { n: 2, m: 4 }.
 */
export function nmMask(weights: Weights, options: NMOptions): Uint8Array {
  const fname = 'nmMask';
  checkWeights(fname, weights);
  if (options === null || typeof options !== 'object') {
    throw new ArgumentError(`${fname}: options must be { n, m }, got ${String(options)}`);
  }
  const { n, m } = options;
  if (!Number.isInteger(m) || m < 1 || m > 1024) {
    throw new ArgumentError(`${fname}: m must be an integer in [1, 1024], got ${String(m)}`);
  }
  if (!Number.isInteger(n) || n < 0 || n > m) {
    throw new ArgumentError(`${fname}: n must be an integer in [0, m=${m}], got ${String(n)}`);
  }
  const len = weights.length;
  const rowLength = options.rowLength ?? Math.max(len, 1);
  if (!Number.isInteger(rowLength) || rowLength < 1 || len % rowLength !== 0) {
    throw new ArgumentError(`${fname}: rowLength must be a positive integer dividing the length ${len}, got ${String(rowLength)}`);
  }
  const be = wasmBackend(fname);
  assertNoNaN(be, fname, weights);
  const out = new Uint8Array(len);
  if (len > 0) be.nmMask(weights, rowLength, n, m, out);
  return out;
}

export interface ColumnNormOptions {
  /** Columns of the row-major matrix (a kernel's last axis: Dense units, Conv filters). */
  columns: number;
  /** 'l1' (default): sum of |w| per column; 'l2': square root of the sum of w². */
  norm?: 'l1' | 'l2';
}

/**
 * L1 or L2 norm of every column of a row-major [weights.length / columns, columns] matrix: the
 * importance of each unit for structured pruning. float32, summed down each column in row order
 * (the same bits in the SIMD and scalar builds); L2 is the correctly rounded float32 square root.
 * NaN weights are an error.
 */
export function columnNorms(weights: Weights, options: ColumnNormOptions): Float32Array {
  const fname = 'columnNorms';
  checkWeights(fname, weights);
  if (options === null || typeof options !== 'object') throw new ArgumentError(`${fname}: options must be { columns, norm? }, got ${String(options)}`);
  const { columns } = options;
  const norm = options.norm ?? 'l1';
  if (norm !== 'l1' && norm !== 'l2') throw new ArgumentError(`${fname}: norm must be 'l1' or 'l2', got ${String(norm)}`);
  if (!Number.isInteger(columns) || columns < 1 || weights.length % columns !== 0) {
    throw new ArgumentError(`${fname}: columns must be a positive integer dividing the length ${weights.length}, got ${String(columns)}`);
  }
  const be = wasmBackend(fname);
  assertNoNaN(be, fname, weights);
  const out = be.columnSums(weights, columns, norm === 'l1' ? 1 : 2);
  if (norm === 'l2') for (let c = 0; c < columns; c++) out[c] = Math.sqrt(out[c]);
  return out;
}

// ---------------------------------------------------------------------------------------------

function report(n: number, kept: number): CountReport;
function report(n: number, kept: number, threshold: number): PruneReport;
function report(n: number, kept: number, threshold?: number): CountReport | PruneReport {
  const pruned = n - kept;
  const counts = { pruned, kept, sparsity: n === 0 ? 0 : pruned / n };
  return threshold === undefined ? counts : { threshold, ...counts };
}

function isTyped(x: unknown, tag: string): boolean {
  return ArrayBuffer.isView(x) && (x as unknown as Record<symbol, unknown>)[Symbol.toStringTag] === tag;
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (ArrayBuffer.isView(x)) return (x as unknown as Record<symbol, string>)[Symbol.toStringTag] ?? 'DataView';
  if (Array.isArray(x)) return 'an Array';
  return typeof x;
}

function checkWeights(fname: string, w: unknown): asserts w is Weights {
  if (w instanceof WasmWeights) {
    w.check(fname);
    return;
  }
  if (!isTyped(w, 'Float32Array')) {
    throw new ArgumentError(`${fname}: weights must be a Float32Array or WasmWeights, got ${describe(w)}`);
  }
}

function checkSparsity(fname: string, s: unknown): void {
  if (typeof s !== 'number' || !(s >= 0 && s <= 1)) {
    throw new ArgumentError(`${fname}: sparsity must be a number in [0, 1], got ${String(s)}`);
  }
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

// Bits of the largest float32 <= |t|: for every float32 x, x > t exactly when x > that float32,
// so a threshold given as a JS number means the same as in a plain JS comparison. Exported for
// src/tfjs (same validation, same message); not part of the public surface.
export function thresholdBits(fname: string, t: unknown): number {
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) {
    throw new ArgumentError(`${fname}: threshold must be a finite number >= 0, got ${String(t)}`);
  }
  const v = Math.abs(t);
  f32[0] = v;
  return f32[0] > v ? u32[0] - 1 : u32[0];
}

function bitsToFloat(bits: number): number {
  u32[0] = bits;
  return f32[0];
}

function assertNoNaN(be: KernelBackend, fname: string, w: Weights): void {
  const nan = be.findNaN(w);
  if (nan !== null) throw nanError(fname, nan.count, nan.first);
}

function throwNaN(be: KernelBackend, fname: string, w: Weights): never {
  const nan = be.findNaN(w);
  throw nanError(fname, nan?.count ?? 0, nan?.first ?? -1);
}

function nanError(fname: string, count: number, first: number): NaNWeightsError {
  return new NaNWeightsError(
    `${fname}: weights contain ${count} NaN value${count === 1 ? '' : 's'} (first at index ${first}); a NaN has no magnitude to rank`,
    count,
    first,
  );
}

/**
 * For the model layer (not public API): `src` codes to `dst` (may be the same bytes) with those
 * in `r`'s key ranges set to the zero code, ties to the lowest index; returns the ties pruned.
 */
export function pruneCodeRanges(fname: string, src: Uint8Array, dst: Uint8Array, width: 1 | 2, r: CodeRanges): number {
  return pruneRanges(fname, src, dst, width, r);
}

/** For the model layer (not public API): how many codes have a key (code & mask) in `range`. */
export function countCodes(fname: string, bytes: Uint8Array, width: 1 | 2, mask: number, range: KeyRange): number {
  return countCodesIn(fname, bytes, width, mask, range);
}

/** For the model layer (not public API): counts per code of 8-bit codes (256 bins). */
export function codeHistogram8(fname: string, bytes: Uint8Array): Uint32Array {
  return codeHist8(fname, bytes);
}
