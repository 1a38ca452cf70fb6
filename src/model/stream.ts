// The pure pieces of streaming pruning (tfjs-prune/node's pruneDirectory, docs/streaming.md): the
// model is never held in memory, only chunks of tensors (element ranges) and, where a tensor must
// be seen whole (N:M, quantized storage, quantizing on export), that one tensor.
//
// The exact k-th smallest magnitude of a group of tensors (the global pool, or one large tensor
// under layer scope) is found on the float32 bit patterns with the sign cleared, which order as
// the magnitudes do, in passes over the chunks:
//
//   top      a histogram of the top 16 of the 31 bits per group (and NaN per chunk) gives the
//            bin b holding the k-th smallest and its rank r inside b
//   gather   the bit patterns inside b (a thin slice: ~0.2% of a bell-shaped model at 90%) are
//            copied out per chunk with the count below b: the r-th of them is the threshold, and
//            the per-chunk counts below and at it follow without another read
//   refine   only when b is too crowded to gather: a histogram of the low 15 bits inside b, then
//            a counting pass
//
// The ties at the threshold go to the lowest (tensor, index) in manifest order, as in the
// in-memory path (global.ts): per tensor first, then per chunk in element order. Every chunk then
// prunes its own exact count with the core kernels, so the output does not depend on the chunk
// size or on which thread ran which chunk.
import { NaNWeightsError } from '../errors.js';
import { countZeros, gatherBracket, pruneBelowBits, pruneToSparsity } from '../kernels/index.js';
import { codeTableOf, codeZeros, encode, otherZeros, pruneCodes, readFloat, requantize, type Encoded, storageDtype, type TensorEntry, WeightStore } from '../format/index.js';
import type { Decision } from './config.js';
import { pruneNM } from './engine.js';
import type { NMLayout } from './select.js';
import type { QuantizeDtype } from './types.js';
import type { Weights } from '../wasm/index.js';

export const ABS = 0x7fffffff;
export const INF = 0x7f800000;
/** Top-bits histogram: bits 30..15 of |w|. */
export const TOP_BINS = 65536;
export const TOP_SHIFT = 15;
/** Inside one top bin: bits 14..0. */
export const LOW_BINS = 32768;

/** Bytes per element of an entry's storage (0 for strings, which have no fixed size). */
export function elementBytes(e: Pick<TensorEntry, 'dtype' | 'quant'>): number {
  if (e.quant !== null) return e.quant === 'uint8' ? 1 : 2;
  switch (e.dtype) {
    case 'float32':
    case 'int32':
      return 4;
    case 'bool':
      return 1;
    case 'complex64':
      return 8;
    default:
      return 0;
  }
}

/** The entry of elements [start, end) of `e`, laid at byte 0 of a store of its own. */
export function chunkEntry(e: TensorEntry, start: number, end: number): TensorEntry {
  const per = elementBytes(e);
  const size = end - start;
  return { ...e, shape: [size], size, byteOffset: 0, byteLength: per === 0 ? e.byteLength : size * per };
}

/** Per code, the bit pattern of |dequantized value| of a quantized tensor (null for float32 storage). */
export function codeTable(e: TensorEntry): Uint32Array | null {
  return codeTableOf(e)?.lut ?? null;
}

/** A chunk's bit patterns: float32 bits as stored, or per code the bits of |dequantized value|. */
export function magnitudeBits(e: TensorEntry, bytes: ArrayBuffer, lut: Uint32Array | null): Uint32Array {
  if (e.quant === null || lut === null) return new Uint32Array(bytes, 0, e.size);
  return e.quant === 'uint8' ? mapCodes8(new Uint8Array(bytes, 0, e.size), lut) : mapCodes16(new Uint16Array(bytes, 0, e.size), lut);
}

function mapCodes8(c: Uint8Array, lut: Uint32Array): Uint32Array {
  const out = new Uint32Array(c.length);
  for (let i = 0; i < c.length; i++) out[i] = lut[c[i]];
  return out;
}

