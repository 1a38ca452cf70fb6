// sparseConv2d: a k×k convolution (any strides or dilations, padding 'valid' or 'same', channels
// last) with a pruned filter, as the sparse product of the image's im2col patches and the filter
// read as a [kh·kw·c, f] matrix. The patch columns are in (ky, kx, channel) order, the order in
// which XNNPACK's convolution sums, so on the wasm backend the result equals tf.fused.conv2d bit
// for bit (bench/README.md, "k×k convolutions through im2col"). The Wasm kernel writes the
// patches straight into the transposed panels its product reads (assembly/sparse.ts,
// im2colPanels); the cpu backend builds them in JS (im2colJs) and runs spmmJs.
import { Tensor } from '@tensorflow/tfjs-core';
import { ArgumentError } from '../errors.js';
import { describeTensor } from '../tfjs/validate.js';
import { ACTIVATIONS, PruneSparseConv2D, type PruneSparseConv2DAttrs } from './kernel_names.js';
import { runSparseKernel, SparseWeights, type PackedHeader, type SparseMatMulOptions } from './op.js';

export interface SparseConv2dOptions extends SparseMatMulOptions {
  /** [kh, kw] of the filter the weights were packed from (its [kh, kw, c, f] read as [kh·kw·c, f]). */
  kernelSize: [number, number];
  /** 'valid' (default) or 'same' (zeros around the image, as tf.conv2d lays them out at any stride). */
  padding?: 'valid' | 'same';
  /** Strides [h, w] or one for both, positive integers. Default 1. */
  strides?: number | [number, number];
  /** Dilations [h, w] or one for both (Keras' dilationRate), positive integers. Default 1. */
  dilationRate?: number | [number, number];
}

/**
 * One spatial axis of a convolution as TensorFlow lays it out (`span`: the dilated kernel's
 * extent): `out` pixels and `pad` zeros before the input (SAME: half the padding, the smaller
 * half first, the rest after; EXPLICIT: `before`, with `after` zeros after the input).
 */
export function convAxis(size: number, span: number, stride: number, padding: 'same' | 'valid' | 'explicit', before = 0, after = 0): { out: number; pad: number } {
  if (padding === 'explicit') return { out: Math.floor((size + before + after - span) / stride) + 1, pad: before };
  const same = padding === 'same';
  const out = same ? Math.ceil(size / stride) : Math.ceil((size - span + 1) / stride);
  return { out, pad: same ? Math.max((out - 1) * stride + span - size, 0) >> 1 : 0 };
}

/**
 * `v` (a number or [h, w]) as [h, w] of positive integers, else an ArgumentError naming `what`;
 * undefined is [1, 1].
 */
export function convPair(v: unknown, what: string, where: string): [number, number] {
  const p = v === undefined || v === null ? [1, 1] : typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || !p.every((e) => Number.isSafeInteger(e) && e >= 1)) {
    throw new ArgumentError(`${where}: ${what} must be a positive integer or [h, w] of positive integers, got ${JSON.stringify(v)}`);
  }
  return [p[0], p[1]];
}

/** Strides and dilations as tfjs takes them: both checked, and not both above 1 (tfjs refuses it). */
export function convStridesDilations(strides: unknown, dilationRate: unknown, where: string): { s: [number, number]; d: [number, number] } {
  const s = convPair(strides, 'strides', where);
  const d = convPair(dilationRate, 'dilationRate', where);
  if (s.some((v) => v > 1) && d.some((v) => v > 1)) {
    throw new ArgumentError(`${where}: strides [${s}] and dilationRate [${d}] are both above 1; tfjs' conv2d refuses that too (either strides or dilations must be 1)`);
  }
  return { s, d };
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
 * returns [b, oh, ow, f], the output size and SAME padding as tf.conv2d computes them (at stride 2
 * on an even size the extra zero row / column goes after the image). On the wasm backend it equals
 * tf.fused.conv2d({ x, filter, strides, pad, dilations, bias, activation }) bit for bit where x is
 * finite. Strides and dilations above 1 together are refused, as tfjs refuses them.
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
  const { kernelSize, padding = 'valid', bias = null, activation = 'linear', strides, dilationRate } = options ?? ({} as SparseConv2dOptions);
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
  const { s, d } = convStridesDilations(strides, dilationRate, fname);
  const ys = convAxis(h, (kh - 1) * d[0] + 1, s[0], padding);
  const xs = convAxis(w, (kw - 1) * d[1] + 1, s[1], padding);
  if (ys.out < 1 || xs.out < 1) {
    throw new ArgumentError(`${fname}: ${describeTensor('x', x)} is smaller than the ${kh}×${kw} kernel${d[0] * d[1] > 1 ? ` dilated by [${d}]` : ''} (padding 'valid')`);
  }
  return runSparseConvKernel(x, packed, bias, {
    k: weights.k, n: weights.n, nnz: weights.nnz, wide: weights.wide, activation,
    kh, kw, padT: ys.pad, padL: xs.pad, sh: s[0], sw: s[1], dh: d[0], dw: d[1], oh: ys.out, ow: xs.out,
  }, fname);
}

/**
 * The PruneSparseConv2D kernel on x (float32 NHWC, checked by the caller against attrs' kh·kw·c =
 * k) with the geometry in `attrs`: output pixel (oy, ox), kernel position (ky, kx) reads x at
 * (oy·sh + ky·dh - padT, ox·sw + kx·dw - padL), zeros
 * outside the image (so any bottom / right padding is implicit in oh and ow). Checks the bias.
 */
export function runSparseConvKernel(x: Tensor, packed: Tensor, bias: Tensor | null, attrs: PruneSparseConv2DAttrs, fname: string): Tensor {
  return runSparseKernel(PruneSparseConv2D, x, packed, bias, attrs, fname);
}
