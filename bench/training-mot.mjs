// TF Model Optimization's Keras pruning tutorial ("Pruning in Keras example", tensorflow.org/
// model_optimization/guide/pruning/pruning_with_keras) redone in tfjs. The same small CNN
// (Reshape, Conv2D 12 3x3 ReLU, MaxPool 2x2, Flatten, Dense 10; 20 410 parameters) is trained as
// the tutorial's baseline (4 epochs, Adam 1e-3, Keras' default batch 32, validation_split 0.1),
// then pruned while fine-tuning, stripped, and compared by gzip size: dense float32 vs pruned
// float32 (the tutorial: 3x smaller) vs pruned + quantized (the tutorial, with TFLite
// quantization: 10x). Our quantization is tfjs-prune's zero-preserving uint8
// (pruneArtifacts { quantize: 'uint8' }), which stock tfjs loads.
//
//   npm run build && node bench/training-mot.mjs [--sparsity=0.85] [--scope=global]
//
// Rows:
//   tutorial recipe  exactly the tutorial's pruning: PolynomialDecay(0.5 -> 0.8, begin 0,
//                    end ceil(54000 / 128) * 2 = 844, frequency 100), 2 epochs at batch 128, Adam 1e-3
//   our recipe       the same schedule shape to --sparsity (0.5 -> 0.85, end 800, so the last update
//                    reaches it) with one global threshold over both kernels (--scope=global: the
//                    108-weight conv kernel is not cut to 15% like the 20 280-weight dense one),
//                    2 epochs at Adam 1e-3, then 2 epochs at Adam 1e-4 with the masks held (batch 128)
//   control          the dense baseline given our recipe's 4 fine-tuning epochs without pruning:
//                    what the extra epochs at a lower rate alone are worth
// Keras' validation_split takes the last 10% of the training arrays: training uses the first
// 54 000 images (the validation images are not used); the test set is only reported.
//
// tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter; scripts/mnist-common.mjs registers one built
// on its Conv3DBackpropFilterV2 (the cpu backend takes 20 minutes an epoch here, wasm 35 s).
// Prints a table and writes bench/.tmp/training-mot.json. About 8 minutes.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { init } from '../dist/index.mjs';
import { gzipSize, polynomialDecay, pruneArtifacts, PruningCallback, registerPruneKernels } from '../dist/tfjs.mjs';
import { accuracy, args, mnistTensors, pct, rng, setupTf, shuffled, sparsityOf, tutorialCnn } from '../scripts/mnist-common.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const opt = args();
const target = Number(opt.sparsity ?? 0.85);
const scope = opt.scope ?? 'global';
const tf = await setupTf(opt.backend ?? 'wasm');
await init();
await registerPruneKernels();
const started = performance.now();
const log = (s) => console.error(`[${((performance.now() - started) / 1000).toFixed(0)} s] ${s}`);

