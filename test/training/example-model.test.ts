// The bundled example model (examples/mnist-mlp): stock tfjs loads it, it is LeNet-300-100, and it
// classifies MNIST as examples/mnist-mlp/README.md says (98.37% on the whole test set).
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadArtifacts } from '../../src/node.js';
import { accuracy, mnist } from './support.js';

describe('examples/mnist-mlp', () => {
  let model: tf.LayersModel;
  beforeAll(async () => {
    await tf.setBackend('wasm');
    model = await tf.loadLayersModel(tf.io.fromMemory(await loadArtifacts(path.resolve('examples/mnist-mlp'))));
  });

  it('is LeNet-300-100', () => {
    expect(model.weights.map((w) => [w.originalName, w.shape])).toEqual([
      ['fc1/kernel', [784, 300]],
      ['fc1/bias', [300]],
      ['fc2/kernel', [300, 100]],
      ['fc2/bias', [100]],
      ['fc3/kernel', [100, 10]],
      ['fc3/bias', [10]],
    ]);
    expect(model.countParams()).toBe(266_610);
  });

  it('classifies the whole MNIST test set at 98.37%', async () => {
    const test = await mnist('test', 10_000);
    expect(accuracy(model, test)).toBeCloseTo(0.9837, 4);
    tf.dispose([test.x, test.y]);
  });
});
