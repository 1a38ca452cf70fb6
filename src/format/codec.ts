// Tensor bytes <-> float32 values, for every storage a manifest can describe, and the encoders
// that write pruned values back so that pruned weights dequantize to exactly 0 in stock tfjs.
import { NaNWeightsError } from '../errors.js';
import type { TensorEntry } from './manifest.js';
import { LEVELS, affineParams, decodeFloat16, dequantizeAffine, encodeFloat16, gridZero, quantizeAffine, zeroMin, type AffineParams } from './quantize.js';
import { findNaNCodes, selectCodes8 } from './global.js';
import type { WeightStore } from './store.js';
import type { QuantizeDtype } from './types.js';
import { countCodes, pruneCodeRanges, roundHalfEven, selectAcrossArrays, type CodedInput, type CodeTable, type KeyRange } from '../kernels/index.js';

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
let ALL_U16: Uint16Array | null = null;
/** The float16 code table, the same for every tensor. */
let F16_TABLE: CodeTable | null = null;

const NONE: KeyRange = { lo: 0, span: -1 };

/**
 * A code table whose magnitudes fall towards one key (`bottom`) and rise away from it on either
 * side, up to key `last`: a threshold's sets of codes are then one range of keys each, found by
 * bisection. float16: keys (code & 0x7fff) from +0 (bottom 0) to +Infinity (0x7c00; NaN keys
 * above it are never in a range). Affine: a code's value q * scale + min is monotone in q (each
 * step of tfjs' arithmetic rounds monotonically), so its magnitude falls to the code nearest 0
 * and rises after it.
 */
class MonotoneTable implements CodeTable {
  readonly zero: KeyRange;
  #lut: Uint32Array | null = null;

  constructor(
    /** Magnitude bits of a key. */
    private readonly magnitude: (key: number) => number,
    /** The table of every code's magnitude bits, built when first asked for. */
    private readonly build: () => Uint32Array,
    readonly mask: number,
    private readonly bottom: number,
    private readonly last: number,
    readonly scale: number,
    readonly offset: number,
    readonly nan: KeyRange,
  ) {
    this.zero = this.atMost(0);
  }

  get lut(): Uint32Array {
    return (this.#lut ??= this.build());
  }

  below(bits: number): KeyRange {
    return this.range((m) => m < bits);
  }

  atMost(bits: number): KeyRange {
    return this.range((m) => m <= bits);
  }

  /** The keys around `bottom` whose magnitude satisfies `ok` (true near the bottom, false far). */
  private range(ok: (m: number) => boolean): KeyRange {
    const mag = this.magnitude;
    if (!ok(mag(this.bottom))) return NONE;
    // First key of [0, bottom] that is ok, and last of [bottom, last].
    let lo = 0;
    let hi = this.bottom;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ok(mag(mid))) hi = mid;
      else lo = mid + 1;
    }
    const from = lo;
    lo = this.bottom;
    hi = this.last;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (ok(mag(mid))) lo = mid;
      else hi = mid - 1;
    }
    return { lo: from, span: lo - from };
  }
}

function float16Table(): CodeTable {
  const values = new Float32Array(65536);
  decodeFloat16(Uint16Array.from({ length: 65536 }, (_, i) => i), values);
  const lut = new Uint32Array(values.buffer);
  for (let i = 0; i < lut.length; i++) lut[i] &= 0x7fffffff;
  return new MonotoneTable((key) => lut[key], () => lut, 0x7fff, 0, 0x7c00, 0, 0, { lo: 0x7c01, span: 0x7fff - 0x7c01 });
}

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/**
 * An affine code table, q * scale + min as tfjs computes it (float64, stored to float32); its
 * 256 or 65536 magnitudes are tabulated only when asked for (bisection computes the few it needs).
 */
function affineTable(quant: 'uint8' | 'uint16', scale: number, min: number): CodeTable {
  const n = quant === 'uint8' ? 256 : 65536;
  const value = (c: number) => {
    F32[0] = c * scale + min;
    return F32[0];
  };
  // The code nearest 0: the first whose value is >= 0, or the one before it.
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (value(mid) >= 0) hi = mid;
    else lo = mid + 1;
  }
  const bottom = lo > 0 && Math.abs(value(lo - 1)) < Math.abs(value(lo)) ? lo - 1 : lo;
  const magnitude = (c: number) => {
    F32[0] = c * scale + min;
    return U32[0] & 0x7fffffff;
  };
  const build = () => {
    const values = new Float32Array(n);
    const all = quant === 'uint8' ? ALL_U8 : (ALL_U16 ??= Uint16Array.from({ length: 65536 }, (_, i) => i));
    dequantizeAffine(all, scale, min, values);
    const lut = new Uint32Array(values.buffer);
    for (let i = 0; i < n; i++) lut[i] &= 0x7fffffff;
    return lut;
  };
  return new MonotoneTable(magnitude, build, n - 1, bottom, n - 1, scale, min, NONE);
}

