// pruneStructured on small real tfjs models: shapes and parameter counts, exact outputs when the
// removed units were dead, dependency handling (BatchNormalization, Flatten, DepthwiseConv2D, Add,
// Concatenate), save + load through stock tfjs, a training step, the report and the errors.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/index.js';
import { ArgumentError, formatStructuredReport, pruneStructured, type StructuredReport } from '../../src/tfjs.js';
import { randn } from './support.js';

beforeAll(async () => {
  await init();
  await tf.setBackend('cpu');
});

/** Overwrites a layer's weights with the given arrays (in layer.getWeights() order). */
function setWeights(layer: tf.layers.Layer, values: Float32Array[]) {
  const ws = layer.getWeights();
  layer.setWeights(ws.map((w, i) => tf.tensor(values[i], w.shape)));
}

function weightsOf(layer: tf.layers.Layer): Float32Array[] {
  return layer.getWeights().map((w) => w.dataSync() as Float32Array);
}

/** Zeroes the incoming weights (last kernel axis) and bias of `units` in a Dense/Conv layer. */
function killUnits(layer: tf.layers.Layer, units: number[], extra: (name: string, v: Float32Array, shape: number[]) => void = () => {}) {
  const ws = layer.getWeights();
  const out = ws.map((w, i) => {
    const v = (w.dataSync() as Float32Array).slice();
    const cols = w.shape[w.shape.length - 1];
    const name = layer.weights[i].originalName;
    if (/kernel$|bias$/.test(name) && !/depthwise/.test(name)) for (let j = 0; j < v.length; j++) if (units.includes(j % cols)) v[j] = 0;
    extra(name, v, w.shape);
    return v;
  });
  setWeights(layer, out);
}

function randomize(model: tf.LayersModel, seed = 1) {
  let s = seed;
  for (const l of model.layers) {
    const ws = l.getWeights();
    if (ws.length === 0) continue;
    l.setWeights(ws.map((w) => (w.shape.length === 1 && /variance/.test(l.weights[ws.indexOf(w)].originalName) ? tf.tensor(randn(w.size, s++, 0.2).map((x) => 1 + Math.abs(x)), w.shape) : tf.tensor(randn(w.size, s++, 0.3), w.shape))));
  }
}

function predict(model: tf.LayersModel, x: tf.Tensor | tf.Tensor[]): Float32Array {
  return tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync() as Float32Array);
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function roundTrip(model: tf.LayersModel): Promise<tf.LayersModel> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    saved = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return tf.loadLayersModel(tf.io.fromMemory(saved!));
}

const layer = (r: StructuredReport, name: string) => r.layers.find((l) => l.name === name)!;

function mlp(): tf.LayersModel {
  const m = tf.sequential({
    layers: [
      tf.layers.dense({ name: 'd1', units: 8, inputShape: [6], activation: 'relu' }),
      tf.layers.dropout({ name: 'drop', rate: 0.1 }),
      tf.layers.dense({ name: 'd2', units: 5, activation: 'relu' }),
      tf.layers.dense({ name: 'd3', units: 3, activation: 'softmax' }),
    ],
  });
  randomize(m, 11);
  return m;
}

