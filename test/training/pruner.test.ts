// The Pruner (explicit steps, custom loop) and PruningCallback (model.fit) on small MNIST subsets:
// schedules followed exactly, masked weights exactly +0 after every optimizer update, layer and
// global scope, overrides, N:M, strip leaving a plain model, and prune-retrain.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init, roundHalfEven } from '../../src/index.js';
import {
  ArgumentError,
  constantSparsity,
  polynomialDecay,
  pruneRetrain,
  Pruner,
  PruningCallback,
  registerPruneKernels,
  type PruningSchedule,
} from '../../src/tfjs.js';
import { accuracy, maskViolations, mlp, mnist, valuesOf, zeros, type Data } from './support.js';

beforeAll(async () => {
  await init();
  await registerPruneKernels();
});

/** Records, after every batch, how many masked weights are not +0 (it runs after the pruner's callback). */
class ZeroChecker extends tf.Callback {
  readonly violations: number[] = [];
  constructor(private readonly pruning: PruningCallback) {
    super();
  }
  override async onBatchEnd(): Promise<void> {
    this.violations.push(maskViolations(this.model, (this.pruning.pruner as Pruner).masks()));
  }
}

const kernelNames = (model: tf.LayersModel) => model.weights.filter((w) => w.shape.length === 2).map((w) => w.originalName);

describe.each(['wasm', 'cpu'])('custom loop with explicit steps (%s backend)', (backend) => {
  let train: Data;
  beforeAll(async () => {
    await tf.setBackend(backend);
    train = await mnist('train', 800);
  });
  afterAll(() => tf.dispose([train.x, train.y]));

  it('follows the schedule exactly; after every apply() the masked weights are +0; pruned weights stay pruned', async () => {
    const model = mlp([32]);
    const schedule = polynomialDecay({ initialSparsity: 0.2, finalSparsity: 0.8, beginStep: 0, endStep: 12, frequency: 4 });
    const pruner = new Pruner(model, { schedule });
    const optimizer = tf.train.adam(0.01);
    const sizes = { 'fc1/kernel': 784 * 32, 'fc2/kernel': 32 * 10 };
    let previous = new Map<string, Uint8Array>();
    let tensorsAfterFirst = 0;
    let revived = 0;
    for (let step = 0; step < 16; step++) {
      const report = await pruner.step(step);
      const { shouldPrune, sparsity } = schedule.at(step);
      expect(report !== null).toBe(shouldPrune);
      if (report !== null) {
        expect(report.step).toBe(step);
        expect(report.target).toBe(sparsity);
        for (const [name, n] of Object.entries(sizes)) expect(zeros(valuesOf(model, name)), `${name} at step ${step}`).toBe(roundHalfEven(sparsity * n));
        expect(report.tensors.filter((t) => t.method !== null).map((t) => t.name)).toEqual(Object.keys(sizes));
      }
      const masks = pruner.masks();
      expect([...masks.keys()]).toEqual(Object.keys(sizes));
      for (const [name, mask] of previous) {
        const now = masks.get(name) as Uint8Array;
        for (let i = 0; i < mask.length; i++) if (mask[i] === 0) expect(now[i]).toBe(0);
      }
      previous = masks;
      const start = (step * 50) % 800;
      optimizer.minimize(() => {
        const xs = train.x.slice([start, 0], [50, 784]);
        const ys = train.y.slice([start, 0], [50, 10]);
        return tf.losses.softmaxCrossEntropy(ys, model.apply(xs) as tf.Tensor).asScalar();
      });
      revived += maskViolations(model, masks);
      pruner.apply();
      expect(maskViolations(model, masks)).toBe(0);
      if (step === 1) tensorsAfterFirst = tf.memory().numTensors;
    }
    // The optimizer moved pruned weights (so apply() is what keeps them at zero) ...
    expect(revived).toBeGreaterThan(0);
    // ... and nothing leaked across steps and mask updates.
    expect(tf.memory().numTensors).toBe(tensorsAfterFirst);
    expect(pruner.lastStep).toBe(15);
    pruner.strip();
    optimizer.dispose();
    model.dispose();
  });
});

