// Tensor bytes <-> float32 values, for every storage a manifest can describe, and the encoders
// that write pruned values back so that pruned weights dequantize to exactly 0 in stock tfjs.
import { NaNWeightsError } from '../errors.js';
import type { TensorEntry } from './manifest.js';
import { LEVELS, affineParams, decodeFloat16, dequantizeAffine, encodeFloat16, gridZero, quantizeAffine, zeroMin, type AffineParams } from './quantize.js';
import type { WeightStore } from './store.js';
import type { QuantizeDtype } from './types.js';
import { codeHistogram, pruneCodeRanges, roundHalfEven, type CodeRanges } from '../kernels/index.js';
import type { CodedTensor } from './global.js';

/** A copy of the bytes in a fresh (aligned) buffer. */
function alignedCopy(store: WeightStore, off: number, len: number): ArrayBuffer {
  return store.copy(off, len).buffer as ArrayBuffer;
}

/** The raw codes of a uint8/uint16 tensor. */
export function readCodes(store: WeightStore, e: TensorEntry): Uint8Array | Uint16Array {
  if (e.quant === 'uint8') return store.bytes(e.byteOffset, e.byteLength);
  const v = store.view(e.byteOffset, e.byteLength);
  if (v !== null && v.byteOffset % 2 === 0) return new Uint16Array(v.buffer, v.byteOffset, e.size);
  return new Uint16Array(alignedCopy(store, e.byteOffset, e.byteLength));
}

/**
 * Float32 values of a float tensor: a view into the store for aligned float32 data (do not
 * modify unless you mean to change the store), else a decoded copy.
 */
export function readFloat(store: WeightStore, e: TensorEntry): { values: Float32Array; view: boolean } {
  if (e.quant === null) {
    const v = store.f32View(e.byteOffset, e.size);
    if (v !== null) return { values: v, view: true };
    return { values: new Float32Array(alignedCopy(store, e.byteOffset, e.byteLength)), view: false };
  }
  const out = new Float32Array(e.size);
  if (e.quant === 'float16') decodeFloat16(readCodes(store, e) as Uint16Array, out);
  else dequantizeAffine(readCodes(store, e), e.scale, e.min, out);
  return { values: out, view: false };
}

const ALL_U8 = Uint8Array.from({ length: 256 }, (_, i) => i);
/** Magnitude bit patterns of the 65536 float16 codes, the same for every tensor (read-only). */
let F16_LUT: Uint32Array | null = null;

function float16Lut(): Uint32Array {
  const values = new Float32Array(65536);
  decodeFloat16(Uint16Array.from({ length: 65536 }, (_, i) => i), values);
  const lut = new Uint32Array(values.buffer);
  for (let i = 0; i < lut.length; i++) lut[i] &= 0x7fffffff;
  return lut;
}
let ALL_U16: Uint16Array | null = null;

/**
 * A quantized tensor's codes with a table from code to the bit pattern of |dequantized value|
 * (what the global threshold's passes read), or null for float32 storage.
 */
export function readCoded(store: WeightStore, e: TensorEntry): { codes: Uint8Array | Uint16Array; lut: Uint32Array } | null {
  if (e.quant === null) return null;
  const codes = readCodes(store, e);
  if (e.quant === 'float16') return { codes, lut: (F16_LUT ??= float16Lut()) };
  const n = e.quant === 'uint8' ? 256 : 65536;
  const values = new Float32Array(n);
  const all = e.quant === 'uint8' ? ALL_U8 : (ALL_U16 ??= Uint16Array.from({ length: 65536 }, (_, i) => i));
  dequantizeAffine(all, e.scale, e.min, values);
  const lut = new Uint32Array(values.buffer);
  for (let i = 0; i < n; i++) lut[i] &= 0x7fffffff;
  return { codes, lut };
}

export interface Encoded {
  bytes: Uint8Array;
  /** The manifest's quantization entry for the result (null for float32). */
  quantization: { dtype: QuantizeDtype; scale?: number; min?: number } | null;
  zeros: number;
}