describe('Sequential Dense MLP', () => {
  it('removes dead units with identical outputs, and does not touch the input model', async () => {
    const m = mlp();
    killUnits(m.getLayer('d1'), [1, 4]);
    const before = m.weights.map((w) => w.read().dataSync().slice());
    const x = tf.tensor(randn(4 * 6, 5, 1), [4, 6]);
    const { model: p, report } = await pruneStructured(m, { sparsity: 0.25, layers: ['d1'] });
    expect(p).not.toBe(m);
    expect(p.getLayer('d1').getWeights()[0].shape).toEqual([6, 6]);
    expect(p.getLayer('d2').getWeights()[0].shape).toEqual([6, 5]);
    expect(maxDiff(predict(p, x), predict(m, x))).toBe(0);
    m.weights.forEach((w, i) => expect(w.read().dataSync()).toEqual(before[i]));
    expect(m.getLayer('d1').getWeights()[0].shape).toEqual([6, 8]);
    expect(layer(report, 'd1')).toMatchObject({ unitsBefore: 8, unitsAfter: 6, paramsBefore: 56, paramsAfter: 42, flopsBefore: 48, flopsAfter: 36 });
    expect(layer(report, 'd2')).toMatchObject({ unitsBefore: 5, unitsAfter: 5, paramsBefore: 45, paramsAfter: 35, note: 'not in config.layers' });
    expect(layer(report, 'd3')).toMatchObject({ unitsBefore: 3, unitsAfter: 3, note: 'model output' });
    expect(report.totals).toMatchObject({ paramsBefore: 56 + 45 + 18, paramsAfter: 42 + 35 + 18, unitsBefore: 16, unitsAfter: 14 });
    expect(p.countParams()).toBe(report.totals.paramsAfter);
  });

  it('prunes every hidden layer by the sparsity, keeping the largest-norm units, never the output', async () => {
    const m = mlp();
    const { model: p, report } = await pruneStructured(m, { sparsity: 0.5 });
    expect(p.getLayer('d1').getWeights()[0].shape).toEqual([6, 4]);
    expect(p.getLayer('d2').getWeights()[0].shape).toEqual([4, 3]); // round-half-even(2.5) = 2 removed
    expect(p.getLayer('d3').getWeights()[0].shape).toEqual([3, 3]);
    // The kept columns of d1 are the 4 of largest L1 norm, in their original order.
    const k = weightsOf(m.getLayer('d1'))[0];
    const norms = Array.from({ length: 8 }, (_, c) => Array.from({ length: 6 }, (_, r) => Math.abs(k[r * 8 + c])).reduce((a, b) => a + b));
    const expected = [...norms.keys()].sort((a, b) => norms[b] - norms[a]).slice(0, 4).sort((a, b) => a - b);
    const kp = weightsOf(p.getLayer('d1'))[0];
    for (let r = 0; r < 6; r++) expect(Array.from(kp.slice(r * 4, r * 4 + 4))).toEqual(expected.map((c) => k[r * 8 + c]));
    expect(report.groups.map((g) => [g.layers.join('+'), g.unitsBefore, g.unitsAfter])).toEqual([
      ['d1', 8, 4],
      ['d2', 5, 3],
      ['d3', 3, 3],
    ]);
    const text = formatStructuredReport(report);
    expect(text).toMatch(/d1\s+Dense\s+8 -> 4/);
    expect(text).toMatch(/params:\s+119 -> /);
  });

  it('l2, roundTo, overrides, exclude and global scope', async () => {
    const m = mlp();
    let r = await pruneStructured(m, { sparsity: 0.5, importance: 'l2', roundTo: 4 });
    expect(layer(r.report, 'd1').unitsAfter).toBe(4);
    expect(layer(r.report, 'd2').unitsAfter).toBe(4); // keep 3 -> nearest multiple of 4
    r = await pruneStructured(m, { sparsity: 0.5, overrides: [{ match: 'd2', skip: true }, { match: 'd*', sparsity: 0.75 }] });
    expect(layer(r.report, 'd1').unitsAfter).toBe(2);
    expect(layer(r.report, 'd2').unitsAfter).toBe(5);
    r = await pruneStructured(m, { sparsity: 0.5, exclude: ['d1'] });
    expect(layer(r.report, 'd1')).toMatchObject({ unitsAfter: 8, note: "excluded ('d1')" });
    r = await pruneStructured(m, { sparsity: 1 });
    expect(layer(r.report, 'd1').unitsAfter).toBe(1);
    expect(layer(r.report, 'd2').unitsAfter).toBe(1);
    r = await pruneStructured(m, { sparsity: 0.5, scope: 'global' });
    expect(layer(r.report, 'd1').unitsAfter + layer(r.report, 'd2').unitsAfter).toBe(13 - 6); // round-half-even(6.5) = 6
  });

  it('activation importance removes the units that are dead on the calibration batch', async () => {
    const m = mlp();
    // Unit 2 and 6 of d1: negative bias, zero weights -> relu output 0 on every input.
    killUnits(m.getLayer('d1'), [2, 6], (name, v) => {
      if (name.endsWith('bias')) {
        v[2] = -1;
        v[6] = -1;
      }
    });
    const x = tf.tensor(randn(16 * 6, 3, 1), [16, 6]);
    const { model: p } = await pruneStructured(m, { sparsity: 0.25, importance: 'activation', calibration: x, layers: ['d1'] });
    expect(maxDiff(predict(p, x), predict(m, x))).toBe(0);
    expect(p.getLayer('d1').getWeights()[1].shape).toEqual([6]);
  });

  it('leaks no tensors: only the new model\'s weights remain', async () => {
    const m = mlp();
    const x = tf.tensor(randn(8 * 6, 3, 1), [8, 6]);
    for (const cfg of [{ sparsity: 0.5 }, { sparsity: 0.5, importance: 'activation' as const, calibration: x }]) {
      const before = tf.memory().numTensors;
      const { model: p } = await pruneStructured(m, cfg);
      expect(tf.memory().numTensors - before).toBe(p.weights.length);
      p.dispose();
    }
  });

  it('saves and loads with stock tfjs, and fine-tunes', async () => {
    const { model: p } = await pruneStructured(mlp(), { sparsity: 0.5 });
    const x = tf.tensor(randn(8 * 6, 9, 1), [8, 6]);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32'), 3);
    const loaded = await roundTrip(p);
    expect(maxDiff(predict(loaded, x), predict(p, x))).toBe(0);
    loaded.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' });
    const w0 = loaded.getLayer('d1').getWeights()[0].dataSync().slice();
    const h = await loaded.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
    expect(Number.isFinite(h.history.loss[0] as number)).toBe(true);
    expect(maxDiff(loaded.getLayer('d1').getWeights()[0].dataSync() as Float32Array, w0 as Float32Array)).toBeGreaterThan(0);
  });
});

