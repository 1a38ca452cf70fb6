// Argument checks at the op boundary, with messages that name the op and the tensor:
//   pruneMagnitude: x "dense/kernel" (int32[784,10]) must be float32; int32 and bool tensors are never pruned
import { NaNWeightsError, ArgumentError } from '../errors.js';
import { Tensor, tensor, type TensorLike } from '@tensorflow/tfjs-core';
import type { MaskOptions } from '../kernels/index.js';
import type { PruneMagnitudeAttrs } from './kernel_names.js';

/** `x (float32[2,3])`, or `x "name" (float32[2,3])` for a variable. */
export function describeTensor(argName: string, t: Tensor): string {
  const name = (t as { name?: unknown }).name;
  const label = typeof name === 'string' && name !== '' ? ` "${name}"` : '';
  return `${argName}${label} (${t.dtype}[${t.shape.join(',')}])`;
}

/** A Tensor as is; anything else through tf.tensor (disposed with the op's scope). */
export function toTensor(fname: string, argName: string, x: unknown): Tensor {
  if (x instanceof Tensor) return x;
  if (x === null || x === undefined || (typeof x !== 'object' && typeof x !== 'number' && typeof x !== 'boolean')) {
    throw new ArgumentError(`${fname}: ${argName} must be a Tensor or a TensorLike, got ${x === null ? 'null' : typeof x}`);
  }
  try {
    return tensor(x as TensorLike);
  } catch (e) {
    throw new ArgumentError(`${fname}: ${argName} is not a Tensor and cannot become one: ${(e as Error).message}`);
  }
}

export function checkFloat32(fname: string, argName: string, t: Tensor): void {
  if (t.dtype !== 'float32') {
    throw new ArgumentError(
      `${fname}: ${describeTensor(argName, t)} must be float32; int32 and bool tensors are never pruned (cast first if that is what you mean)`,
    );
  }
}

/** { sparsity } or { threshold }, checked like the typed-array API checks them. */
export function magnitudeAttrs(fname: string, options: unknown): PruneMagnitudeAttrs {
  if (options === null || typeof options !== 'object') {
    throw new ArgumentError(`${fname}: options must be { sparsity } or { threshold }, got ${String(options)}`);
  }
  const { sparsity, threshold } = options as Partial<MaskOptions>;
  const hasS = sparsity !== undefined;
  const hasT = threshold !== undefined;
  if (hasS === hasT) {
    throw new ArgumentError(`${fname}: options must have exactly one of sparsity and threshold`);
  }
  if (hasS) {
    if (typeof sparsity !== 'number' || !(sparsity >= 0 && sparsity <= 1)) {
      throw new ArgumentError(`${fname}: sparsity must be a number in [0, 1], got ${String(sparsity)}`);
    }
    return { sparsity };
  }
  if (typeof threshold !== 'number' || !Number.isFinite(threshold) || threshold < 0) {
    throw new ArgumentError(`${fname}: threshold must be a finite number >= 0, got ${String(threshold)}`);
  }
  return { threshold };
}

/** Kernel errors name the kernel; this says which op and which tensor instead. */
export function renameError(fname: string, argName: string, t: Tensor, e: unknown): unknown {
  if (e instanceof NaNWeightsError) {
    const { count, firstIndex } = e;
    return new NaNWeightsError(
      `${fname}: ${describeTensor(argName, t)} contains ${count} NaN value${count === 1 ? '' : 's'} (first at index ${firstIndex}); a NaN has no magnitude to rank`,
      count,
      firstIndex,
    );
  }
  return e;
}