function mapCodes16(c: Uint16Array, lut: Uint32Array): Uint32Array {
  const out = new Uint32Array(c.length);
  for (let i = 0; i < c.length; i++) out[i] = lut[c[i]];
  return out;
}

export interface NaNCount {
  nan: number;
  /** Index in the chunk of the first NaN (-1 when none). */
  firstNaN: number;
}

/** Adds the top 16 magnitude bits of `u` into `h`; counts NaN. */
export function histTop(u: Uint32Array, h: Float64Array): NaNCount {
  let nan = 0;
  let firstNaN = -1;
  for (let i = 0; i < u.length; i++) {
    const a = u[i] & ABS;
    h[a >>> TOP_SHIFT]++;
    if (a > INF) {
      if (firstNaN < 0) firstNaN = i;
      nan++;
    }
  }
  return { nan, firstNaN };
}

/**
 * Magnitudes below `lo`, a copy of those in [lo, hi], and NaN. An empty range (hi < lo) with
 * lo = 0 only counts NaN.
 */
export function gatherRange(u: Uint32Array, lo: number, hi: number): { below: number; values: Uint32Array } & NaNCount {
  return gatherWeights(new Float32Array(u.buffer, u.byteOffset, u.length), lo, hi);
}

/** gatherRange on float32 weights, which may already be in Wasm memory (the kernels then copy nothing). */
export function gatherWeights(w: Weights, lo: number, hi: number): { below: number; values: Uint32Array } & NaNCount {
  // The kernels' bracket pass (SIMD compaction) when the bracket holds what a bracket should.
  if (hi >= lo && w.length >= 4096) {
    const r = gatherBracket('pruneDirectory', w, lo, hi, Math.max(1 << 16, w.length >>> 4));
    if (r.values !== null && r.nan === 0) return { below: r.below, values: r.values, nan: 0, firstNaN: -1 };
  }
  const f = w instanceof Float32Array ? w : w.array;
  return gatherRangeJs(new Uint32Array(f.buffer, f.byteOffset, f.length), lo, hi);
}

function gatherRangeJs(u: Uint32Array, lo: number, hi: number): { below: number; values: Uint32Array } & NaNCount {
  let below = 0;
  let nan = 0;
  let firstNaN = -1;
  let m = 0;
  let buf = new Uint32Array(1024);
  for (let i = 0; i < u.length; i++) {
    const a = u[i] & ABS;
    if (a < lo) below++;
    else if (a <= hi) {
      if (m === buf.length) {
        const bigger = new Uint32Array(buf.length * 2);
        bigger.set(buf);
        buf = bigger;
      }
      buf[m++] = a;
    } else if (a > INF) {
      if (firstNaN < 0) firstNaN = i;
      nan++;
    }
  }
  return { below, values: buf.slice(0, m), nan, firstNaN };
}

/**
 * The sample (1/256): in each block of SAMPLE_STRIDE elements of the group's concatenation, one
 * run of SAMPLE_RUN at an offset drawn from the block's index by a fixed hash. (At offset 0 in
 * every block, the sample saw the same columns of every row of a matrix whose rows are a power
 * of two long, and the same phase of any pattern with such a period: on the 6 GB synthetic model
 * its bracket missed the k-th and the select read the model three times instead of once.) One
 * read call per run: at 1/64 the 2 GB model's sample took 30,000 calls, a third of the select's
 * time; at 1/256 its bracket still holds ~0.5% of the weights (the gathered magnitudes).
 */
export const SAMPLE_RUN = 256;
export const SAMPLE_STRIDE = 65536;

/** Where block j's sampled run starts in its block: a fixed hash of j (lowbias32), in [0, SAMPLE_STRIDE - SAMPLE_RUN]. */
export function sampleOffset(j: number): number {
  let x = (j >>> 0) ^ Math.imul(Math.floor(j / 2 ** 32), 0x9e3779b1);
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return (x >>> 0) % (SAMPLE_STRIDE - SAMPLE_RUN + 1);
}