describe('CNN: Conv2D + BatchNormalization + MaxPooling2D + Flatten + Dense', () => {
  function cnn(): tf.LayersModel {
    const m = tf.sequential({
      layers: [
        tf.layers.conv2d({ name: 'c1', inputShape: [8, 8, 2], filters: 6, kernelSize: 3, padding: 'same' }),
        tf.layers.batchNormalization({ name: 'bn1' }),
        tf.layers.reLU({ name: 'relu1' }),
        tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }),
        tf.layers.conv2d({ name: 'c2', filters: 4, kernelSize: 3, activation: 'relu' }),
        tf.layers.flatten({ name: 'flat' }),
        tf.layers.dense({ name: 'fc', units: 5, activation: 'relu' }),
        tf.layers.dense({ name: 'out', units: 3 }),
      ],
    });
    randomize(m, 21);
    return m;
  }

  it('dead filters (through BN) and dead flattened channels are removed with identical outputs', async () => {
    const m = cnn();
    // c1 filters 0 and 3: zero kernel and bias; BN gamma = beta = 0 there, so relu(bn) = 0.
    killUnits(m.getLayer('c1'), [0, 3]);
    const bn = weightsOf(m.getLayer('bn1')).map((v) => v.slice());
    for (const c of [0, 3]) bn[0][c] = bn[1][c] = 0; // gamma, beta
    setWeights(m.getLayer('bn1'), bn);
    // c2 filter 2: zero kernel and bias -> relu output 0 -> its flattened columns feed nothing.
    killUnits(m.getLayer('c2'), [2]);
    const x = tf.tensor(randn(3 * 8 * 8 * 2, 4, 1), [3, 8, 8, 2]);
    const { model: p, report } = await pruneStructured(m, { sparsity: 0.3, layers: ['c1', 'c2'] });
    // round-half-even(0.3 * 6) = 2 filters; 0.3 * 4 = 1.2 -> 1 filter.
    expect(p.getLayer('c1').getWeights()[0].shape).toEqual([3, 3, 2, 4]);
    expect(p.getLayer('bn1').getWeights().map((w) => w.shape)).toEqual([[4], [4], [4], [4]]);
    expect(p.getLayer('c2').getWeights()[0].shape).toEqual([3, 3, 4, 3]);
    expect(p.getLayer('fc').getWeights()[0].shape).toEqual([2 * 2 * 3, 5]);
    expect(maxDiff(predict(p, x), predict(m, x))).toBeLessThan(1e-5);
    expect(layer(report, 'c1')).toMatchObject({ unitsBefore: 6, unitsAfter: 4, flopsBefore: 64 * 9 * 2 * 6, flopsAfter: 64 * 9 * 2 * 4 });
    expect(layer(report, 'c2')).toMatchObject({ flopsBefore: 4 * 9 * 6 * 4, flopsAfter: 4 * 9 * 4 * 3 });
    expect(layer(report, 'fc')).toMatchObject({ paramsBefore: 16 * 5 + 5, paramsAfter: 12 * 5 + 5 });
    expect(layer(report, 'bn1')).toMatchObject({ paramsBefore: 24, paramsAfter: 16 });
    expect(p.countParams()).toBe(report.totals.paramsAfter);
    const loaded = await roundTrip(p);
    expect(maxDiff(predict(loaded, x), predict(p, x))).toBe(0);
    loaded.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    await loaded.fit(x, tf.zeros([3, 3]), { epochs: 1, verbose: 0 });
  });
});

