// Reads a weights manifest (tf.io.WeightsManifestEntry[]) into tensor entries with byte ranges,
// checking every field tfjs would trip on later, and the byte length against the weight data.
import { ModelFormatError } from '../errors.js';
import { describeLocation, locate } from './origin.js';
import type { WeightStore } from './store.js';
import type { WeightSpec } from './types.js';

export type ValueDtype = 'float32' | 'int32' | 'bool' | 'string' | 'complex64';
export type QuantDtype = 'uint8' | 'uint16' | 'float16';

export interface TensorEntry {
  /** Position in the manifest (the fixed order used for ties and reports). */
  index: number;
  name: string;
  shape: number[];
  /** Number of elements. */
  size: number;
  dtype: ValueDtype;
  quant: QuantDtype | null;
  /** uint8/uint16 dequantization: value = q * scale + min (0 for float16 and unquantized). */
  scale: number;
  min: number;
  /** Range in the concatenated weight data. */
  byteOffset: number;
  byteLength: number;
  /** 'optimizer' for optimizer state saved with the model. */
  group: string | undefined;
  spec: WeightSpec;
}

export const VALUE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };
export const QUANT_BYTES: Record<QuantDtype, number> = { uint8: 1, uint16: 2, float16: 2 };

/** What the manifest is checked against: weight bytes in memory (a WeightStore) or in files. */
export type ByteSource = Pick<WeightStore, 'byteLength' | 'bytes'>;

export interface ManifestContext {
  /** Function name for messages. */
  fname: string;
  /** model.json (or manifest) path, when the specs came from a file. */
  file?: string;
  /** The weightData object, to name shard files in messages (see origin.ts). */
  weightData?: unknown;
}

/**
 * Validates `specs` and lays them out over `store` (the concatenated weight data). Throws a
 * ModelFormatError naming the tensor, file and byte offset of the first problem.
 */
export function parseWeightSpecs(specs: unknown, store: ByteSource, ctx: ManifestContext): TensorEntry[] {
  const { fname } = ctx;
  const inFile = ctx.file === undefined ? '' : ` in ${ctx.file}`;
  const malformed = (msg: string, tensor?: string) =>
    new ModelFormatError('MALFORMED_MODEL', `${fname}: ${msg}${inFile}`, { file: ctx.file, tensor });
  if (!Array.isArray(specs)) throw malformed(`weightSpecs must be an array, got ${typeof specs}`);
  const out: TensorEntry[] = [];
  const names = new Set<string>();
  let offset = 0;
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i] as WeightSpec;
    if (spec === null || typeof spec !== 'object') throw malformed(`weight spec ${i} is not an object`);
    const name = spec.name;
    if (typeof name !== 'string' || name === '') throw malformed(`weight spec ${i} has no name`);
    const what = `tensor '${name}' (weight spec ${i})`;
    if (names.has(name)) throw malformed(`${what}: the name appears twice in the manifest`, name);
    names.add(name);
    const shape = spec.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw malformed(`${what}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`, name);
    }
    const size = shapeSize(shape);
    if (size === null) throw malformed(`${what}: shape [${shape.join(',')}] has more elements than 2^53 (the product overflows)`, name);
    const dtype = spec.dtype as string;
    if (!(dtype in VALUE_BYTES) && dtype !== 'string') {
      throw malformed(`${what}: unknown dtype ${JSON.stringify(dtype)} (expected float32, int32, bool, string or complex64)`, name);
    }
    let quant: QuantDtype | null = null;
    let scale = 0;
    let min = 0;
    const q = spec.quantization as Record<string, unknown> | undefined;
    if (q !== undefined) {
      if (q === null || typeof q !== 'object') throw malformed(`${what}: quantization must be an object`, name);
      const qd = q.dtype;
      if (qd !== 'uint8' && qd !== 'uint16' && qd !== 'float16') {
        throw malformed(`${what}: unknown quantization dtype ${JSON.stringify(qd)} (expected uint8, uint16 or float16)`, name);
      }
      quant = qd;
      if (qd === 'float16') {
        if (dtype !== 'float32') throw malformed(`${what}: float16 quantization applies to float32 tensors, not ${dtype}`, name);
      } else {
        if (dtype !== 'float32' && dtype !== 'int32') throw malformed(`${what}: ${qd} quantization applies to float32 and int32 tensors, not ${dtype}`, name);
        if (typeof q.scale !== 'number' || !Number.isFinite(q.scale) || typeof q.min !== 'number' || !Number.isFinite(q.min)) {
          throw malformed(`${what}: ${qd} quantization needs finite numbers scale and min, got scale ${String(q.scale)}, min ${String(q.min)}`, name);
        }
        scale = q.scale;
        min = q.min;
      }
    }
    let byteLength: number;
    if (quant !== null) byteLength = size * QUANT_BYTES[quant];
    else if (dtype === 'string') byteLength = stringBytes(store, offset, size);
    else byteLength = size * VALUE_BYTES[dtype];
    if (!Number.isSafeInteger(offset + byteLength)) throw malformed(`${what}: shape [${shape.join(',')}] needs more than 2^53 bytes`, name);
    if (offset + byteLength > store.byteLength) {
      const loc = locate(ctx.weightData, name, store.byteLength === 0 ? 0 : store.byteLength - 1);
      throw new ModelFormatError(
        'WEIGHTS_MISMATCH',
        `${fname}: ${what}, ${quant ?? dtype}[${shape.join(',')}], needs bytes ${offset}..${offset + byteLength} of the weight data, ` +
          `but the weight data ends at byte ${store.byteLength}` +
          (loc.file === undefined ? '' : ` (end of ${loc.file}, ${loc.byteOffset + 1} bytes)`) +
          `: a shard is missing or short, or the manifest does not match the weights`,
        { file: loc.file, tensor: name, byteOffset: loc.file === undefined ? offset : loc.byteOffset },
      );
    }
    out.push({ index: i, name, shape: [...shape], size, dtype: dtype as ValueDtype, quant, scale, min, byteOffset: offset, byteLength, group: spec.group, spec });
    offset += byteLength;
  }
  if (offset !== store.byteLength) {
    const loc = locate(ctx.weightData, '', offset);
    throw new ModelFormatError(
      'WEIGHTS_MISMATCH',
      `${fname}: the weight data has ${store.byteLength} bytes but the manifest describes ${offset}; ` +
        `bytes from ${describeLocation(loc)} on belong to no tensor`,
      { file: loc.file, byteOffset: loc.byteOffset },
    );
  }
  return out;
}