/**
 * A quantized tensor's codes with their table (what the global threshold's passes read), or null
 * for float32 storage.
 */
export function readCoded(store: WeightStore, e: TensorEntry): CodedInput | null {
  if (e.quant === null) return null;
  return { codes: readCodes(store, e), table: codeTableOf(e) as CodeTable };
}

/** The code table of a quantized tensor (null for float32 storage); float16's is shared. */
export function codeTableOf(e: Pick<TensorEntry, 'quant' | 'scale' | 'min'>): CodeTable | null {
  if (e.quant === null) return null;
  if (e.quant === 'float16') return (F16_TABLE ??= float16Table());
  return affineTable(e.quant, e.scale, e.min);
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
  const { lo, hi } = valueRange(values);
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
 * uint16 whose grid holds 0 (magnitudes as tfjs decodes them, |q * scale + min|), and float16
 * (code 0 is +0). The selection is the core's (exactly round-half-to-even(s * n), or the global
 * plan's share; zeros count as pruned; ties to the lowest index); pruned weights get the zero
 * code, and min becomes exactly -(zero * scale). Surviving codes are untouched, so the result
 * equals decoding, pruning and re-encoding, without either conversion.
 *
 * The codes a threshold prunes are one range of keys (MonotoneTable), so the work is a select
 * over the codes (layer scope: src/wasm/select-parts.ts, a sampled bracket and one pass, or a uint8
 * tensor's 256 code counts; global scope: done for the whole pool already) and one rewrite pass;
 * the zeros before and after come from the select's counts (`CodeCounts`), or are counted by the
 * bracket kernel where a pick brings none. `coded`: the tensor as the global select read it;
 * `target`: where the new codes go
 * (e.byteLength bytes, may be the input's own bytes), else a new array. Returns null when the
 * tensor is not such a tensor (the float path handles it).
 */
export function pruneCodes(
  store: WeightStore,
  e: TensorEntry,
  pick: CodePick,
  coded?: CodedInput,
  target?: Uint8Array,
): { encoded: Encoded; zerosBefore: number; threshold: number } | null {
  if (e.quant === null) return null;
  const z = zeroCode(e);
  if (z === null) return null;
  const input = coded ?? (readCoded(store, e) as CodedInput);
  const { table } = input;
  const { bytes, width } = codeBytes(input);
  const count = (b: Uint8Array, r: KeyRange) => countCodes('pruneArtifacts', b, width, table.mask, r);
  const { bits, take, ...known } = 'sparsity' in pick ? pickOwn(input, e.size, pick.sparsity) : pick;
  // Pruned: magnitude below `bits` (or 0), and the first `take` ties at it: when all ties go, the
  // codes at most `bits`; when none does, those below (the kernel's fast loop either way).
  const zerosBefore = known.zeros ?? count(bytes, table.zero);
  const below = bits === 0 ? table.zero : table.below(bits);
  const atMost = table.atMost(bits);
  const { ties } = known;
  const all = take > 0 && ties !== undefined && take >= ties;
  const r2 = all ? atMost : below;
  const kernelTake = all ? 0 : take;
  const out = target ?? new Uint8Array(e.byteLength);
  const taken = pruneCodeRanges('pruneArtifacts', bytes, out, width, { mask: table.mask, r1: atMost, r2, z, take: kernelTake });
  if (taken !== kernelTake) throw new Error(`tfjs-prune internal error: pruneCodes took ${taken} ties of ${kernelTake}`);
  // Zeros after: every pruned code (now z). When z itself may stay unpruned (a tie left, or above
  // a tiny threshold) the codes still z decode to 0 too once min is exact: counted in the output.
  const zKey = z & table.mask;
  const zPruned = r2.span >= 0 && zKey >= r2.lo && zKey - r2.lo <= r2.span;
  const belowCount = bits === 0 ? zerosBefore : (known.below ?? count(bytes, below));
  const zerosAfter = zPruned ? belowCount + (all ? (ties as number) : take) : count(out, { lo: zKey, span: 0 });
  const threshold = new Float32Array(new Uint32Array([bits]).buffer)[0];
  const quantization: Encoded['quantization'] = e.quant === 'float16' ? { dtype: 'float16' } : { dtype: e.quant, scale: e.scale, min: zeroMin(z, e.scale) };
  return { encoded: { bytes: out, quantization, zeros: zerosAfter }, zerosBefore, threshold };
}

/**
 * A quantized tensor's own threshold (layer scope) among its codes, with what the select counted;
 * null when the tensor is not pruned in its codes (float32 storage, or an affine grid without 0).
 * Throws a NaNWeightsError for NaN codes. Nothing is written: a caller that must check every
 * tensor before storing any (inPlace) picks first and prunes later with the pick.
 */
export function codePick(store: WeightStore, e: TensorEntry, sparsity: number): (CodePick & { bits: number }) | null {
  return zeroCode(e) === null ? null : pickOwn(readCoded(store, e) as CodedInput, e.size, sparsity);
}

/** The code pruned weights get when a tensor is pruned in its codes; null when it is not (float32, or an affine grid without 0). */
function zeroCode(e: TensorEntry): number | null {
  if (e.quant === null) return null;
  return e.quant === 'float16' ? 0 : gridZero(e.scale, e.min, LEVELS[e.quant]);
}

/** A quantized tensor's codes as little-endian bytes, and the bytes a code. */
function codeBytes(input: CodedInput): { bytes: Uint8Array; width: 1 | 2 } {
  const c = input.codes;
  return { bytes: new Uint8Array(c.buffer, c.byteOffset, c.byteLength), width: c.BYTES_PER_ELEMENT as 1 | 2 };
}

function pickOwn(input: CodedInput, size: number, sparsity: number): { bits: number; take: number } & CodeCounts {
  const k = roundHalfEven(sparsity * size);
  if (k > 0 && input.codes instanceof Uint8Array) {
    // A pool of one for the uint8 select: the k-th off the tensor's 256 code counts.
    const plan = selectCodes8('pruneArtifacts', [input], k);
    if (plan.counts === null) return { bits: plan.bits, take: 0 };
    const c = plan.counts[0];
    return { bits: plan.bits, take: c.take, below: c.below, ties: c.ties, zeros: c.zeros };
  }
  if (k > 0) {
    const r = selectAcrossArrays('pruneArtifacts', [input], k);
    if ('nanPart' in r) throwNaN(input);
    return { bits: r.bits, take: r.bits === 0 ? 0 : k - r.lt[0], below: r.lt[0], ties: r.eq[0], zeros: r.zeros[0] };
  }
  const { bytes, width } = codeBytes(input);
  if (countCodes('pruneArtifacts', bytes, width, input.table.mask, input.table.nan) > 0) throwNaN(input);
  return { bits: 0, take: 0 };
}

/**
 * What a pick may already know of a tensor (from the select that chose its threshold), so that
 * the rewrite needs no pass of its own to count: codes below the threshold, at it, and zero.
 */
export interface CodeCounts {
  below?: number;
  ties?: number;
  zeros?: number;
}

/**
 * Which weights a tensor prunes, by magnitude: `sparsity` (its own exact count, ties to the lowest
 * index), or `bits`/`take` from a global plan (all magnitudes below `bits`, and the first `take`
 * of those equal to it; `bits` 0 means only zeros), with what that plan counted.
 */
export type CodePick = { sparsity: number } | ({ bits: number; take: number } & CodeCounts);

/** Zeros of a quantized tensor, counted in its codes by the bracket kernel (null for float32 storage). */
export function codeZeros(store: WeightStore, e: TensorEntry): number | null {
  const c = readCoded(store, e);
  if (c === null) return null;
  const { bytes, width } = codeBytes(c);
  return countCodes('pruneArtifacts', bytes, width, c.table.mask, c.table.zero);
}

/** The NaNWeightsError for codes holding NaN. */
function throwNaN(input: CodedInput): never {
  const nan = findNaNCodes(input);
  throw new NaNWeightsError('NaN', nan.count, nan.first);
}

/** The smallest and largest value (0 and 0 for no values): the range an affine grid must cover. */
function valueRange(values: Float32Array): { lo: number; hi: number } {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return values.length === 0 ? { lo: 0, hi: 0 } : { lo, hi };
}
