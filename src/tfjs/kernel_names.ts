// Kernel names and the inputs and attributes each kernel takes. The kernel registry is global, so
// every name starts with `Prune`. Ops (ops/*.ts) call these through engine().runKernel; a kernel
// is registered per backend by registerPruneKernels().
import type { NamedTensorInfoMap } from '@tensorflow/tfjs-core';

/** `x` (float32) with |x| at or under the threshold, or the smallest round(s·n), set to +0. */
export const PruneMagnitude = 'PruneMagnitude';
export type PruneMagnitudeInputs = Pick<NamedTensorInfoMap, 'x'>;
/** Exactly one of the two is set (the op validates; kernels trust it). */
export interface PruneMagnitudeAttrs {
  sparsity?: number;
  threshold?: number;
}

/** float32 0/1 tensor of x's shape: 1 where PruneMagnitude keeps the weight. */
export const PruneMagnitudeMask = 'PruneMagnitudeMask';
export type PruneMagnitudeMaskInputs = Pick<NamedTensorInfoMap, 'x'>;
export type PruneMagnitudeMaskAttrs = PruneMagnitudeAttrs;

/** x where mask is nonzero, +0 elsewhere; mask (float32, int32 or bool) has x's shape. */
export const PruneApplyMask = 'PruneApplyMask';
export type PruneApplyMaskInputs = Pick<NamedTensorInfoMap, 'x' | 'mask'>;

export const PRUNE_KERNEL_NAMES = [PruneMagnitude, PruneMagnitudeMask, PruneApplyMask] as const;
export type PruneKernelName = (typeof PRUNE_KERNEL_NAMES)[number];
