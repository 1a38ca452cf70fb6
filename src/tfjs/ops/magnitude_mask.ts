import { engine, op, type NamedAttrMap, type NamedTensorMap, type Tensor, type TensorLike } from '@tensorflow/tfjs-core';
import type { MaskOptions } from '../../kernels/index.js';
import { ensureKernel } from '../ensure.js';
import { PruneMagnitudeMask } from '../kernel_names.js';
import { checkFloat32, magnitudeAttrs, renameError, toTensor } from '../validate.js';

/**
 * A float32 tensor of x's shape: 1 where pruneMagnitude(x, options) keeps the weight, 0 where it
 * prunes it (same decisions, same errors). Its gradient is zero: a mask is a step function.
 */
function magnitudeMask_<T extends Tensor>(x: T | TensorLike, options: MaskOptions): T {
  const fname = 'magnitudeMask';
  const $x = toTensor(fname, 'x', x);
  checkFloat32(fname, 'x', $x);
  const attrs = magnitudeAttrs(fname, options);
  ensureKernel(fname, PruneMagnitudeMask);
  try {
    return engine().runKernel(PruneMagnitudeMask, { x: $x } as unknown as NamedTensorMap, attrs as unknown as NamedAttrMap) as T;
  } catch (e) {
    throw renameError(fname, 'x', $x, e);
  }
}

export const magnitudeMask = /* @__PURE__ */ op({ magnitudeMask_ });
