// The demo's Web Worker: everything heavy runs here, so the page never stalls. It loads the model
// (stock tfjs HTTP loader), the MNIST test slice (the project's IDX parser), tfjs-prune's Wasm
// kernels and a tfjs backend; then, per request, prunes the model's artifacts with pruneArtifacts
// (or, for a one-shot method, a live copy of the model with pruneOneShot, calibrated on a slice of
// the training set) and measures the pruned model's accuracy on the slice.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { loadLayersModel, type LayersModel } from '@tensorflow/tfjs-layers';
import { init, simdSupported } from '../src/index.js';
import { compressArtifacts, pruneArtifacts, pruneOneShot, type ModelArtifacts, type ModelPruneReport, type OneShotConfig, type PruneArtifactsResult } from '../src/tfjs.js';
import { mnistFromIdx, type MnistData } from '../src/data/mnist.js';
import { registerSparseKernels, toSparseModel } from '../src/sparse/index.js';
import { configOf, oneShotConfigOf, type Evaluation, type FromWorker, type PruneRequest, type SparseRun, type Timing, type ToWorker } from './protocol.js';

/** Batch sizes of the inference timings; samples per timing, and predict() calls per sample. */
const TIMED_BATCHES = [1, 64];
const TIMED_REPS = 5;
const TIMED_RUNS = 20;

interface State {
  artifacts: ModelArtifacts;
  data: MnistData;
  x: tf.Tensor2D;
  /** The calibration images of the one-shot methods (the first 512 of the training set). */
  calibration: tf.Tensor2D;
  /** registerSparseKernels() succeeded: results carry sparse timings. */
  sparse: boolean;
}

let state: Promise<State> | null = null;
// Only the newest request is worth computing: the page sends one at a time, but if several arrive
// while one runs (a dragged slider), the ones overtaken by a newer request are dropped.
let queued: PruneRequest | null = null;
let running = false;

const post = (m: FromWorker) => (self as unknown as Worker).postMessage(m);

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  if (m.type === 'init') {
    state = setup(m).catch((err: unknown) => {
      post({ type: 'error', id: null, message: message(err) });
      throw err;
    });
    state.catch(() => {}); // reported above; drain() sees the rejection too
  } else if (m.type === 'prune') {
    queued = { id: m.id, method: m.method, sparsity: m.sparsity };
    void drain();
  }
};

async function setup(m: Extract<ToWorker, { type: 'init' }>): Promise<State> {
  const t0 = performance.now();
  const wasm = await init({ forceScalar: m.forceScalar });
  // tfjs-backend-wasm (XNNPACK) evaluates 2000 images about 10x faster than the cpu backend; the
  // cpu backend stands in where it cannot start.
  let backend = 'cpu';
  setWasmPaths(m.tfjsWasmPaths);
  try {
    if (await tf.setBackend('wasm')) backend = 'wasm';
  } catch {
    // fall back to cpu below
  }
  if (backend === 'cpu') await tf.setBackend('cpu');
  await tf.ready();
  tf.enableProdMode();

  const [artifacts, images, labels, calImages, calLabels] = await Promise.all([
    tf.io.http(m.modelUrl).load!(),
    ...[m.imagesUrl, m.labelsUrl, m.calibrationImagesUrl, m.calibrationLabelsUrl].map(fetchBytes),
  ]);
  const data = mnistFromIdx(images as Uint8Array, labels as Uint8Array);
  const cal = mnistFromIdx(calImages as Uint8Array, calLabels as Uint8Array);
  const x = tf.tensor2d(data.images, [data.count, data.rows * data.cols]);
  const calibration = tf.tensor2d(cal.images, [cal.count, cal.rows * cal.cols]);
  // The sparse kernels (tfjs-prune/sparse) for the inference timings; the page works without them.
  const sparse = await registerSparseKernels({ build: m.forceScalar ? 'scalar' : 'auto' }).then(() => true, () => false);
  const s: State = { artifacts: artifacts as ModelArtifacts, data, x, calibration, sparse };
  const dense = await evaluate(s, artifacts);
  const sizes = await pruneArtifacts(artifacts, { sparsity: 0 });
  post({
    type: 'ready',
    wasm,
    simdSupported: simdSupported(),
    forcedScalar: m.forceScalar,
    backend,
    count: data.count,
    dense: { ...dense, sizes: { ...sizes.report.bytes, compact: compressArtifacts(artifacts as ModelArtifacts).length } },
    ms: performance.now() - t0,
  });
  return s;
}

async function drain(): Promise<void> {
  if (running || state === null) return;
  running = true;
  try {
    const s = await state;
    while (queued !== null) {
      const request = queued;
      queued = null;
      try {
        const t0 = performance.now();
        const { artifacts, report } = await prune(s, request);
        const t1 = performance.now();
        const evaluation = await evaluate(s, artifacts);
        const t2 = performance.now();
        const sizes = { ...report.bytes, compact: compressArtifacts(artifacts).length };
        const sparse = s.sparse ? await sparseRun(s, artifacts) : null;
        post({ type: 'result', request, report, sizes, sparse, evaluation, ms: { prune: t1 - t0, evaluate: t2 - t1 } });
      } catch (err) {
        post({ type: 'error', id: request.id, message: message(err) });
      }
    }
  } catch {
    // setup failed; its error was posted
  } finally {
    running = false;
  }
}

