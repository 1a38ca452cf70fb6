// sparseConv2d (im2col patches × the packed filter) against tfjs' own tf.fused.conv2d on the same
// filter: bit for bit on the wasm backend (XNNPACK sums over kernel positions, then channels, the
// patch column order), in all three builds; the cpu backend's kernel (im2colJs + spmmJs) must
// equal the wasm result bit for bit.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/errors.js';
import { lastKernelPath, packSparse, registerSparseKernels, sparseConv2d, SparseWeights, type Activation } from '../../src/sparse/index.js';
import { bitDiffs, rng } from './support.js';

function values(n: number, seed: number, zeros: number): Float32Array {
  const r = rng(seed);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = r() < zeros ? 0 : (r() - 0.5) * 4;
  return v;
}

// [batch, h, w, c, kh, kw, filters, padding, sparsity]: channels a multiple of 4 (the SIMD
// transposes) and not, 'same' with odd and even kernels, rectangular kernels, a 1×1 kernel, a
// fully pruned filter, an output of more than 64 pixels (several 16-lane panels) and of fewer
// than 4 (one padded panel).
const CASES: [number, number, number, number, number, number, number, 'valid' | 'same', number][] = [
  [1, 8, 8, 4, 3, 3, 5, 'valid', 0.8],
  [2, 7, 6, 3, 3, 3, 4, 'same', 0.7],
  [1, 5, 5, 1, 3, 3, 8, 'same', 0.5],
  [3, 9, 7, 8, 5, 3, 6, 'valid', 0.9],
  [1, 4, 4, 6, 1, 1, 3, 'valid', 0.6],
  [2, 6, 6, 5, 2, 2, 7, 'same', 0.9],
  [1, 5, 5, 2, 3, 3, 3, 'valid', 1],
  [1, 4, 4, 4, 3, 3, 2, 'valid', 0.5],
];

// Strides and dilations (Keras' strides / dilationRate), appended to a case: [2, 2] and [2, 1] on
// odd and even sizes (SAME at stride 2 on an even size pads one more row / column after the image
// than before; on an odd one evenly), a 3×3 dilated by [2, 2], a 2×3 dilated by [1, 2], a strided
// 1×1, batch 1 and 3, channels a multiple of 4 and not.
type Geometry = [[number, number], [number, number]];
const STRIDED: [number, number, number, number, number, number, number, 'valid' | 'same', number, ...Geometry][] = [
  [1, 9, 7, 3, 3, 3, 5, 'same', 0.8, [2, 2], [1, 1]],
  [3, 8, 10, 4, 3, 3, 6, 'same', 0.8, [2, 2], [1, 1]],
  [1, 9, 7, 4, 3, 3, 5, 'valid', 0.8, [2, 2], [1, 1]],
  [3, 7, 8, 5, 3, 2, 4, 'same', 0.7, [2, 1], [1, 1]],
  [1, 11, 9, 2, 5, 5, 3, 'valid', 0.9, [2, 1], [1, 1]],
  [1, 8, 8, 4, 4, 4, 7, 'same', 0.6, [2, 2], [1, 1]],
  [1, 9, 11, 4, 3, 3, 5, 'same', 0.8, [1, 1], [2, 2]],
  [3, 10, 9, 3, 3, 3, 6, 'valid', 0.8, [1, 1], [2, 2]],
  [3, 8, 9, 8, 2, 3, 4, 'same', 0.7, [1, 1], [1, 2]],
  [3, 7, 9, 6, 1, 1, 5, 'same', 0.5, [2, 2], [1, 1]],
];