/** Encodes float32 values as `dtype` with fresh zero-preserving parameters. */
export function encode(values: Float32Array, dtype: 'float32' | QuantizeDtype): Encoded {
  if (dtype === 'float32') {
    let zeros = 0;
    for (let i = 0; i < values.length; i++) if (values[i] === 0) zeros++;
    return { bytes: new Uint8Array(values.buffer, values.byteOffset, values.byteLength), quantization: null, zeros };
  }
  if (dtype === 'float16') {
    const h = new Uint16Array(values.length);
    const zeros = encodeFloat16(values, h);
    return { bytes: new Uint8Array(h.buffer), quantization: { dtype }, zeros };
  }
  const levels = LEVELS[dtype];
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (values.length === 0) lo = hi = 0;
  const p = affineParams(lo, hi, levels);
  return encodeAffine(values, p, dtype);
}

function encodeAffine(values: Float32Array, p: AffineParams, dtype: 'uint8' | 'uint16'): Encoded {
  const q = dtype === 'uint8' ? new Uint8Array(values.length) : new Uint16Array(values.length);
  const zeros = quantizeAffine(values, p, LEVELS[dtype], q);
  return { bytes: new Uint8Array(q.buffer), quantization: { dtype, scale: p.scale, min: p.min }, zeros };
}

/**
 * Re-encodes a pruned tensor in its original quantization. uint8/uint16: when the original grid
 * holds 0 (within scale / 1000), it is kept: survivors keep their codes, pruned weights get the
 * zero code, and min is made exact; otherwise the values are quantized afresh over their range
 * widened to include 0. float16: exact.
 */
export function requantize(store: WeightStore, e: TensorEntry, values: Float32Array): Encoded {
  if (e.quant === 'float16' || e.quant === null) return encode(values, e.quant ?? 'float32');
  const levels = LEVELS[e.quant];
  const z = gridZero(e.scale, e.min, levels);
  if (z === null) return encode(values, e.quant);
  const codes = readCodes(store, e);
  const out = e.quant === 'uint8' ? new Uint8Array(e.size) : new Uint16Array(e.size);
  const zeros = codes instanceof Uint8Array ? keepGridU8(values, codes, z, out as Uint8Array) : keepGridU16(values, codes, z, out as Uint16Array);
  return { bytes: new Uint8Array(out.buffer), quantization: { dtype: e.quant, scale: e.scale, min: zeroMin(z, e.scale) }, zeros };
}

// Survivors keep their code, pruned weights get the zero code (one loop per array type).
function keepGridU8(values: Float32Array, codes: Uint8Array, z: number, out: Uint8Array): number {
  let zeros = 0;
  for (let i = 0; i < codes.length; i++) {
    const q = values[i] === 0 ? z : codes[i];
    if (q === z) zeros++;
    out[i] = q;
  }
  return zeros;
}

function keepGridU16(values: Float32Array, codes: Uint16Array, z: number, out: Uint16Array): number {
  let zeros = 0;
  for (let i = 0; i < codes.length; i++) {
    const q = values[i] === 0 ? z : codes[i];
    if (q === z) zeros++;
    out[i] = q;
  }
  return zeros;
}

/** Zeros of a non-float tensor as tfjs would decode it. */
export function otherZeros(store: WeightStore, e: TensorEntry): number {
  let zeros = 0;
  if (e.dtype === 'int32') {
    if (e.quant === 'uint8' || e.quant === 'uint16') {
      const c = readCodes(store, e);
      for (let i = 0; i < c.length; i++) if (Math.round(c[i] * e.scale + e.min) === 0) zeros++;
    } else {
      const v = new Int32Array(alignedCopy(store, e.byteOffset, e.byteLength));
      for (let i = 0; i < v.length; i++) if (v[i] === 0) zeros++;
    }
  } else if (e.dtype === 'bool') {
    const b = store.bytes(e.byteOffset, e.byteLength);
    for (let i = 0; i < b.length; i++) if (b[i] === 0) zeros++;
  }
  return zeros;
}

/**
 * Prunes a quantized tensor directly in its codes when its storage holds an exact zero: uint8 or
 * uint16 whose grid holds 0 (magnitudes from a table of |q * scale + min|, tfjs' own arithmetic),
 * and float16 (code 0 is +0). The selection is the core's (exactly round-half-to-even(s * n), or
 * the global plan's share; zeros count as pruned; ties to the lowest index); pruned weights get
 * the zero code, and min becomes exactly -(zero * scale). Surviving codes are untouched, so the
 * result equals decoding, pruning and re-encoding, without either conversion.
 *
 * `coded`: the tensor as the global select read it (its codes' histogram is reused); `target`:
 * where the new codes go (e.byteLength bytes, may be the input's own bytes), else a new array.
 * Returns null when the tensor is not such a tensor (the float path handles it).
 */