/** The sampled runs of a chunk whose first element is element `g0` of its group: [from, to) in the chunk. */
export function sampleRuns(g0: number, length: number): [number, number][] {
  const out: [number, number][] = [];
  const gEnd = g0 + length;
  for (let j = Math.floor(g0 / SAMPLE_STRIDE); j * SAMPLE_STRIDE < gEnd; j++) {
    const run = j * SAMPLE_STRIDE + sampleOffset(j);
    const s = Math.max(run, g0);
    const e = Math.min(run + SAMPLE_RUN, gEnd);
    if (s < e) out.push([s - g0, e - g0]);
  }
  return out;
}

/**
 * Bit-pattern bounds [lo, hi] (whole top bins) that very likely hold the k-th smallest of n, from
 * the sample's top-bits histogram of s magnitudes: six standard deviations of the sampled rank
 * either side. The select checks that the k-th smallest did fall inside.
 */
export function sampleBracket(h: Float64Array, k: number, n: number): { lo: number; hi: number } | null {
  let s = 0;
  for (let b = 0; b < h.length; b++) s += h[b];
  if (s === 0) return null;
  const p = k / n;
  const margin = 6 * Math.sqrt(p * (1 - p) * s) + SAMPLE_RUN;
  const rLo = p * s - margin;
  const rHi = p * s + margin;
  let lo = 0;
  let hi = h.length - 1;
  let cum = 0;
  let foundLo = rLo <= 0;
  for (let b = 0; b < h.length; b++) {
    if (!foundLo && cum + h[b] >= rLo) {
      lo = b;
      foundLo = true;
    }
    cum += h[b];
    if (cum >= rHi) {
      hi = b;
      break;
    }
  }
  return { lo: lo * 2 ** TOP_SHIFT, hi: Math.min(INF, hi * 2 ** TOP_SHIFT + (LOW_BINS - 1)) };
}

/** The rank-th smallest (1-based) of gathered magnitudes, exactly: top bits, then low bits. */
export function selectGathered(parts: readonly Uint32Array[], rank: number): number {
  const top = new Float64Array(TOP_BINS);
  for (const v of parts) for (let i = 0; i < v.length; i++) top[v[i] >>> TOP_SHIFT]++;
  const p = pickBin(top, rank);
  const low = new Float64Array(LOW_BINS);
  for (const v of parts) {
    for (let i = 0; i < v.length; i++) if (v[i] >>> TOP_SHIFT === p.bin) low[v[i] & (LOW_BINS - 1)]++;
  }
  return p.bin * 2 ** TOP_SHIFT + pickBin(low, p.rank).bin;
}

/** Adds the low 15 bits of the magnitudes inside top bin `bin` into `h`. */
export function histLow(u: Uint32Array, bin: number, h: Float64Array): void {
  for (let i = 0; i < u.length; i++) {
    const a = u[i] & ABS;
    if (a >>> TOP_SHIFT === bin) h[a & (LOW_BINS - 1)]++;
  }
}

/** Magnitudes below `bits` and equal to it. */
export function countAt(u: Uint32Array, bits: number): { lt: number; eq: number } {
  let lt = 0;
  let eq = 0;
  for (let i = 0; i < u.length; i++) {
    const a = u[i] & ABS;
    lt += a < bits ? 1 : 0;
    eq += a === bits ? 1 : 0;
  }
  return { lt, eq };
}

/** The bin holding the rank-th smallest (1-based) and the rank inside it. */
export function pickBin(h: ArrayLike<number>, rank: number): { bin: number; rank: number; count: number } {
  for (let b = 0; b < h.length; b++) {
    if (rank <= h[b]) return { bin: b, rank, count: h[b] };
    rank -= h[b];
  }
  throw new Error('tfjs-prune internal error: rank beyond the histogram');
}

/** Per tensor of a group: weights pruned, below the threshold, at it, and ties taken. */
export interface GroupCounts {
  pruned: number;
  below: number;
  ties: number;
  take: number;
}

/** A group's exact plan; `counts` null when only zeros are pruned (threshold 0). */
export interface GroupPlan {
  bits: number;
  threshold: number;
  counts: GroupCounts[] | null;
}

