// Tensor bytes <-> float32 values, for every storage a manifest can describe, and the encoders
// that write pruned values back so that pruned weights dequantize to exactly 0 in stock tfjs.
import type { TensorEntry } from './manifest.js';
import { LEVELS, affineParams, decodeFloat16, dequantizeAffine, encodeFloat16, gridZero, quantizeAffine, zeroMin, type AffineParams } from './quantize.js';
import type { WeightStore } from './store.js';
import type { QuantizeDtype } from './types.js';
import { roundHalfEven } from '../kernels/index.js';

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

/**
 * A quantized tensor's codes with a table from code to the bit pattern of |dequantized value|
 * (what the global threshold's passes read), or null for float32 storage.
 */
export function readCoded(store: WeightStore, e: TensorEntry): { codes: Uint8Array | Uint16Array; lut: Uint32Array } | null {
  if (e.quant === null) return null;
  const codes = readCodes(store, e);
  const n = e.quant === 'uint8' ? 256 : 65536;
  const values = new Float32Array(n);
  const all = e.quant === 'uint8' ? ALL_U8 : (ALL_U16 ??= Uint16Array.from({ length: 65536 }, (_, i) => i));
  if (e.quant === 'float16') decodeFloat16(all as Uint16Array, values);
  else dequantizeAffine(all, e.scale, e.min, values);
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
 * Prunes a uint8 tensor whose grid holds 0 directly in its codes: magnitudes come from a
 * 256-entry table of |q * scale + min| (tfjs' own arithmetic), the selection is the core's
 * (exactly round-half-to-even(s * n), or the global plan's share; zeros count as pruned; ties to
 * the lowest index), pruned weights get the zero code and min becomes exactly -(zero * scale).
 * Returns null when the tensor is not such a tensor (the float path handles it).
 */
export function pruneUint8Codes(
  store: WeightStore,
  e: TensorEntry,
  pick: { sparsity: number } | { bits: number; take: number },
): { encoded: Encoded; zerosBefore: number; threshold: number } | null {
  if (e.quant !== 'uint8') return null;
  const z = gridZero(e.scale, e.min, 255);
  if (z === null) return null;
  const codes = readCodes(store, e) as Uint8Array;
  const lut = readCoded(store, e)!.lut;
  const counts = histU8(codes);
  let zerosBefore = 0;
  for (let c = 0; c < 256; c++) if (lut[c] === 0) zerosBefore += counts[c];
  // Codes by magnitude (then by code, so equal magnitudes group together).
  const order = Array.from({ length: 256 }, (_, c) => c).sort((a, b) => lut[a] - lut[b] || a - b);
  let bits: number;
  let take: number;
  if ('sparsity' in pick) {
    const k = roundHalfEven(pick.sparsity * e.size);
    if (k <= zerosBefore) {
      bits = 0;
      take = 0;
    } else {
      // The k-th smallest magnitude, and how many equal to it to take.
      let below = 0;
      let j = 0;
      bits = 0;
      while (j < 256) {
        const m = lut[order[j]];
        let same = 0;
        let jj = j;
        while (jj < 256 && lut[order[jj]] === m) same += counts[order[jj++]];
        if (below + same >= k) {
          bits = m;
          break;
        }
        below += same;
        j = jj;
      }
      take = k - below;
    }
  } else {
    bits = pick.bits;
    take = pick.take;
  }
  const out = new Uint8Array(e.size);
  const zeros = rewriteU8(codes, lut, bits, take, z, out);
  const threshold = new Float32Array(new Uint32Array([bits]).buffer)[0];
  return { encoded: { bytes: out, quantization: { dtype: 'uint8', scale: e.scale, min: zeroMin(z, e.scale) }, zeros }, zerosBefore, threshold };
}

// The hot loops live in small functions of their own, which V8 optimizes as a whole.
function histU8(codes: Uint8Array): Uint32Array {
  const counts = new Uint32Array(256);
  for (let i = 0; i < codes.length; i++) counts[codes[i]]++;
  return counts;
}

/** Pruned (zero, below `bits`, or among the first `take` at it) -> code z; returns the zeros. */
function rewriteU8(codes: Uint8Array, lut: Uint32Array, bits: number, take: number, z: number, out: Uint8Array): number {
  // Per code: 0 keep, 1 prune, 2 prune while ties last.
  const action = new Uint8Array(256);
  for (let c = 0; c < 256; c++) action[c] = lut[c] === 0 || lut[c] < bits ? 1 : lut[c] === bits ? 2 : 0;
  let taken = 0;
  let zeros = 0;
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    const act = action[c];
    let q = c;
    if (act === 1) q = z;
    else if (act === 2 && taken < take) {
      taken++;
      q = z;
    }
    zeros += q === z ? 1 : 0;
    out[i] = q;
  }
  return zeros;
}