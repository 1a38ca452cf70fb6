// Ablation for docs/training.md's choice of centroid update. Two ways to fine-tune shared values
// after Adam has stepped every weight: the members' mean (what Clusterer.apply does) and Deep
// Compression's summed update (each centroid moves by the sum of its members' steps, c += Σ(w − c)).
// Starting point: the 92%-pruned LeNet-300-100 that bench/training-cluster.mjs caches in
// bench/.tmp/lenet-92/ (run that first), clustered to --bits; one epoch over the first 12 000
// training images (in file order, no shuffle) per variant and learning rate; error on the full
// test set.
//
//   npm run build && nice -n 5 node bench/training-cluster-update.mjs [--bits=3]
//
// The summed variant reaches into the Clusterer's private state (its clusters and write()): it is
// an experiment, not an API. About 3 minutes.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { init } from '../dist/index.mjs';
import { loadArtifacts } from '../dist/node.mjs';
import { Clusterer, registerPruneKernels } from '../dist/tfjs.mjs';
import { accuracy, args, lenet300100, mnistTensors, pct, setupTf } from '../scripts/mnist-common.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bits = Number(args().bits ?? 3);
const tf = await setupTf();
await init();
await registerPruneKernels();
const train = await mnistTensors('train', { limit: 12000 });
const test = await mnistTensors('test');
const base = await tf.loadLayersModel(tf.io.fromMemory(await loadArtifacts(path.join(root, 'bench/.tmp/lenet-92'))));
console.log(`pruned 92%: test error ${pct(1 - accuracy(base, test))}; ${bits} bits`);
console.log('| centroid update | Adam rate | right after snapping | after 1 epoch (12 000 images) |');
console.log('|---|--:|--:|--:|');
for (const variant of ['mean', 'sum']) {
  for (const lr of [1e-4, 5e-4]) {
    const m = lenet300100(1);
    m.setWeights(base.getWeights());
    const c = new Clusterer(m, { bits });
    await c.start();
    const snap = 1 - accuracy(m, test);
    m.compile({ optimizer: tf.train.adam(lr), loss: 'categoricalCrossentropy' });
    class Update extends tf.Callback {
      async onBatchEnd() {
        if (variant === 'mean') return c.apply();
        for (const k of c.clustered) {
          const v = k.variable.read().dataSync();
          const step = new Float64Array(k.centroids.length);
          for (let j = 0; j < k.index.length; j++) step[k.code[j]] += v[k.index[j]] - k.centroids[k.code[j]];
          for (let q = 0; q < step.length; q++) k.centroids[q] += step[q];
        }
        c.write();
      }
    }
    await m.fit(train.x, train.y, { epochs: 1, batchSize: 128, shuffle: false, verbose: 0, callbacks: [new Update()] });
    console.log(`| ${variant} | ${lr} | ${pct(snap)} | ${pct(1 - accuracy(m, test))} |`);
    c.strip();
    m.dispose();
  }
}