export const ZERO_GROUP_PLAN: GroupPlan = { bits: 0, threshold: 0, counts: null };

/** Assigns the ties at `bits` to the tensors in order so that exactly k are pruned. */
export function finishGroup(k: number, bits: number, lt: readonly number[], eq: readonly number[]): GroupPlan {
  if (k === 0 || bits === 0) return ZERO_GROUP_PLAN;
  let need = k;
  for (const x of lt) need -= x;
  const counts: GroupCounts[] = [];
  for (let t = 0; t < lt.length; t++) {
    const take = Math.min(eq[t], need);
    need -= take;
    counts.push({ pruned: lt[t] + take, below: lt[t], ties: eq[t], take });
  }
  if (need !== 0) throw new Error(`tfjs-prune internal error: streamed select left ${need} weights unassigned`);
  return { bits, threshold: bitsToFloat(bits), counts };
}

export function bitsToFloat(bits: number): number {
  return new Float32Array(new Uint32Array([bits]).buffer)[0];
}

/**
 * What one chunk of a tensor prunes: only zeros (`zero`), or everything below `bits`, and of the
 * `eq` weights equal to it the first `take`, so `lt + take` in all.
 */
export type ChunkPick = { zero: true } | { zero: false; bits: number; lt: number; eq: number; take: number };

/**
 * Prunes a chunk of float32 weights in place with the core kernels (pruned weights become +0).
 * The chunk was checked for NaN by the select passes. Returns the zeros before and after.
 */
export function pruneChunk(w: Weights, pick: ChunkPick): { zerosBefore: number; zerosAfter: number } {
  // One pass through the kernels' window, each window's zeros counted before it is pruned.
  const tally = { zeros: 0 };
  const kept = pick.zero ? pruneBelowBits('pruneDirectory', w, 0, 0, 0, tally) : pruneBelowBits('pruneDirectory', w, pick.bits, pick.take, pick.eq, tally);
  const zerosBefore = tally.zeros;
  if (!pick.zero && w.length - kept !== pick.lt + pick.take) {
    throw new Error(`tfjs-prune internal error: a streamed chunk pruned ${w.length - kept} weights instead of ${pick.lt + pick.take}`);
  }
  return { zerosBefore, zerosAfter: w.length - kept };
}

/** Zeros in a chunk stored unchanged (float tensors counted on their dequantized values). */
export function chunkZeros(e: TensorEntry, bytes: ArrayBuffer): number {
  const store = new WeightStore([bytes]);
  if (e.dtype === 'float32') return countZeros(readFloat(store, e).values);
  return otherZeros(store, e);
}

/** Everything a whole-tensor job needs besides the bytes. */
export interface TensorTask {
  decision: Decision;
  layout: NMLayout;
  quantize: QuantizeDtype | null;
  /** Pool tensors: the plan of the global group, this tensor's counts in it. */
  pool: { bits: number; threshold: number; counts: GroupCounts | null } | null;
}

export interface TensorResult {
  bytes: Uint8Array;
  dtype: string;
  zerosBefore: number;
  zerosAfter: number;
  target: number | null;
  threshold: number | null;
  /** New quantization fields for the manifest entry (null: the entry is unchanged). */
  quantization: { dtype: QuantizeDtype; scale?: number; min?: number } | null;
  /** Set (and nothing else meaningful) when the tensor holds NaN where numbers are needed. */
  nan?: { count: number; first: number };
}

/**
 * One tensor, whole: what pruneArtifacts' engine does for it (engine.ts runPlan with the
 * artifacts' Access), on the tensor's bytes alone. `e` lies at byte 0 of `buffer`.
 */
export function pruneTensor(e: TensorEntry, buffer: ArrayBuffer, task: TensorTask): TensorResult {
  try {
    return pruneTensorUnguarded(e, buffer, task);
  } catch (err) {
    if (err instanceof NaNWeightsError) return { bytes: new Uint8Array(0), dtype: '', zerosBefore: 0, zerosAfter: 0, target: null, threshold: null, quantization: null, nan: { count: err.count, first: err.firstIndex } };
    throw err;
  }
}

