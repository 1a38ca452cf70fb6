// Structured pruning on MNIST (issue 7): physically smaller models, fine-tuned, timed on
// tfjs-backend-wasm against the dense model in the same run.
//
//   npm run build && nice -n 10 node bench/structured.mjs [--part=cnn|mlp|all] [--epochs=2]
//       [--fine-epochs=1] [--reps=201] [--sparsity=0.5] [--filters=16,32]
//
// (a) cnn: a small CNN (Reshape, Conv2D 16 3x3 ReLU, MaxPool 2, Conv2D 32 3x3 ReLU, MaxPool 2,
//     Flatten, Dense 10 softmax: the Keras "simple MNIST convnet" at half width (--filters) and
//     without its dropout), trained
//     --epochs on the 60 000 training images (Adam 1e-3, batch 128, seeded shuffles), then
//     pruneStructured({ sparsity }) removes that fraction of both convolutions' filters (L1 norm;
//     the output layer is never pruned) and the pruned model is fine-tuned --fine-epochs (Adam
//     1e-3, batch 128). Accuracy on the 10 000 test images; inference time of
//     model.predict(x, { batchSize: B }) + dataSync at B = 1 and 64.
// (b) mlp: LeNet-300-100 as trained in examples/mnist-mlp (98.37 %), 50 % of fc1's and fc2's
//     units removed, fine-tuned --fine-epochs (Adam 1e-4, batch 128); speed-up at batch 1, 64 and 1000, and where the time goes at
//     batch 1000 (tf.profile per kernel), with predict's default batchSize (32) and with
//     batchSize = the batch.
//
// Timing: each model is warmed up, then the two models alternate (dense, pruned, pruned, dense,
// ...) --reps times and the medians are compared. The trained CNNs are saved to
// bench/.tmp/structured-cnn-{dense,pruned}.json; --part=cnn-time re-times them without training. tfjs-backend-wasm, SIMD, one thread (Node).
// Writes bench/.tmp/structured-<part>.json.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { init } from '../dist/index.mjs';
import { formatStructuredReport, pruneStructured } from '../dist/tfjs.mjs';
import { median } from './lib.mjs';
import { accuracy, args, mnistTensors, pct, rng, setupTf, shuffled } from '../scripts/mnist-common.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const opt = args();
const part = opt.part ?? 'all';
const epochs = Number(opt.epochs ?? 2);
const fineEpochs = Number(opt['fine-epochs'] ?? 1);
const reps = Number(opt.reps ?? 201);
const sparsity = Number(opt.sparsity ?? 0.5);
const filters = String(opt.filters ?? '16,32').split(',').map(Number);
const tf = await setupTf('wasm');
await init();
const started = performance.now();
const log = (s) => console.error(`[${((performance.now() - started) / 1000).toFixed(0)} s] ${s}`);

const train = await mnistTensors('train');
const test = await mnistTensors('test');
const random = rng(4321);
const results = { date: new Date().toISOString(), args: { part, epochs, fineEpochs, reps, sparsity, filters }, backend: tf.getBackend() };

async function fitEpochs(model, n, lr) {
  model.compile({ optimizer: tf.train.adam(lr), loss: 'categoricalCrossentropy' });
  for (let e = 0; e < n; e++) {
    const s = shuffled(train, random);
    const onBatchEnd = (b) => {
      if ((b + 1) % 100 === 0) log(`    batch ${b + 1}/${Math.ceil(train.count / 128)}`);
    };
    await model.fit(s.x, s.y, { epochs: 1, batchSize: 128, shuffle: false, verbose: 0, callbacks: { onBatchEnd } });
    tf.dispose([s.x, s.y]);
    log(`  epoch ${e + 1}/${n}: test accuracy ${pct(accuracy(model, test))}`);
  }
}

