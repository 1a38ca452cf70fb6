// Han et al. 2015 ("Learning both Weights and Connections for Efficient Neural Networks"), Table 1,
// LeNet-300-100 on MNIST: dense error 1.64%, pruned to 8% of the weights (12x fewer) with error
// 1.59%. Here the bundled dense model (examples/mnist-mlp, error 1.63%, trained by
// scripts/train-mnist-mlp.mjs) is pruned while retraining, to 92% of the kernel weights (global
// magnitude threshold over fc1, fc2, fc3; biases kept), then on to 95% and 98%.
//
//   npm run build && node bench/training-han.mjs [--method=gradual|iterative] [--l2=0.0001]
//                                                [--lr=0.0005] [--fine-lr=0.0001] [--scope=global]
//
// --method=gradual (default): PruningCallback with polynomialDecay, one phase per target:
//     0 -> 92%: 3 epochs of ramp at Adam --lr, then 4 epochs at --fine-lr, masks held;
//     92 -> 95%: 1 + 3 epochs;  95 -> 98%: 2 + 3 epochs  (schedules end on a multiple of the
//     frequency, 100 steps, so each target is reached exactly).
// --method=iterative: Han et al.'s loop with pruneRetrain: prune to 50, 75, 85, 90, 92% with one
//     epoch of retraining at --lr after each, then the same fine-tuning epochs at --fine-lr; then
//     95% and 98% as rounds of their own.
// Both retrain with an L2 penalty on the kernels (--l2, Han et al.'s Caffe weight decay), batch 128,
// seeded shuffles. The test set is only reported. Also reported: each sparsity pruned one-shot
// from the dense model with no retraining (pruneModel), for contrast.
// Prints a table and writes bench/.tmp/training-han.json. About 10 minutes on the 2-core machine.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { init } from '../dist/index.mjs';
import { loadArtifacts } from '../dist/node.mjs';
import { polynomialDecay, pruneModel, pruneRetrain, PruningCallback, registerPruneKernels } from '../dist/tfjs.mjs';
import { accuracy, args, lenet300100, mnistTensors, pct, rng, setupTf, shuffled, sparsityOf } from '../scripts/mnist-common.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const opt = args();
const method = opt.method ?? 'gradual';
const l2 = Number(opt.l2 ?? 1e-4);
const lr = Number(opt.lr ?? 5e-4);
const fineLr = Number(opt['fine-lr'] ?? 1e-4);
const scope = opt.scope ?? 'global';
const STEPS = 469; // batches of 128 in 60 000
const phases = [
  { from: 0, to: 0.92, ramp: 3, fine: 4, rounds: [0.5, 0.75, 0.85, 0.9, 0.92] },
  { from: 0.92, to: 0.95, ramp: 1, fine: 3, rounds: [0.95] },
  { from: 0.95, to: 0.98, ramp: 2, fine: 3, rounds: [0.98] },
];

const tf = await setupTf();
await init();
await registerPruneKernels();
const train = await mnistTensors('train');
const test = await mnistTensors('test');
const artifacts = await loadArtifacts(path.join(root, 'examples/mnist-mlp'));
const dense = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
// The same weights in a model whose loss carries the L2 penalty.
const model = lenet300100(1, { l2 });
model.setWeights(dense.getWeights());
const random = rng(2015);
const started = performance.now();
const log = (s) => console.error(`[${((performance.now() - started) / 1000).toFixed(0)} s] ${s}`);
const compile = (rate) => model.compile({ optimizer: tf.train.adam(rate), loss: 'categoricalCrossentropy' });
async function epoch(callback) {
  const s = shuffled(train, random);
  await model.fit(s.x, s.y, { epochs: 1, batchSize: 128, shuffle: false, verbose: 0, callbacks: [callback] });
  tf.dispose([s.x, s.y]);
}

