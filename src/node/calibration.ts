/// <reference types="node" />
// loadCalibration: example inputs for one-shot pruning from a file — NumPy .npy (float32 or
// float64, batch first) or IDX (MNIST's format; uint8 values are scaled to [0, 1] as MNIST loaders
// do, other types kept as numbers).
import { readFile } from 'node:fs/promises';
import { ModelIOError } from '../errors.js';
import { parseIdx } from '../data/idx.js';
import { isNpy, parseNpy } from '../data/npy.js';

export interface CalibrationArray {
  /** Batch first. */
  shape: number[];
  values: Float32Array;
  format: 'npy' | 'idx';
}

export async function loadCalibration(file: string): Promise<CalibrationArray> {
  const bytes = await readFile(file).catch((e: NodeJS.ErrnoException) => {
    throw new ModelIOError('IO_ERROR', `loadCalibration: cannot read ${file}: ${e.code ?? e.message}`, file);
  });
  const u8 = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isNpy(u8)) return { ...parseNpy(u8, file), format: 'npy' };
  const idx = parseIdx(u8, file);
  const values = idx.dtype === 'uint8' ? Float32Array.from(idx.values, (v) => v / 255) : Float32Array.from(idx.values);
  return { shape: idx.shape, values, format: 'idx' };
}
