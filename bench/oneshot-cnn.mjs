// One-shot pruning of a small MNIST CNN with Conv2D and Dense layers (issue 23, "Results"): the CNN
// of bench/sensitivity.mjs (Conv2D 8 3x3, MaxPool, Conv2D 16 3x3, MaxPool, Flatten, Dense 64,
// Dense 10), trained --epochs epochs on the first --train training images (Adam 1e-3, batch 64,
// seeded), then pruned one-shot without retraining: magnitude, activation and reconstruct at
// --sparsities (global scope), calibrated on --calib training images from 55 000 on (never
// trained on), accuracy on the 10 000 test images. The trained model is cached in
// bench/.tmp/oneshot-cnn/ (delete it to retrain).
//
//   npm run build && nice -n 5 node bench/oneshot-cnn.mjs [--train=20000] [--epochs=2] [--calib=1024] [--sparsities=0.8,0.9]
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadArtifacts, saveArtifacts } from '../dist/node.mjs';
import { accuracy, args, mnistTensors, pct, rng, setupTf, shuffled, smallCnn } from '../scripts/mnist-common.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const opt = args();
const trainCount = Number(opt.train ?? 20000);
const epochs = Number(opt.epochs ?? 2);
const calibCount = Number(opt.calib ?? 1024);
const sparsities = String(opt.sparsities ?? '0.8,0.9').split(',').map(Number);
const methods = String(opt.methods ?? 'magnitude,activation,reconstruct').split(',');
const { pruneOneShot } = await import(process.env.ONESHOT_TFJS ? path.resolve(process.env.ONESHOT_TFJS) : '../dist/tfjs.mjs');
const tf = await setupTf(opt.backend ?? 'wasm');
const cache = path.join(root, `bench/.tmp/oneshot-cnn/train${trainCount}-e${epochs}`);

if (!existsSync(path.join(cache, 'model.json'))) {
  const train = await mnistTensors('train', { limit: trainCount });
  const model = smallCnn();
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  const random = rng(4321);
  for (let e = 0; e < epochs; e++) {
    const s = shuffled(train, random);
    await model.fit(s.x, s.y, { epochs: 1, batchSize: 64, shuffle: false, verbose: 0 });
    tf.dispose([s.x, s.y]);
    console.error(`trained epoch ${e + 1}/${epochs}`);
  }
  mkdirSync(cache, { recursive: true });
  await model.save(tf.io.withSaveHandler(async (a) => {
    await saveArtifacts(cache, a, { overwrite: true });
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
}
const artifacts = await loadArtifacts(cache);
const load = () => tf.loadLayersModel(tf.io.fromMemory(artifacts));
const test = await mnistTensors('test');
const calib = await mnistTensors('train', { offset: 55000, limit: calibCount });
const dense = await load();
console.log(`MNIST CNN (conv1 72, conv2 1152, fc1 25600, fc2 640 kernel weights), ${epochs} epochs on ${trainCount} images: dense ${pct(accuracy(dense, test))}; calibration ${calibCount} training images from 55 000`);
console.log('| method | s | accuracy | wall | cpu | per layer (sparsity, relative error) |');
console.log('|---|---|---|---|---|---|');
for (const s of sparsities) {
  for (const method of methods) {
    const model = await load();
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const report = await pruneOneShot(model, method === 'magnitude' ? null : calib.x, { sparsity: s, scope: 'global', method });
    const wall = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    const layers = report.layers.map((l) => `${l.layer} ${pct(l.sparsity, 1)}${l.error === null ? '' : ` e=${l.error.toFixed(3)}`}`).join(', ');
    console.log(`| ${method} | ${pct(s, 0)} | ${pct(accuracy(model, test))} | ${wall.toFixed(2)} s | ${((c.user + c.system) / 1e6).toFixed(2)} s | ${layers} |`);
    model.dispose();
  }
}