/**
 * The pruned model for a request: pruneArtifacts with the method's config, or, for a one-shot
 * method, pruneOneShot on a live copy of the model (oneShot()).
 */
function prune(s: State, request: PruneRequest): Promise<PruneArtifactsResult> {
  const oneShot = oneShotConfigOf(request);
  return oneShot === null ? pruneArtifacts(s.artifacts, configOf(request)) : pruneLive(s, oneShot);
}

/**
 * pruneOneShot on a tf.LayersModel loaded from the page's artifacts, calibrated on the training
 * slice; the pruned model saved back to artifacts. Its report: pruneOneShot's tensors and totals,
 * and the sizes of the saved weights (pruneArtifacts at sparsity 0 measures them, changing nothing).
 */
async function pruneLive(s: State, config: OneShotConfig): Promise<PruneArtifactsResult> {
  const model = await loadLayersModel(tf.io.fromMemory(s.artifacts));
  try {
    const oneShot = await pruneOneShot(model, s.calibration, config);
    let saved: ModelArtifacts | null = null;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        saved = a as ModelArtifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const measured = await pruneArtifacts(saved!, { sparsity: 0 });
    const report: ModelPruneReport = { ...measured.report, scope: oneShot.scope, sparsity: oneShot.sparsity, tensors: oneShot.tensors, totals: oneShot.totals };
    return { ...measured, report };
  } finally {
    model.dispose();
  }
}

/**
 * The pruned model with every Dense layer as a SparseDense (toSparseModel's overrides: the page
 * shows what sparse kernels do at this sparsity, faster or not), its correct count on the slice,
 * and the whole model's predict() time dense and sparse at each of TIMED_BATCHES.
 */
async function sparseRun(s: State, artifacts: ModelArtifacts): Promise<SparseRun> {
  const dense = await loadLayersModel(tf.io.fromMemory(artifacts));
  try {
    const overrides = Object.fromEntries(dense.layers.filter((l) => l.getClassName() === 'Dense').map((l) => [l.name, 'sparse' as const]));
    const { model: sparse } = await toSparseModel(dense, { overrides });
    try {
      const timings: Timing[] = [];
      for (const batch of TIMED_BATCHES) {
        const x = tf.slice(s.x, [0, 0], [batch, -1]);
        timings.push({ batch, denseMs: await timePredict(dense, x), sparseMs: await timePredict(sparse, x) });
        x.dispose();
      }
      return { correct: (await correctOf(s, sparse)).correct, timings };
    } finally {
      sparse.dispose();
    }
  } finally {
    dense.dispose();
  }
}

/**
 * Milliseconds of one predict() (read back): the median of TIMED_REPS samples, each the mean of
 * TIMED_RUNS calls in a row (a worker's clock is coarse: one batch-1 call is below its resolution),
 * after one sample's warm-up.
 */
async function timePredict(model: LayersModel, x: tf.Tensor): Promise<number> {
  const sample = async () => {
    const t0 = performance.now();
    for (let i = 0; i < TIMED_RUNS; i++) {
      const y = model.predict(x) as tf.Tensor;
      await y.data();
      y.dispose();
    }
    return (performance.now() - t0) / TIMED_RUNS;
  };
  await sample();
  const ms: number[] = [];
  for (let i = 0; i < TIMED_REPS; i++) ms.push(await sample());
  ms.sort((a, b) => a - b);
  return ms[ms.length >> 1];
}

/** Top-1 accuracy of the layers model in `artifacts` on the slice, in batches of 1000. */
async function evaluate(s: State, artifacts: ModelArtifacts): Promise<Evaluation> {
  const model = await loadLayersModel(tf.io.fromMemory(artifacts));
  try {
    return await correctOf(s, model);
  } finally {
    model.dispose();
  }
}

/** Correct top-1 predictions of a live model on the slice, in batches of 1000. */
async function correctOf(s: State, model: LayersModel): Promise<Evaluation> {
  const { count, labels } = s.data;
  let correct = 0;
  for (let start = 0; start < count; start += 1000) {
    const size = Math.min(1000, count - start);
    // Functional ops: a bundle keeps tfjs-core's chained tensor methods only if imported for effect.
    const pred = tf.tidy(() => tf.argMax(model.predict(tf.slice(s.x, [start, 0], [size, -1])) as tf.Tensor, -1));
    const values = await pred.data();
    pred.dispose();
    for (let i = 0; i < size; i++) if (values[i] === labels[start + i]) correct++;
  }
  return { correct, count, accuracy: correct / count };
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

function message(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
