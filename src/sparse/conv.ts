// sparseConv2d: a k×k convolution (stride 1, dilation 1, padding 'valid' or 'same', channels
// last) with a pruned filter, as the sparse product of the image's im2col patches and the filter
// read as a [kh·kw·c, f] matrix. The patch columns are in (ky, kx, channel) order, the order in
// which XNNPACK's convolution sums, so on the wasm backend the result equals tf.fused.conv2d bit
// for bit (bench/README.md, "k×k convolutions through im2col"). The Wasm kernel writes the
// patches straight into the transposed panels its product reads (assembly/sparse.ts,
// im2colPanels); the cpu backend builds them in JS (im2colJs) and runs spmmJs.
import { engine, Tensor, type NamedTensorMap } from '@tensorflow/tfjs-core';
import { ArgumentError, WasmError } from '../errors.js';
import { describeTensor } from '../tfjs/validate.js';
import { ACTIVATIONS, PruneSparseConv2D, type PruneSparseConv2DAttrs } from './kernel_names.js';
import { kernelBuild } from './kernels.js';
import { SparseWeights, type PackedHeader, type SparseMatMulOptions } from './op.js';
import { registerSparseKernelFor } from './register.js';

export interface SparseConv2dOptions extends SparseMatMulOptions {
  /** [kh, kw] of the filter the weights were packed from (its [kh, kw, c, f] read as [kh·kw·c, f]). */
  kernelSize: [number, number];
  /** 'valid' (default) or 'same' (zeros around the image, as tf.conv2d with stride 1). */
  padding?: 'valid' | 'same';
}

/**
 * The patches of x (NHWC [b, h, w, c], from xOff) as a row-major [b·oh·ow, kh·kw·c] matrix:
 * row (bi·oh + oy)·ow + ox, column (ky·kw + kx)·c + ch = x[bi, oy·sh + ky·dh - padT,
 * ox·sw + kx·dw - padL, ch], 0 outside the image (strides and dilations 1 when not given).
 */
export function im2colJs(x: Float32Array, xOff: number, a: Pick<PruneSparseConv2DAttrs, 'kh' | 'kw' | 'padT' | 'padL' | 'oh' | 'ow' | 'sh' | 'sw' | 'dh' | 'dw'>, shape: number[]): Float32Array {
  const [b, h, w, c] = shape;
  const { kh, kw, padT, padL, oh, ow, sh = 1, sw = 1, dh = 1, dw = 1 } = a;
  const k = kh * kw * c;
  const out = new Float32Array(b * oh * ow * k);
  let o = 0;
  for (let bi = 0; bi < b; bi++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let ky = 0; ky < kh; ky++) {
          const y = oy * sh + ky * dh - padT;
          for (let kx = 0; kx < kw; kx++) {
            const xx = ox * sw + kx * dw - padL;
            if (y >= 0 && y < h && xx >= 0 && xx < w) {
              const src = xOff + ((bi * h + y) * w + xx) * c;
              for (let ch = 0; ch < c; ch++) out[o + ch] = x[src + ch];
            }
            o += c;
          }
        }
      }
    }
  }
  return out;
}

/**
 * y = act(conv2d(x, W) + bias) with W pruned: x float32 NHWC [b, h, w, c]; `weights` packed from
 * the filter [kh, kw, c, f] read as a [kh·kw·c, f] matrix (`packSparse(filterData, kh·kw·c, f)`);
 * returns [b, oh, ow, f]. Stride 1, dilation 1. On the wasm backend it equals
 * tf.fused.conv2d({ x, filter, strides: 1, pad, bias, activation }) bit for bit where x is finite.
 * Inference only (no gradient).
 */
export function sparseConv2d(x: Tensor, weights: SparseWeights, options: SparseConv2dOptions): Tensor {
  if (!(weights instanceof SparseWeights)) throw new ArgumentError('sparseConv2d: weights must be a SparseWeights');
  if (weights.tensor.isDisposed) throw new ArgumentError('sparseConv2d: weights have been disposed');
  return sparseConv2dPacked(x, weights.tensor, weights, options);
}

