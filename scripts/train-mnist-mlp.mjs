// Trains LeNet-300-100 (784-300-100-10, ReLU, softmax) on the full MNIST training set with tfjs on
// its wasm backend in Node, and saves it as a standard tfjs layers model (model.json + one weight
// shard) to examples/mnist-mlp/. Deterministic: seeded initializers, seeded shuffles, and a
// single-threaded backend, so the same command gives the same weights on the same machine.
//
//   npm run build && node scripts/train-mnist-mlp.mjs [--epochs=15] [--fine-epochs=3] [--lr=0.001]
//                                                     [--batch=128] [--seed=1] [--out=examples/mnist-mlp]
//
// Adam at `lr` for epochs - fine-epochs epochs, then lr/10 for the last fine-epochs. The test set
// is only reported (after every epoch, for the log); the model saved is the last one, not the
// best on the test set.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { saveArtifacts } from '../dist/node.mjs';
import { accuracy, args, lenet300100, mnistTensors, pct, rng, setupTf, shuffled } from './mnist-common.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const opt = args();
const epochs = Number(opt.epochs ?? 15);
const fineEpochs = Number(opt['fine-epochs'] ?? 3);
const lr = Number(opt.lr ?? 0.001);
const batchSize = Number(opt.batch ?? 128);
const seed = Number(opt.seed ?? 1);
const out = path.resolve(root, opt.out ?? 'examples/mnist-mlp');

const tf = await setupTf();
const train = await mnistTensors('train');
const test = await mnistTensors('test');
const model = lenet300100(seed);
const random = rng(seed);
const started = performance.now();
let acc = 0;
for (let epoch = 0; epoch < epochs; epoch++) {
  const rate = epoch < epochs - fineEpochs ? lr : lr / 10;
  // A fresh optimizer when the rate drops (Adam's moments restart), compiled once per phase.
  if (epoch === 0 || epoch === epochs - fineEpochs) model.compile({ optimizer: tf.train.adam(rate), loss: 'categoricalCrossentropy' });
  const t0 = performance.now();
  const s = shuffled(train, random);
  const h = await model.fit(s.x, s.y, { epochs: 1, batchSize, shuffle: false, verbose: 0 });
  tf.dispose([s.x, s.y]);
  acc = accuracy(model, test);
  const secs = (performance.now() - t0) / 1000;
  console.log(`epoch ${epoch + 1}/${epochs}  lr ${rate}  loss ${h.history.loss[0].toFixed(4)}  test accuracy ${pct(acc)}  (${secs.toFixed(1)} s)`);
}
const minutes = (performance.now() - started) / 60000;
await model.save(
  tf.io.withSaveHandler(async (artifacts) => {
    await saveArtifacts(out, artifacts, { overwrite: true });
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }),
);
console.log(`saved ${path.relative(root, out)}: test accuracy ${pct(acc)} (error ${pct(1 - acc)}), ${epochs} epochs in ${minutes.toFixed(1)} min`);