/**
 * The number of elements of a shape of non-negative integers, or null when it is not a safe
 * integer (a product that overflows is an error, whatever the order of the dimensions; a zero
 * dimension makes the size 0 only if every dimension is itself a safe integer).
 */
export function shapeSize(shape: readonly number[]): number | null {
  if (!shape.every((d) => Number.isSafeInteger(d))) return null;
  if (shape.includes(0)) return 0;
  let size = 1;
  for (const d of shape) {
    size *= d;
    if (!Number.isSafeInteger(size)) return null;
  }
  return size;
}

/**
 * The fewest weight bytes the specs can describe (string elements counted as their 4-byte length
 * alone), for a check before any weight is fetched. Specs that parseWeightSpecs would reject add
 * nothing here: it reports them once the bytes are there. May exceed 2^53 (then inexact).
 */
export function declaredBytes(specs: readonly unknown[]): number {
  let total = 0;
  for (const spec of specs) {
    const s = spec as WeightSpec | null;
    if (s === null || typeof s !== 'object' || !Array.isArray(s.shape)) continue;
    const size = s.shape.every((d) => Number.isSafeInteger(d) && d >= 0) ? shapeSize(s.shape) : 0;
    const q = (s.quantization as { dtype?: unknown } | undefined)?.dtype;
    const per = typeof q === 'string' && q in QUANT_BYTES ? QUANT_BYTES[q as QuantDtype] : s.dtype === 'string' ? 4 : (VALUE_BYTES[s.dtype as string] ?? 0);
    if (per > 0) total += (size ?? Infinity) * per;
  }
  return total;
}

// String tensors store each element as a uint32 byte length and the bytes (see tfjs io_utils).
function stringBytes(store: ByteSource, start: number, size: number): number {
  let off = start;
  for (let i = 0; i < size; i++) {
    if (off + 4 > store.byteLength) return off + 4 - start;
    const b = store.bytes(off, 4);
    const len = b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] * 2 ** 24);
    off += 4 + len;
    if (off > store.byteLength) break;
  }
  return off - start;
}

/** Storage dtype as written in the manifest: the quantization dtype if any, else the dtype. */
export function storageDtype(e: Pick<TensorEntry, 'quant' | 'dtype'>): string {
  return e.quant ?? e.dtype;
}

/** Float tensors are the only ones pruned or quantized (int32, bool, string, complex64 never). */
export function isFloat(e: Pick<TensorEntry, 'dtype'>): boolean {
  return e.dtype === 'float32';
}
