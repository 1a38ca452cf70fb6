// `tfjs-prune prune --calibration` (the built bin) on graph models and in the combinations it used to
// refuse: the bundled LeNet rebuilt as a converted graph model (test/support/graph_lenet.mjs),
// a real float16 graph model of @vladmandic/human (antispoof), and --quantize, --format compact,
// --report .html and --stream, each checked in the files written (the pruned zeros, the dtype,
// the layer table).
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roundHalfEven } from '../../src/index.js';
import { decompressArtifacts } from '../../src/load.js';
import { loadArtifacts, saveArtifacts } from '../../src/node.js';
import { packageDir } from '../model/support.js';
import { npy } from '../oneshot/support.js';
import { graphFromDense } from '../support/graph_lenet.mjs';
import { mnist, type Data } from '../training/support.js';
import { cli, EXAMPLE, mnistCalibration } from './support.js';

let dir: string;
let idx: string;
let graphDir: string;
let test: Data;
const KERNELS = ['fc1', 'fc2', 'fc3'].map((l) => `${l}/MatMul/ReadVariableOp`);

beforeAll(async () => {
  await tf.setBackend('wasm');
  dir = await mkdtemp(path.join(tmpdir(), 'tfjs-prune-oneshot-graph-cli-'));
  idx = await mnistCalibration(dir, 512);
  graphDir = path.join(dir, 'lenet-graph');
  await saveArtifacts(graphDir, graphFromDense(await loadArtifacts(EXAMPLE)) as tf.io.ModelArtifacts);
  test = await mnist('test', 2000);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const zerosOf = (v: ArrayLike<number>) => Array.from(v).filter((x) => x === 0).length;

async function graphStats(artifacts: tf.io.ModelArtifacts): Promise<{ zeros: number; accuracy: number }> {
  const model = await tf.loadGraphModel(tf.io.fromMemory(artifacts));
  const zeros = KERNELS.reduce((a, k) => a + zerosOf(model.weights[k][0].dataSync()), 0);
  const pred = tf.tidy(() => (model.execute(test.x) as tf.Tensor).argMax(-1).dataSync());
  model.dispose();
  return { zeros, accuracy: pred.reduce((a, p, i) => a + (p === test.labels[i] ? 1 : 0), 0) / test.count };
}

describe('prune --calibration on graph models', () => {
  it('prunes the graph LeNet from an IDX file: a graph model out, exact count, accuracy kept', async () => {
    const out = path.join(dir, 'out-graph');
    const run = await cli(['prune', graphDir, '--out', out, '--sparsity', '0.9', '--scope', 'global', '--calibration', idx], dir);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/fc1\/Relu\s+_FusedMatMul\s+235,200/);
    expect(run.stdout).toMatch(/fc2\/MatMul\s+MatMul/);
    const artifacts = await loadArtifacts(out);
    expect(artifacts.format).toBe('graph-model');
    const s = await graphStats(artifacts);
    expect(s.zeros).toBe(roundHalfEven(0.9 * 266_200));
    expect(s.accuracy).toBeGreaterThan(0.95);
  }, 120_000);

  it('--quantize uint8: the pruned graph model stored as uint8, its zeros kept', async () => {
    const out = path.join(dir, 'out-graph-q');
    const run = await cli(['prune', graphDir, '--out', out, '--sparsity', '0.8', '--calibration', idx, '--quantize', 'uint8'], dir);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const artifacts = await loadArtifacts(out);
    for (const k of KERNELS) expect(artifacts.weightSpecs!.find((w) => w.name === k)!.quantization?.dtype).toBe('uint8');
    const s = await graphStats(artifacts);
    expect(s.zeros).toBeGreaterThanOrEqual(roundHalfEven(0.8 * 235_200) + roundHalfEven(0.8 * 30_000) + roundHalfEven(0.8 * 1000));
    expect(s.accuracy).toBeGreaterThan(0.95);
  }, 120_000);

  it('a real float16 graph model (human antispoof) from .npy images keeps its float16 weights', async () => {
    const src = path.join(packageDir('@vladmandic/human'), 'models', 'antispoof.json');
    const x = new Float32Array(2 * 128 * 128 * 3).map((_, i) => 0.5 + 0.5 * Math.sin(i / 97));
    const file = path.join(dir, 'faces.npy');
    await writeFile(file, npy(x, [2, 128, 128, 3]));
    const out = path.join(dir, 'out-antispoof');
    // unknown_5, the 3136 x 128 MatMul kernel, is left out: its 3136² statistics take a minute here.
    const run = await cli(['prune', src, '--out', out, '--sparsity', '0.5', '--calibration', file, '--exclude', 'unknown_5', '--json'], dir);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout);
    const layers = json.report.layers as { tensor: string; pruned: number; params: number; layerClass: string }[];
    expect(new Set(layers.map((l) => l.layerClass))).toEqual(new Set(['_FusedConv2D', '_FusedMatMul']));
    const input = await loadArtifacts(src);
    const artifacts = await loadArtifacts(out);
    expect(artifacts.weightSpecs!.map((w) => w.quantization?.dtype ?? w.dtype)).toEqual(input.weightSpecs!.map((w) => w.quantization?.dtype ?? w.dtype));
    const model = await tf.loadGraphModel(tf.io.fromMemory(artifacts));
    expect(layers.map((l) => l.tensor)).not.toContain('unknown_5');
    expect(layers).toHaveLength(4);
    for (const l of layers) {
      expect(l.pruned).toBe(roundHalfEven(0.5 * l.params));
      expect(zerosOf(model.weights[l.tensor][0].dataSync())).toBeGreaterThanOrEqual(l.pruned);
    }
    const dense = await tf.loadGraphModel(tf.io.fromMemory(input));
    const [a, b] = [model, dense].map((m) => m.weights.unknown_5[0].dataSync());
    expect(a.filter((v, i) => v !== b[i]).length).toBe(0);
    model.dispose();
    dense.dispose();
  }, 120_000);
});