const train = await mnistTensors('train', { limit: 54000 });
const test = await mnistTensors('test');
const random = rng(1234);
async function fitEpochs(model, epochs, batchSize, lr, callbacks) {
  model.compile({ optimizer: tf.train.adam(lr), loss: 'categoricalCrossentropy' });
  for (let e = 0; e < epochs; e++) {
    const s = shuffled(train, random);
    await model.fit(s.x, s.y, { epochs: 1, batchSize, shuffle: false, verbose: 0, callbacks });
    tf.dispose([s.x, s.y]);
  }
}
const artifactsOf = async (model) => {
  let a;
  await model.save(tf.io.withSaveHandler(async (x) => {
    a = x;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return a;
};
const copy = (a) => tf.loadLayersModel(tf.io.fromMemory(a));
const weightBytes = (a) => new Uint8Array(Array.isArray(a.weightData) ? a.weightData[0] : a.weightData);
// What a saved model.json + shard take, each gzipped (fflate level 6, as the report).
function sizes(a) {
  const json = new TextEncoder().encode(JSON.stringify({ modelTopology: a.modelTopology, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: a.weightSpecs }] }));
  const w = weightBytes(a);
  return { weightsRaw: w.length, weightsGzip: gzipSize(w), totalGzip: gzipSize(w) + gzipSize(json) };
}
// Zero-preserving uint8 quantization of every float32 tensor (sparsity 0: nothing more is pruned).
const quantize = async (a) => (await pruneArtifacts(a, { sparsity: 0, quantize: 'uint8' }, { gzip: false })).artifacts;
async function row(name, artifacts) {
  const m = await copy(artifacts);
  const layers = m.weights.filter((w) => w.shape.length >= 2).map((w) => {
    const v = w.read().dataSync();
    let z = 0;
    for (let i = 0; i < v.length; i++) if (v[i] === 0) z++;
    return `${w.originalName.split('/')[0]} ${pct(z / v.length, 1)}`;
  });
  const r = { name, acc: accuracy(m, test), sparsity: sparsityOf(m).kernels, layers, ...sizes(artifacts) };
  m.dispose();
  return r;
}

log('baseline: 4 epochs, batch 32, Adam 1e-3');
const baseline = tutorialCnn(1);
await fitEpochs(baseline, 4, 32, 1e-3);
const dense = await artifactsOf(baseline);
log(`baseline test accuracy ${pct(accuracy(baseline, test))}`);

const tutorialEnd = Math.ceil(54000 / 128) * 2;
const tut = await copy(dense);
const tutCallback = new PruningCallback({ schedule: polynomialDecay({ initialSparsity: 0.5, finalSparsity: 0.8, beginStep: 0, endStep: tutorialEnd }) });
await fitEpochs(tut, 2, 128, 1e-3, [tutCallback]);
tutCallback.strip();
const tutorial = await artifactsOf(tut);
log(`tutorial recipe: ${pct(accuracy(tut, test))}`);

const ours = await copy(dense);
const endStep = Math.floor(tutorialEnd / 100) * 100;
const callback = new PruningCallback({ scope, schedule: polynomialDecay({ initialSparsity: 0.5, finalSparsity: target, beginStep: 0, endStep }) });
await fitEpochs(ours, 2, 128, 1e-3, [callback]);
await fitEpochs(ours, 2, 128, 1e-4, [callback]);
callback.strip();
const pruned = await artifactsOf(ours);
log(`our recipe: ${pct(accuracy(ours, test))}`);

const ctl = await copy(dense);
await fitEpochs(ctl, 2, 128, 1e-3);
await fitEpochs(ctl, 2, 128, 1e-4);
const control = await artifactsOf(ctl);
log(`control: ${pct(accuracy(ctl, test))}`);

const rows = [
  await row('dense float32 (baseline)', dense),
  await row('dense, uint8', await quantize(dense)),
  await row('tutorial recipe: pruned 80%, float32', tutorial),
  await row('tutorial recipe: pruned 80%, uint8', await quantize(tutorial)),
  await row(`our recipe: pruned ${pct(target, 0)}, float32`, pruned),
  await row(`our recipe: pruned ${pct(target, 0)}, uint8 (zero-preserving)`, await quantize(pruned)),
  await row('control: dense + the same fine-tuning, float32', control),
];
const [base] = rows;
const minutes = (performance.now() - started) / 60000;
const pp = (a) => `${a - base.acc >= 0 ? '+' : ''}${(100 * (a - base.acc)).toFixed(2)} pp`;
console.log('| model | kernel sparsity | test accuracy | vs dense | weights gzip | × smaller | model.json + weights, gzip | × smaller |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.name} | ${pct(r.sparsity, 1)} | ${pct(r.acc)} | ${r === base ? '—' : pp(r.acc)} | ${r.weightsGzip} B | ${(base.weightsGzip / r.weightsGzip).toFixed(2)}× | ${r.totalGzip} B | ${(base.totalGzip / r.totalGzip).toFixed(2)}× |`);
}
console.log(`\nkernel sparsity per layer: ${rows.slice(2, 6).map((r) => `${r.name}: ${r.layers.join(', ')}`).join('; ')}`);
const p = rows[4];
const q = rows[5];
const ok = (v) => (v ? 'MET' : 'NOT MET');
console.log(`\ntargets (our recipe, weights gzip):`);
console.log(`  pruned >= 4x smaller: ${(base.weightsGzip / p.weightsGzip).toFixed(2)}x -> ${ok(base.weightsGzip / p.weightsGzip >= 4)} (with model.json: ${(base.totalGzip / p.totalGzip).toFixed(2)}x)`);
console.log(`  pruned + uint8 >= 12x smaller: ${(base.weightsGzip / q.weightsGzip).toFixed(2)}x -> ${ok(base.weightsGzip / q.weightsGzip >= 12)} (with model.json: ${(base.totalGzip / q.totalGzip).toFixed(2)}x)`);
console.log(`  accuracy within 0.3 pp of dense: pruned ${pp(p.acc)}, pruned + uint8 ${pp(q.acc)} -> ${ok(p.acc >= base.acc - 0.003 && q.acc >= base.acc - 0.003)}; against the control: ${((p.acc - rows[6].acc) * 100).toFixed(2)} pp`);
console.log(`(our recipe: ${scope} scope; ${tf.getBackend()} backend; ${minutes.toFixed(1)} min)`);
mkdirSync(path.join(root, 'bench/.tmp'), { recursive: true });
writeFileSync(path.join(root, 'bench/.tmp/training-mot.json'), JSON.stringify({ target, scope, tutorialEnd, endStep, rows, minutes }, null, 2));