function run(b: number, h: number, w: number, c: number, kh: number, kw: number, f: number, padding: 'valid' | 'same', sparsity: number, activation: Activation, [strides, dilationRate]: Geometry = [[1, 1], [1, 1]]) {
  const seed = b * 1000 + h * 100 + c * 10 + kh + strides[1] * 7 + dilationRate[0] * 13;
  const fv = values(kh * kw * c * f, seed, sparsity);
  const x = tf.tensor4d(values(b * h * w * c, seed + 1, 0.1), [b, h, w, c]);
  const bias = tf.tensor1d(values(f, seed + 2, 0));
  const filter = tf.tensor4d(fv, [kh, kw, c, f]);
  const sw = new SparseWeights(packSparse(fv, kh * kw * c, f));
  const y = sparseConv2d(x, sw, { kernelSize: [kh, kw], padding, strides, dilationRate, bias, activation });
  const path = lastKernelPath();
  const dense = tf.fused.conv2d({ x, filter, strides, pad: padding, dilations: dilationRate, bias, activation });
  const out = { y: y.dataSync() as Float32Array, shape: y.shape, dense: dense.dataSync() as Float32Array, denseShape: dense.shape, path };
  tf.dispose([x, bias, filter, y, dense]);
  sw.dispose();
  return out;
}

