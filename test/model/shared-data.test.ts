// pruneModel and the Pruner never write into the arrays tensor.data() hands out: on the cpu
// backend those are the backend's own storage, shared by every clone of a weight (and by the
// tensors model.getWeights() returned to setWeights), which would be pruned along.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/index.js';
import { constantSparsity, Pruner, pruneModel, registerPruneKernels } from '../../src/tfjs.js';

beforeAll(async () => {
  await init();
  await registerPruneKernels();
});

const zeros = (t: tf.Tensor) => Array.from(t.dataSync()).filter((x) => x === 0).length;
const model = () => tf.sequential({ layers: [tf.layers.dense({ units: 16, inputShape: [16], kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) })] });

describe.each(['cpu', 'wasm'])('%s backend', (backend) => {
  beforeAll(async () => {
    await tf.setBackend(backend);
  });

  it('pruneModel leaves clones of the weights, and models sharing them, as they were', async () => {
    const a = model();
    const b = model();
    b.setWeights(a.getWeights());
    const backup = a.getWeights().map((t) => t.clone());
    const before = backup[0].dataSync().slice();
    await pruneModel(a, { sparsity: 0.5 }, { gzip: false });
    expect(zeros(a.getWeights()[0])).toBe(128);
    expect(zeros(backup[0])).toBe(0);
    expect(zeros(b.getWeights()[0])).toBe(0);
    expect(backup[0].dataSync()).toEqual(before);
    tf.dispose(backup);
    a.dispose();
    b.dispose();
  });

  it('Pruner.step leaves clones of the weights as they were', async () => {
    const a = model();
    const backup = a.getWeights().map((t) => t.clone());
    const pruner = new Pruner(a, { schedule: constantSparsity({ targetSparsity: 0.5, beginStep: 0, frequency: 1 }) });
    await pruner.step(0);
    expect(zeros(a.getWeights()[0])).toBe(128);
    expect(zeros(backup[0])).toBe(0);
    pruner.strip();
    tf.dispose(backup);
    a.dispose();
  });
});
