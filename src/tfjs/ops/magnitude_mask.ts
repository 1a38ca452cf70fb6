import { op, type Tensor, type TensorLike } from '@tensorflow/tfjs-core';
import type { MaskOptions } from '../../kernels/index.js';
import { PruneMagnitudeMask } from '../kernel_names.js';
import { runMagnitudeKernel } from './magnitude.js';

/**
 * A float32 tensor of x's shape: 1 where pruneMagnitude(x, options) keeps the weight, 0 where it
 * prunes it (same decisions, same errors). Its gradient is zero: a mask is a step function.
 */
function magnitudeMask_<T extends Tensor>(x: T | TensorLike, options: MaskOptions): T {
  return runMagnitudeKernel('magnitudeMask', PruneMagnitudeMask, x, options);
}

export const magnitudeMask = /* @__PURE__ */ op({ magnitudeMask_ });