describe('DepthwiseConv2D passes the pruning through', () => {
  it('removes the depthwise channels (with multiplier) of removed filters', async () => {
    const m = tf.sequential({
      layers: [
        tf.layers.conv2d({ name: 'c1', inputShape: [6, 6, 3], filters: 4, kernelSize: 1, activation: 'relu' }),
        tf.layers.depthwiseConv2d({ name: 'dw', kernelSize: 3, depthMultiplier: 2, activation: 'relu' }),
        tf.layers.globalAveragePooling2d({ name: 'gap' }),
        tf.layers.dense({ name: 'out', units: 2 }),
      ],
    });
    randomize(m, 31);
    // c1 filter 1 dead; depthwise bias of channels 2, 3 (from input 1) zero, so they output 0.
    killUnits(m.getLayer('c1'), [1]);
    const dw = weightsOf(m.getLayer('dw')).map((v) => v.slice());
    dw[1][2] = dw[1][3] = 0;
    setWeights(m.getLayer('dw'), dw);
    const x = tf.tensor(randn(2 * 36 * 3, 6, 1), [2, 6, 6, 3]);
    const { model: p, report } = await pruneStructured(m, { sparsity: 0.25 });
    expect(p.getLayer('dw').getWeights().map((w) => w.shape)).toEqual([[3, 3, 3, 2], [6]]);
    expect(p.getLayer('out').getWeights()[0].shape).toEqual([6, 2]);
    expect(maxDiff(predict(p, x), predict(m, x))).toBeLessThan(1e-5);
    expect(layer(report, 'dw')).toMatchObject({ unitsBefore: 8, unitsAfter: 6, flopsBefore: 16 * 9 * 4 * 2, flopsAfter: 16 * 9 * 3 * 2 });
  });
});

