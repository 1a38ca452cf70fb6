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
  if (!Array.isArray(value)) r.fail('no weightSpecs array');
  return value.map((raw, i) => {
    const { name, shape, dtype, quantization: q } = (raw ?? {}) as Record<string, unknown> & { quantization?: Spec['quantization'] };
    const size = Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && d >= 0) ? shape.reduce((a, b) => a * b, 1) : -1;
    const affine = (q?.dtype === 'uint8' || q?.dtype === 'uint16') && (dtype === 'float32' || dtype === 'int32') && typeof q.scale === 'number' && typeof q.min === 'number';
    const ok = typeof name === 'string' && size >= 0 && size <= MAX_ELEMENTS && (q === undefined ? dtype === 'float32' || typeof RAW_BYTES[dtype as string] === 'number' : (q?.dtype === 'float16' && dtype === 'float32') || affine);
    if (!ok) r.fail(`weightSpecs[${i}] unreadable: ${JSON.stringify(raw)}`.slice(0, 200));
    return { name: name as string, shape: shape as number[], dtype: dtype as string, quantization: q, size, bytesPer: RAW_BYTES[dtype as string] ?? 0, raw: raw as io.WeightsManifestEntry };
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
