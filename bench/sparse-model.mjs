// Whole models: toSparseModel's model against the dense one, same weights, same run, wasm backend.
//   node bench/sparse-model.mjs [--rounds=5] [--time=MS] [--clock=cpu|wall]
// LeNet-300-100 (examples/mnist-mlp, trained) pruned to 92% per layer, and an MLP
// 2048-2048-2048-10 (N(0, 0.05²) weights) pruned to 90% per layer; batch 1 and 64, predict with
// batchSize = the batch (RECIPES.md: without it predict slices the input in 32s with copies).
// Each model is converted twice: every Dense layer forced sparse, and by toSparseModel's own
// measured decision for that batch size. Also the MNIST CNN of bench/oneshot-cnn.mjs (scripts/
// mnist-common.mjs smallCnn: two 3×3 convolutions, two Dense layers; untrained, speed does not
// depend on it), every kernel pruned to 90% (the convolutions become SparseConv2D).
// And a strided CNN (64×64×3 input: a 3×3 stride-2 SAME stem 3→32, 3×3/2 32→64, 3×3 64→64, 3×3/2
// 64→128, 1×1 128→128, Dense 8192→10; N(0, 0.05²) weights), every kernel pruned to 90%: its
// strided convolutions become SparseConv2D with their strides.
//   --models=lenet,mlp,cnn,strided picks the models (default: the first three); --batches=1,64.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerSparseKernels, toSparseModel } from '../dist/sparse.mjs';
import { smallCnn } from '../scripts/mnist-common.mjs';
import { benchOptions, normalWeights, timeTurns } from './lib.mjs';

const { opt } = benchOptions();
const ROUNDS = Number(opt('rounds', '5'));
const TIME = Number(opt('time', '150'));
// The clock of the table: 'cpu' (default; this process's CPU time) or 'wall' (bench/lib.mjs, timeTurns).
const CLOCK = opt('clock', 'cpu');
const MODELS = opt('models', 'lenet,mlp,cnn').split(',');
const BATCHES = opt('batches', '1,64').split(',').map(Number);
await tf.setBackend('wasm');
await registerSparseKernels();

function prune(model, sparsity) {
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'Dense' && layer.getClassName() !== 'Conv2D') continue;
    const [k, b] = layer.getWeights();
    const w = k.dataSync().slice();
    const mags = Float32Array.from(w, Math.abs).sort();
    const t = mags[Math.round(sparsity * w.length) - 1];
    let left = Math.round(sparsity * w.length);
    for (let i = 0; i < w.length && left > 0; i++) if (Math.abs(w[i]) <= t) { w[i] = 0; left--; }
    layer.setWeights([tf.tensor(w, k.shape), b]);
  }
}

async function lenet() {
  const json = JSON.parse(readFileSync('examples/mnist-mlp/model.json', 'utf8'));
  const bin = readFileSync('examples/mnist-mlp/group1-shard1of1.bin');
  const weightSpecs = json.weightsManifest.flatMap((g) => g.weights);
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) }));
}

function mlp() {
  const m = tf.sequential();
  m.add(tf.layers.dense({ units: 2048, activation: 'relu', inputShape: [2048] }));
  m.add(tf.layers.dense({ units: 2048, activation: 'relu' }));
  m.add(tf.layers.dense({ units: 2048, activation: 'relu' }));
  m.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  let seed = 1;
  for (const l of m.layers) {
    const [k, b] = l.getWeights();
    l.setWeights([tf.tensor(normalWeights(k.size, seed++), k.shape), tf.tensor(normalWeights(b.size, seed++), b.shape)]);
  }
  return m;
}