describe.each(['simd', 'scalar', 'js'] as const)('sparseConv2d on wasm, %s build', (build) => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    await registerSparseKernels({ build });
  });

  it.each(CASES)('b=%i %ix%ix%i kernel %ix%i -> %i, %s, sparsity %f: equals fused conv2d bit for bit', (b, h, w, c, kh, kw, f, padding, sparsity) => {
    const before = tf.memory().numTensors;
    for (const activation of ['linear', 'relu', 'relu6'] as Activation[]) {
      const r = run(b, h, w, c, kh, kw, f, padding, sparsity, activation);
      expect(r.path).toBe('zero-copy');
      expect(r.shape).toEqual(r.denseShape);
      expect(bitDiffs(r.y, r.dense), activation).toEqual([]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each(STRIDED)('b=%i %ix%ix%i kernel %ix%i -> %i, %s, sparsity %f, strides %j, dilations %j: equals fused conv2d bit for bit', (b, h, w, c, kh, kw, f, padding, sparsity, strides, dilations) => {
    for (const activation of ['linear', 'relu6'] as Activation[]) {
      const r = run(b, h, w, c, kh, kw, f, padding, sparsity, activation, [strides, dilations]);
      expect(r.path).toBe('zero-copy');
      expect(r.shape).toEqual(r.denseShape);
      expect(bitDiffs(r.y, r.dense), activation).toEqual([]);
    }
  });
});

describe('sparseConv2d on cpu', () => {
  it.each(CASES)('b=%i %ix%ix%i kernel %ix%i -> %i, %s: equals the wasm result bit for bit', async (b, h, w, c, kh, kw, f, padding, sparsity) => {
    await registerSparseKernels({ build: 'simd' });
    await tf.setBackend('wasm');
    const onWasm = run(b, h, w, c, kh, kw, f, padding, sparsity, 'relu');
    await tf.setBackend('cpu');
    const onCpu = run(b, h, w, c, kh, kw, f, padding, sparsity, 'relu');
    expect(onCpu.path).toBe('arrays');
    expect(bitDiffs(onCpu.y, onWasm.y)).toEqual([]);
  });

  it.each(STRIDED)('b=%i %ix%ix%i kernel %ix%i -> %i, %s, sparsity %f, strides %j, dilations %j: equals the wasm result bit for bit, cpu dense within rounding', async (b, h, w, c, kh, kw, f, padding, sparsity, strides, dilations) => {
    await registerSparseKernels({ build: 'simd' });
    await tf.setBackend('wasm');
    const onWasm = run(b, h, w, c, kh, kw, f, padding, sparsity, 'relu', [strides, dilations]);
    await tf.setBackend('cpu');
    const onCpu = run(b, h, w, c, kh, kw, f, padding, sparsity, 'relu', [strides, dilations]);
    expect(onCpu.path).toBe('arrays');
    expect(onCpu.shape).toEqual(onCpu.denseShape);
    expect(bitDiffs(onCpu.y, onWasm.y)).toEqual([]);
    const terms = kh * kw * c + 1;
    const off = Array.from(onCpu.y).filter((v, i) => !(Math.abs(v - onCpu.dense[i]) <= 1e-5 * (1 + Math.abs(v)) * Math.sqrt(terms)));
    expect(off).toEqual([]);
  });
});

describe('sparseConv2d arguments', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    await registerSparseKernels();
  });

  it('names a patch size mismatch, a bad kernelSize, padding, an image smaller than the kernel', () => {
    const sw = new SparseWeights(packSparse(new Float32Array(9 * 2 * 3).fill(1), 18, 3));
    const x = tf.ones([1, 5, 5, 2]);
    expect(() => sparseConv2d(x, sw, { kernelSize: [3, 3] })).not.toThrow();
    expect(() => sparseConv2d(x, sw, { kernelSize: [2, 2] })).toThrow(ArgumentError);
    expect(() => sparseConv2d(x, sw, { kernelSize: [2, 2] })).toThrow(/has 8 patch inputs, the weights expect 18/);
    expect(() => sparseConv2d(x, sw, { kernelSize: [3] as unknown as [number, number] })).toThrow(/kernelSize must be/);
    expect(() => sparseConv2d(x, sw, { kernelSize: [3, 3], padding: 'full' as 'same' })).toThrow(/padding must be/);
    expect(() => sparseConv2d(tf.ones([1, 2, 2, 2]), sw, { kernelSize: [3, 3] })).toThrow(/smaller than the 3×3 kernel/);
    expect(() => sparseConv2d(tf.ones([5, 5, 2]), sw, { kernelSize: [3, 3] })).toThrow(/rank 4/);
    sw.dispose();
  });

  it('names a bad stride or dilation, and strides with dilations (tfjs refuses that pair too)', () => {
    const sw = new SparseWeights(packSparse(new Float32Array(9 * 2 * 3).fill(1), 18, 3));
    const x = tf.ones([1, 7, 7, 2]);
    expect(sparseConv2d(x, sw, { kernelSize: [3, 3], strides: 2 }).shape).toEqual([1, 3, 3, 3]);
    expect(sparseConv2d(x, sw, { kernelSize: [3, 3], strides: [2, 1], padding: 'same' }).shape).toEqual([1, 4, 7, 3]);
    expect(sparseConv2d(x, sw, { kernelSize: [3, 3], dilationRate: 3 }).shape).toEqual([1, 1, 1, 3]);
    expect(() => sparseConv2d(x, sw, { kernelSize: [3, 3], strides: 0 })).toThrow(ArgumentError);
    expect(() => sparseConv2d(x, sw, { kernelSize: [3, 3], strides: 0 })).toThrow(/sparseConv2d: strides must be a positive integer or \[h, w\].*got 0/);
    expect(() => sparseConv2d(x, sw, { kernelSize: [3, 3], strides: [2, 1.5] })).toThrow(/strides must be/);
    expect(() => sparseConv2d(x, sw, { kernelSize: [3, 3], strides: [2] as unknown as number })).toThrow(/strides must be/);
    expect(() => sparseConv2d(x, sw, { kernelSize: [3, 3], dilationRate: [1, -1] })).toThrow(/dilationRate must be/);
    expect(() => sparseConv2d(x, sw, { kernelSize: [3, 3], strides: [2, 1], dilationRate: [1, 2] })).toThrow(/strides \[2,1\] and dilationRate \[1,2\] are both above 1/);
    // tfjs refuses the same pair, so there is no dense result to match.
    expect(() => tf.conv2d(x as tf.Tensor4D, tf.ones([3, 3, 2, 3]), [2, 1], 'valid', 'NHWC', [1, 2])).toThrow(/Either strides or dilations must be 1/);
    expect(() => sparseConv2d(x, sw, { kernelSize: [3, 3], dilationRate: 4 })).toThrow(/smaller than the 3×3 kernel dilated by \[4,4\]/);
    sw.dispose();
  });
});
