// One-shot pruning's Wasm kernels (assembly/oneshot.ts through src/wasm/oneshot.ts) against the
// plain-JavaScript float64 path and against direct sums: the SIMD and scalar builds agree bit for
// bit (same summation order); the Wasm builds agree with JavaScript within the stated tolerance
// (float32 sums of 128 products added in float64: relative 1e-6 on the statistics, measured 8e-8;
// the solver's weights within 1e-5 relative where the masks agree, measured 1.6e-6, and the masks
// on ≥ 99% of the weights — a mask can flip where two saliencies tie to within rounding).
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { loadMnist } from '../../src/node.js';
import { loadOneShotKernels as loadFromEntry, pruneOneShot } from '../../src/tfjs.js';
import { loadOneShotKernels, oneShotKernels, type OneShotBuild } from '../../src/wasm/oneshot.js';
import { LayerStats, layerTargets } from '../../src/oneshot/stats.js';
import { nmPrunedCount, solveLayer, type SolveResult } from '../../src/oneshot/solver.js';
import { centredRng } from '../support/rng.js';

const rng = centredRng;

/** rows x inputs ReLU-like inputs (about half zero), inputs+1 x m weights (bias last), y = x·W + b. */
function problem(rows: number, inputs: number, m: number, seed: number) {
  const r = rng(seed);
  const x = new Float32Array(rows * inputs);
  for (let i = 0; i < x.length; i++) x[i] = Math.max(0, r() * 2 + 0.1 * ((i % inputs) % 5));
  const w = new Float64Array((inputs + 1) * m);
  for (let i = 0; i < w.length; i++) w[i] = r();
  const w32 = Float32Array.from(w.subarray(0, inputs * m));
  const y = layerTargetsJs(x, rows, inputs, w32, Float32Array.from(w.subarray(inputs * m)), m);
  return { x, w, w32, y, rows, inputs, m };
}

function layerTargetsJs(x: Float32Array, rows: number, d: number, w: Float32Array, b: Float32Array, m: number): Float32Array {
  const y = new Float32Array(rows * m);
  for (let s = 0; s < rows; s++) {
    for (let j = 0; j < m; j++) {
      let v = b[j];
      for (let i = 0; i < d; i++) v += x[s * d + i] * w[i * m + j];
      y[s * m + j] = v;
    }
  }
  return y;
}

/** Statistics of p's rows, fed in the given batch sizes (cycled). */
function statsOf(p: ReturnType<typeof problem>, batches: number[] = [p.rows]): LayerStats {
  const st = new LayerStats(p.inputs, p.m, true);
  for (let s = 0, b = 0; s < p.rows; b++) {
    const n = Math.min(batches[b % batches.length], p.rows - s);
    st.add(p.x.subarray(s * p.inputs, (s + n) * p.inputs), p.y.subarray(s * p.m, (s + n) * p.m), n);
    s += n;
  }
  return st.finish();
}

function maxRel(a: Float64Array, b: Float64Array): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
  }
  return diff / scale;
}