describe('Conv1D and SeparableConv2D', () => {
  it('Conv1D filters feed a Dense on sequences; dead filters go with identical outputs', async () => {
    const m = tf.sequential({
      layers: [
        tf.layers.conv1d({ name: 'c', inputShape: [7, 3], filters: 5, kernelSize: 2, activation: 'relu' }),
        tf.layers.dense({ name: 'd', units: 4, activation: 'relu' }), // applied per time step
        tf.layers.globalMaxPooling1d({ name: 'gmp' }),
        tf.layers.dense({ name: 'out', units: 2 }),
      ],
    });
    randomize(m, 51);
    killUnits(m.getLayer('c'), [0, 3]);
    killUnits(m.getLayer('d'), [1]);
    const x = tf.tensor(randn(2 * 21, 7, 1), [2, 7, 3]);
    const { model: p, report } = await pruneStructured(m, { sparsity: 0.3 }); // 5 -> 2 removed (1.5 -> 2), 4 -> 1 removed
    expect(p.getLayer('c').getWeights()[0].shape).toEqual([2, 3, 3]);
    expect(p.getLayer('d').getWeights()[0].shape).toEqual([3, 3]);
    expect(p.getLayer('out').getWeights()[0].shape).toEqual([3, 2]);
    expect(maxDiff(predict(p, x), predict(m, x))).toBeLessThan(1e-5);
    expect(layer(report, 'd')).toMatchObject({ flopsBefore: 6 * 5 * 4, flopsAfter: 6 * 3 * 3 });
  });

  it('SeparableConv2D: input channels through depthwise and pointwise kernels, its own filters', async () => {
    const m = tf.sequential({
      layers: [
        tf.layers.conv2d({ name: 'c', inputShape: [6, 6, 2], filters: 4, kernelSize: 1, activation: 'relu' }),
        tf.layers.separableConv2d({ name: 's', filters: 6, kernelSize: 3, depthMultiplier: 2, activation: 'relu' }),
        tf.layers.flatten({ name: 'flat' }),
        tf.layers.dense({ name: 'out', units: 2 }),
      ],
    });
    randomize(m, 61);
    killUnits(m.getLayer('c'), [2]);
    const sw = weightsOf(m.getLayer('s')).map((v) => v.slice()); // depthwise [3,3,4,2], pointwise [1,1,8,6], bias [6]
    for (let i = 0; i < 8; i++) sw[1][i * 6 + 5] = 0;
    sw[2][5] = 0;
    setWeights(m.getLayer('s'), sw);
    const x = tf.tensor(randn(2 * 72, 9, 1), [2, 6, 6, 2]);
    const { model: p } = await pruneStructured(m, { sparsity: 0.2 }); // 4 -> 1 removed (0.8), 6 -> 1 removed (1.2)
    expect(p.getLayer('s').getWeights().map((w) => w.shape)).toEqual([[3, 3, 3, 2], [1, 1, 6, 5], [5]]);
    expect(p.getLayer('out').getWeights()[0].shape).toEqual([16 * 5, 2]);
    expect(maxDiff(predict(p, x), predict(m, x))).toBeLessThan(1e-5);
  });
});

