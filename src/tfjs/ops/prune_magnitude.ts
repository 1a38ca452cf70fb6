import { engine, op, type NamedAttrMap, type NamedTensorMap, type Tensor, type TensorLike } from '@tensorflow/tfjs-core';
import type { MaskOptions } from '../../kernels/index.js';
import { ensureKernel } from '../ensure.js';
import { PruneMagnitude } from '../kernel_names.js';
import { checkFloat32, magnitudeAttrs, renameError, toTensor } from '../validate.js';

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
  const fname = 'pruneMagnitude';
  const $x = toTensor(fname, 'x', x);
  checkFloat32(fname, 'x', $x);
  const attrs = magnitudeAttrs(fname, options);
  ensureKernel(fname, PruneMagnitude);
  try {
    return engine().runKernel(PruneMagnitude, { x: $x } as unknown as NamedTensorMap, attrs as unknown as NamedAttrMap) as T;
  } catch (e) {
    throw renameError(fname, 'x', $x, e);
  }
}

export const pruneMagnitude = /* @__PURE__ */ op({ pruneMagnitude_ });