describe('PruningCallback with model.fit (wasm backend)', () => {
  let train: Data;
  let test: Data;
  beforeAll(async () => {
    await tf.setBackend('wasm');
    train = await mnist('train', 2000);
    test = await mnist('test', 500);
  });
  afterAll(() => tf.dispose([train.x, train.y, test.x, test.y]));

  it('steps once per batch across fit calls; masks exact after every batch; updates on schedule', async () => {
    const model = mlp([32]);
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
    const schedule = polynomialDecay({ initialSparsity: 0.3, finalSparsity: 0.9, beginStep: 2, endStep: 20, frequency: 6 });
    const callback = new PruningCallback({ schedule });
    const checker = new ZeroChecker(callback);
    const x = train.x.slice([0, 0], [1000, 784]);
    const y = train.y.slice([0, 0], [1000, 10]);
    await model.fit(x, y, { epochs: 2, batchSize: 100, shuffle: false, verbose: 0, callbacks: [callback, checker] });
    expect(callback.updates.map((u) => u.step)).toEqual([2, 8, 14]);
    expect(callback.updates.map((u) => u.target)).toEqual([2, 8, 14].map((n) => schedule.at(n).sparsity));
    expect(callback.nextStep).toBe(20);
    // Before step 2 there is no mask; from then on every batch ends with the masked weights at +0.
    expect(checker.violations).toHaveLength(20);
    expect(checker.violations.every((v) => v === 0)).toBe(true);
    expect((callback.pruner as Pruner).masks().size).toBe(2);
    // A second fit continues the count: step 20 is the schedule's last update, to 0.9.
    await model.fit(x, y, { epochs: 1, batchSize: 100, shuffle: false, verbose: 0, callbacks: [callback, checker] });
    expect(callback.updates.map((u) => u.step)).toEqual([20]);
    expect(callback.updates[0].target).toBeCloseTo(0.9, 12);
    expect(zeros(valuesOf(model, 'fc1/kernel'))).toBe(roundHalfEven(0.9 * 784 * 32));
    expect(zeros(valuesOf(model, 'fc2/kernel'))).toBe(roundHalfEven(0.9 * 32 * 10));
    expect(checker.violations.every((v) => v === 0)).toBe(true);
    callback.strip();
    tf.dispose([x, y]);
    model.dispose();
  });

  it('a short fine-tune at 80% sparsity is far above chance', async () => {
    const model = mlp([64]);
    model.compile({ optimizer: tf.train.adam(0.005), loss: 'categoricalCrossentropy' });
    const callback = new PruningCallback({ schedule: polynomialDecay({ initialSparsity: 0.3, finalSparsity: 0.8, beginStep: 10, endStep: 40, frequency: 10 }) });
    await model.fit(train.x, train.y, { epochs: 3, batchSize: 100, shuffle: false, verbose: 0, callbacks: [callback] });
    callback.strip();
    expect(zeros(valuesOf(model, 'fc1/kernel'))).toBe(roundHalfEven(0.8 * 784 * 64));
    expect(accuracy(model, test)).toBeGreaterThan(0.75);
    model.dispose();
  });

  it("global scope: one threshold across layers, exact count", async () => {
    const model = mlp([64, 32]);
    const before = new Map(kernelNames(model).map((n) => [n, valuesOf(model, n).slice()]));
    const pruner = new Pruner(model, { scope: 'global', schedule: constantSparsity({ targetSparsity: 0.7, beginStep: 0, endStep: 0 }) });
    const report = await pruner.step(0);
    const total = [...before.values()].reduce((a, v) => a + v.length, 0);
    const masks = pruner.masks();
    let pruned = 0;
    let maxPruned = 0;
    let minKept = Infinity;
    for (const [name, w] of before) {
      const mask = masks.get(name) as Uint8Array;
      for (let i = 0; i < w.length; i++) {
        if (mask[i] === 0) {
          pruned++;
          maxPruned = Math.max(maxPruned, Math.abs(w[i]));
        } else minKept = Math.min(minKept, Math.abs(w[i]));
      }
    }
    expect(pruned).toBe(roundHalfEven(0.7 * total));
    expect(maxPruned).toBeLessThanOrEqual(minKept);
    // Not 0.7 in every layer: that would be layer scope.
    const perLayer = (report?.tensors ?? []).filter((t) => t.method !== null).map((t) => t.sparsity);
    expect(new Set(perLayer.map((s) => s.toFixed(3))).size).toBe(3);
    expect(report?.sparsity).toBeCloseTo(roundHalfEven(0.7 * total) / total, 12);
    pruner.strip();
    model.dispose();
  });

  it('N:M 2:4: at most 2 of every 4 input weights per unit, after every batch', async () => {
    const model = mlp([32]);
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
    const callback = new PruningCallback({ method: '2:4', schedule: constantSparsity({ targetSparsity: 0.5, frequency: 5 }) });
    const checker = new ZeroChecker(callback);
    const x = train.x.slice([0, 0], [1000, 784]);
    const y = train.y.slice([0, 0], [1000, 10]);
    await model.fit(x, y, { epochs: 1, batchSize: 100, shuffle: false, verbose: 0, callbacks: [callback, checker] });
    expect(callback.updates.map((u) => u.step)).toEqual([0, 5]);
    expect(checker.violations.every((v) => v === 0)).toBe(true);
    for (const name of kernelNames(model)) {
      const w = valuesOf(model, name);
      const [inputs, units] = model.weights.find((v) => v.originalName === name)!.shape;
      for (let u = 0; u < units; u++) {
        for (let g = 0; g < inputs; g += 4) {
          let nz = 0;
          for (let i = g; i < g + 4; i++) if (w[i * units + u] !== 0) nz++;
          expect(nz).toBeLessThanOrEqual(2);
        }
      }
    }
    callback.strip();
    tf.dispose([x, y]);
    model.dispose();
  });

  it('overrides keep their own sparsity at every update; excluded and non-kernel tensors are never masked', async () => {
    const model = mlp([32, 16]);
    const schedule = polynomialDecay({ initialSparsity: 0.5, finalSparsity: 0.9, beginStep: 0, endStep: 2, frequency: 1, power: 1 });
    const pruner = new Pruner(model, { schedule, overrides: [{ match: 'fc2/*', sparsity: 0.25 }], exclude: ['fc3/*'] });
    const fc3 = valuesOf(model, 'fc3/kernel').slice();
    for (let step = 0; step <= 2; step++) {
      await pruner.step(step);
      expect(zeros(valuesOf(model, 'fc1/kernel'))).toBe(roundHalfEven(schedule.at(step).sparsity * 784 * 32));
      expect(zeros(valuesOf(model, 'fc2/kernel'))).toBe(roundHalfEven(0.25 * 32 * 16));
    }
    expect([...pruner.masks().keys()]).toEqual(['fc1/kernel', 'fc2/kernel']);
    expect(valuesOf(model, 'fc3/kernel')).toEqual(fc3);
    pruner.strip();
    model.dispose();
  });

  it('strip leaves a plain model: no pruner tensors, the same topology, loadable by stock tfjs', async () => {
    const model = mlp([32]);
    const topology = JSON.stringify(model.toJSON(null, false));
    model.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' });
    const tensorsBefore = tf.memory().numTensors;
    const callback = new PruningCallback({ schedule: constantSparsity({ targetSparsity: 0.6, frequency: 3 }) });
    const x = train.x.slice([0, 0], [500, 784]);
    const y = train.y.slice([0, 0], [500, 10]);
    await model.fit(x, y, { epochs: 1, batchSize: 100, shuffle: false, verbose: 0, callbacks: [callback] });
    tf.dispose([x, y]);
    expect(tf.memory().numTensors).toBe(tensorsBefore + 2); // the two masks (SGD keeps no slots)
    callback.strip();
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(JSON.stringify(model.toJSON(null, false))).toBe(topology);
    let saved: tf.io.ModelArtifacts | null = null;
    await model.save(tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    expect(loaded.layers.map((l) => l.getClassName())).toEqual(['Dense', 'Dense']);
    expect(valuesOf(loaded, 'fc1/kernel')).toEqual(valuesOf(model, 'fc1/kernel'));
    expect(zeros(valuesOf(loaded, 'fc1/kernel'))).toBe(roundHalfEven(0.6 * 784 * 32));
    const p = (m: tf.LayersModel) => tf.tidy(() => (m.predict(test.x) as tf.Tensor).dataSync());
    expect(p(loaded)).toEqual(p(model));
    // The pruner is spent.
    const pruner = callback.pruner as Pruner;
    await expect(pruner.step(100)).rejects.toThrow(/Pruner.step: this pruner was stripped/);
    expect(() => pruner.apply()).toThrow(/stripped/);
    loaded.dispose();
    model.dispose();
  });

  it('pruneRetrain: rounds of prune then retrain; earlier pruned weights stay pruned', async () => {
    const model = mlp([64]);
    model.compile({ optimizer: tf.train.adam(0.005), loss: 'categoricalCrossentropy' });
    await model.fit(train.x, train.y, { epochs: 2, batchSize: 100, shuffle: false, verbose: 0 });
    const dense = accuracy(model, test);
    const tensorsBefore = tf.memory().numTensors;
    const masks: Map<string, Uint8Array>[] = [];
    const report = await pruneRetrain(model, {
      sparsities: [0.5, 0.8],
      scope: 'global',
      async retrain({ model: m, callback, pruner, sparsity, round }) {
        expect(sparsity).toBe([0.5, 0.8][round]);
        masks.push(pruner.masks());
        await m.fit(train.x, train.y, { epochs: 1, batchSize: 100, shuffle: false, verbose: 0, callbacks: [callback] });
        return accuracy(m, test);
      },
    });
    expect(report.rounds.map((r) => [r.round, r.sparsity])).toEqual([[0, 0.5], [1, 0.8]]);
    const total = 784 * 64 + 64 * 10;
    expect(report.rounds[1].pruned.sparsity).toBe(roundHalfEven(0.8 * total) / total);
    expect(zeros(valuesOf(model, 'fc1/kernel')) + zeros(valuesOf(model, 'fc2/kernel'))).toBe(roundHalfEven(0.8 * total));
    for (const [name, m0] of masks[0]) {
      const m1 = masks[1].get(name) as Uint8Array;
      for (let i = 0; i < m0.length; i++) if (m0[i] === 0) expect(m1[i]).toBe(0);
    }
    for (const r of report.rounds) expect(r.metric).toBeGreaterThan(dense - 0.1);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    model.dispose();
  });
});

describe('errors', () => {
  const schedule = constantSparsity({ targetSparsity: 0.5 });
  let model: tf.Sequential;
  beforeAll(async () => {
    await tf.setBackend('wasm');
    model = mlp([8]);
  });
  afterAll(() => model.dispose());

  const bad: [string, () => unknown, RegExp][] = [
    ['sparsity instead of a schedule', () => new Pruner(model, { schedule, sparsity: 0.5 } as never), /Pruner: sparsity comes from the schedule while training/],
    ['quantize', () => new Pruner(model, { schedule, quantize: 'uint8' } as never), /quantize applies to saved artifacts/],
    ['unknown option', () => new Pruner(model, { schedule, sparsty: 0.5 } as never), /Pruner: unknown option 'sparsty'/],
    ['no schedule', () => new Pruner(model, {} as never), /schedule is required/],
    ['not a schedule', () => new Pruner(model, { schedule: 0.5 } as never), /schedule must be a pruning schedule/],
    ['bad scope', () => new Pruner(model, { schedule, scope: 'model' } as never), /scope must be 'layer' or 'global'/],
    ['global N:M', () => new Pruner(model, { schedule, scope: 'global', method: '2:4' }), /scope 'global' .* does not apply to method '2:4'/],
    ['include matching nothing', () => new Pruner(model, { schedule, include: ['conv*'] }), /include pattern 'conv\*' matches no tensor/],
    ['not a model', () => new Pruner({} as never, { schedule }), /Pruner: model must be a tf.LayersModel/],
    ['callback options checked at once', () => new PruningCallback({ schedule, sparsity: 0.3 } as never), /PruningCallback: sparsity comes from the schedule/],
  ];
  it.each(bad)('%s', (_, f, message) => {
    expect(f).toThrow(ArgumentError);
    expect(f).toThrow(message);
  });

  it('steps must be integers; a custom schedule must answer { shouldPrune, sparsity }', async () => {
    const pruner = new Pruner(model, { schedule });
    await expect(pruner.step(0.5)).rejects.toThrow(/Pruner.step: the step must be an integer, got 0.5/);
    const junk: PruningSchedule = { at: () => ({ shouldPrune: true, sparsity: 2 }) };
    await expect(new Pruner(model, { schedule: junk }).step(0)).rejects.toThrow(/schedule.at\(0\) must return \{ shouldPrune: boolean, sparsity in \[0, 1\] \}/);
    // A custom schedule that is well behaved works.
    const custom = new Pruner(model, { schedule: { at: (n) => ({ shouldPrune: n === 3, sparsity: 0.25 }) } });
    expect(await custom.step(2)).toBeNull();
    expect((await custom.step(3))?.target).toBe(0.25);
    custom.strip();
  });

  it('a callback prunes one model; strip needs a model', async () => {
    const cb = new PruningCallback({ schedule });
    expect(() => cb.strip()).toThrow(/no model yet/);
    cb.setModel(model);
    expect(() => cb.setModel(mlp([4]))).toThrow(/already prunes another model/);
  });

  it('NaN weights: the update fails naming the tensor, and the masks stay as they were', async () => {
    const m = mlp([8]);
    const pruner = new Pruner(m, { schedule: constantSparsity({ targetSparsity: 0.5, frequency: 1 }) });
    await pruner.step(0);
    const masks = pruner.masks();
    const k = m.weights[0];
    const v = k.read().dataSync().slice();
    v[5] = NaN;
    k.write(tf.tensor(v, k.shape));
    await expect(pruner.step(1)).rejects.toThrow(/tensor 'fc1\/kernel' .* holds 1 NaN value/);
    expect(pruner.masks()).toEqual(masks);
    pruner.strip();
    m.dispose();
  });
});