export function pruneCodes(
  store: WeightStore,
  e: TensorEntry,
  pick: { sparsity: number } | { bits: number; take: number },
  coded?: CodedTensor,
  target?: Uint8Array,
): { encoded: Encoded; zerosBefore: number; threshold: number } | null {
  if (e.quant === null) return null;
  const z = e.quant === 'float16' ? 0 : gridZero(e.scale, e.min, e.quant === 'uint8' ? 255 : 65535);
  if (z === null) return null;
  const { codes, lut } = coded ?? readCoded(store, e)!;
  // Tensors much shorter than the code table are cheaper to handle weight by weight.
  if (codes.length * 4 < lut.length) return pruneFewCodes(e, codes, lut, pick, z, target);
  const width = codes.BYTES_PER_ELEMENT as 1 | 2;
  const bytes = new Uint8Array(codes.buffer, codes.byteOffset, codes.byteLength);
  const counts = coded?.counts ?? codeHistogram('pruneArtifacts', bytes, width);
  // A threshold of its own (layer scope): NaN is an error, as for float32 weights. (A global
  // pool's select has looked already.)
  if ('sparsity' in pick && e.quant === 'float16') {
    let nan = 0;
    for (let key = F16_NAN_FROM; key < 0x8000; key++) nan += counts[key] + counts[key | 0x8000];
    if (nan > 0) throw new NaNWeightsError('NaN', nan, firstNaNCode(codes));
  }
  let zerosBefore = 0;
  for (const c of zeroCodes(lut)) zerosBefore += counts[c];
  let bits = 0;
  let take = 0;
  if ('sparsity' in pick) {
    const k = roundHalfEven(pick.sparsity * e.size);
    if (k > zerosBefore) ({ bits, take } = kthCode(counts, lut, k, e.quant === 'float16'));
  } else {
    bits = pick.bits;
    take = pick.take;
  }
  const out = target ?? new Uint8Array(e.byteLength);
  const r = codeRanges(counts, lut, bits, take, z, e.quant === 'float16' ? 0x7fff : lut.length - 1);
  if (r.span2 < 0 && r.take === 0) {
    if (out !== bytes) out.set(bytes);
  } else pruneCodeRanges('pruneArtifacts', bytes, out, width, r);
  // The zero code among split ties: the untaken ones decode to 0 too; count them.
  const zeros = r.zeros >= 0 ? r.zeros : countCode(width === 1 ? out : new Uint16Array(out.slice().buffer), z);
  return codesResult(e, out, z, zeros, zerosBefore, bits);
}

const ZERO_CODES = new WeakMap<Uint32Array, number[]>();

/** The codes of a table that decode to ±0 (the float16 table is shared: listed once). */
function zeroCodes(lut: Uint32Array): number[] {
  let list = ZERO_CODES.get(lut);
  if (list === undefined) {
    list = [];
    for (let c = 0; c < lut.length; c++) if (lut[c] === 0) list.push(c);
    ZERO_CODES.set(lut, list);
  }
  return list;
}

/** The k-th smallest magnitude (bits) of a code histogram, k >= 1, and how many at it to take. */
function kthCode(counts: Uint32Array, lut: Uint32Array, k: number, f16: boolean): { bits: number; take: number } {
  let below = 0;
  if (f16) {
    // A float16's magnitude grows with its code's low 15 bits: keys in order are magnitudes in order.
    for (let key = 0; key < 0x8000; key++) {
      const same = counts[key] + counts[key | 0x8000];
      if (below + same >= k) return { bits: lut[key], take: k - below };
      below += same;
    }
    throw new Error('tfjs-prune internal error: rank beyond the code histogram');
  }
  // The codes present, by magnitude then code (packed into doubles: a native sort, no callback).
  const keys: number[] = [];
  for (let c = 0; c < counts.length; c++) if (counts[c] !== 0) keys.push(lut[c] * 65536 + c);
  const sorted = Float64Array.from(keys).sort();
  for (let j = 0; j < sorted.length; ) {
    const m = Math.floor(sorted[j] / 65536);
    let same = 0;
    for (; j < sorted.length && Math.floor(sorted[j] / 65536) === m; j++) same += counts[sorted[j] % 65536];
    if (below + same >= k) return { bits: m, take: k - below };
    below += same;
  }
  throw new Error('tfjs-prune internal error: rank beyond the code histogram');
}

