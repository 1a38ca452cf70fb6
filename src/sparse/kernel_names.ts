// The sparse op's kernel name, inputs and attributes. The kernel registry is global, so the name
// starts with `Prune` like the library's other kernels.
import type { NamedTensorInfoMap } from '@tensorflow/tfjs-core';

/** Activations fused into the sparse product (others are applied after it, by the layer). */
export type Activation = 'linear' | 'relu' | 'relu6';

export const ACTIVATIONS: readonly Activation[] = ['linear', 'relu', 'relu6'];

/**
 * y = act(x · W + bias): x float32 [rows, k], `weights` the packed matrix (format.ts) as an int32
 * tensor of its words, `bias` (optional) float32 [n]. Inference only: no gradient is registered.
 */
export const PruneSparseMatMul = 'PruneSparseMatMul';
export type PruneSparseMatMulInputs = Pick<NamedTensorInfoMap, 'x' | 'weights'> & Partial<Pick<NamedTensorInfoMap, 'bias'>>;
export interface PruneSparseMatMulAttrs {
  k: number;
  n: number;
  nnz: number;
  wide: boolean;
  activation: Activation;
}

/**
 * y = act(conv2d(x, W) + bias) with W a k×k filter [kh, kw, c, f] packed as the [kh·kw·c, f]
 * matrix (format.ts): x float32 NHWC [b, h, w, c], strides sh, sw and dilations dh, dw (1 when
 * absent), `padT` / `padL` zero rows / columns before the image, output [b, oh, ow, f]: output
 * pixel (oy, ox) reads x from (oy·sh - padT, ox·sw - padL), zeros outside. Inference only.
 */
export const PruneSparseConv2D = 'PruneSparseConv2D';
export interface PruneSparseConv2DAttrs extends PruneSparseMatMulAttrs {
  kh: number;
  kw: number;
  padT: number;
  padL: number;
  sh?: number;
  sw?: number;
  dh?: number;
  dw?: number;
  oh: number;
  ow: number;
}
