// toSparseModel on the bundled LeNet-300-100 (examples/mnist-mlp), pruned to 92% per layer: the
// sparse model's predictions on MNIST equal the dense model's bit for bit on the wasm backend, it
// saves and loads as a LayersModel with SparseDense layers, and its kernel bytes drop.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/errors.js';
import { registerSparseKernels, SparseConv2D, toSparseModel } from '../../src/sparse/index.js';
import { mnist } from '../model/support.js';

const DIR = new URL('../../examples/mnist-mlp/', import.meta.url);

async function lenet(): Promise<tf.LayersModel> {
  const json = JSON.parse(readFileSync(new URL('model.json', DIR), 'utf8'));
  const bin = readFileSync(new URL('group1-shard1of1.bin', DIR));
  const weightSpecs = json.weightsManifest.flatMap((g: { weights: tf.io.WeightsManifestEntry[] }) => g.weights);
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) }));
}

/** Each Dense kernel's smallest |w| set to 0 until `sparsity` of it is zero. */
function prune(model: tf.LayersModel, sparsity: number): void {
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'Dense') continue;
    const [k, b] = layer.getWeights();
    const w = (k.dataSync() as Float32Array).slice();
    const order = Array.from(w.keys()).sort((i, j) => Math.abs(w[i]) - Math.abs(w[j]));
    for (let i = 0; i < Math.round(sparsity * w.length); i++) w[order[i]] = 0;
    layer.setWeights([tf.tensor(w, k.shape), b]);
  }
}