const INF = 0x7f800000;
/** The lowest float16 key (code & 0x7fff) that decodes to NaN: 0x7c00 is Infinity. */
const F16_NAN_FROM = 0x7c01;

/** Index of the first code that decodes to NaN (a float16 error path: a plain loop). */
function firstNaNCode(codes: Uint8Array | Uint16Array): number {
  for (let i = 0; i < codes.length; i++) if ((codes[i] & 0x7fff) >= F16_NAN_FROM) return i;
  return -1;
}

interface RangePlan extends CodeRanges {
  /** Zeros after the rewrite; -1 when they must be counted (the zero code is a split tie). */
  zeros: number;
}

/**
 * The codes of a table that a threshold prunes (magnitude 0 or below `bits`) and those at it
 * (the ties: equal to `bits`, not 0), as runs [from, to) of consecutive codes, flattened. The
 * last split of each table is kept: in global scope every float16 tensor asks for the same one.
 */
export interface CodeSplit {
  below: number[];
  at: number[];
}

const SPLITS = new WeakMap<Uint32Array, { bits: number; split: CodeSplit }>();

export function splitCodes(lut: Uint32Array, bits: number): CodeSplit {
  const hit = SPLITS.get(lut);
  if (hit !== undefined && hit.bits === bits) return hit.split;
  let split: CodeSplit;
  if (lut === F16_LUT) {
    // A float16's magnitude grows with its code's low 15 bits (NaN codes at the top): the first
    // key not pruned, found by bisection, cuts both signs' halves.
    let lo = 0;
    let hi = 0x7c00; // +Infinity: the largest magnitude a threshold can have
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (lut[mid] === 0 || lut[mid] < bits) lo = mid + 1;
      else hi = mid;
    }
    const tie = lo <= 0x7c00 && lut[lo] === bits && bits !== 0;
    split = { below: lo === 0 ? [] : [0, lo, 0x8000, 0x8000 + lo], at: tie ? [lo, lo + 1, 0x8000 + lo, 0x8001 + lo] : [] };
  } else {
    split = { below: [], at: [] };
    for (let c = 0; c < lut.length; c++) {
      const m = lut[c];
      const runs = m === 0 || m < bits ? split.below : m === bits ? split.at : null;
      if (runs === null) continue;
      if (runs.length > 0 && runs[runs.length - 1] === c) runs[runs.length - 1] = c + 1;
      else runs.push(c, c + 1);
    }
  }
  SPLITS.set(lut, { bits, split });
  return split;
}

/** The counts of the codes in `runs`. */
export function sumRuns(counts: Uint32Array, runs: readonly number[]): number {
  let sum = 0;
  for (let r = 0; r < runs.length; r += 2) for (let c = runs[r]; c < runs[r + 1]; c++) sum += counts[c];
  return sum;
}

/**
 * Runs of codes as one range of keys (code & keyMask; empty: hi < lo). They always are one: a
 * code's value q * scale + min is monotone in q, so on each side of the zero code the magnitude
 * grows away from it (float16: with the key, the code's low 15 bits), and the codes below any
 * magnitude, or at or below it, are the keys around the zero code's.
 */
function keyRange(runs: readonly number[], keyMask: number): { lo: number; hi: number } {
  const spans: [number, number][] = [];
  for (let r = 0; r < runs.length; r += 2) spans.push([runs[r] & keyMask, ((runs[r + 1] - 1) & keyMask) + 1]);
  spans.sort((a, b) => a[0] - b[0]);
  if (spans.length === 0) return { lo: 0, hi: -1 };
  let [lo, end] = spans[0];
  for (const [a, b] of spans) {
    if (a > end) throw new Error('tfjs-prune internal error: the pruned codes are not one range of codes');
    end = Math.max(end, b);
  }
  return { lo, hi: end - 1 };
}

