import { op, type Tensor, type TensorLike } from '@tensorflow/tfjs-core';
import type { MaskOptions } from '../../kernels/index.js';
import { PruneMagnitude } from '../kernel_names.js';
import { runMagnitudeKernel } from './magnitude.js';

/**
 * A copy of `x` (float32, any shape) with its smallest magnitudes set to +0, as
 * pruneToSparsity / pruneByThreshold would do to its values:
 * - `{ sparsity }` prunes exactly round-half-to-even(sparsity · size) weights, ties at the
 *   threshold going lowest index first; weights already zero count as pruned.
 * - `{ threshold }` prunes every weight with |w| <= threshold.
 * NaN in x throws a NaNWeightsError; int32 and bool tensors an ArgumentError. The gradient is
 * straight-through on the survivors (dy where the result is nonzero, 0 elsewhere).
 */
function pruneMagnitude_<T extends Tensor>(x: T | TensorLike, options: MaskOptions): T {
  return runMagnitudeKernel('pruneMagnitude', PruneMagnitude, x, options);
}

export const pruneMagnitude = /* @__PURE__ */ op({ pruneMagnitude_ });