/** sparseConv2d on a packed int32 tensor the caller has checked (SparseWeights, SparseConv2D). */
export function sparseConv2dPacked(x: Tensor, packed: Tensor, weights: PackedHeader, options: SparseConv2dOptions): Tensor {
  const fname = 'sparseConv2d';
  if (!(x instanceof Tensor)) throw new ArgumentError(`${fname}: x must be a Tensor`);
  if (x.dtype !== 'float32' || x.rank !== 4) throw new ArgumentError(`${fname}: ${describeTensor('x', x)} must be float32 of rank 4 (NHWC)`);
  const { kernelSize, padding = 'valid', bias = null, activation = 'linear' } = options ?? ({} as SparseConv2dOptions);
  if (!Array.isArray(kernelSize) || kernelSize.length !== 2 || !kernelSize.every((v) => Number.isSafeInteger(v) && v >= 1)) {
    throw new ArgumentError(`${fname}: kernelSize must be [kh, kw], positive integers, got ${JSON.stringify(kernelSize)}`);
  }
  const [kh, kw] = kernelSize;
  const [, h, w, c] = x.shape;
  if (kh * kw * c !== weights.k) {
    throw new ArgumentError(`${fname}: ${describeTensor('x', x)} with a ${kh}×${kw} kernel has ${kh * kw * c} patch inputs, the weights expect ${weights.k}`);
  }
  if (padding !== 'valid' && padding !== 'same') throw new ArgumentError(`${fname}: padding must be 'valid' or 'same', got ${String(padding)}`);
  if (!ACTIVATIONS.includes(activation)) throw new ArgumentError(`${fname}: activation must be one of ${ACTIVATIONS.join(', ')}, got ${String(activation)}`);
  const same = padding === 'same';
  const oh = same ? h : h - kh + 1;
  const ow = same ? w : w - kw + 1;
  if (oh < 1 || ow < 1) throw new ArgumentError(`${fname}: ${describeTensor('x', x)} is smaller than the ${kh}×${kw} kernel (padding 'valid')`);
  // tf.conv2d's 'same' with stride 1: kh - 1 zero rows in all, the smaller half on top.
  return runSparseConvKernel(x, packed, bias, {
    k: weights.k, n: weights.n, nnz: weights.nnz, wide: weights.wide, activation,
    kh, kw, padT: same ? (kh - 1) >> 1 : 0, padL: same ? (kw - 1) >> 1 : 0, oh, ow,
  }, fname);
}

/**
 * The PruneSparseConv2D kernel on x (float32 NHWC, checked by the caller against attrs' kh·kw·c =
 * k) with the geometry in `attrs`: output pixel (oy, ox) reads x from (oy - padT, ox - padL), zeros
 * outside the image (so any bottom / right padding is implicit in oh and ow). Checks the bias.
 */
export function runSparseConvKernel(x: Tensor, packed: Tensor, bias: Tensor | null, attrs: PruneSparseConv2DAttrs, fname: string): Tensor {
  const inputs: Record<string, Tensor> = { x, weights: packed };
  if (bias !== null) {
    if (!(bias instanceof Tensor) || bias.dtype !== 'float32' || bias.rank !== 1 || bias.shape[0] !== attrs.n) {
      throw new ArgumentError(`${fname}: bias must be a float32 tensor of shape [${attrs.n}], got ${bias instanceof Tensor ? describeTensor('bias', bias) : typeof bias}`);
    }
    inputs.bias = bias;
  }
  if (kernelBuild() === null) throw new WasmError('WASM_NOT_INITIALIZED', `${fname}: the sparse kernels are not registered; await registerSparseKernels() first`);
  registerSparseKernelFor(engine().backendName);
  return engine().runKernel(PruneSparseConv2D, inputs as NamedTensorMap, attrs as unknown as Record<string, never>) as Tensor;
}
