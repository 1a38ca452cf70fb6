import { engine, type NamedAttrMap, type NamedTensorMap, type Tensor, type TensorLike } from '@tensorflow/tfjs-core';
import type { MaskOptions } from '../../kernels/index.js';
import { ensureKernel } from '../ensure.js';
import type { PruneMagnitude, PruneMagnitudeMask } from '../kernel_names.js';
import { checkFloat32, magnitudeAttrs, renameError, toTensor } from '../validate.js';

/**
 * pruneMagnitude's and magnitudeMask's body: the same checks and attributes, then their kernel;
 * kernel errors are renamed to the op (`fname`) and its input.
 */
export function runMagnitudeKernel<T extends Tensor>(
  fname: string,
  kernelName: typeof PruneMagnitude | typeof PruneMagnitudeMask,
  x: T | TensorLike,
  options: MaskOptions,
): T {
  const $x = toTensor(fname, 'x', x);
  checkFloat32(fname, 'x', $x);
  const attrs = magnitudeAttrs(fname, options);
  ensureKernel(fname, kernelName);
  try {
    return engine().runKernel(kernelName, { x: $x } as unknown as NamedTensorMap, attrs as unknown as NamedAttrMap) as T;
  } catch (e) {
    throw renameError(fname, 'x', $x, e);
  }
}