function bitsEqual(a: tf.Tensor, b: tf.Tensor): boolean {
  const x = new Uint32Array((a.dataSync() as Float32Array).buffer);
  const y = new Uint32Array((b.dataSync() as Float32Array).buffer);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

async function roundTrip(model: tf.LayersModel): Promise<tf.LayersModel> {
  let saved: tf.io.ModelArtifacts | null = null;
  await model.save(tf.io.withSaveHandler(async (a) => {
    saved = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return tf.loadLayersModel(tf.io.fromMemory(saved!));
}

describe.each(['simd', 'js'] as const)('toSparseModel, LeNet-300-100 at 92%% (%s build)', (build) => {
  let dense: tf.LayersModel;
  beforeAll(async () => {
    await tf.setBackend('wasm');
    await registerSparseKernels({ build });
    dense = await lenet();
    prune(dense, 0.92);
  });

  it('forced sparse: predictions equal the dense model bit for bit, batch 1, 7 and 64; bytes drop below 0.2×', async () => {
    const { model, report } = await toSparseModel(dense, { overrides: { fc1: 'sparse', fc2: 'sparse', fc3: 'sparse' } });
    expect(model.layers.map((l) => l.getClassName())).toEqual(['SparseDense', 'SparseDense', 'SparseDense']);
    expect(report.layers.map((l) => [l.name, l.decision, l.reason])).toEqual([['fc1', 'sparse', 'override'], ['fc2', 'sparse', 'override'], ['fc3', 'sparse', 'override']]);
    expect(report.afterBytes / report.denseBytes).toBeLessThan(0.2);
    // Whole models, biases included, as tfjs holds them: the weights really take < 0.2× the bytes.
    const bytes = (m: tf.LayersModel) => m.weights.reduce((a, w) => a + w.read().size * 4, 0);
    expect(bytes(model) / bytes(dense)).toBeLessThan(0.2);
    expect(report.layers[0].sparsity).toBeCloseTo(0.92, 6);
    const { x } = mnist('test', 64);
    for (const n of [1, 7, 64]) {
      const xs = x.slice(0, n);
      const a = dense.predict(xs, { batchSize: n }) as tf.Tensor;
      const b = model.predict(xs, { batchSize: n }) as tf.Tensor;
      expect(bitsEqual(a, b), `batch ${n}`).toBe(true);
      tf.dispose([xs, a, b]);
    }
    // Saved and loaded: the same layers, the same outputs.
    const back = await roundTrip(model);
    expect(back.layers.map((l) => l.getClassName())).toEqual(['SparseDense', 'SparseDense', 'SparseDense']);
    expect(bitsEqual(dense.predict(x) as tf.Tensor, back.predict(x) as tf.Tensor)).toBe(true);
    // The new model holds only packed kernels (int32) and biases.
    expect(model.weights.map((w) => `${w.originalName}:${w.dtype}`)).toEqual(['fc1/packed:int32', 'fc1/bias:float32', 'fc2/packed:int32', 'fc2/bias:float32', 'fc3/packed:int32', 'fc3/bias:float32']);
    tf.dispose(x);
    model.dispose();
    back.dispose();
  });

  it('measured: every decision follows its timings; overrides win; the input model is untouched', async () => {
    const before = (dense.layers[0].getWeights()[0].dataSync() as Float32Array).slice();
    const tensors = tf.memory().numTensors;
    const { model, report } = await toSparseModel(dense, { batchSizes: [1, 8], reps: 3, overrides: { fc3: 'dense' } });
    expect(tf.memory().numTensors - tensors).toBe(model.weights.length); // nothing leaked but the new model's weights
    for (const l of report.layers.filter((r) => r.reason === 'measured')) {
      expect(l.timings.map((t) => t.batch)).toEqual([1, 8]);
      expect(l.decision).toBe(l.timings.every((t) => t.sparseMs < t.denseMs) ? 'sparse' : 'dense');
    }
    expect(report.layers[2]).toMatchObject({ name: 'fc3', decision: 'dense', reason: 'override' });
    expect(model.layers[2].getClassName()).toBe('Dense');
    expect(model.layers.map((l) => l.getClassName())).toEqual(report.layers.map((l) => (l.decision === 'sparse' ? 'SparseDense' : 'Dense')));
    expect(dense.layers[0].getWeights()[0].dataSync()).toEqual(before);
    model.dispose();
  });

  it('leaves a layer below minSparsity dense without timing it, and rejects bad options', async () => {
    const { model, report } = await toSparseModel(dense, { minSparsity: 0.95 });
    expect(report.layers.every((l) => l.decision === 'dense' && l.reason === 'below minSparsity' && l.timings.length === 0)).toBe(true);
    model.dispose();
    await expect(toSparseModel(dense, { overrides: { nope: 'sparse' } })).rejects.toThrow(ArgumentError);
    await expect(toSparseModel(dense, { batchSizes: [0] })).rejects.toThrow(/batchSizes/);
  });

  it('rejects corrupt packed weights at load, before the kernel reads them', async () => {
    const { model } = await toSparseModel(dense, { overrides: { fc2: 'sparse' } });
    const layer = model.getLayer('fc2');
    const [packed, bias] = layer.getWeights();
    const bad = (packed.dataSync() as Int32Array).slice();
    bad[0] += 5; // unit 0 claims pairs it does not have
    layer.setWeights([tf.tensor1d(bad, 'int32'), bias]);
    const x = tf.zeros([1, 784]);
    expect(() => model.predict(x)).toThrow(/counts|ascending|out of range/);
    model.dispose();
  });
});

describe('toSparseModel on the cpu backend', () => {
  it('predicts within float rounding of the dense model (the bias is added first, not last)', async () => {
    await tf.setBackend('cpu');
    await registerSparseKernels();
    const dense = await lenet();
    prune(dense, 0.92);
    const { model } = await toSparseModel(dense, { overrides: { fc1: 'sparse', fc2: 'sparse', fc3: 'sparse' } });
    const { x } = mnist('test', 32);
    const a = (dense.predict(x) as tf.Tensor).dataSync();
    const b = (model.predict(x) as tf.Tensor).dataSync();
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    expect(worst).toBeLessThan(1e-5);
    // and the same classes
    expect(tf.argMax(tf.tensor2d(a, [32, 10]), 1).dataSync()).toEqual(tf.argMax(tf.tensor2d(b, [32, 10]), 1).dataSync());
    model.dispose();
    dense.dispose();
  });
});

describe('toSparseModel, Conv2D 1×1 layers', () => {
  it('turns 1×1 stride-1 convolutions into SparseDense over the channels, bit for bit on wasm', async () => {
    await tf.setBackend('wasm');
    await registerSparseKernels({ build: 'simd' });
    const m = tf.sequential();
    m.add(tf.layers.conv2d({ inputShape: [9, 7, 3], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c3' }));
    m.add(tf.layers.conv2d({ filters: 33, kernelSize: 1, activation: 'relu', name: 'p1' }));
    m.add(tf.layers.conv2d({ filters: 24, kernelSize: 1, useBias: false, name: 'p2' }));
    m.add(tf.layers.conv2d({ filters: 20, kernelSize: 1, activation: 'relu6', name: 'p3' }));
    m.add(tf.layers.conv2d({ filters: 8, kernelSize: 1, strides: 2, name: 's2' })); // stride 2: a SparseConv2D candidate, not pruned
    m.add(tf.layers.flatten({ name: 'flatten' }));
    m.add(tf.layers.dense({ units: 10, activation: 'softmax', name: 'out' }));
    prune(m, 0.9); // the Dense layer
    for (const name of ['p1', 'p2', 'p3']) {
      const layer = m.getLayer(name);
      const [k, ...rest] = layer.getWeights();
      const w = (k.dataSync() as Float32Array).map((v, i) => (i % 10 === 3 ? v : 0));
      layer.setWeights([tf.tensor(w, k.shape), ...rest]);
    }
    await expect(toSparseModel(m, { overrides: { flatten: 'sparse' } })).rejects.toThrow(/names 'flatten', which is not a Dense \(or Conv2D/);
    const { model, report } = await toSparseModel(m, { overrides: { p1: 'sparse', p2: 'sparse', p3: 'sparse', out: 'sparse' } });
    expect(model.layers.map((l) => l.getClassName())).toEqual(['Conv2D', 'SparseDense', 'SparseDense', 'SparseDense', 'Conv2D', 'Flatten', 'SparseDense']);
    expect(report.layers.map((l) => `${l.name}:${l.className}:${l.shape.join('x')}`)).toEqual(['c3:Conv2D:27x16', 'p1:Conv2D:16x33', 'p2:Conv2D:33x24', 'p3:Conv2D:24x20', 's2:Conv2D:20x8', 'out:Dense:160x10']);
    const r = (n: number) => tf.tensor4d(Float32Array.from({ length: n * 9 * 7 * 3 }, (_, i) => Math.sin(i * 0.37)), [n, 9, 7, 3]);
    for (const n of [1, 5]) {
      const x = r(n);
      expect(bitsEqual(m.predict(x, { batchSize: n }) as tf.Tensor, model.predict(x, { batchSize: n }) as tf.Tensor), `batch ${n}`).toBe(true);
    }
    const back = await roundTrip(model);
    expect(bitsEqual(m.predict(r(2)) as tf.Tensor, back.predict(r(2)) as tf.Tensor)).toBe(true);
    // A measured decision times the convolution on [batch, 9, 7, c] (batch · 63 rows).
    const measured = await toSparseModel(m, { batchSizes: [2], reps: 2 });
    expect(measured.report.layers.filter((l) => l.className === 'Conv2D' && l.name !== 'c3' && l.name !== 's2').every((l) => l.reason === 'measured' && l.timings.length === 1)).toBe(true);
    model.dispose();
    back.dispose();
    measured.model.dispose();
  });
});

describe('toSparseModel, k×k convolutions', () => {
  it.each(['simd', 'scalar', 'js'] as const)('turns them into SparseConv2D (im2col), bit for bit on wasm, %s build; saves and loads', async (build) => {
    await tf.setBackend('wasm');
    await registerSparseKernels({ build });
    const m = tf.sequential();
    m.add(tf.layers.conv2d({ inputShape: [12, 10, 3], filters: 8, kernelSize: 3, activation: 'relu', name: 'c1' }));
    m.add(tf.layers.conv2d({ filters: 12, kernelSize: [3, 2], padding: 'same', useBias: false, name: 'c2' }));
    m.add(tf.layers.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu6', name: 'c3' }));
    m.add(tf.layers.conv2d({ filters: 4, kernelSize: 3, dilationRate: 2, name: 'd2' })); // dilated, not pruned: stays dense
    m.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'pool' }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 5, activation: 'softmax', name: 'out' }));
    for (const name of ['c1', 'c2', 'c3']) {
      const layer = m.getLayer(name);
      const [k, ...rest] = layer.getWeights();
      const w = (k.dataSync() as Float32Array).map((v, i) => (i % 10 === 7 ? v : 0)); // 90% pruned
      layer.setWeights([tf.tensor(w, k.shape), ...rest]);
    }
    await expect(toSparseModel(m, { overrides: { pool: 'sparse' } })).rejects.toThrow(/not a Dense/);
    const { model, report } = await toSparseModel(m, { overrides: { c1: 'sparse', c2: 'sparse', c3: 'sparse', d2: 'dense', out: 'dense' } });
    expect(model.layers.map((l) => l.getClassName())).toEqual(['SparseConv2D', 'SparseConv2D', 'SparseConv2D', 'Conv2D', 'MaxPooling2D', 'Flatten', 'Dense']);
    expect(report.layers.map((l) => `${l.name}:${l.shape.join('x')}:${l.decision}`)).toEqual(['c1:27x8:sparse', 'c2:48x12:sparse', 'c3:300x6:sparse', 'd2:54x4:dense', 'out:24x5:dense']);
    const r = (n: number) => tf.tensor4d(Float32Array.from({ length: n * 12 * 10 * 3 }, (_, i) => Math.sin(i * 0.29)), [n, 12, 10, 3]);
    for (const n of [1, 3]) {
      const x = r(n);
      expect(bitsEqual(m.predict(x, { batchSize: n }) as tf.Tensor, model.predict(x, { batchSize: n }) as tf.Tensor), `batch ${n}`).toBe(true);
    }
    const back = await roundTrip(model);
    expect(back.layers[0].getClassName()).toBe('SparseConv2D');
    expect(bitsEqual(m.predict(r(2)) as tf.Tensor, back.predict(r(2)) as tf.Tensor)).toBe(true);
    // Measured: each convolution timed on [batch, h, w, c], decided by its timings.
    const measured = await toSparseModel(m, { batchSizes: [1], reps: 2 });
    for (const l of measured.report.layers.filter((x) => x.className === 'Conv2D' && x.name !== 'd2')) {
      expect(l.reason).toBe('measured');
      expect(l.decision).toBe(l.timings[0].sparseMs < l.timings[0].denseMs ? 'sparse' : 'dense');
    }
    model.dispose();
    back.dispose();
    measured.model.dispose();
  });
});

/** Artifacts of model.save, through a handler that keeps them in memory. */
async function artifactsOf(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | null = null;
  await model.save(tf.io.withSaveHandler(async (a) => {
    saved = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return saved!;
}

describe('toSparseModel, strided and dilated convolutions', () => {
  // A MobileNet-style stem (3×3 stride 2 SAME on a 17×16 input, 3 channels: one row of zeros
  // above and below, but no column left of the image and one right of it), a stride [2, 1] VALID
  // 3×3, a 3×3 dilated by 2 SAME, a 2×3 dilated by [2, 1] VALID (tanh: applied after), a strided
  // 1×1 SAME, a Dense head.
  function stridedModel(): tf.Sequential {
    const m = tf.sequential();
    m.add(tf.layers.conv2d({ inputShape: [17, 16, 3], filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'stem' }));
    m.add(tf.layers.conv2d({ filters: 12, kernelSize: 3, strides: [2, 1], name: 'down' }));
    m.add(tf.layers.conv2d({ filters: 8, kernelSize: 3, dilationRate: 2, padding: 'same', activation: 'relu6', name: 'dil' }));
    m.add(tf.layers.conv2d({ filters: 6, kernelSize: [2, 3], dilationRate: [2, 1], activation: 'tanh', name: 'dil21' }));
    m.add(tf.layers.conv2d({ filters: 16, kernelSize: 1, strides: 2, padding: 'same', useBias: false, name: 'p2' }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 5, name: 'out' }));
    for (const name of ['stem', 'down', 'dil', 'dil21', 'p2']) {
      const layer = m.getLayer(name);
      const [k, ...rest] = layer.getWeights();
      const w = (k.dataSync() as Float32Array).map((v, i) => (i % 5 === 2 ? v : 0)); // 80% pruned
      layer.setWeights([tf.tensor(w, k.shape), ...rest]);
    }
    return m;
  }
  const r = (n: number) => tf.tensor4d(Float32Array.from({ length: n * 17 * 16 * 3 }, (_, i) => Math.sin(i * 0.31)), [n, 17, 16, 3]);

  it.each(['simd', 'scalar', 'js'] as const)('converts them to SparseConv2D with their strides and dilations, bit for bit on wasm, %s build; saves and loads', async (build) => {
    await tf.setBackend('wasm');
    await registerSparseKernels({ build });
    const m = stridedModel();
    expect(m.outputs[0].shape).toEqual([null, 5]);
    const overrides = { stem: 'sparse', down: 'sparse', p2: 'sparse', dil: 'sparse', dil21: 'sparse', out: 'dense' } as const;
    const { model, report } = await toSparseModel(m, { overrides });
    expect(model.layers.map((l) => l.getClassName())).toEqual(['SparseConv2D', 'SparseConv2D', 'SparseConv2D', 'SparseConv2D', 'SparseConv2D', 'Flatten', 'Dense']);
    expect(report.layers.map((l) => `${l.name}:${l.shape.join('x')}:${l.decision}`)).toEqual(['stem:27x8:sparse', 'down:72x12:sparse', 'dil:108x8:sparse', 'dil21:48x6:sparse', 'p2:6x16:sparse', 'out:32x5:dense']);
    const cfg = (name: string) => model.getLayer(name).getConfig();
    expect([cfg('stem').strides, cfg('down').strides, cfg('dil').dilationRate, cfg('dil21').dilationRate]).toEqual([[2, 2], [2, 1], [2, 2], [2, 1]]);
    for (let i = 0; i < m.layers.length; i++) expect(model.layers[i].outputShape, m.layers[i].name).toEqual(m.layers[i].outputShape);
    for (const n of [1, 3]) {
      const x = r(n);
      expect(bitsEqual(m.predict(x, { batchSize: n }) as tf.Tensor, model.predict(x, { batchSize: n }) as tf.Tensor), `batch ${n}`).toBe(true);
      x.dispose();
    }
    const back = await roundTrip(model);
    expect(back.layers.map((l) => l.getClassName())).toEqual(model.layers.map((l) => l.getClassName()));
    expect(back.getLayer('down').getConfig().strides).toEqual([2, 1]);
    expect(bitsEqual(m.predict(r(3)) as tf.Tensor, back.predict(r(3)) as tf.Tensor)).toBe(true);
    model.dispose();
    back.dispose();
  });

  it('on the cpu backend: within float rounding of the dense model (the bias is added last there)', async () => {
    await tf.setBackend('cpu');
    await registerSparseKernels();
    const m = stridedModel();
    const overrides = { stem: 'sparse', down: 'sparse', p2: 'sparse', dil: 'sparse', dil21: 'sparse' } as const;
    const { model } = await toSparseModel(m, { overrides });
    expect(model.layers.filter((l) => l.getClassName() === 'SparseConv2D').length).toBe(5);
    const x = r(3);
    const [a, b] = [m.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor];
    expect(b.shape).toEqual(a.shape);
    const [ya, yb] = [a.dataSync(), b.dataSync()];
    const off = Array.from(ya).filter((v, i) => !(Math.abs(v - yb[i]) <= 1e-4 * (1 + Math.abs(v))));
    expect(off).toEqual([]);
    model.dispose();
  });

  it('measures strided layers like the others (timed dense with their strides)', async () => {
    await tf.setBackend('wasm');
    await registerSparseKernels({ build: 'simd' });
    const m = stridedModel();
    const measured = await toSparseModel(m, { batchSizes: [1, 3], reps: 2 });
    const convs = measured.report.layers.filter((l) => l.className === 'Conv2D');
    expect(convs.map((l) => l.name)).toEqual(['stem', 'down', 'dil', 'dil21', 'p2']);
    for (const l of convs) {
      expect(l.reason).toBe('measured');
      expect(l.timings.map((t) => t.batch)).toEqual([1, 3]);
      expect(l.decision).toBe(l.timings.every((t) => t.sparseMs < t.denseMs) ? 'sparse' : 'dense');
    }
    const x = r(3);
    expect(bitsEqual(m.predict(x) as tf.Tensor, measured.model.predict(x) as tf.Tensor)).toBe(true);
    measured.model.dispose();
  });

  it('loads a SparseConv2D config saved before strides and dilations existed (both 1), and names bad ones', async () => {
    await tf.setBackend('wasm');
    await registerSparseKernels({ build: 'simd' });
    const m = tf.sequential();
    m.add(tf.layers.conv2d({ inputShape: [9, 8, 4], filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c' }));
    const { model } = await toSparseModel(m, { overrides: { c: 'sparse' } });
    const a = await artifactsOf(model);
    const topo = a.modelTopology as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
    const layer = topo.config.layers.find((l) => l.class_name === 'SparseConv2D')!;
    expect([layer.config.strides, layer.config.dilation_rate]).toEqual([[1, 1], [1, 1]]);
    delete layer.config.strides;
    delete layer.config.dilation_rate;
    const old = await tf.loadLayersModel(tf.io.fromMemory(a));
    const x = tf.tensor4d(Float32Array.from({ length: 2 * 9 * 8 * 4 }, (_, i) => Math.cos(i * 0.7)), [2, 9, 8, 4]);
    expect(old.getLayer('c').getConfig().strides).toEqual([1, 1]);
    expect(bitsEqual(m.predict(x) as tf.Tensor, old.predict(x) as tf.Tensor)).toBe(true);
    const args = { filters: 2, kernelSize: [3, 3] as [number, number], inputChannels: 1, nnz: 1 };
    expect(() => new SparseConv2D({ ...args, strides: 0 })).toThrow(ArgumentError);
    expect(() => new SparseConv2D({ ...args, strides: 0 })).toThrow(/SparseConv2D: strides must be a positive integer/);
    expect(() => new SparseConv2D({ ...args, dilationRate: [2, 0] })).toThrow(/SparseConv2D: dilationRate must be/);
    expect(() => new SparseConv2D({ ...args, strides: 2, dilationRate: 2 })).toThrow(/both above 1/);
    expect(new SparseConv2D({ ...args, strides: [2, 1] }).computeOutputShape([null, 9, 8, 1])).toEqual([null, 4, 6, 2]);
    // A Conv2D with strides and dilations both above 1 (tfjs cannot run it) is not a candidate.
    const bad = tf.sequential();
    bad.add(tf.layers.conv2d({ inputShape: [9, 9, 1], filters: 2, kernelSize: 3, strides: 2, dilationRate: 2, name: 'sd' }));
    await expect(toSparseModel(bad, { overrides: { sd: 'sparse' } })).rejects.toThrow(/names 'sd', which is not a Dense/);
    tf.dispose([x]);
    model.dispose();
    old.dispose();
  });
});

describe('toSparseModel, a functional model', () => {
  it('rewrites the Dense layers of a tf.model graph (two branches joined), bit for bit on wasm', async () => {
    await tf.setBackend('wasm');
    await registerSparseKernels({ build: 'scalar' });
    const input = tf.input({ shape: [40] });
    const a = tf.layers.dense({ units: 24, activation: 'relu', name: 'a' }).apply(input) as tf.SymbolicTensor;
    const b = tf.layers.dense({ units: 24, activation: 'tanh', name: 'b' }).apply(input) as tf.SymbolicTensor;
    const j = tf.layers.add().apply([a, b]) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 5, name: 'out' }).apply(j) as tf.SymbolicTensor;
    const m = tf.model({ inputs: input, outputs: out });
    prune(m, 0.8);
    const { model } = await toSparseModel(m, { overrides: { a: 'sparse', b: 'sparse', out: 'sparse' } });
    expect(model.layers.map((l) => l.getClassName())).toEqual(['InputLayer', 'SparseDense', 'SparseDense', 'Add', 'SparseDense']);
    const x = tf.tensor2d(Float32Array.from({ length: 3 * 40 }, (_, i) => Math.cos(i)), [3, 40]);
    expect(bitsEqual(m.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor)).toBe(true);
    model.dispose();
  });
});