/**
 * The pruned codes (zero magnitude, below `bits`, or among the first `take` at it) as ranges of
 * keys for the rewrite kernel (src/wasm/codes.ts). `keyMask`: 0x7fff for float16 (a key is +x and
 * -x), else the code table's size - 1.
 */
function codeRanges(counts: Uint32Array, lut: Uint32Array, bits: number, take: number, z: number, keyMask: number): RangePlan {
  const split = splitCodes(lut, bits);
  const below = sumRuns(counts, split.below);
  const ties = sumRuns(counts, split.at);
  const r2 = keyRange(split.below, keyMask);
  const r1 = keyRange([...split.below, ...split.at], keyMask);
  const all = take >= ties;
  const final = all ? r1 : r2;
  const split2 = take > 0 && !all;
  const zKey = z & keyMask;
  const zTie = split.at.some((c, j) => j % 2 === 0 && z >= c && z < split.at[j + 1]);
  // The zero code left in place decodes to 0 as well (its min is made exact); when it is among
  // split ties, how many of it stay is known only after the rewrite (-1: count them then).
  const zPruned = zKey >= final.lo && zKey <= final.hi;
  let zeros = below + (all ? ties : take);
  if (!zPruned) zeros = split2 && zTie ? -1 : zeros + counts[z];
  return {
    mask: keyMask,
    lo1: r1.lo,
    span1: r1.hi - r1.lo,
    lo2: final.lo,
    span2: final.hi < final.lo ? -1 : final.hi - final.lo,
    z,
    take: split2 ? take : 0,
    zeros,
  };
}

function countCode(codes: Uint8Array | Uint16Array, z: number): number {
  let n = 0;
  for (let i = 0; i < codes.length; i++) if (codes[i] === z) n++;
  return n;
}

/** pruneCodes' result: the new codes, the manifest entry that decodes the zero code to +0. */
function codesResult(e: TensorEntry, out: Uint8Array, z: number, zeros: number, zerosBefore: number, bits: number): { encoded: Encoded; zerosBefore: number; threshold: number } {
  const threshold = new Float32Array(new Uint32Array([bits]).buffer)[0];
  const quantization: Encoded['quantization'] = e.quant === 'float16' ? { dtype: 'float16' } : { dtype: e.quant as 'uint8' | 'uint16', scale: e.scale, min: zeroMin(z, e.scale) };
  return { encoded: { bytes: out, quantization, zeros }, zerosBefore, threshold };
}

/** pruneCodes for a tensor of few weights (16-bit codes): magnitudes sorted, then one pass. */
function pruneFewCodes(
  e: TensorEntry,
  codes: Uint8Array | Uint16Array,
  lut: Uint32Array,
  pick: { sparsity: number } | { bits: number; take: number },
  z: number,
  target?: Uint8Array,
): { encoded: Encoded; zerosBefore: number; threshold: number } {
  const n = codes.length;
  const mags = new Uint32Array(n);
  let zerosBefore = 0;
  let nan = 0;
  for (let i = 0; i < n; i++) {
    mags[i] = lut[codes[i]];
    if (mags[i] === 0) zerosBefore++;
    if (mags[i] > INF) nan++;
  }
  let bits = 0;
  let take = 0;
  if ('sparsity' in pick) {
    if (nan > 0) throw new NaNWeightsError('NaN', nan, firstNaNCode(codes));
    const k = roundHalfEven(pick.sparsity * n);
    if (k > zerosBefore) {
      const sorted = mags.slice().sort();
      bits = sorted[k - 1];
      let below = 0;
      while (sorted[below] < bits) below++;
      take = k - below;
    }
  } else {
    bits = pick.bits;
    take = pick.take;
  }
  const out = codes instanceof Uint8Array ? new Uint8Array(n) : new Uint16Array(n);
  let zeros = 0;
  for (let i = 0; i < n; i++) {
    const m = mags[i];
    let prune = m === 0 || m < bits;
    if (!prune && m === bits && take > 0) {
      prune = true;
      take--;
    }
    const q = prune ? z : codes[i];
    out[i] = q;
    // An unpruned zero code decodes to 0 too (min is made exact).
    if (q === z) zeros++;
  }
  const bytes = new Uint8Array(out.buffer);
  if (target === undefined) return codesResult(e, bytes, z, zeros, zerosBefore, bits);
  target.set(bytes);
  return codesResult(e, target, z, zeros, zerosBefore, bits);
}
