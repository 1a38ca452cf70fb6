// Whole models: toSparseModel's model against the dense one, same weights, same run, wasm backend.
//   node bench/sparse-model.mjs [--rounds=5] [--time=MS] [--clock=cpu|wall]
// LeNet-300-100 (examples/mnist-mlp, trained) pruned to 92% per layer, and an MLP
// 2048-2048-2048-10 (N(0, 0.05²) weights) pruned to 90% per layer; batch 1 and 64, predict with
// batchSize = the batch (RECIPES.md: without it predict slices the input in 32s with copies).
// Each model is converted twice: every Dense layer forced sparse, and by toSparseModel's own
// measured decision for that batch size. Also the MNIST CNN of bench/oneshot-cnn.mjs (scripts/
// mnist-common.mjs smallCnn: two 3×3 convolutions, two Dense layers; untrained, speed does not
// depend on it), every kernel pruned to 90% (the convolutions become SparseConv2D).
//   --models=lenet,mlp,cnn picks the models.
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

const rows = [];
const ALL = { lenet: ['LeNet-300-100', lenet, 0.92], mlp: ['MLP 2048-2048-2048-10', mlp, 0.9], cnn: ['MNIST CNN (smallCnn, untrained)', () => smallCnn(), 0.9] };
for (const [name, make, sparsity] of MODELS.map((m) => ALL[m])) {
  const dense = await make();
  prune(dense, sparsity);
  const k = dense.inputs[0].shape[1];
  const weighted = dense.layers.filter((l) => l.getClassName() === 'Dense' || l.getClassName() === 'Conv2D');
  const forced = await toSparseModel(dense, { overrides: Object.fromEntries(weighted.map((l) => [l.name, 'sparse'])) });
  for (const batch of [1, 64]) {
    const measured = await toSparseModel(dense, { batchSizes: [batch] });
    const x = tf.tensor2d(normalWeights(batch * k, 9).map(Math.abs), [batch, k]);
    const t = timeTurns([dense, forced.model, measured.model].map((model) => () => model.predict(x, { batchSize: batch })), { rounds: ROUNDS, time: TIME, warmup: 3 });
    const [d, f, m] = t.map((c) => c[CLOCK]);
    const [dw, fw, mw] = t.map((c) => c.wall);
    const chosen = measured.report.layers.map((l) => (l.decision === 'sparse' ? 'S' : 'D')).join('');
    rows.push(`| ${name} @ ${sparsity * 100}% | ${batch} | ${d.toFixed(3)} | ${f.toFixed(3)} (${(d / f).toFixed(1)}×) | ${m.toFixed(3)} (${(d / m).toFixed(1)}×) ${chosen} | ${(forced.report.afterBytes / forced.report.denseBytes).toFixed(3)} | ${(dw / fw).toFixed(1)}× / ${(dw / mw).toFixed(1)}× |`);
    process.stderr.write(rows[rows.length - 1] + '\n');
    x.dispose();
    measured.model.dispose();
  }
  forced.model.dispose();
  dense.dispose();
}
console.log(`tfjs ${tf.version.tfjs}, wasm backend, ${CLOCK} clock, ${ROUNDS} rounds\n`);
console.log('| model | batch | dense ms | all sparse ms (×) | measured choice ms (×), per layer S/D | kernel bytes sparse/dense | wall clock: all sparse / measured |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