describe('functional model: residual Add and Concatenate', () => {
  function residual(): tf.LayersModel {
    const input = tf.input({ shape: [6, 6, 2], name: 'x' });
    const a = tf.layers.conv2d({ name: 'a', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(input) as tf.SymbolicTensor;
    const b = tf.layers.conv2d({ name: 'b', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(a) as tf.SymbolicTensor;
    const sum = tf.layers.add({ name: 'add' }).apply([a, b]) as tf.SymbolicTensor;
    const c = tf.layers.conv2d({ name: 'c', filters: 3, kernelSize: 1, activation: 'relu' }).apply(input) as tf.SymbolicTensor;
    const cat = tf.layers.concatenate({ name: 'cat' }).apply([sum, c]) as tf.SymbolicTensor;
    const bn = tf.layers.batchNormalization({ name: 'bn' }).apply(cat) as tf.SymbolicTensor;
    const flat = tf.layers.flatten({ name: 'flat' }).apply(bn) as tf.SymbolicTensor;
    const out = tf.layers.dense({ name: 'out', units: 2 }).apply(flat) as tf.SymbolicTensor;
    const m = tf.model({ inputs: input, outputs: out });
    randomize(m, 41);
    return m;
  }

  it('prunes the Add inputs as one group and offsets the Concatenate', async () => {
    const m = residual();
    // Filter 2 of a and of b dead -> add channel 2 is 0; filter 0 of c dead -> cat channel 4 is 0.
    killUnits(m.getLayer('a'), [2]);
    killUnits(m.getLayer('b'), [2]);
    killUnits(m.getLayer('c'), [0]);
    const bn = weightsOf(m.getLayer('bn')).map((v) => v.slice());
    for (const ch of [2, 4]) bn[0][ch] = bn[1][ch] = 0;
    setWeights(m.getLayer('bn'), bn);
    const x = tf.tensor(randn(2 * 72, 8, 1), [2, 6, 6, 2]);
    const { model: p, report } = await pruneStructured(m, { sparsity: 0.25 });
    expect(report.groups.map((g) => [g.layers.join('+'), g.unitsBefore, g.unitsAfter])).toEqual([
      ['a+b', 4, 3],
      ['c', 3, 2], // round-half-even(0.75) = 1
      ['out', 2, 2],
    ]);
    expect(p.getLayer('a').getWeights()[0].shape).toEqual([3, 3, 2, 3]);
    expect(p.getLayer('b').getWeights()[0].shape).toEqual([3, 3, 3, 3]);
    expect(p.getLayer('bn').getWeights()[0].shape).toEqual([5]);
    expect(p.getLayer('out').getWeights()[0].shape).toEqual([36 * 5, 2]);
    expect(maxDiff(predict(p, x), predict(m, x))).toBeLessThan(1e-5);
    expect(report.layers.filter((l) => l.note !== null).map((l) => l.name)).toEqual(['out']);
    const loaded = await roundTrip(p);
    expect(maxDiff(predict(loaded, x), predict(p, x))).toBe(0);
    loaded.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    await loaded.fit(x, tf.zeros([2, 2]), { epochs: 1, verbose: 0 });
  });

  it('an Add with the model input freezes the group; unknown consumers are noted', async () => {
    const input = tf.input({ shape: [5, 4] });
    const d = tf.layers.dense({ name: 'd', units: 4 }).apply(input) as tf.SymbolicTensor;
    const s = tf.layers.add({ name: 'skip' }).apply([d, input]) as tf.SymbolicTensor;
    const e = tf.layers.dense({ name: 'e', units: 6 }).apply(s) as tf.SymbolicTensor;
    const lstm = tf.layers.lstm({ name: 'lstm', units: 3 }).apply(e) as tf.SymbolicTensor;
    const m = tf.model({ inputs: input, outputs: lstm });
    const { report } = await pruneStructured(m, { sparsity: 0.5 });
    expect(layer(report, 'd')).toMatchObject({ unitsAfter: 4, note: "meets fixed channels (e.g. a model input) at Add 'skip'" });
    expect(layer(report, 'e')).toMatchObject({ unitsAfter: 6, note: "feeds LSTM 'lstm', whose input slicing is unknown" });
    expect(layer(report, 'lstm').note).toMatch(/LSTM: input slicing unknown/);
    await expect(pruneStructured(m, { sparsity: 0.5, layers: ['e'] })).rejects.toThrow(/layer 'e' \(Dense\) cannot be structurally pruned: feeds LSTM 'lstm'/);
    await expect(pruneStructured(m, { sparsity: 0.5, layers: ['lstm'] })).rejects.toThrow(ArgumentError);
    await expect(pruneStructured(m, { sparsity: 0.5, layers: ['lstm'] })).rejects.toThrow(/layer 'lstm' \(LSTM\) cannot be structurally pruned/);
  });
});

describe('errors', () => {
  it('rejects bad arguments with ArgumentError', async () => {
    const m = mlp();
    const bad: [unknown, RegExp][] = [
      [{ sparsity: 1.5 }, /sparsity must be a number in \[0, 1\], got 1.5/],
      [{}, /sparsity must be/],
      [{ sparsity: 0.5, scope: 'model' }, /scope must be/],
      [{ sparsity: 0.5, importance: 'taylor' }, /importance must be/],
      [{ sparsity: 0.5, importance: 'activation' }, /needs a calibration batch/],
      [{ sparsity: 0.5, roundTo: 0 }, /roundTo must be a positive integer/],
      [{ sparsity: 0.5, layers: ['nope'] }, /layers names layer 'nope'/],
      [{ sparsity: 0.5, exclude: ['nope'] }, /exclude names layer 'nope'/],
      [{ sparsity: 0.5, overrides: [{ match: 'x*', sparsity: 0.1 }] }, /matches no layer/],
      [{ sparsity: 0.5, layers: ['d3'] }, /layer 'd3' \(Dense\) cannot be structurally pruned: model output/],
      [{ sparsity: 0.5, layers: ['drop'] }, /layer 'drop' \(Dropout\) cannot be structurally pruned/],
      [{ sparsity: 0.5, sparse: true }, /unknown config field 'sparse'/],
      [{ sparsity: 0.5, importance: 'activation', calibration: tf.zeros([2, 7]) }, /calibration batch does not fit/],
    ];
    for (const [cfg, msg] of bad) await expect(pruneStructured(m, cfg as never), JSON.stringify(cfg)).rejects.toThrow(msg);
    await expect(pruneStructured(null as never, { sparsity: 0.5 })).rejects.toThrow(ArgumentError);
  });
});