function same(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

const BUILDS: OneShotBuild[] = ['js', 'simd', 'scalar'];

async function perBuild<T>(fn: () => T): Promise<Record<OneShotBuild, T>> {
  const out = {} as Record<OneShotBuild, T>;
  for (const b of BUILDS) {
    expect(await loadOneShotKernels(b)).toBe(b);
    out[b] = fn();
  }
  return out;
}

afterAll(async () => {
  await loadOneShotKernels('js');
});

describe('one-shot kernels: SIMD, scalar and JavaScript', () => {
  // 70 inputs (not a multiple of 4 or 8), 13 outputs, 300 rows (not a multiple of 128).
  const p = problem(300, 70, 13, 1);

  it('loads each build, and runs plain JavaScript for "js"', async () => {
    expect(await loadOneShotKernels('js')).toBe('js');
    expect(oneShotKernels()).toBeNull();
    expect(await loadOneShotKernels('simd')).toBe('simd');
    expect(oneShotKernels()).not.toBeNull();
    expect(oneShotKernels(4096, 4096)).not.toBeNull();
    // One call's copies would exceed a 4 GiB Wasm memory: that layer runs in JavaScript.
    expect(oneShotKernels(8192, 32768)).toBeNull();
    await expect(loadOneShotKernels('fast' as OneShotBuild)).rejects.toThrow(/loadOneShotKernels: build must be/);
    // A precompiled module (what workerd hands over for an imported .wasm): its build is recognized.
    const bytes = (f: string) => readFileSync(new URL(`../../build/${f}`, import.meta.url));
    expect(await loadOneShotKernels(new WebAssembly.Module(bytes('oneshot-scalar.wasm')))).toBe('scalar');
    expect(await loadOneShotKernels(new WebAssembly.Module(bytes('oneshot-simd.wasm')))).toBe('simd');
    expect(oneShotKernels()).not.toBeNull();
    await expect(loadOneShotKernels(new WebAssembly.Module(bytes('sparse-simd.wasm')))).rejects.toThrow(/not a one-shot kernel build/);
  });

  it('accumulates the same H, R and tt; the Wasm builds bit for bit, whatever the batches', async () => {
    const st = await perBuild(() => statsOf(p, [37, 200, 5]));
    expect(same(st.simd.h, st.scalar.h)).toBe(true);
    expect(same(st.simd.r, st.scalar.r)).toBe(true);
    expect(same(st.simd.tt, st.js.tt)).toBe(true);
    expect(maxRel(st.simd.h, st.js.h)).toBeLessThan(1e-6);
    expect(maxRel(st.simd.r, st.js.r)).toBeLessThan(1e-6);
    expect(maxRel(st.simd.h, st.js.h)).toBeGreaterThan(0); // float32 products: not the JS sums
    await loadOneShotKernels('simd');
    const whole = statsOf(p);
    expect(same(whole.h, st.simd.h)).toBe(true);
    expect(same(whole.r, st.simd.r)).toBe(true);
    // Against direct float64 sums from the rows (not the code under test).
    const d = p.inputs + 1;
    const xt = (s: number, i: number) => (i === p.inputs ? 1 : p.x[s * p.inputs + i]);
    for (const [i, j] of [[0, 0], [69, 3], [70, 12], [33, 70], [5, 64]]) {
      let h = 0;
      for (let s = 0; s < p.rows; s++) h += xt(s, i) * xt(s, j);
      expect(Math.abs(whole.h[i * d + j] - h)).toBeLessThan(1e-6 * Math.abs(h) + 1e-9);
      expect(whole.h[j * d + i]).toBe(whole.h[i * d + j]);
    }
  });

  it('computes the layer targets x·W + b alike', async () => {
    const b = Float32Array.from(p.w.subarray(p.inputs * p.m));
    const y = await perBuild(() => layerTargets(p.x, p.rows, p.inputs, p.w32, b, p.m));
    expect(same(y.simd, y.scalar)).toBe(true);
    let worst = 0;
    for (let q = 0; q < y.js.length; q++) worst = Math.max(worst, Math.abs(y.simd[q] - p.y[q]) / (1 + Math.abs(p.y[q])));
    expect(worst).toBeLessThan(1e-5);
  });

  for (const [what, options] of [
    ['exact refits', { method: 'reconstruct' as const, prune: 600 }],
    ['SparseGPT blocked path', { method: 'reconstruct' as const, prune: 600, exactBudget: 0, blockSize: 16 }],
    ['2:4 blocked path', { method: 'reconstruct' as const, prune: nmPrunedCount(70, 13, { n: 2, m: 4, axis: 70 }), exactBudget: 0, nm: { n: 2, m: 4, axis: 70 } }],
  ] as const) {
    it(`solves a layer alike: ${what}`, async () => {
      const st = await perBuild(() => statsOf(p));
      const res: Record<OneShotBuild, SolveResult> = {} as never;
      for (const b of BUILDS) {
        await loadOneShotKernels(b);
        res[b] = solveLayer(st[b], p.w, options);
      }
      expect(res.simd.solver).toBe(options.exactBudget === 0 ? 'blocked' : 'exact');
      expect(same(res.simd.w, res.scalar.w)).toBe(true);
      expect(same(res.simd.keep, res.scalar.keep)).toBe(true);
      expect(res.simd.error).toBe(res.scalar.error);
      let agree = 0;
      for (let q = 0; q < res.js.keep.length; q++) if (res.js.keep[q] === res.simd.keep[q]) agree++;
      expect(agree / res.js.keep.length).toBeGreaterThanOrEqual(0.99);
      expect(Math.abs(res.simd.error - res.js.error)).toBeLessThan(1e-3 * res.js.error);
      if (agree === res.js.keep.length) expect(maxRel(res.simd.w, res.js.w)).toBeLessThan(1e-5);
      // The error the kernels report is the error of the weights they return (JS's formula).
      await loadOneShotKernels('js');
      const { relativeError } = await import('../../src/oneshot/solver.js');
      expect(Math.abs(relativeError(st.js, res.simd.w) - res.simd.error)).toBeLessThan(1e-5 * res.simd.error);
    });
  }
});

describe('one-shot kernels on LeNet-300-100 fc1 (784 -> 300) and 256 MNIST images', () => {
  it('gives the three builds the same masks (≥ 99.9%), weights and error at 91.6% sparsity', async () => {
    // The bundled model's fc1 weights (the first tensors of its one shard: kernel 784x300, bias 300).
    const bin = readFileSync('examples/mnist-mlp/group1-shard1of1.bin');
    const f32 = new Float32Array(bin.buffer, bin.byteOffset, (784 * 300 + 300));
    const kernel = f32.slice(0, 784 * 300);
    const bias = f32.slice(784 * 300, 784 * 300 + 300);
    const w = new Float64Array(785 * 300);
    w.set(kernel);
    w.set(bias, 784 * 300);
    const { images, count } = await loadMnist({ split: 'train', limit: 256 });
    const x = Float32Array.from(images);
    const prune = Math.round(0.916 * 784 * 300);
    const res = {} as Record<OneShotBuild, SolveResult>;
    for (const b of BUILDS) {
      await loadOneShotKernels(b);
      const st = new LayerStats(784, 300, true);
      st.add(x, layerTargets(x, count, 784, kernel, bias, 300), count);
      res[b] = solveLayer(st.finish(), w, { method: 'reconstruct', prune });
    }
    expect(res.simd.solver).toBe('exact');
    expect(same(res.simd.w, res.scalar.w)).toBe(true);
    expect(res.simd.error).toBe(res.scalar.error);
    let agree = 0;
    for (let q = 0; q < res.js.keep.length; q++) if (res.js.keep[q] === res.simd.keep[q]) agree++;
    expect(agree / res.js.keep.length).toBeGreaterThanOrEqual(0.999); // measured 99.98%
    expect(Math.abs(res.simd.error - res.js.error)).toBeLessThan(2e-3 * res.js.error); // measured 8e-4
    expect(res.js.error).toBeLessThan(0.2);
  });
});

describe('pruneOneShot through the kernels (tfjs-prune/tfjs loadOneShotKernels)', () => {
  it('prunes a 784-48-10 MLP alike in the three builds, and keeps the pinned build across calls', async () => {
    await tf.setBackend('cpu');
    const { images, count } = await loadMnist({ split: 'train', limit: 128 });
    const x = tf.tensor2d(images, [count, 784]);
    const kernels = {} as Record<OneShotBuild, Float32Array[]>;
    const errors = {} as Record<OneShotBuild, number[]>;
    for (const b of BUILDS) {
      expect(await loadFromEntry(b)).toBe(b);
      const model = tf.sequential({
        layers: [
          tf.layers.dense({ units: 48, inputShape: [784], activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
          tf.layers.dense({ units: 10, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
        ],
      });
      const report = await pruneOneShot(model, x, { sparsity: 0.8, scope: 'global' });
      expect(await loadFromEntry()).toBe(b); // pruneOneShot's own load kept the pinned build
      kernels[b] = model.layers.map((l) => l.getWeights()[0].dataSync() as Float32Array);
      errors[b] = report.layers.map((l) => l.error as number);
      model.dispose();
    }
    x.dispose();
    for (let i = 0; i < 2; i++) {
      expect(same(kernels.simd[i], kernels.scalar[i])).toBe(true);
      let agree = 0;
      for (let q = 0; q < kernels.js[i].length; q++) if ((kernels.js[i][q] === 0) === (kernels.simd[i][q] === 0)) agree++;
      expect(agree / kernels.js[i].length).toBeGreaterThanOrEqual(0.99);
      // Absolute: a small error is the square root of a difference of large sums (tt − 2ŵᵀR +
      // ŵᵀHŵ), where the float32 statistics' rounding shows (measured 1.1e-4 at an error of 0.015).
      expect(Math.abs(errors.simd[i] - errors.js[i])).toBeLessThan(5e-4);
    }
  });
});
