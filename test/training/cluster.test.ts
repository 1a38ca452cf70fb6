// Weight sharing while training (Clusterer, ClusteringCallback, pruneRetrain's cluster phase) on
// small MNIST subsets: at most 2^bits distinct nonzero values per clustered kernel after every
// batch, the pruning mask kept exactly, biases left float, the centroid update (members' mean after
// the optimizer's step), loss falling during the phase, and named errors for bad options.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/index.js';
import { ArgumentError, Clusterer, ClusteringCallback, NaNWeightsError, pruneModel, pruneRetrain, registerPruneKernels } from '../../src/tfjs.js';
import { mlp, mnist, valuesOf, type Data } from './support.js';

beforeAll(async () => {
  await init();
  await registerPruneKernels();
});

const distinctNonzeros = (v: Float32Array) => new Set(Array.from(v).filter((x) => x !== 0)).size;
const nonzeroMask = (v: Float32Array) => Uint8Array.from(v, (x) => (x !== 0 ? 1 : 0));
/** Positions where the mask says pruned but the weight is not +0, or kept but the weight is 0. */
function maskBreaks(v: Float32Array, mask: Uint8Array): number {
  let bad = 0;
  for (let i = 0; i < v.length; i++) if (mask[i] === 0 ? !Object.is(v[i], 0) : v[i] === 0) bad++;
  return bad;
}

/** A small model trained a little, then pruned to `sparsity` (global magnitude). */
async function prunedModel(train: Data, hidden: number[], sparsity: number): Promise<tf.Sequential> {
  const model = mlp(hidden, 3);
  model.compile({ optimizer: tf.train.adam(0.005), loss: 'categoricalCrossentropy' });
  await model.fit(train.x, train.y, { epochs: 2, batchSize: 100, shuffle: false, verbose: 0 });
  await pruneModel(model, { sparsity, scope: 'global' }, { gzip: false });
  return model;
}

/** Records after every batch (it runs after the clustering callback) the sharing and the masks. */
class Checker extends tf.Callback {
  readonly distinct: number[][] = [];
  readonly breaks: number[] = [];
  constructor(private readonly masks: Map<string, Uint8Array>) {
    super();
  }
  override async onBatchEnd(): Promise<void> {
    const names = [...this.masks.keys()];
    this.distinct.push(names.map((n) => distinctNonzeros(valuesOf(this.model, n))));
    this.breaks.push(names.reduce((s, n) => s + maskBreaks(valuesOf(this.model, n), this.masks.get(n) as Uint8Array), 0));
  }
}

describe.each(['wasm', 'cpu'])('Clusterer and ClusteringCallback (%s backend)', (backend) => {
  let train: Data;
  beforeAll(async () => {
    await tf.setBackend(backend);
    train = await mnist('train', 600);
  });
  afterAll(() => tf.dispose([train.x, train.y]));

  it('after start and after every batch: <= 2^bits distinct nonzeros per kernel, masks exact, biases float', async () => {
    const model = await prunedModel(train, [32], 0.7);
    const names = ['fc1/kernel', 'fc2/kernel'];
    const masks = new Map(names.map((n) => [n, nonzeroMask(valuesOf(model, n))]));
    const biasBefore = valuesOf(model, 'fc1/bias').slice();
    model.compile({ optimizer: tf.train.adam(0.002), loss: 'categoricalCrossentropy' });
    const callback = new ClusteringCallback({ bits: 3 });
    const checker = new Checker(masks);
    await model.fit(train.x, train.y, { epochs: 1, batchSize: 100, shuffle: false, verbose: 0, callbacks: [callback, checker] });
    expect(callback.clusterer?.tensors).toEqual(names);
    const report = callback.report;
    expect(report?.bits).toBe(3);
    expect(report?.tensors.map((t) => [t.name, t.nonzeros])).toEqual(names.map((n) => [n, (masks.get(n) as Uint8Array).reduce((a, b) => a + b, 0)]));
    for (const t of report?.tensors ?? []) expect(t.centroids).toBeGreaterThan(1);
    expect(checker.breaks).toHaveLength(6);
    expect(checker.breaks.every((b) => b === 0)).toBe(true);
    for (const d of checker.distinct) for (const n of d) expect(n).toBeLessThanOrEqual(8);
    // The bias trained as usual: float values, not shared.
    const bias = valuesOf(model, 'fc1/bias');
    expect(distinctNonzeros(bias)).toBeGreaterThan(8);
    expect(bias).not.toEqual(biasBefore);
    // A second fit continues with the same clusters (no new k-means).
    const centroids = callback.clusterer?.centroids();
    await model.fit(train.x, train.y, { epochs: 1, batchSize: 300, shuffle: false, verbose: 0, callbacks: [callback, checker] });
    expect(callback.clusterer?.centroids().get('fc1/kernel')?.length).toBe(centroids?.get('fc1/kernel')?.length);
    expect(checker.breaks.every((b) => b === 0)).toBe(true);
    callback.strip();
    model.dispose();
  });

  it('each centroid becomes the mean of its members after the optimizer step (custom loop)', async () => {
    const model = await prunedModel(train, [16], 0.5);
    const clusterer = new Clusterer(model, { bits: 4, tensors: ['fc1/kernel'] });
    await clusterer.start();
    const snapped = valuesOf(model, 'fc1/kernel').slice();
    const optimizer = tf.train.sgd(0.5);
    optimizer.minimize(() => tf.mean(tf.metrics.categoricalCrossentropy(train.y, model.apply(train.x) as tf.Tensor)) as tf.Scalar);
    const stepped = valuesOf(model, 'fc1/kernel').slice();
    clusterer.apply();
    const after = valuesOf(model, 'fc1/kernel');
    // Members of a cluster are the weights that shared a value after snapping.
    const groups = new Map<number, number[]>();
    snapped.forEach((v, i) => v !== 0 && groups.set(v, [...(groups.get(v) ?? []), i]));
    expect(groups.size).toBeLessThanOrEqual(16);
    let moved = 0;
    for (const [c, members] of groups) {
      const mean = Math.fround(members.reduce((s, i) => s + stepped[i], 0) / members.length);
      for (const i of members) expect(after[i]).toBe(mean);
      if (mean !== c) moved++;
    }
    expect(moved).toBeGreaterThan(0);
    expect(maskBreaks(after, nonzeroMask(snapped))).toBe(0);
    // fc2 was not named: it trained freely.
    expect(distinctNonzeros(valuesOf(model, 'fc2/kernel'))).toBeGreaterThan(16);
    clusterer.strip();
    model.dispose();
  });
});

