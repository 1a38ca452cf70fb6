// How the encoder writes a tensor's values: as k byte planes of the model's own codes, or as a
// codebook (a table of the distinct codes + entropy-coded indices) when that is smaller — lossless
// either way. On request (`codebook: bits`), a float tensor's values are first clustered by 1-D
// k-means (format/codebook) into at most 2^bits centroids, written in the tensor's own storage, so
// that the codebook coding then applies; the error this costs is measured per tensor.
import { kmeans1d, nearest } from '../format/codebook.js';
import { decodeFloat16, encodeFloat16 } from '../format/index.js';
import type { TensorEntry } from '../format/index.js';
import { MAX_CODEBOOK, ST_FLOAT16, ST_FLOAT32, ST_UINT16 } from './format.js';
import { encodeStream } from './rans_encode.js';
import { ByteWriter } from './writer.js';

/** A tensor's values as written: `book` (varint size + codes) is null for plane coding. */
export interface ValueCoding {
  book: Uint8Array | null;
  /** Codebook entries (0 for plane coding). */
  entries: number;
  streams: Uint8Array[];
  bytes: number;
}

/** k byte planes of `vals`, most significant first, each entropy-coded. */
export function planes(vals: Uint32Array, k: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  const p = new Uint8Array(vals.length);
  for (let j = k - 1; j >= 0; j--) {
    for (let i = 0; i < vals.length; i++) p[i] = vals[i] >>> (8 * j);
    out.push(encodeStream(p));
  }
  return out;
}

const total = (streams: Uint8Array[], head = 0) => streams.reduce((t, s) => t + s.length, head);

/**
 * The smaller of plane coding and codebook coding of `vals` (k bytes each). A codebook needs at most
 * 65536 distinct codes; for 1-byte codes it cannot beat the plane (the same symbols, renamed), so
 * it is not tried.
 */
export function codeValues(vals: Uint32Array, k: number): ValueCoding {
  const plain = planes(vals, k);
  const best: ValueCoding = { book: null, entries: 0, streams: plain, bytes: total(plain) };
  if (k === 1 || vals.length === 0) return best;
  const table = distinct(vals, Math.min(MAX_CODEBOOK, Math.floor(best.bytes / k)));
  if (table === null) return best;
  const index = new Map<number, number>();
  table.forEach((c, i) => index.set(c, i));
  const idx = new Uint32Array(vals.length);
  for (let i = 0; i < vals.length; i++) idx[i] = index.get(vals[i])!;
  const w = new ByteWriter(table.length * k + 4);
  w.varint(table.length);
  for (const c of table) for (let j = 0; j < k; j++) w.u8((c >>> (8 * j)) & 0xff);
  const book = w.finish();
  const streams = planes(idx, table.length > 256 ? 2 : 1);
  const bytes = total(streams, book.length);
  return bytes < best.bytes ? { book, entries: table.length, streams, bytes } : best;
}

/** The distinct codes of `vals`, ascending, or null when there are more than `max`. */
function distinct(vals: Uint32Array, max: number): Uint32Array | null {
  const seen = new Set<number>();
  for (let i = 0; i < vals.length; i++) {
    seen.add(vals[i]);
    if (seen.size > max) return null;
  }
  return Uint32Array.from(seen).sort();
}

/** What clustering did to one tensor. */
export interface ClusterResult {
  codes: Uint32Array;
  /** Distinct nonzero values after clustering (≤ 2^bits). */
  centroids: number;
  /** sqrt(Σ (after − before)²) / sqrt(Σ before²) over the tensor's decoded values (0 for an all-zero tensor). */
  relativeRms: number;
}

/**
 * Snaps the values of a float tensor (every element whose code is not the background `bg`, except
 * exact zeros, which stay as they are) to at most 2^bits k-means centroids, each rounded to the
 * tensor's storage (float32, float16, or the affine code nearest it). `codes` is not modified.
 * Returns null for a tensor with non-finite values (left exact).
 */
export function clusterCodes(codes: Uint32Array, bg: number, storage: number, e: TensorEntry, bits: number): ClusterResult | null {
  const values = decodeCodes(codes, storage, e);
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) return null;
    if (codes[i] !== bg && values[i] !== 0) count++;
  }
  const live = new Int32Array(count);
  for (let i = 0, j = 0; i < codes.length; i++) if (codes[i] !== bg && values[i] !== 0) live[j++] = i;
  const centroids = fullCodebook(Float32Array.from(live, (i) => values[i]), 2 ** bits, e.name);
  const centroidCodes = encodeCodes(centroids, storage, e);
  // What each centroid decodes to once stored: only the live positions change.
  const stored = decodeCodes(centroidCodes, storage, e);
  const out = codes.slice();
  let num = 0;
  let den = 0;
  for (let i = 0; i < values.length; i++) den += values[i] ** 2;
  for (const i of live) {
    const c = nearest(centroids, values[i]);
    out[i] = centroidCodes[c];
    num += (stored[c] - values[i]) ** 2;
  }
  return { codes: out, centroids: new Set(centroidCodes).size, relativeRms: den > 0 ? Math.sqrt(num / den) : 0 };
}

/**
 * k-means with as many centroids as `k` allows: kmeans1d's linear initialisation leaves clusters
 * empty in the thin tails of a weight distribution (23 of 32 at 5 bits on LeNet), so a larger k'
 * (bisected in (k, 2k)) is tried and the result with the most centroids, still at most k, is kept.
 */
function fullCodebook(values: Float32Array, k: number, name: string): Float32Array {
  let best = kmeans1d(values, k, { name });
  let lo = k;
  let hi = Math.min(2 * k, 65536);
  while (best.length < k && hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    const c = kmeans1d(values, mid, { name });
    if (c.length <= k) {
      lo = mid;
      if (c.length > best.length) best = c;
    } else hi = mid;
  }
  return best;
}

/** Float32 values of codes, as stock tfjs decodes them. */
function decodeCodes(codes: Uint32Array, storage: number, e: TensorEntry): Float32Array {
  // A view, not a copy: callers only read it.
  if (storage === ST_FLOAT32) return new Float32Array(codes.buffer, codes.byteOffset, codes.length);
  const out = new Float32Array(codes.length);
  if (storage === ST_FLOAT16) decodeFloat16(Uint16Array.from(codes), out);
  else for (let i = 0; i < codes.length; i++) out[i] = codes[i] * e.scale + e.min;
  return out;
}

/** The storage code nearest each value (float16 rounded to nearest even; affine codes clamped). */
function encodeCodes(values: Float32Array, storage: number, e: TensorEntry): Uint32Array {
  if (storage === ST_FLOAT32) return new Uint32Array(Float32Array.from(values).buffer);
  if (storage === ST_FLOAT16) {
    const h = new Uint16Array(values.length);
    encodeFloat16(values, h);
    return Uint32Array.from(h);
  }
  const top = storage === ST_UINT16 ? 65535 : 255;
  return Uint32Array.from(values, (v) => Math.min(top, Math.max(0, Math.round((v - e.min) / e.scale))));
}