/** Median ms of predict(x, { batchSize }) + dataSync for each model, interleaved. */
function time(models, x, batchSize) {
  const run = (m) => tf.tidy(() => m.predict(x, batchSize === undefined ? {} : { batchSize }).dataSync());
  for (const m of models) {
    const t0 = performance.now();
    let k = 0;
    while (performance.now() - t0 < 300 || k < 3) {
      run(m);
      k++;
    }
  }
  const ts = models.map(() => []);
  for (let r = 0; r < reps; r++) {
    const order = r % 2 === 0 ? models.map((_, i) => i) : models.map((_, i) => models.length - 1 - i);
    for (const i of order) {
      const t0 = performance.now();
      run(models[i]);
      ts[i].push(performance.now() - t0);
    }
  }
  return ts.map(median);
}

function batchOf(n) {
  return tf.tidy(() => test.x.slice([0, 0], [n, 784]));
}

/** Kernel time by kernel name (tf.profile) of one predict call, sorted, with the call's wall time. */
async function profile(model, x, batchSize) {
  const run = () => tf.tidy(() => model.predict(x, batchSize === undefined ? {} : { batchSize }).dataSync());
  for (let i = 0; i < 3; i++) run();
  const p = await tf.profile(run);
  const by = {};
  // tf.profile lists each op (name ending in '__op') and the kernel it runs: keep the kernels.
  for (const k of p.kernels) {
    if (k.name.endsWith('__op')) continue;
    by[k.name] ??= { ms: 0, calls: 0 };
    by[k.name].ms += k.kernelTimeMs;
    by[k.name].calls++;
  }
  return Object.fromEntries(Object.entries(by).sort((a, b) => b[1].ms - a[1].ms).map(([k, v]) => [k, { ms: +v.ms.toFixed(2), calls: v.calls }]));
}

function cnn(seed = 1) {
  const init = (k) => tf.initializers.glorotUniform({ seed: seed * 10 + k });
  return tf.sequential({
    name: 'mnist_cnn',
    layers: [
      tf.layers.reshape({ name: 'reshape', targetShape: [28, 28, 1], inputShape: [784] }),
      tf.layers.conv2d({ name: 'conv1', filters: filters[0], kernelSize: 3, activation: 'relu', kernelInitializer: init(1) }),
      tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }),
      tf.layers.conv2d({ name: 'conv2', filters: filters[1], kernelSize: 3, activation: 'relu', kernelInitializer: init(2) }),
      tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2 }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({ name: 'dense', units: 10, activation: 'softmax', kernelInitializer: init(3) }),
    ],
  });
}

async function loadExampleMlp() {
  const dir = path.join(root, 'examples/mnist-mlp');
  const json = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const bin = readFileSync(path.join(dir, json.weightsManifest[0].paths[0]));
  return tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length) }),
  );
}

async function compare(name, dense, pruned, batches) {
  const out = { speed: {} };
  for (const b of batches) {
    const x = batchOf(b);
    const [d, p] = time([dense, pruned], x, b);
    out.speed[b] = { denseMs: +d.toFixed(3), prunedMs: +p.toFixed(3), speedup: +(d / p).toFixed(2) };
    log(`  ${name} batch ${b}: dense ${d.toFixed(3)} ms, pruned ${p.toFixed(3)} ms, speed-up ${(d / p).toFixed(2)}x`);
    x.dispose();
  }
  return out;
}

const saved = (name) => path.join(root, `bench/.tmp/structured-cnn-${name}.json`);
async function saveModel(model, name) {
  await model.save(tf.io.withSaveHandler(async (a) => {
    mkdirSync(path.join(root, 'bench/.tmp'), { recursive: true });
    writeFileSync(saved(name), JSON.stringify({ modelTopology: a.modelTopology, weightSpecs: a.weightSpecs, weightData: Buffer.from(a.weightData).toString('base64') }));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
}
async function loadModel(name) {
  const j = JSON.parse(readFileSync(saved(name), 'utf8'));
  const b = Buffer.from(j.weightData, 'base64');
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: j.modelTopology, weightSpecs: j.weightSpecs, weightData: b.buffer.slice(b.byteOffset, b.byteOffset + b.length) }));
}

