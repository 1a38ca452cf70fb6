import { engine, op, util, type NamedTensorMap, type Tensor, type TensorLike } from '@tensorflow/tfjs-core';
import { ArgumentError } from '../../errors.js';
import { ensureKernel } from '../ensure.js';
import { PruneApplyMask } from '../kernel_names.js';
import { checkFloat32, describeTensor, toTensor } from '../validate.js';

/**
 * x where `mask` is nonzero, +0 where it is zero (a float32 -0 counts as zero). `mask` is float32,
 * int32 or bool and has exactly x's shape (no broadcasting). The gradient passes dy through where
 * the mask is nonzero and is zero for the mask itself.
 */
function applyMask_<T extends Tensor>(x: T | TensorLike, mask: Tensor | TensorLike): T {
  const fname = 'applyMask';
  const $x = toTensor(fname, 'x', x);
  const $mask = toTensor(fname, 'mask', mask);
  checkFloat32(fname, 'x', $x);
  if ($mask.dtype !== 'float32' && $mask.dtype !== 'int32' && $mask.dtype !== 'bool') {
    throw new ArgumentError(`${fname}: ${describeTensor('mask', $mask)} must be float32, int32 or bool`);
  }
  if (!util.arraysEqual($x.shape, $mask.shape)) {
    throw new ArgumentError(`${fname}: ${describeTensor('mask', $mask)} must have the shape of ${describeTensor('x', $x)}`);
  }
  ensureKernel(fname, PruneApplyMask);
  return engine().runKernel(PruneApplyMask, { x: $x, mask: $mask } as unknown as NamedTensorMap) as T;
}

export const applyMask = /* @__PURE__ */ op({ applyMask_ });
