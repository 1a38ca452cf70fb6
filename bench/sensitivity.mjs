// Sensitivity analysis on a small MNIST CNN (issue 7, "Results"): scan each layer's accuracy
// against its own sparsity, propose per-layer sparsities for 80% overall, and compare that
// proposal with uniform 80% (every kernel at 80%, TF MOT's default) and with one global magnitude
// threshold at 80%, each pruned one-shot and then fine-tuned the same short way with its masks held.
//
//   npm run build && nice -n 10 node bench/sensitivity.mjs [--target=0.8] [--train=20000] [--epochs=2] [--hidden=64]
//
// Model: Reshape(28,28,1), Conv2D 8 3x3 ReLU, MaxPool 2, Conv2D 16 3x3 ReLU, MaxPool 2, Flatten,
// Dense --hidden ReLU (fc1; none with --hidden=0), Dense 10 softmax. Kernels: 72 + 1152 + 25 600
// + 640 = 27 464 weights with --hidden=64; 72 + 1152 + 4000 = 5224 with --hidden=0.
// Data: the first --train training images train it (Adam 1e-3, batch 64, --epochs epochs); the
// scan's evaluate is accuracy on a validation slice of the training set (images 55 000-59 999,
// never trained on); the test set (10 000) is only reported.
// Fine-tuning: 1 epoch over the same training images, Adam 3e-4, batch 64; PruningCallback with a
// constant schedule that prunes once at step 0 (to the pattern already there) and then only holds
// the masks: pruned weights are exactly 0 after every batch.
//
// tfjs-backend-wasm in Node, with scripts/mnist-common.mjs's Conv2DBackpropFilter shim.
// Prints a table, writes bench/.tmp/sensitivity.json and bench/.tmp/sensitivity.svg (the chart).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { init } from '../dist/index.mjs';
import { constantSparsity, proposeSparsities, pruneModel, PruningCallback, registerPruneKernels, sensitivityChart, sensitivityScan } from '../dist/tfjs.mjs';
import { accuracy, args, mnistTensors, pct, rng, setupTf, shuffled, smallCnn } from '../scripts/mnist-common.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const opt = args();
const target = Number(opt.target ?? 0.8);
const trainCount = Number(opt.train ?? 20000);
const epochs = Number(opt.epochs ?? 2);
const hidden = Number(opt.hidden ?? 64);
const sparsities = [0.5, 0.7, 0.8, 0.9, 0.95, 0.98];
const tf = await setupTf(opt.backend ?? 'wasm');
await init();
await registerPruneKernels();
const started = performance.now();
const log = (s) => console.error(`[${((performance.now() - started) / 1000).toFixed(0)} s] ${s}`);

const train = await mnistTensors('train', { limit: trainCount });
const val = await mnistTensors('train', { offset: 55000, limit: 5000 });
const test = await mnistTensors('test');
const random = rng(4321);

async function fit(model, n, lr, callbacks) {
  model.compile({ optimizer: tf.train.adam(lr), loss: 'categoricalCrossentropy' });
  for (let e = 0; e < n; e++) {
    const s = shuffled(train, random);
    await model.fit(s.x, s.y, { epochs: 1, batchSize: 64, shuffle: false, verbose: 0, callbacks });
    tf.dispose([s.x, s.y]);
  }
}

/** A copy of `model` with the same weights (own tensors: nothing shared). */
function copyOf(model) {
  const m = smallCnn({ seed: 9, hidden });
  m.setWeights(model.getWeights().map((w) => tf.tensor(w.dataSync().slice(), w.shape)));
  return m;
}

function kernelSparsity(model) {
  const per = {};
  let z = 0;
  let n = 0;
  for (const w of model.weights) {
    if (w.shape.length < 2) continue;
    const v = w.read().dataSync();
    let zeros = 0;
    for (let i = 0; i < v.length; i++) if (v[i] === 0) zeros++;
    per[w.originalName.split('/')[0]] = zeros / v.length;
    z += zeros;
    n += v.length;
  }
  return { overall: z / n, per };
}

log(`training the CNN: ${epochs} epochs on ${trainCount} images`);
const dense = smallCnn({ seed: 1, hidden });
await fit(dense, epochs, 1e-3);
const denseTest = accuracy(dense, test);
log(`dense: validation ${pct(accuracy(dense, val))}, test ${pct(denseTest)}`);