function pruneTensorUnguarded(e: TensorEntry, buffer: ArrayBuffer, task: TensorTask): TensorResult {
  const store = new WeightStore([buffer]);
  const raw = new Uint8Array(buffer, 0, e.byteLength);
  const d = task.decision;
  const exportQ = task.quantize;
  const unchanged = { bytes: raw, dtype: storageDtype(e), quantization: null, target: null, threshold: null };
  if (e.dtype !== 'float32') {
    const zeros = otherZeros(store, e);
    return { ...unchanged, zerosBefore: zeros, zerosAfter: zeros };
  }
  const fromEncoded = (enc: Encoded) => ({ bytes: enc.bytes, dtype: enc.quantization?.dtype ?? 'float32', quantization: enc.quantization, zerosAfter: enc.zeros });
  if (!d.prune) {
    // Quantized storage (never re-encoded on export): zeros counted in the codes.
    const coded = codeZeros(store, e);
    if (coded !== null) return { ...unchanged, zerosBefore: coded, zerosAfter: coded };
    const values = readFloat(store, e).values;
    if (exportQ !== null && e.quant === null) {
      checkNaN(values);
      const zerosBefore = countZeros(values);
      return { ...fromEncoded(encode(values, exportQ)), zerosBefore, target: null, threshold: null };
    }
    const zeros = countZeros(values);
    return { ...unchanged, zerosBefore: zeros, zerosAfter: zeros };
  }
  const target = d.nm !== null ? 1 - d.nm.n / d.nm.m : (d.sparsity as number);
  // Storage holding an exact zero (uint8 / uint16 whose grid holds 0, float16): pruned in its codes.
  if (d.nm === null) {
    const pick = task.pool !== null ? (task.pool.counts === null ? { bits: 0, take: 0 } : { bits: task.pool.bits, take: task.pool.counts.take, below: task.pool.counts.below, ties: task.pool.counts.ties }) : { sparsity: d.sparsity as number };
    const r = pruneCodes(store, e, pick);
    if (r !== null) {
      return { bytes: r.encoded.bytes, dtype: r.encoded.quantization!.dtype, quantization: r.encoded.quantization, zerosBefore: r.zerosBefore, zerosAfter: r.encoded.zeros, target, threshold: r.threshold };
    }
  }
  const f = readFloat(store, e);
  const w = f.values;
  const zerosBefore = countZeros(w);
  let zerosPruned: number;
  let threshold: number | null = null;
  if (d.nm !== null) {
    pruneNM(w, task.layout, d.nm);
    zerosPruned = countZeros(w);
  } else if (task.pool !== null) {
    const c = task.pool.counts;
    threshold = task.pool.threshold;
    const r = c === null ? pruneChunk(w, { zero: true }) : pruneChunk(w, { zero: false, bits: task.pool.bits, lt: c.below, eq: c.ties, take: c.take });
    zerosPruned = r.zerosAfter;
  } else {
    const r = pruneToSparsity(w, target);
    threshold = r.threshold;
    zerosPruned = r.pruned;
  }
  if (e.quant !== null) return { ...fromEncoded(requantize(store, e, w)), zerosBefore, target, threshold };
  if (exportQ !== null) return { ...fromEncoded(encode(w, exportQ)), zerosBefore, target, threshold };
  return { bytes: new Uint8Array(w.buffer, w.byteOffset, w.byteLength), dtype: 'float32', quantization: null, zerosBefore, zerosAfter: zerosPruned, target, threshold };
}

function checkNaN(values: Float32Array): void {
  const u = new Uint32Array(values.buffer, values.byteOffset, values.length);
  let count = 0;
  let first = -1;
  for (let i = 0; i < u.length; i++) {
    if ((u[i] & ABS) > INF) {
      if (first < 0) first = i;
      count++;
    }
  }
  if (count > 0) throw new NaNWeightsError('NaN', count, first);
}