describe('prune --calibration with the other output options', () => {
  it('--format compact writes one container holding the pruned weights', async () => {
    const out = path.join(dir, 'lenet.tfjsp');
    const run = await cli(['prune', EXAMPLE, '--out', out, '--sparsity', '0.9', '--calibration', idx, '--method', 'activation', '--format', 'compact'], dir);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/compact container/);
    const artifacts = await decompressArtifacts(new Uint8Array(await readFile(out)));
    const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    const zeros = model.weights.filter((w) => w.shape.length === 2).reduce((a, w) => a + zerosOf(w.read().dataSync()), 0);
    expect(zeros).toBe(roundHalfEven(0.9 * 235_200) + roundHalfEven(0.9 * 30_000) + roundHalfEven(0.9 * 1000));
    model.dispose();
  }, 120_000);

  it('--report .html draws the one-shot layer table and the weights before and after; .json carries the report', async () => {
    const out = path.join(dir, 'out-html');
    const html = path.join(dir, 'r.html');
    const json = path.join(dir, 'r.json');
    const run = await cli(['prune', graphDir, '--out', out, '--sparsity', '0.7', '--calibration', idx, '--method', 'activation', '--report', html, '--report', json], dir);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const text = await readFile(html, 'utf8');
    expect(text).toContain('<h2>One-shot layers</h2>');
    const section = text.slice(text.indexOf('id="oneshot"'), text.indexOf('</section>', text.indexOf('id="oneshot"')));
    expect(section).toMatch(/<td>fc1\/Relu<\/td><td>_FusedMatMul<\/td><td class="n">235,200<\/td><td class="n">164,640<\/td><td class="n">70\.00%<\/td><td class="n">0\.\d{4}<\/td><td>mask<\/td>/);
    expect(section).toContain('fc2/MatMul');
    expect(text).toContain('id="histograms"');
    const data = JSON.parse(await readFile(json, 'utf8'));
    expect(data.report.layers).toHaveLength(3);
    expect(data.report.calibration.examples).toBe(512);
    expect(data.report.bytes.before.raw).toBe(266_610 * 4);
    expect((await stat(path.join(out, 'model.json'))).isFile()).toBe(true);
  }, 120_000);

  it('--stream: says on stderr that the model runs in memory and prunes it', async () => {
    const out = path.join(dir, 'out-stream');
    const run = await cli(['prune', EXAMPLE, '--out', out, '--sparsity', '0.5', '--calibration', idx, '--method', 'activation', '--stream'], dir);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/--stream: one-shot pruning executes the model on the calibration data, so the model is loaded into memory/);
    const artifacts = await loadArtifacts(out);
    const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    expect(zerosOf(model.getLayer('fc1').getWeights()[0].dataSync())).toBe(117_600);
    model.dispose();
  }, 120_000);
});
