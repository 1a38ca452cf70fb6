// TF Model Optimization's Keras pruning tutorial ("Pruning in Keras example", tensorflow.org/
// model_optimization/guide/pruning/pruning_with_keras) redone in tfjs: the same small CNN
// (Reshape, Conv2D 12 3x3 ReLU, MaxPool 2x2, Flatten, Dense 10) trained 4 epochs on MNIST with
// validation_split 0.1, then pruned while fine-tuning 2 epochs (batch 128) under
// PolynomialDecay(0.5 -> 0.8, begin 0, end ceil(54000 / 128) * 2 = 844, frequency 100), stripped,
// and compared by gzip size: dense float32 vs pruned float32 (the tutorial: 3x smaller) vs pruned
// + quantized (the tutorial, with TFLite quantization: 10x). Our quantization is tfjs-prune's
// zero-preserving uint8 (pruneArtifacts { quantize: 'uint8' }), which stock tfjs loads.
//
//   npm run build && node bench/training-mot.mjs [--baseline-batch=32] [--backend=cpu]
//
// The cpu backend: tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter, so it cannot train a
// convolution. Prints a table and writes bench/.tmp/training-mot.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { init } from '../dist/index.mjs';
import { gzipSize, polynomialDecay, pruneArtifacts, PruningCallback, registerPruneKernels } from '../dist/tfjs.mjs';
import { accuracy, args, mnistTensors, pct, rng, setupTf, shuffled, sparsityOf, tutorialCnn } from '../scripts/mnist-common.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const opt = args();
const baselineBatch = Number(opt['baseline-batch'] ?? 32);
const tf = await setupTf(opt.backend ?? 'cpu');
await init();
await registerPruneKernels();
const started = performance.now();
const log = (s) => console.error(`[${((performance.now() - started) / 1000).toFixed(0)} s] ${s}`);

// Keras' validation_split takes the last 10% of the training arrays, before any shuffling.
const train = await mnistTensors('train', { limit: 54000 });
const test = await mnistTensors('test');
const random = rng(1234);
async function fitEpochs(model, epochs, batchSize, callbacks) {
  for (let e = 0; e < epochs; e++) {
    const s = shuffled(train, random);
    await model.fit(s.x, s.y, { epochs: 1, batchSize, shuffle: false, verbose: 0, callbacks });
    tf.dispose([s.x, s.y]);
    log(`  epoch ${e + 1}/${epochs} done`);
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
const weightBytes = (a) => new Uint8Array(Array.isArray(a.weightData) ? a.weightData[0] : a.weightData);
// What a saved model.json + shard take, each gzipped (fflate level 6, as the report).
function sizes(a) {
  const json = new TextEncoder().encode(JSON.stringify({ modelTopology: a.modelTopology, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: a.weightSpecs }] }));
  const w = weightBytes(a);
  return { weightsRaw: w.length, weightsGzip: gzipSize(w), jsonGzip: gzipSize(json), totalGzip: gzipSize(w) + gzipSize(json) };
}

log(`baseline: 4 epochs, batch ${baselineBatch}, ${tf.getBackend()} backend`);
const baseline = tutorialCnn(1);
baseline.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
await fitEpochs(baseline, 4, baselineBatch);
const denseAcc = accuracy(baseline, test);
const denseArtifacts = await artifactsOf(baseline);
log(`baseline test accuracy ${pct(denseAcc)}`);

const endStep = Math.ceil(54000 / 128) * 2;
const model = await tf.loadLayersModel(tf.io.fromMemory(denseArtifacts));
model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
const callback = new PruningCallback({ schedule: polynomialDecay({ initialSparsity: 0.5, finalSparsity: 0.8, beginStep: 0, endStep }) });
log(`pruning: 2 epochs, batch 128, polynomial decay 50% -> 80% over ${endStep} steps`);
await fitEpochs(model, 2, 128, [callback]);
callback.strip();
const prunedAcc = accuracy(model, test);
const prunedSparsity = sparsityOf(model);
const prunedArtifacts = await artifactsOf(model);
log(`pruned test accuracy ${pct(prunedAcc)}, kernel sparsity ${pct(prunedSparsity.kernels)}`);

// Zero-preserving uint8 quantization of every float32 tensor (sparsity 0: nothing more is pruned).
const quant = (a) => pruneArtifacts(a, { sparsity: 0, quantize: 'uint8' }, { gzip: false }).then((r) => r.artifacts);
const prunedQ = await quant(prunedArtifacts);
const denseQ = await quant(denseArtifacts);
const accOf = async (a) => {
  const m = await tf.loadLayersModel(tf.io.fromMemory(a));
  const acc = accuracy(m, test);
  m.dispose();
  return acc;
};
const rows = [
  { name: 'dense float32 (baseline)', acc: denseAcc, ...sizes(denseArtifacts) },
  { name: 'dense, uint8', acc: await accOf(denseQ), ...sizes(denseQ) },
  { name: 'pruned 80%, float32', acc: prunedAcc, ...sizes(prunedArtifacts) },
  { name: 'pruned 80%, uint8 (zero-preserving)', acc: await accOf(prunedQ), ...sizes(prunedQ) },
];
const base = rows[0];
const minutes = (performance.now() - started) / 60000;
console.log('| model | test accuracy | weights | weights gzip | × smaller | model.json + weights gzip | × smaller |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.name} | ${pct(r.acc)} | ${r.weightsRaw} B | ${r.weightsGzip} B | ${(base.weightsGzip / r.weightsGzip).toFixed(2)}× | ${r.totalGzip} B | ${(base.totalGzip / r.totalGzip).toFixed(2)}× |`);
}
const p = rows[2];
const q = rows[3];
console.log(`\ntargets: pruned gzip >= 4x smaller: ${(base.weightsGzip / p.weightsGzip).toFixed(2)}x (weights), ${(base.totalGzip / p.totalGzip).toFixed(2)}x (with model.json)`);
console.log(`         pruned + quantized >= 12x smaller: ${(base.weightsGzip / q.weightsGzip).toFixed(2)}x (weights), ${(base.totalGzip / q.totalGzip).toFixed(2)}x (with model.json)`);
console.log(`         accuracy within 0.3 pp of dense: pruned ${((p.acc - base.acc) * 100).toFixed(2)} pp, pruned + uint8 ${((q.acc - base.acc) * 100).toFixed(2)} pp`);
console.log(`(${tf.getBackend()} backend, baseline batch ${baselineBatch}; ${minutes.toFixed(1)} min)`);
mkdirSync(path.join(root, 'bench/.tmp'), { recursive: true });
writeFileSync(path.join(root, 'bench/.tmp/training-mot.json'), JSON.stringify({ baselineBatch, endStep, rows, prunedSparsity, minutes }, null, 2));