if (part === 'cnn-time') {
  const r = await compare('cnn', await loadModel('dense'), await loadModel('pruned'), [1, 64]);
  results.cnnTime = r;
}

if (part === 'cnn' || part === 'all') {
  log(`(a) CNN: training ${epochs} epoch(s)`);
  const dense = cnn();
  await fitEpochs(dense, epochs, 1e-3);
  const denseAcc = accuracy(dense, test);
  const { model: pruned, report } = await pruneStructured(dense, { sparsity });
  console.log(formatStructuredReport(report));
  const prunedAcc0 = accuracy(pruned, test);
  log(`  pruned ${pct(sparsity)} of the filters: ${pct(prunedAcc0)} before fine-tuning`);
  await fitEpochs(pruned, fineEpochs, 1e-3);
  const prunedAcc = accuracy(pruned, test);
  await saveModel(dense, 'dense');
  await saveModel(pruned, 'pruned');
  const r = await compare('cnn', dense, pruned, [1, 64]);
  results.cnn = { denseAcc, prunedAcc0, prunedAcc, drop: denseAcc - prunedAcc, totals: report.totals, ...r };
  console.log(`(a) CNN: dense ${pct(denseAcc)}, pruned ${pct(prunedAcc0)} -> fine-tuned ${pct(prunedAcc)} (drop ${((denseAcc - prunedAcc) * 100).toFixed(2)} pp); batch 64 speed-up ${r.speed[64].speedup}x, batch 1 ${r.speed[1].speedup}x`);
}

if (part === 'mlp' || part === 'all') {
  log('(b) LeNet-300-100 (examples/mnist-mlp)');
  const dense = await loadExampleMlp();
  const denseAcc = accuracy(dense, test);
  const { model: pruned, report } = await pruneStructured(dense, { sparsity });
  console.log(formatStructuredReport(report));
  const prunedAcc0 = accuracy(pruned, test);
  log(`  pruned: ${pct(prunedAcc0)} before fine-tuning`);
  await fitEpochs(pruned, fineEpochs, 1e-4);
  const prunedAcc = accuracy(pruned, test);
  const r = await compare('mlp', dense, pruned, [1, 64, 1000]);
  // predict() without batchSize: tfjs-layers cuts the input into batches of 32.
  const x = batchOf(1000);
  const [d32, p32] = time([dense, pruned], x, undefined);
  r.speed['1000, predict default batchSize 32'] = { denseMs: +d32.toFixed(3), prunedMs: +p32.toFixed(3), speedup: +(d32 / p32).toFixed(2) };
  log(`  mlp batch 1000, predict's default batchSize (32): dense ${d32.toFixed(2)} ms, pruned ${p32.toFixed(2)} ms, speed-up ${(d32 / p32).toFixed(2)}x`);
  const profiles = {
    'dense, batchSize 32 (default)': await profile(dense, x, undefined),
    'pruned, batchSize 32 (default)': await profile(pruned, x, undefined),
    'dense, batchSize 1000': await profile(dense, x, 1000),
    'pruned, batchSize 1000': await profile(pruned, x, 1000),
  };
  for (const [k, v] of Object.entries(profiles)) console.log(`  profile ${k}: ${Object.entries(v).map(([n, s]) => `${n} ${s.ms} ms x${s.calls}`).join(', ')}`);
  x.dispose();
  results.mlp = { denseAcc, prunedAcc0, prunedAcc, drop: denseAcc - prunedAcc, totals: report.totals, ...r, profiles };
  console.log(`(b) LeNet-300-100: dense ${pct(denseAcc)}, pruned ${pct(prunedAcc0)} -> fine-tuned ${pct(prunedAcc)}; speed-ups ${Object.entries(r.speed).map(([b, s]) => `${b}: ${s.speedup}x`).join(', ')}`);
}

mkdirSync(path.join(root, 'bench/.tmp'), { recursive: true });
writeFileSync(path.join(root, `bench/.tmp/structured-${part}.json`), JSON.stringify(results, null, 2));
log('done');
