// The tfjs ops, their gradients and pruneModel on the pure-JS kernel build (what engines without
// WebAssembly run), on the cpu backend (copying path) and the wasm backend (the JS kernels read
// tfjs-backend-wasm's memory in place), checked bit for bit against the sort-based reference.
// Runs in Node and in headless Chromium (the browser project).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { init, wasmInfo } from '../../src/index.js';
import { zeroCopyOn } from '../../src/tfjs/kernels/wasm.js';
import { applyMask, magnitudeMask, pruneMagnitude, pruneModel, registerPruneKernels } from '../../src/tfjs.js';
import { refApplyMask, refNM, refPruneByThreshold, refPruneToSparsity } from '../support/reference.js';
import { expectBits, weights } from './support.js';

beforeAll(async () => {
  await registerPruneKernels({ backend: 'js' });
  expect(wasmInfo()).toMatchObject({ backend: 'js', simd: false });
});

describe.each(['cpu', 'wasm'])('pure-JS kernels on the %s backend', (backendName) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backendName)).toBe(true);
    expect(tf.getBackend()).toBe(backendName);
  });

  it('pruneMagnitude and magnitudeMask by sparsity and threshold', () => {
    for (const [shape, seed] of [[[7], 1], [[64, 65], 2], [[3, 5, 11], 3]] as const) {
      const vals = weights(shape.reduce((a, b) => a * b, 1), seed);
      vals[3] = -vals[5]; // a tie
      const x = tf.tensor(vals, shape as unknown as number[]);
      for (const s of [0, 0.1, 0.5, 0.73, 1]) {
        const r = refPruneToSparsity(vals, s);
        expectBits(pruneMagnitude(x, { sparsity: s }).dataSync(), r.out);
        expectBits(magnitudeMask(x, { sparsity: s }).dataSync(), Float32Array.from(r.mask));
      }
      for (const t of [0, 0.05, 0.3]) {
        const r = refPruneByThreshold(vals, t);
        expectBits(pruneMagnitude(x, { threshold: t }).dataSync(), r.out);
        expectBits(magnitudeMask(x, { threshold: t }).dataSync(), Float32Array.from(r.mask));
      }
      x.dispose();
    }
  });

  it('applyMask with float32 and bool masks, and its gradient', () => {
    const vals = weights(120, 4);
    const m = refNM(vals, 2, 4);
    const x = tf.tensor(vals, [10, 12]);
    const expected = refApplyMask(vals, m);
    expectBits(applyMask(x, tf.tensor(Float32Array.from(m), [10, 12])).dataSync(), expected);
    expectBits(applyMask(x, tf.tensor(m, [10, 12], 'bool')).dataSync(), expected);
    const g = tf.grad((v: tf.Tensor) => applyMask(v, tf.tensor(m, [10, 12], 'bool')).sum())(x);
    expectBits(g.dataSync(), Float32Array.from(m));
    x.dispose();
  });

  it('pruneModel prunes a layers model exactly', async () => {
    const model = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [30], units: 20 }), tf.layers.dense({ units: 10 })],
    });
    const before = model.layers[0].getWeights()[0].dataSync().slice();
    const report = await pruneModel(model, { sparsity: 0.75 }, { gzip: false });
    const after = model.layers[0].getWeights()[0].dataSync();
    expectBits(after, refPruneToSparsity(before, 0.75).out);
    expect(report.tensors.map((t) => t.zerosAfter)).toEqual([450, 20, 150, 10]); // biases start at zero
    model.dispose();
  });
});

describe('pure-JS kernels on the wasm backend', () => {
  it('read its memory in place', async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
    expect(zeroCopyOn(tf.backend())?.k.build).toBe('js');
  });
});

describe('switching the core runtime after registration', () => {
  it('Wasm tensor kernels registered, then init({ backend: js }): the ops use the JS kernels on its memory', async () => {
    await registerPruneKernels({}); // the Wasm builds
    expect(wasmInfo().backend).toBe('wasm');
    await init({ backend: 'js' });
    expect(await tf.setBackend('cpu')).toBe(true);
    const vals = weights(300, 9);
    const x = tf.tensor(vals, [20, 15]);
    expectBits(pruneMagnitude(x, { sparsity: 0.6 }).dataSync(), refPruneToSparsity(vals, 0.6).out);
    x.dispose();
  });
});