const scanStart = performance.now();
const scan = await sensitivityScan(dense, (m) => accuracy(m, val), {
  sparsities,
  metric: 'accuracy',
  onProgress: (p) => p.done % sparsities.length === 0 && log(`scan: ${p.layer} done (${p.done}/${p.total})`),
});
const scanSeconds = (performance.now() - scanStart) / 1000;
const proposal = proposeSparsities(scan, { targetSparsity: target });
log(`proposal for ${pct(target, 0)}: ${proposal.layers.map((l) => `${l.name} ${pct(l.sparsity, 1)}`).join(', ')}; predicted drop ${pct(proposal.predictedDrop)}`);

// Each variant: one-shot prune, fine-tune with the masks held, test accuracy before and after.
// `hold`: the same selection as `config`, for the callback (its sparsity comes from the schedule).
async function variant(name, config, hold) {
  const m = copyOf(dense);
  await pruneModel(m, config, { gzip: false });
  const sp = kernelSparsity(m);
  const oneShotVal = accuracy(m, val);
  const oneShot = accuracy(m, test);
  const { sparsity = 0, ...selection } = hold;
  const callback = new PruningCallback({ ...selection, schedule: constantSparsity({ targetSparsity: sparsity, beginStep: 0, frequency: 1_000_000 }) });
  await fit(m, 1, 3e-4, [callback]);
  callback.strip();
  const after = kernelSparsity(m);
  const r = { name, sparsity: sp.overall, per: sp.per, sparsityAfter: after.overall, oneShotVal, oneShot, fineTuned: accuracy(m, test) };
  m.dispose();
  log(`${name}: kernels ${pct(r.sparsity, 2)}, one-shot test ${pct(r.oneShot)}, fine-tuned ${pct(r.fineTuned)}`);
  return r;
}

const rows = [
  await variant(`uniform ${pct(target, 0)} (every kernel)`, { sparsity: target }, { sparsity: target }),
  await variant(`global ${pct(target, 0)} (one threshold)`, { sparsity: target, scope: 'global' }, { sparsity: target, scope: 'global' }),
  await variant(`sensitivity proposal for ${pct(target, 0)}`, proposal.config, { overrides: proposal.overrides }),
];
const minutes = (performance.now() - started) / 60000;

const pp = (a) => `${a - denseTest >= 0 ? '+' : ''}${(100 * (a - denseTest)).toFixed(2)} pp`;
console.log(`\nscan: ${scan.layers.length} layers x ${sparsities.length} sparsities = ${scan.evaluations} evaluations on 5 000 validation images, ${scanSeconds.toFixed(1)} s`);
console.log(`| layer | class | weights | ${sparsities.map((s) => pct(s, 0)).join(' | ')} | proposed |`);
console.log(`|---|---|--:|${sparsities.map(() => '--:').join('|')}|--:|`);
scan.layers.forEach((l, i) => console.log(`| ${l.name} | ${l.className} | ${l.params} | ${l.metrics.map((m) => pct(m)).join(' | ')} | ${pct(proposal.layers[i].sparsity, 1)} |`));
console.log(`(validation accuracy with that one layer pruned; dense: ${pct(scan.baseline)}; predicted drop of the proposal ${(100 * proposal.predictedDrop).toFixed(2)} pp)\n`);
console.log(`| model | kernel sparsity | per layer (${scan.layers.map((l) => l.name).join(' / ')}) | test, one-shot | test, fine-tuned | vs dense |`);
console.log('|---|--:|---|--:|--:|--:|');
console.log(`| dense | 0% | — | ${pct(denseTest)} | — | — |`);
for (const r of rows) {
  console.log(`| ${r.name} | ${pct(r.sparsity, 2)} | ${scan.layers.map((l) => pct(r.per[l.name], 1)).join(' / ')} | ${pct(r.oneShot)} | ${pct(r.fineTuned)} | ${pp(r.fineTuned)} |`);
}
console.log(`\n(${tf.getBackend()} backend; ${minutes.toFixed(1)} min)`);
mkdirSync(path.join(root, 'bench/.tmp'), { recursive: true });
writeFileSync(path.join(root, 'bench/.tmp/sensitivity.json'), JSON.stringify({ target, trainCount, epochs, hidden, denseTest, scan, scanSeconds, proposal, rows, minutes }, null, 2));
writeFileSync(path.join(root, 'bench/.tmp/sensitivity.svg'), sensitivityChart(scan));
