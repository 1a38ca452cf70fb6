import type { GradConfig, Tensor } from '@tensorflow/tfjs-core';
import { PruneMagnitude } from '../kernel_names.js';
import { applyMask } from '../ops/apply_mask.js';

/** Straight-through on the survivors: dx = dy where the result is nonzero, 0 where pruned. */
export const pruneMagnitudeGradConfig: GradConfig = {
  kernelName: PruneMagnitude,
  outputsToSave: [true],
  gradFunc: (dy, saved) => {
    const [y] = saved;
    return { x: () => applyMask(dy as Tensor, y) };
  },
};
