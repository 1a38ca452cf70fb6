// The weight specs of a container's model section, checked before anything is sized from them.
import type { io } from '@tensorflow/tfjs-core';
import { ST_FLOAT16, ST_FLOAT32, ST_RAW, ST_UINT16, ST_UINT8, type Reader } from './format.js';

export interface Spec {
  name: string;
  shape: number[];
  dtype: string;
  quantization: { dtype: string; scale?: number; min?: number } | undefined;
  /** Number of elements. */
  size: number;
  /** Bytes per element of a raw tensor of a fixed-size dtype; 0 for string (variable). */
  bytesPer: number;
  /** The spec as the JSON holds it. */
  raw: io.WeightsManifestEntry;
}

const RAW_BYTES: Record<string, number> = { int32: 4, bool: 1, complex64: 8, string: 0 };
const MAX_ELEMENTS = 2 ** 40;

export function checkSpecs(value: unknown, r: Reader): Spec[] {
  if (!Array.isArray(value)) r.fail('the model JSON has no weightSpecs array', r.pos);
  return value.map((raw: unknown, i: number) => {
    const where = `weightSpecs[${i}]`;
    if (raw === null || typeof raw !== 'object') r.fail(`${where} is not an object`, r.pos);
    const { name, shape, dtype, quantization } = raw as Record<string, unknown>;
    if (typeof name !== 'string') r.fail(`${where}.name is not a string`, r.pos);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) r.fail(`${where} (${name}): shape is not a list of sizes`, r.pos);
    const size = (shape as number[]).reduce((a, b) => a * b, 1);
    if (size > MAX_ELEMENTS) r.fail(`${where} (${name}): ${size} elements`, r.pos);
    if (typeof dtype !== 'string') r.fail(`${where} (${name}): dtype is not a string`, r.pos);
    let q: Spec['quantization'];
    if (quantization !== undefined) {
      const qd = (quantization as { dtype?: unknown } | null)?.dtype;
      const { scale, min } = (quantization ?? {}) as { scale?: unknown; min?: unknown };
      const affine = qd === 'uint8' || qd === 'uint16';
      const ok = (qd === 'float16' && dtype === 'float32') || (affine && (dtype === 'float32' || dtype === 'int32') && typeof scale === 'number' && typeof min === 'number');
      if (!ok) r.fail(`${where} (${name}): unsupported quantization ${JSON.stringify(quantization)} for ${dtype}`, r.pos);
      q = quantization as Spec['quantization'];
    } else if (dtype !== 'float32' && !(dtype in RAW_BYTES)) r.fail(`${where} (${name}): unknown dtype ${dtype}`, r.pos);
    return { name, shape: shape as number[], dtype, quantization: q, size, bytesPer: RAW_BYTES[dtype] ?? 0, raw: raw as io.WeightsManifestEntry };
  });
}

/** The storage code a tensor of this spec is written in. */
export function expectedStorage(spec: Pick<Spec, 'dtype' | 'quantization'>): number {
  const q = spec.quantization?.dtype;
  if (q === 'float16') return ST_FLOAT16;
  if (q === 'uint8') return ST_UINT8;
  if (q === 'uint16') return ST_UINT16;
  return spec.dtype === 'float32' ? ST_FLOAT32 : ST_RAW;
}
