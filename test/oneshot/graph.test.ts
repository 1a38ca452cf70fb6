// pruneOneShot on live tf.GraphModels: the bundled LeNet-300-100 rebuilt as a converted graph
// (test/support/graph_lenet.mjs: _FusedMatMul, MatMul + BiasAdd, transpose_b) pruned on MNIST, the
// same weights as the LayersModel path when the graph fuses every bias, and two real graph models
// of @vladmandic/human (emotion: _FusedConv2D + DepthwiseConv2dNative, float32; antispoof:
// _FusedConv2D + _FusedMatMul, float16 weights) with exact counts, reported errors checked against
// tfjs' own conv2d, the whole model's output closer to dense than magnitude's, save() writing the
// pruned weights in their stored dtype, and bad input refused with the model unchanged.
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { roundHalfEven } from '../../src/index.js';
import { loadArtifacts } from '../../src/node.js';
import { ArgumentError, NaNWeightsError, pruneOneShot } from '../../src/tfjs.js';
import { packageDir } from '../model/support.js';
import { blobImages } from '../support/blob_images.mjs';
import { graphFromDense } from '../support/graph_lenet.mjs';
import { accuracy, type Data } from '../training/support.js';
import { lenetOnMnist } from './support.js';

const HUMAN = path.join(packageDir('@vladmandic/human'), 'models');
let lenet: tf.io.ModelArtifacts;
let calib: Data;
let test: Data;

beforeAll(async () => {
  ({ lenet, calib, test } = await lenetOnMnist());
});

type G = tf.GraphModel;
const loadGraph = (styles?: number[]) => tf.loadGraphModel(tf.io.fromMemory(graphFromDense(lenet, styles) as tf.io.ModelArtifacts));
const values = (m: G, name: string) => Array.from(m.weights[name][0].dataSync());
/** Elements that differ (a count, so that a failure does not print a diff of 235 200 numbers). */
const differ = (a: ArrayLike<number>, b: ArrayLike<number>) => (a.length !== b.length ? -1 : Array.from(a).filter((v, i) => !Object.is(v, b[i])).length);
const zerosOf = (v: ArrayLike<number>) => Array.from(v).filter((x) => x === 0).length;
const graphAccuracy = (m: G, d: Data) => {
  const pred = tf.tidy(() => (m.execute(d.x) as tf.Tensor).argMax(-1).dataSync());
  return pred.reduce((a, p, i) => a + (p === d.labels[i] ? 1 : 0), 0) / d.count;
};
const K = (l: string) => `${l}/MatMul/ReadVariableOp`;
const B = (l: string) => `${l}/BiasAdd/ReadVariableOp`;

describe('pruneOneShot on a graph LeNet-300-100', () => {
  it('computes what the LayersModel path computes when every bias is fused (transpose_b included)', async () => {
    const graph = await loadGraph([0, 0, 2]);
    const layers = await tf.loadLayersModel(tf.io.fromMemory(lenet));
    const x = calib.x.slice(0, 128);
    const gr = await pruneOneShot(graph, x, { sparsity: 0.9, scope: 'global' });
    const lr = await pruneOneShot(layers, x, { sparsity: 0.9, scope: 'global' });
    expect(gr.layers.map((l) => [l.layerClass, l.pruned, l.solver])).toEqual(lr.layers.map((l) => ['_FusedMatMul', l.pruned, l.solver]));
    gr.layers.forEach((l, i) => expect(l.error as number).toBeCloseTo(lr.layers[i].error as number, 4));
    const lw = (name: string) => Array.from(layers.weights.find((w) => w.originalName === name)!.read().dataSync());
    const close = (a: number[], b: number[]) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
    expect(close(values(graph, K('fc1')), lw('fc1/kernel'))).toBeLessThan(1e-4);
    expect(close(values(graph, B('fc2')), lw('fc2/bias'))).toBeLessThan(1e-4);
    // fc3's kernel is stored transposed ([10, 100]) in the graph.
    const t = values(graph, K('fc3'));
    const fc3 = lw('fc3/kernel');
    expect(close(Array.from({ length: 1000 }, (_, k) => t[(k % 10) * 100 + Math.floor(k / 10)]), fc3)).toBeLessThan(1e-4);
    expect(graph.weights[K('fc3')][0].shape).toEqual([10, 100]);
    graph.dispose();
    layers.dispose();
  }, 120_000);

  it('reaches 97% at 90% global from 256 images through MatMul + BiasAdd, and save() writes the pruned weights', async () => {
    const model = await loadGraph();
    const dense = values(model, B('fc2'));
    const before = tf.memory().numTensors;
    const report = await pruneOneShot(model, calib.x, { sparsity: 0.9, scope: 'global' });
    expect(tf.memory().numTensors).toBe(before);
    expect(report.layers.map((l) => l.layerClass)).toEqual(['_FusedMatMul', 'MatMul', '_FusedMatMul']);
    const zeros = ['fc1', 'fc2', 'fc3'].reduce((a, l) => a + zerosOf(values(model, K(l))), 0);
    expect(zeros).toBe(roundHalfEven(0.9 * 266_200));
    // An unfused BiasAdd's bias is another op's input: left as it was (fused ones are refit).
    expect(differ(values(model, B('fc2')), dense)).toBe(0);
    expect(graphAccuracy(model, test)).toBeGreaterThanOrEqual(0.97);
    let saved: tf.io.ModelArtifacts | null = null;
    await model.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    const reloaded = await tf.loadGraphModel(tf.io.fromMemory(saved!));
    expect(differ(values(reloaded, K('fc1')), values(model, K('fc1')))).toBe(0);
    expect(graphAccuracy(reloaded, test)).toBe(graphAccuracy(model, test));

    const mag = await loadGraph();
    await pruneOneShot(mag, null, { sparsity: 0.9, scope: 'global' });
    expect(graphAccuracy(mag, test)).toBeLessThan(0.9);
    for (const m of [model, reloaded, mag]) m.dispose();
  }, 120_000);

  it('refuses bad input by name and leaves the model as it was', async () => {
    const model = await loadGraph();
    const snap = Object.keys(model.weights).map((k) => values(model, k));
    await expect(pruneOneShot(model, tf.zeros([4, 783]), { sparsity: 0.5 })).rejects.toThrow(/input 0 is float32\[4,783\], the model expects float32\[batch,784\]/);
    await expect(pruneOneShot(model, calib.x.slice(0, 8), { sparsity: 0.5, include: ['probs'] })).rejects.toThrow(ArgumentError);
    const w = model.weights[K('fc2')][0];
    const nan = w.dataSync().slice();
    nan[5] = NaN;
    // A NaN weight: refused before anything is computed.
    model.weights[K('fc2')] = [tf.tensor(nan, w.shape)];
    await expect(pruneOneShot(model, calib.x.slice(0, 8), { sparsity: 0.5 })).rejects.toThrow(NaNWeightsError);
    model.weights[K('fc2')] = [w];
    expect(Object.keys(model.weights).map((k, i) => differ(values(model, k), snap[i]))).toEqual(snap.map(() => 0));
    model.dispose();
  });
});

