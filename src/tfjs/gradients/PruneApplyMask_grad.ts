import { zeros, type GradConfig, type Tensor } from '@tensorflow/tfjs-core';
import { PruneApplyMask } from '../kernel_names.js';
import { applyMask } from '../ops/apply_mask.js';

/** dx = dy where the mask is nonzero; the mask gets no gradient (float32 zeros, as tfjs requires). */
export const pruneApplyMaskGradConfig: GradConfig = {
  kernelName: PruneApplyMask,
  inputsToSave: ['mask'],
  gradFunc: (dy, saved) => {
    const [mask] = saved;
    return { x: () => applyMask(dy as Tensor, mask), mask: () => zeros(mask.shape) };
  },
};
