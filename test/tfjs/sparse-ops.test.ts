// (Runs in Node and in headless Chromium: test/tfjs is in both vitest projects.)
// sparseMatMul against tfjs' own dense product on the same weights: bit for bit on the wasm
// backend (tf.fused.matMul runs XNNPACK's GEMM there, which sums in the same order), in all three
// builds; the cpu backend runs the same sums (pure JS) and must equal the wasm result bit for bit.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/errors.js';
import { lastKernelPath, packSparse, registerSparseKernels, sparseMatMul, SparseWeights, type Activation } from '../../src/sparse/index.js';
import { bitDiffs, rng } from './support.js';

/** A [k, n] weight with about `sparsity` of it zero, some units all zero, some inputs unused. */
function weights(k: number, n: number, sparsity: number, seed: number, emptyUnits = true): Float32Array {
  const r = rng(seed);
  const w = new Float32Array(k * n);
  for (let i = 0; i < w.length; i++) w[i] = r() < sparsity ? (r() < 0.5 ? 0 : -0) : (r() - 0.5) * 4;
  if (emptyUnits && n > 2) for (let i = 0; i < k; i++) w[i * n + 1] = 0; // unit 1: no weights
  if (k > 3) w.fill(0, 2 * n, 3 * n); // input 2: read by no unit
  return w;
}

function inputs(rows: number, k: number, seed: number): Float32Array {
  const r = rng(seed);
  const x = new Float32Array(rows * k);
  for (let i = 0; i < x.length; i++) x[i] = r() < 0.1 ? 0 : (r() - 0.5) * 8;
  return x;
}

// [k, n, rows, sparsity]: ragged shapes, batch 1 (row kernel), 2-3 (row kernel per row), 4 and
// more (panels of 32/16/8/4 lanes, padded), a fully pruned layer, u32 indices (k > 65536).
const CASES: [number, number, number, number][] = [
  [784, 300, 1, 0.9], [37, 13, 2, 0.5], [101, 9, 3, 0.8], [64, 33, 4, 0.9], [129, 7, 5, 0.95],
  [300, 100, 17, 0.92], [50, 31, 31, 0.7], [1000, 11, 64, 0.9], [23, 5, 67, 0.6], [40, 8, 6, 1],
  [70001, 3, 1, 0.999], [70001, 3, 9, 0.999], [70001, 3, 33, 0.999], [90, 20, 45, 0.8], [2100, 6, 40, 0.9],
];
const ACTS: Activation[] = ['linear', 'relu', 'relu6'];

describe.each(['simd', 'scalar', 'js'] as const)('sparseMatMul on wasm, %s build', (build) => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    await registerSparseKernels({ build });
  });

  it.each(CASES)('k=%i n=%i rows=%i sparsity=%f equals fused matMul bit for bit', (k, n, rows, sparsity) => {
    const before = tf.memory().numTensors;
    const wv = weights(k, n, sparsity, k * 31 + n);
    const sw = new SparseWeights(packSparse(wv, k, n));
    const w = tf.tensor2d(wv, [k, n]);
    const x = tf.tensor2d(inputs(rows, k, rows + k), [rows, k]);
    const b = tf.tensor1d(inputs(1, n, n));
    for (const activation of ACTS) {
      for (const bias of [b, null]) {
        const dense = tf.tidy(() => tf.fused.matMul({ a: x, b: w, bias: bias ?? undefined, activation }).dataSync() as Float32Array);
        const y = sparseMatMul(x, sw, { bias, activation });
        expect(y.shape).toEqual([rows, n]);
        expect(lastKernelPath()).toBe('zero-copy');
        expect(bitDiffs(y.dataSync() as Float32Array, dense), `${activation} bias=${bias !== null}`).toEqual([]);
        y.dispose();
      }
    }
    tf.dispose([w, x, b]);
    sw.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('differs from dense only where x is not finite at a pruned weight (documented)', () => {
    // Input 1 is read by no unit; x[1] = NaN makes every dense output NaN (0·NaN), no sparse one.
    const sw = new SparseWeights(packSparse(new Float32Array([1, 2, 0, 0, 3, 4]), 3, 2));
    const x = tf.tensor2d([[1, NaN, 1]]);
    const dense = tf.matMul(x, tf.tensor2d([[1, 2], [0, 0], [3, 4]]));
    expect(Array.from(dense.dataSync())).toEqual([NaN, NaN]);
    expect(Array.from(sparseMatMul(x, sw).dataSync())).toEqual([4, 6]);
    sw.dispose();
  });

  it('has no gradient (inference only)', () => {
    const sw = new SparseWeights(packSparse(new Float32Array([1, 0, 0, 2]), 2, 2));
    const x = tf.ones([1, 2]);
    expect(() => tf.grad((t: tf.Tensor) => sparseMatMul(t, sw).sum())(x)).toThrow(/gradient/i);
    tf.dispose([x]);
    sw.dispose();
  });
});

describe('sparseMatMul on cpu', () => {
  afterAll(() => tf.setBackend('cpu'));

  it.each(CASES.filter(([k]) => k < 5000))('k=%i n=%i rows=%i equals the wasm result bit for bit, and dense cpu within 1e-5 relative', async (k, n, rows, sparsity) => {
    const wv = weights(k, n, sparsity, k * 7 + n);
    const xv = inputs(rows, k, rows * 3 + k);
    const bv = inputs(1, n, n + 1);
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      const sw = new SparseWeights(packSparse(wv, k, n));
      const [x, b] = [tf.tensor2d(xv, [rows, k]), tf.tensor1d(bv)];
      const y = sparseMatMul(x, sw, { bias: b, activation: 'relu' });
      const path = lastKernelPath();
      const dense = tf.fused.matMul({ a: x, b: tf.tensor2d(wv, [k, n]), bias: b, activation: 'relu' });
      const out = { y: y.dataSync() as Float32Array, dense: dense.dataSync() as Float32Array, path };
      tf.dispose([x, b, y, dense]);
      sw.dispose();
      return out;
    };
    await registerSparseKernels({ build: 'simd' });
    const onWasm = await run('wasm');
    const onCpu = await run('cpu');
    expect(onCpu.path).toBe('arrays');
    expect(bitDiffs(onCpu.y, onWasm.y)).toEqual([]);
    // tfjs-backend-cpu adds the bias after the sum (we start from it): not the same roundings.
    for (let i = 0; i < onCpu.y.length; i++) {
      expect(Math.abs(onCpu.y[i] - onCpu.dense[i])).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(onCpu.dense[i])) * Math.sqrt(k));
    }
  });
});

describe('sparseMatMul arguments', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    await registerSparseKernels();
  });

  it('names a shape mismatch, a bad bias, a bad activation, disposed weights', () => {
    const sw = new SparseWeights(packSparse(new Float32Array(6).fill(1), 3, 2));
    const x = tf.ones([4, 2]);
    expect(() => sparseMatMul(x, sw)).toThrow(ArgumentError);
    expect(() => sparseMatMul(x, sw)).toThrow(/has 2 inputs, the weights expect 3/);
    const x3 = tf.ones([4, 3]);
    expect(() => sparseMatMul(x3, sw, { bias: tf.ones([3]) })).toThrow(/bias must be a float32 tensor of shape \[2\]/);
    expect(() => sparseMatMul(x3, sw, { activation: 'tanh' as Activation })).toThrow(/activation must be one of/);
    expect(() => sparseMatMul(tf.ones([3]), sw)).toThrow(/rank 2/);
    sw.dispose();
    expect(() => sparseMatMul(x3, sw)).toThrow(/disposed/);
  });
});