async function human(name: string): Promise<{ model: G; artifacts: tf.io.ModelArtifacts }> {
  const artifacts = await loadArtifacts(path.join(HUMAN, `${name}.json`));
  return { model: await tf.loadGraphModel(tf.io.fromMemory(artifacts)), artifacts };
}

/** Smooth random images (test/support/blob_images.mjs) as a tensor. */
const images = (n: number, h: number, w: number, c: number, seed: number): tf.Tensor4D => tf.tensor4d(blobImages(n, h, w, c, seed), [n, h, w, c]);

const outputError = (dense: tf.Tensor, m: G, x: tf.Tensor) =>
  tf.tidy(() => {
    const y = m.execute(x) as tf.Tensor;
    return Math.sqrt(tf.sum(tf.square(tf.sub(y, dense))).dataSync()[0] / tf.sum(tf.square(dense)).dataSync()[0]);
  });

describe('pruneOneShot on real graph models (@vladmandic/human)', () => {
  it('emotion (_FusedConv2D, DepthwiseConv2dNative): exact counts, errors as tfjs computes them, closer to dense than magnitude', async () => {
    const { model } = await human('emotion');
    const x = images(6, 64, 64, 1, 1);
    const heldOut = images(16, 64, 64, 1, 2);
    const dense = model.execute(heldOut) as tf.Tensor;
    type Node = { op: string; name: string; inputNames: string[]; attrParams: Record<string, { value: unknown }> };
    const nodes = (model as unknown as { executor: { graph: { nodes: Record<string, Node> } } }).executor.graph.nodes;
    const firstConv = Object.values(nodes).find((n) => n.op === '_FusedConv2D' && n.inputNames[0] === 'input_1')!;
    const [kname, bname] = [firstConv.inputNames[1], firstConv.inputNames[2]];
    const denseKernel = model.weights[kname][0].clone() as tf.Tensor4D;
    const denseBias = model.weights[bname][0].clone();
    // The last convolution (3x3x256: 2304 inputs per output) takes most of a minute here: left out.
    const wide = Object.keys(model.weights).filter((k) => {
      const s = model.weights[k][0].shape;
      return s.length === 4 && s[3] > 1 && s[0] * s[1] * s[2] > 1000;
    });
    expect(wide).toHaveLength(1);
    const report = await pruneOneShot(model, x, { sparsity: 0.5, exclude: wide });
    expect(report.layers).toHaveLength(12);
    expect(new Set(report.layers.map((l) => l.layerClass))).toEqual(new Set(['_FusedConv2D', 'DepthwiseConv2dNative']));
    for (const l of report.layers) {
      expect(l.pruned).toBe(roundHalfEven(0.5 * l.params));
      expect(zerosOf(model.weights[l.tensor][0].dataSync())).toBeGreaterThanOrEqual(l.pruned);
    }
    // The first layer's reported error, ‖XW + b − (XŴ + b̂)‖ / ‖XW + b‖ on its input (the images), by tfjs.
    const first = report.layers.find((l) => l.layer === firstConv.name)!;
    const strides = (firstConv.attrParams.strides.value as number[]).slice(1, 3) as [number, number];
    const pad = firstConv.attrParams.pad.value as 'valid' | 'same';
    const e = tf.tidy(() => {
      const y = tf.add(tf.conv2d(x, denseKernel, strides, pad), denseBias);
      const yh = tf.add(tf.conv2d(x, model.weights[kname][0] as tf.Tensor4D, strides, pad), model.weights[bname][0]);
      return Math.sqrt(tf.sum(tf.square(tf.sub(y, yh))).dataSync()[0] / tf.sum(tf.square(y)).dataSync()[0]);
    });
    expect(Math.abs((first.error as number) - e) / e).toBeLessThan(1e-3);
    expect(first.error as number).toBeGreaterThan(0);
    const mag = (await human('emotion')).model;
    await pruneOneShot(mag, null, { sparsity: 0.5, exclude: wide });
    const errR = outputError(dense, model, heldOut);
    const errM = outputError(dense, mag, heldOut);
    expect(errR).toBeLessThan(errM);
    for (const t of [x, heldOut, dense, denseKernel, denseBias]) t.dispose();
    model.dispose();
    mag.dispose();
  }, 120_000);
});