describe('clustering phase of pruneRetrain (wasm backend)', () => {
  let train: Data;
  beforeAll(async () => {
    await tf.setBackend('wasm');
    train = await mnist('train', 1000);
  });
  afterAll(() => tf.dispose([train.x, train.y]));

  it('clusters the pruned tensors after the last round; the loss falls while the centroids fine-tune', async () => {
    const model = mlp([48], 5);
    model.compile({ optimizer: tf.train.adam(0.005), loss: 'categoricalCrossentropy' });
    await model.fit(train.x, train.y, { epochs: 3, batchSize: 100, shuffle: false, verbose: 0 });
    const loss = () => tf.tidy(() => (model.evaluate(train.x, train.y) as tf.Scalar).dataSync()[0]);
    let masks = new Map<string, Uint8Array>();
    let snapLoss = NaN;
    const losses: number[] = [];
    const tensorsBefore = tf.memory().numTensors;
    const fineTune = tf.train.adam(0.001);
    const report = await pruneRetrain(model, {
      sparsities: [0.8],
      scope: 'global',
      async retrain({ callback, pruner }) {
        await model.fit(train.x, train.y, { epochs: 1, batchSize: 100, shuffle: false, verbose: 0, callbacks: [callback] });
        masks = pruner.masks();
      },
      cluster: {
        bits: 2,
        async retrain({ model: m, callback, clusterer, bits, sparsity }) {
          expect([bits, sparsity]).toEqual([2, 0.8]);
          expect(clusterer.tensors).toEqual(['fc1/kernel', 'fc2/kernel']);
          snapLoss = loss();
          const before = clusterer.centroids();
          m.compile({ optimizer: fineTune, loss: 'categoricalCrossentropy' });
          for (let e = 0; e < 3; e++) {
            await m.fit(train.x, train.y, { epochs: 1, batchSize: 100, shuffle: false, verbose: 0, callbacks: [callback] });
            losses.push(loss());
          }
          // The shared values themselves moved (not only the biases).
          for (const [name, c] of clusterer.centroids()) expect(c, name).not.toEqual(before.get(name));
          return losses[losses.length - 1];
        },
      },
    });
    expect(report.rounds).toHaveLength(1);
    expect(report.cluster?.bits).toBe(2);
    expect(report.cluster?.metric).toBe(losses[2]);
    // Four shared values are coarse: snapping costs loss, fine-tuning the centroids wins it back.
    expect(losses[2]).toBeLessThan(snapLoss);
    expect(losses[0]).toBeLessThan(snapLoss);
    for (const [name, mask] of masks) {
      const v = valuesOf(model, name);
      expect(distinctNonzeros(v)).toBeLessThanOrEqual(4);
      expect(maskBreaks(v, mask)).toBe(0);
    }
    expect(distinctNonzeros(valuesOf(model, 'fc1/bias'))).toBeGreaterThan(4);
    fineTune.dispose(); // its moments are the only tensors the phase added
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    model.dispose();
  });

  it('a kernel already holding <= 2^bits values is left exactly as it was (lossless)', async () => {
    const model = mlp([8], 2);
    const k = model.weights[0];
    const v = Float32Array.from({ length: 784 * 8 }, (_, i) => [0, 0.25, -0.5, 0, 1.5][i % 5]);
    k.write(tf.tensor(v, k.shape));
    const clusterer = new Clusterer(model, { bits: 2 });
    const report = await clusterer.start();
    expect(report.tensors[0]).toMatchObject({ name: 'fc1/kernel', centroids: 3, rmsError: 0 });
    expect(valuesOf(model, 'fc1/kernel')).toEqual(v);
    clusterer.strip();
    model.dispose();
  });
});