const denseError = 1 - accuracy(dense, test);
log(`dense: error ${pct(denseError)}`);
// One-shot: the dense model pruned with no retraining.
const oneShot = {};
for (const p of phases) {
  const m = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  await pruneModel(m, { sparsity: p.to, scope }, { gzip: false });
  oneShot[p.to] = 1 - accuracy(m, test);
  m.dispose();
}

const results = [];
for (const p of phases) {
  let epochs = 0;
  if (method === 'gradual') {
    const endStep = Math.floor((p.ramp * STEPS) / 100) * 100;
    const callback = new PruningCallback({ scope, schedule: polynomialDecay({ initialSparsity: p.from, finalSparsity: p.to, beginStep: 0, endStep, frequency: 100 }) });
    compile(lr);
    for (let e = 0; e < p.ramp; e++, epochs++) await epoch(callback);
    compile(fineLr);
    for (let e = 0; e < p.fine; e++, epochs++) await epoch(callback);
    callback.strip();
  } else {
    await pruneRetrain(model, {
      sparsities: p.rounds,
      scope,
      async retrain({ callback, sparsity }) {
        compile(lr);
        await epoch(callback);
        epochs++;
        if (sparsity === p.to) {
          compile(fineLr);
          for (let e = 0; e < p.fine; e++, epochs++) await epoch(callback);
        }
        log(`  round ${pct(sparsity, 0)}: error ${pct(1 - accuracy(model, test))}`);
      },
    });
  }
  const s = sparsityOf(model);
  const error = 1 - accuracy(model, test);
  const layers = model.weights.filter((w) => w.shape.length === 2).map((w) => {
    const v = w.read().dataSync();
    let nz = 0;
    for (let i = 0; i < v.length; i++) if (v[i] !== 0) nz++;
    return { name: w.originalName, kept: nz / v.length };
  });
  results.push({ sparsity: p.to, measured: s.kernels, kept: Math.round((1 - s.kernels) * s.kernelParams), error, oneShot: oneShot[p.to], epochs, layers });
  log(`${pct(p.to, 0)}: error ${pct(error)} after ${epochs} epochs (one-shot, no retraining: ${pct(oneShot[p.to])})`);
}

const minutes = (performance.now() - started) / 60000;
const dpp = (e) => `${e - denseError >= 0 ? '+' : ''}${(100 * (e - denseError)).toFixed(2)} pp`;
console.log('| kernel sparsity | weights kept (of 266,200) | test error | vs dense | retraining epochs | one-shot, no retraining |');
console.log('|---|---|---|---|---|---|');
console.log(`| 0% (dense) | 266,200 | ${pct(denseError)} | — | — | — |`);
for (const r of results) {
  console.log(`| ${pct(r.measured, 1)} | ${r.kept.toLocaleString('en')} (${(266200 / r.kept).toFixed(1)}× fewer) | ${pct(r.error)} | ${dpp(r.error)} | ${r.epochs} | ${pct(r.oneShot)} |`);
}
console.log(`\nkept per layer: ${results.map((r) => `${pct(r.sparsity, 0)}: ${r.layers.map((l) => `${l.name.split('/')[0]} ${pct(l.kept, 1)}`).join(', ')}`).join('; ')}`);
const at92 = results[0];
console.log(`target: error at 92% <= dense + 0.1 pp: ${pct(at92.error)} vs ${pct(denseError)} (${dpp(at92.error)}) -> ${at92.error - denseError <= 0.001 + 1e-9 ? 'MET' : 'NOT MET'}`);
console.log(`(${method}, ${scope} scope, L2 ${l2}, Adam ${lr} then ${fineLr}, batch 128; ${minutes.toFixed(1)} min)`);
mkdirSync(path.join(root, 'bench/.tmp'), { recursive: true });
writeFileSync(path.join(root, 'bench/.tmp/training-han.json'), JSON.stringify({ method, scope, l2, lr, fineLr, denseError, results, minutes }, null, 2));
