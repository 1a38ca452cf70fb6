import { zerosLike, type GradConfig, type Tensor } from '@tensorflow/tfjs-core';
import { PruneMagnitudeMask } from '../kernel_names.js';

/** A mask is a step function of x: its gradient is zero everywhere it is defined. */
export const pruneMagnitudeMaskGradConfig: GradConfig = {
  kernelName: PruneMagnitudeMask,
  gradFunc: (dy) => ({ x: () => zerosLike(dy as Tensor) }),
};