describe('errors', () => {
  let model: tf.Sequential;
  beforeAll(async () => {
    await tf.setBackend('wasm');
    model = mlp([8]);
  });
  afterAll(() => model.dispose());

  const retrain = () => undefined;
  const bad: [string, () => unknown, RegExp][] = [
    ['bits 0', () => new Clusterer(model, { bits: 0 }), /Clusterer: bits must be an integer in \[1, 16\].*got 0/],
    ['bits 17', () => new Clusterer(model, { bits: 17 }), /bits must be an integer in \[1, 16\].*got 17/],
    ['bits 2.5', () => new Clusterer(model, { bits: 2.5 }), /got 2.5/],
    ['no bits', () => new Clusterer(model, {} as never), /bits must be an integer/],
    ['unknown option', () => new Clusterer(model, { bits: 5, bit: 5 } as never), /Clusterer: unknown option 'bit'/],
    ['negative iterations', () => new Clusterer(model, { bits: 5, iterations: -1 }), /iterations must be an integer >= 0, got -1/],
    ['tensor not in the model', () => new Clusterer(model, { bits: 5, tensors: ['conv/kernel'] }), /tensors names 'conv\/kernel', which the model does not hold/],
    ['tensors with include', () => new Clusterer(model, { bits: 5, tensors: ['fc1/kernel'], include: ['fc1/bias'] }), /do not combine it with include/],
    ['include matching nothing', () => new Clusterer(model, { bits: 5, include: ['conv*'] }), /include pattern 'conv\*' matches no tensor/],
    ['not a model', () => new Clusterer({} as never, { bits: 5 }), /Clusterer: model must be a tf.LayersModel/],
    ['callback options checked at once', () => new ClusteringCallback({ bits: 40 }), /ClusteringCallback: bits must be an integer/],
    ['pruneRetrain: cluster without retrain', () => pruneRetrain(model, { sparsities: [0.5], retrain, cluster: { bits: 5 } as never }), /pruneRetrain: cluster.retrain must be a function/],
    ['pruneRetrain: bad cluster bits', () => pruneRetrain(model, { sparsities: [0.5], retrain, cluster: { bits: 0, retrain } }), /pruneRetrain: cluster: bits must be/],
    ['pruneRetrain: cluster.tensors', () => pruneRetrain(model, { sparsities: [0.5], retrain, cluster: { bits: 5, retrain, tensors: ['fc1/kernel'] } as never }), /cluster.tensors is not an option here/],
  ];
  it.each(bad)('%s', async (_, f, message) => {
    const run = async () => f();
    await expect(run()).rejects.toThrow(ArgumentError);
    await expect(run()).rejects.toThrow(message);
  });

  it('apply before start, start twice, use after strip; one callback per model', async () => {
    const clusterer = new Clusterer(model, { bits: 5 });
    expect(() => clusterer.apply()).toThrow(/Clusterer.apply: call start\(\) first/);
    await clusterer.start();
    await expect(clusterer.start()).rejects.toThrow(/already started/);
    clusterer.strip();
    expect(() => clusterer.apply()).toThrow(/Clusterer.apply: this clusterer was stripped/);
    const cb = new ClusteringCallback({ bits: 5 });
    expect(() => cb.strip()).toThrow(/ClusteringCallback.strip: no model yet/);
    cb.setModel(model);
    expect(() => cb.setModel(mlp([4]))).toThrow(/already clusters another model/);
  });

  it('NaN weights: start fails naming the tensor and writes nothing', async () => {
    const m = mlp([8]);
    const k = m.weights[0];
    const v = k.read().dataSync().slice();
    v[7] = NaN;
    k.write(tf.tensor(v, k.shape));
    const fc2 = valuesOf(m, 'fc2/kernel').slice();
    const clusterer = new Clusterer(m, { bits: 3 });
    await expect(clusterer.start()).rejects.toThrow(NaNWeightsError);
    await expect(clusterer.start()).rejects.toThrow(/fc1\/kernel holds a non-finite value \(NaN\) at index 7/);
    expect(valuesOf(m, 'fc2/kernel')).toEqual(fc2);
    expect(clusterer.isStarted).toBe(false);
    m.dispose();
  });
});