function stridedCnn() {
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: [64, 64, 3], filters: 32, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }));
  m.add(tf.layers.conv2d({ filters: 64, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }));
  m.add(tf.layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' }));
  m.add(tf.layers.conv2d({ filters: 128, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }));
  m.add(tf.layers.conv2d({ filters: 128, kernelSize: 1, activation: 'relu' }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  let seed = 1;
  for (const l of m.layers) {
    const w = l.getWeights();
    if (w.length === 2) l.setWeights(w.map((t) => tf.tensor(normalWeights(t.size, seed++), t.shape)));
  }
  return m;
}

const rows = [];
const ALL = { lenet: ['LeNet-300-100', lenet, 0.92], mlp: ['MLP 2048-2048-2048-10', mlp, 0.9], cnn: ['MNIST CNN (smallCnn, untrained)', () => smallCnn(), 0.9], strided: ['Strided CNN 64×64 (untrained)', stridedCnn, 0.9] };
for (const [name, make, sparsity] of MODELS.map((m) => ALL[m])) {
  const dense = await make();
  prune(dense, sparsity);
  const inShape = dense.inputs[0].shape.slice(1);
  const k = inShape.reduce((a, v) => a * v, 1);
  const weighted = dense.layers.filter((l) => l.getClassName() === 'Dense' || l.getClassName() === 'Conv2D');
  const forced = await toSparseModel(dense, { overrides: Object.fromEntries(weighted.map((l) => [l.name, 'sparse'])) });
  // Before strides and dilations reached SparseConv2D, those convolutions stayed dense: the same
  // model with them forced dense, timed in the same turns.
  const strided = (l) => [l.getConfig().strides, l.getConfig().dilationRate].some((p) => Array.isArray(p) && p.some((v) => v !== 1));
  const before = weighted.some(strided) ? await toSparseModel(dense, { overrides: Object.fromEntries(weighted.map((l) => [l.name, strided(l) ? 'dense' : 'sparse'])) }) : null;
  for (const batch of BATCHES) {
    const measured = await toSparseModel(dense, { batchSizes: [batch] });
    const x = tf.tensor(normalWeights(batch * k, 9).map(Math.abs), [batch, ...inShape]);
    const models = [dense, forced.model, measured.model, ...(before === null ? [] : [before.model])];
    const t = timeTurns(models.map((model) => () => model.predict(x, { batchSize: batch })), { rounds: ROUNDS, time: TIME, warmup: 3 });
    const [d, f, m, b] = t.map((c) => c[CLOCK]);
    const [dw, fw, mw] = t.map((c) => c.wall);
    const chosen = measured.report.layers.map((l) => (l.decision === 'sparse' ? 'S' : 'D')).join('');
    rows.push(`| ${name} @ ${sparsity * 100}% | ${batch} | ${d.toFixed(3)} | ${f.toFixed(3)} (${(d / f).toFixed(1)}×) | ${m.toFixed(3)} (${(d / m).toFixed(1)}×) ${chosen} | ${(forced.report.afterBytes / forced.report.denseBytes).toFixed(3)} | ${(dw / fw).toFixed(1)}× / ${(dw / mw).toFixed(1)}× |`);
    if (before !== null) {
      const chosenBefore = before.report.layers.map((l) => (l.decision === 'sparse' ? 'S' : 'D')).join('');
      rows.push(`| ${name} @ ${sparsity * 100}%, strided convolutions dense (as before) | ${batch} | ${d.toFixed(3)} | ${b.toFixed(3)} (${(d / b).toFixed(1)}×) ${chosenBefore} | — | ${(before.report.afterBytes / before.report.denseBytes).toFixed(3)} | ${(dw / t[3].wall).toFixed(1)}× / — |`);
    }
    process.stderr.write(rows.slice(before === null ? -1 : -2).join('\n') + '\n');
    x.dispose();
    measured.model.dispose();
  }
  forced.model.dispose();
  before?.model.dispose();
  dense.dispose();
}
console.log(`tfjs ${tf.version.tfjs}, wasm backend, ${CLOCK} clock, ${ROUNDS} rounds\n`);
console.log('| model | batch | dense ms | all sparse ms (×) | measured choice ms (×), per layer S/D | kernel bytes sparse/dense | wall clock: all sparse / measured |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
