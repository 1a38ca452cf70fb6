// The cost of PruningCallback: epochs of LeNet-300-100 on the 60 000 MNIST training images (batch
// 128, 469 batches, Adam, tfjs-backend-wasm in Node) with the callback, against the same epochs
// without it, in the same run. The callback masks every batch (applyMask on the three kernels after
// each optimizer update) and recomputes the masks on its schedule (polynomial decay 50% -> 90%
// every 100 steps: about 5 mask updates per epoch, each reading the weights back).
//
//   npm run build && node bench/training-cost.mjs [--epochs=3] [--segments=10]
//
// This machine is shared and its load drifts by 30% within a minute, so epochs are not timed one
// after the other: each epoch is cut into `segments` runs of model.fit (about 47 batches each),
// and the variants take turns segment by segment, in a rotating order; a variant's epoch time is
// the sum of its segments. Variants:
//   plain   model.fit with no callbacks (what a user runs without pruning)
//   noop    model.fit with a Callback that does nothing: passing any Callback instance turns off
//           model.fit's default per-batch yield (CustomCallback's nextFrame), which plain pays
//   pruned  model.fit with PruningCallback
// The time spent inside the callback's own hooks is also measured (within the pruned epochs, so
// no drift): that is the callback's cost, free of the yield difference.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { init } from '../dist/index.mjs';
import { polynomialDecay, PruningCallback, registerPruneKernels } from '../dist/tfjs.mjs';
import { args, lenet300100, mnistTensors, rng, setupTf, shuffled } from '../scripts/mnist-common.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const opt = args();
const epochs = Number(opt.epochs ?? 3);
const segments = Number(opt.segments ?? 10);
const tf = await setupTf();
await init();
await registerPruneKernels();
const train = await mnistTensors('train');
const data = shuffled(train, rng(7));
tf.dispose([train.x, train.y]);
const BATCHES = Math.ceil(train.count / 128);
const per = Math.ceil(BATCHES / segments);
const parts = [];
for (let b = 0; b < BATCHES; b += per) {
  const start = b * 128;
  const size = Math.min((b + per) * 128, train.count) - start;
  parts.push({ x: data.x.slice([start, 0], [size, 784]), y: data.y.slice([start, 0], [size, 10]) });
}
tf.dispose([data.x, data.y]);

class NoOp extends tf.Callback {}
/** PruningCallback, with the time spent in its hooks added up. */
class Timed extends PruningCallback {
  hookSeconds = 0;
  async onBatchBegin(batch, logs) {
    const t = performance.now();
    await super.onBatchBegin(batch, logs);
    this.hookSeconds += (performance.now() - t) / 1000;
  }
  async onBatchEnd(batch, logs) {
    const t = performance.now();
    await super.onBatchEnd(batch, logs);
    this.hookSeconds += (performance.now() - t) / 1000;
  }
}
const make = () => {
  const m = lenet300100(3);
  m.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  return m;
};
const variants = ['plain', 'noop', 'pruned'];
const models = { plain: make(), noop: make(), pruned: make() };
const callback = new Timed({ schedule: polynomialDecay({ initialSparsity: 0.5, finalSparsity: 0.9, beginStep: 0, endStep: 400 * epochs, frequency: 100 }) });
const callbacks = { plain: undefined, noop: [new NoOp()], pruned: [callback] };
const times = { plain: [], noop: [], pruned: [] };
const hooks = [];
let updates = 0;

// Warm-up, untimed: one segment of each (kernel compilation, first allocations, optimizer slots).
for (const v of variants) await models[v].fit(parts[0].x, parts[0].y, { epochs: 1, batchSize: 128, shuffle: false, verbose: 0, callbacks: v === 'noop' ? callbacks.noop : undefined });

let turn = 0;
for (let e = 0; e < epochs; e++) {
  const sums = { plain: 0, noop: 0, pruned: 0 };
  const hooksBefore = callback.hookSeconds;
  for (const part of parts) {
    for (let i = 0; i < variants.length; i++) {
      const v = variants[(turn + i) % variants.length];
      const t = performance.now();
      await models[v].fit(part.x, part.y, { epochs: 1, batchSize: 128, shuffle: false, verbose: 0, callbacks: callbacks[v] });
      sums[v] += (performance.now() - t) / 1000;
      if (v === 'pruned') updates += callback.updates.length;
    }
    turn++;
  }
  for (const v of variants) times[v].push(sums[v]);
  hooks.push(callback.hookSeconds - hooksBefore);
  console.error(`epoch ${e + 1}: plain ${sums.plain.toFixed(1)} s, noop ${sums.noop.toFixed(1)} s, pruned ${sums.pruned.toFixed(1)} s (in the callback's hooks: ${hooks[e].toFixed(2)} s)`);
}

const sum = (a) => a.reduce((x, y) => x + y, 0);
const ratio = sum(times.pruned) / sum(times.plain);
const ratioNoop = sum(times.pruned) / sum(times.noop);
const hookShare = sum(hooks) / sum(times.pruned);
const row = (k, label) => `| ${label} | ${times[k].map((t) => t.toFixed(1)).join(', ')} | ${(sum(times[k]) / epochs).toFixed(1)} | ${(sum(times[k]) / sum(times.plain)).toFixed(3)} |`;
console.log(`| epoch of ${BATCHES} batches of 128 | seconds, epoch by epoch | mean | vs plain |`);
console.log('|---|---|---|---|');
console.log(row('plain', 'plain fit'));
console.log(row('noop', 'no-op Callback'));
console.log(row('pruned', 'PruningCallback'));
console.log(`\npruned / plain ${ratio.toFixed(3)}; pruned / no-op ${ratioNoop.toFixed(3)} (per epoch ${times.pruned.map((t, i) => (t / times.noop[i]).toFixed(3)).join(', ')})`);
console.log(`time inside the callback's hooks: ${(sum(hooks) / epochs).toFixed(2)} s per epoch = ${(100 * hookShare).toFixed(1)}% of a pruned epoch; ${updates} mask updates in ${epochs} epochs`);
console.log(`target: <= 1.10x -> ${ratio <= 1.1 ? 'MET' : 'NOT MET'} against a plain fit; ${ratioNoop <= 1.1 ? 'MET' : 'NOT MET'} against the no-op Callback`);
mkdirSync(path.join(root, 'bench/.tmp'), { recursive: true });
writeFileSync(path.join(root, 'bench/.tmp/training-cost.json'), JSON.stringify({ epochs, segments, times, hooks, ratio, ratioNoop, hookShare, updates }, null, 2));
