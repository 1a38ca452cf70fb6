// Weight-magnitude histograms for the HTML report, read straight from the artifacts' bytes
// (float32, or uint8 / uint16 / float16 dequantized as tfjs does: q * scale + min, float16 by
// its bits). Only for display: pruning itself never goes through this file.
import type { ModelArtifacts } from '../node.js';
import type { Histogram } from './svg.js';

export const BINS = 40;

type Spec = NonNullable<ModelArtifacts['weightSpecs']>[number];

interface Located {
  spec: Spec;
  byteOffset: number;
  byteLength: number;
}

const ELEMENT_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2, complex64: 8 };

/** Byte offsets of every tensor in the artifacts' weight data (manifest order, no gaps). */
function locate(specs: Spec[]): Located[] {
  let off = 0;
  const out: Located[] = [];
  for (const spec of specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const per = spec.quantization ? (ELEMENT_BYTES[spec.quantization.dtype] ?? 4) : (ELEMENT_BYTES[spec.dtype] ?? 4);
    const byteLength = spec.dtype === 'string' ? 0 : size * per;
    out.push({ spec, byteOffset: off, byteLength });
    off += byteLength;
  }
  return out;
}

function concat(data: ArrayBuffer | ArrayBuffer[]): Uint8Array {
  if (!Array.isArray(data)) return new Uint8Array(data);
  if (data.length === 1) return new Uint8Array(data[0]);
  const all = new Uint8Array(data.reduce((a, b) => a + b.byteLength, 0));
  let off = 0;
  for (const b of data) {
    all.set(new Uint8Array(b), off);
    off += b.byteLength;
  }
  return all;
}

function float16(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m === 0 ? s * Infinity : NaN;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** The float values of a float32 tensor (null for other dtypes). */
function values(bytes: Uint8Array, t: Located): Float32Array | null {
  if (t.spec.dtype !== 'float32') return null;
  const n = t.spec.shape.reduce((a, b) => a * b, 1);
  const q = t.spec.quantization;
  const src = bytes.subarray(t.byteOffset, t.byteOffset + t.byteLength);
  if (src.length < t.byteLength) return null;
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const out = new Float32Array(n);
  if (!q) {
    for (let i = 0; i < n; i++) out[i] = dv.getFloat32(i * 4, true);
  } else if (q.dtype === 'uint8' || q.dtype === 'uint16') {
    const scale = q.scale ?? 1;
    const min = q.min ?? 0;
    for (let i = 0; i < n; i++) out[i] = (q.dtype === 'uint8' ? src[i] : dv.getUint16(i * 2, true)) * scale + min;
  } else if (q.dtype === 'float16') {
    for (let i = 0; i < n; i++) out[i] = float16(dv.getUint16(i * 2, true));
  } else return null;
  return out;
}

function histogram(v: Float32Array, max: number): Histogram {
  const counts = new Array<number>(BINS).fill(0);
  let zeros = 0;
  for (let i = 0; i < v.length; i++) {
    const a = Math.abs(v[i]);
    if (a === 0) {
      zeros++;
      continue;
    }
    if (!(a <= max)) {
      if (a > max) counts[BINS - 1]++; // +Inf
      continue; // NaN
    }
    counts[max === 0 ? 0 : Math.min(BINS - 1, Math.floor((a / max) * BINS))]++;
  }
  return { max, counts, zeros, total: v.length };
}

function maxAbs(v: Float32Array): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) {
    const a = Math.abs(v[i]);
    if (a > m && a !== Infinity) m = a;
  }
  return m;
}

export interface TensorHistograms {
  name: string;
  before: Histogram;
  /** null when there is no "after" (inspect). */
  after: Histogram | null;
}

/**
 * Histograms of |w| for the named tensors, before and (if `after` is given) after, on the same
 * bins: [0, max |w| before] split in BINS. Zeros are counted apart.
 */
export function magnitudeHistograms(names: string[], before: ModelArtifacts, after: ModelArtifacts | null, onTensor?: (done: number, total: number) => void): TensorHistograms[] {
  const want = new Set(names);
  const side = (a: ModelArtifacts) => {
    const specs = a.weightSpecs ?? [];
    const bytes = concat(a.weightData ?? new ArrayBuffer(0));
    return { bytes, at: new Map(locate(specs).map((t) => [t.spec.name, t])) };
  };
  const b = side(before);
  const a = after === null ? null : side(after);
  const out: TensorHistograms[] = [];
  let done = 0;
  for (const name of names) {
    if (!want.has(name)) continue;
    const tb = b.at.get(name);
    const vb = tb === undefined ? null : values(b.bytes, tb);
    if (vb !== null) {
      const max = maxAbs(vb);
      let ha: Histogram | null = null;
      if (a !== null) {
        const ta = a.at.get(name);
        const va = ta === undefined ? null : values(a.bytes, ta);
        if (va !== null) ha = histogram(va, max);
      }
      out.push({ name, before: histogram(vb, max), after: ha });
    }
    onTensor?.(++done, names.length);
  }
  return out;
}
