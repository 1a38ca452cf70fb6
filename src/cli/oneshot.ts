/// <reference types="node" />
// `tfjs-prune prune <model> --out <dir> --calibration <file>`: one-shot pruning with calibration
// data (docs/oneshot.md). Loads the layers or graph model into tfjs, runs pruneOneShot on the
// examples of the file (.npy or IDX), quantizes (--quantize) as `prune` does, renders the reports
// (the HTML one with the one-shot layer table), and writes a model directory (atomically) or a
// compact container (--format compact), then prints the per-layer table. Everything is checked and
// computed before the first output is written.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { init } from '../index.js';
import { ArgumentError, loadArtifacts, loadCalibration, nodeGzipSizes, saveArtifacts, type CalibrationArray, type LoadArtifactsOptions } from '../node.js';
import { tfjsEntry } from './tfjs_entry.js';
import type { ModelArtifacts, ModelPruneReport, OneShotConfig, OneShotMethod, OneShotReport, PruneConfig, QuantizeDtype } from '../tfjs.js';
import { writeContainer } from './compress.js';
import type { Ctx } from './context.js';
import { loadTf } from './evaluate.js';
import { reportKind, writeOutputDir } from './files.js';
import { renderReports, writeReports } from './reports.js';

export interface OneShotFlags {
  calibration: string;
  limit?: string;
  method?: string;
  damping?: string;
  stream?: boolean;
}

/** The one-shot method and N:M pattern from --method (reconstruct by default). */
export function oneShotMethod(text: string | undefined): { method: OneShotMethod; nm?: `${number}:${number}` } {
  const t = (text ?? 'reconstruct').trim().toLowerCase();
  if (t === 'reconstruct' || t === 'activation' || t === 'magnitude') return { method: t };
  const m = /^(?:nm:)?(\d+):(\d+)$/.exec(t);
  if (m !== null) return { method: 'reconstruct', nm: `${Number(m[1])}:${Number(m[2])}` };
  throw new ArgumentError(`--method with --calibration must be reconstruct, activation, magnitude or nm:N:M (reconstructed), got '${text}'`);
}

export async function oneShotCommand(
  ctx: Ctx,
  input: string,
  out: string,
  config: PruneConfig,
  flags: OneShotFlags,
  o: { force: boolean; reports: string[]; shardBytes: number | undefined; limits?: LoadArtifactsOptions; compact: boolean; gzip: boolean },
): Promise<void> {
  const { compressArtifacts, pruneArtifacts, pruneOneShot } = await tfjsEntry();
  // The model runs in memory on the calibration data: there is nothing to stream.
  if (flags.stream === true) ctx.note('--stream: one-shot pruning executes the model on the calibration data, so the model is loaded into memory (the in-memory path is taken)');
  let damping: number | undefined;
  if (flags.damping !== undefined) {
    damping = Number(flags.damping);
    if (!(damping > 0)) throw new ArgumentError(`--damping must be a positive number, got '${flags.damping}'`);
  }
  const limit = flags.limit === undefined ? 1024 : Number(flags.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new ArgumentError(`--calibration-limit must be a positive integer, got '${flags.limit}'`);
  const { method, nm } = oneShotMethod(flags.method);
  // The method flag was read as a magnitude/N:M method by configFromFlags: replace it.
  const { method: _ignored, quantize, ...rest } = config;
  const oneShot: OneShotConfig = { ...rest, method, ...(nm === undefined ? {} : { nm }), ...(damping === undefined ? {} : { damping }) };
  const html = o.reports.some((r) => reportKind(r) === 'html');
  const progress = ctx.progress([
    { label: 'loading the model, the calibration data and tfjs', weight: 1 },
    { label: 'one-shot pruning', weight: 4 },
    ...(quantize !== undefined ? [{ label: `quantizing to ${quantize}`, weight: 1 }] : []),
    ...(o.reports.length > 0 ? [{ label: 'rendering the report', weight: html ? 2 : 0.5 }] : []),
    { label: 'writing', weight: 1 },
  ]);
  try {
    progress.next();
    const calibration = await loadCalibration(flags.calibration);
    const artifacts = await loadArtifacts(input, o.limits);
    const { tf } = await loadTf(undefined, '--calibration');
    const live = await liveModel(tf, artifacts, input);
    const x = calibrationTensor(tf, calibration, live.input, limit, flags.calibration);
    progress.next();
    let report: OneShotReport;
    try {
      report = await pruneOneShot(live.model as never, x as never, oneShot);
    } finally {
      x.dispose();
    }
    let saved: ModelArtifacts | null = null;
    await live.model.save(
      tf.io.withSaveHandler(async (a) => {
        saved = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    live.model.dispose();
    let pruned: ModelArtifacts = { ...(saved as unknown as ModelArtifacts), format: artifacts.format, generatedBy: artifacts.generatedBy, convertedBy: artifacts.convertedBy };
    if (artifacts.format === 'layers-model') pruned = await storedAsBefore(ctx, artifacts, pruned);
    if (quantize !== undefined) {
      progress.next();
      // The pruned weights, quantized as `prune --quantize` does (zero-preserving): pruneArtifacts
      // with nothing more to prune.
      await init();
      pruned = (await pruneArtifacts(pruned, { sparsity: 0, quantize }, { gzip: false })).artifacts;
    }
    let rendered: { file: string; text: string }[] = [];
    if (o.reports.length > 0) {
      progress.next();
      rendered = await oneShotReports(ctx, { input, out, calibration: flags.calibration, config: oneShot, quantize, report, before: artifacts, after: pruned, reports: o.reports, gzip: o.gzip });
    }
    progress.next();
    const container = o.compact ? compressArtifacts(pruned) : null;
    if (container) await writeContainer(ctx, out, container);
    const result = container ? null : await writeOutputDir(out, (fn) => ctx.onFailure(fn), () => saveArtifacts(out, pruned, { overwrite: o.force, ...(o.shardBytes === undefined ? {} : { shardBytes: o.shardBytes }) }));
    for (const r of o.reports) ctx.onFailure(() => rm(r, { force: true }));
    await writeReports(rendered);
    progress.stop();
    const output = result ? { dir: out, modelPath: result.modelPath, shardPaths: result.shardPaths, weightBytes: result.weightBytes } : { file: out, containerBytes: (container as Uint8Array).length };
    if (ctx.json) {
      ctx.out(JSON.stringify({ command: 'prune', input, output, calibration: flags.calibration, config: { ...oneShot, ...(quantize === undefined ? {} : { quantize }) }, report }));
      return;
    }
    ctx.out(oneShotSummary(report));
    ctx.out('');
    const rel = (p: string) => (path.relative(process.cwd(), p).startsWith('..') ? p : path.relative(process.cwd(), p) || '.');
    if (result) ctx.out(`wrote ${rel(out)}/ (${path.basename(result.modelPath)}, ${result.shardPaths.length} shard${result.shardPaths.length === 1 ? '' : 's'}${quantize === undefined ? '' : `, ${quantize}`})`);
    else ctx.out(`wrote ${rel(out)} (${((container as Uint8Array).length / 1024).toFixed(1)} KB, compact container)`);
    for (const r of o.reports) ctx.out(`wrote ${rel(r)}`);
  } finally {
    progress.stop();
  }
}

/**
 * A LayersModel saves every weight as float32: the pruned weights written back in the input's
 * encodings (float16, uint8, uint16: zeros kept exact), as pruneOneShot does for graph models.
 */
async function storedAsBefore(ctx: Ctx, input: ModelArtifacts, saved: ModelArtifacts): Promise<ModelArtifacts> {
  const { inOriginalEncoding, storesQuantized } = await import('../model/reencode.js');
  if (!storesQuantized(input)) return saved;
  const out = inOriginalEncoding(input, saved, 'prune --calibration');
  if (out === null) ctx.note('the saved model\'s weights do not match the input\'s by name and size: written as float32');
  return out ?? saved;
}

type TfModule = Awaited<ReturnType<typeof loadTf>>['tf'];
interface Live {
  model: { save(h: unknown): Promise<unknown>; dispose(): void };
  /** The model's one input: its shape without the batch (null or negative: any) and dtype. */
  input: { shape: (number | null)[]; dtype: string };
}

/** The model in tfjs: a LayersModel or a GraphModel, with exactly one input. */
async function liveModel(tf: TfModule, artifacts: ModelArtifacts, input: string): Promise<Live> {
  if (artifacts.format === 'graph-model' || (artifacts.format === undefined && Array.isArray((artifacts.modelTopology as { node?: unknown } | undefined)?.node))) {
    const model = await tf.loadGraphModel(tf.io.fromMemory(artifacts));
    if (model.inputs.length !== 1) throw new ArgumentError(`--calibration: the model has ${model.inputs.length} inputs; a calibration file feeds one`);
    const shape = model.inputs[0].shape;
    if (shape === undefined) throw new ArgumentError(`--calibration: the graph model's input '${model.inputs[0].name}' declares no shape; a calibration file needs one to be checked against`);
    return { model: model as never, input: { shape: shape.slice(1), dtype: model.inputs[0].dtype } };
  }
  if (artifacts.format !== 'layers-model' || artifacts.modelTopology === undefined) {
    throw new ArgumentError(`--calibration: ${input} is a ${artifacts.format ?? 'bare weights'} model; one-shot pruning runs layers and graph models`);
  }
  const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  if (model.inputs.length !== 1) throw new ArgumentError(`--calibration: the model has ${model.inputs.length} inputs; a calibration file feeds one`);
  return { model: model as never, input: { shape: model.inputs[0].shape.slice(1), dtype: 'float32' } };
}

/** The first `limit` examples, shaped as the model's input (MNIST's [N, 28, 28] for [N, 784]). */
function calibrationTensor(tf: TfModule, calibration: CalibrationArray, input: Live['input'], limit: number, file: string) {
  const want = input.shape;
  const have = calibration.shape.slice(1);
  const free = (w: number | null) => w === null || w < 0;
  const size = (s: (number | null)[]) => s.reduce<number>((a, b) => a * (b === null || b < 0 ? NaN : b), 1);
  const sameShape = want.length === have.length && want.every((w, i) => free(w) || w === have[i]);
  if (!sameShape && !(size(want) === size(have) && have.length > 0)) {
    throw new ArgumentError(`--calibration ${file}: ${calibration.shape[0]} examples of shape [${have.join(', ')}], the model takes [${want.map((w) => (free(w) ? '?' : w)).join(', ')}]`);
  }
  if (input.dtype !== 'float32') throw new ArgumentError(`--calibration ${file}: the model's input is ${input.dtype}; calibration files feed float32 inputs`);
  const count = Math.min(limit, calibration.shape[0]);
  const per = calibration.values.length / Math.max(1, calibration.shape[0]);
  return tf.tensor(calibration.values.subarray(0, count * per), [count, ...(sameShape ? have : (want as number[]))], 'float32');
}

/**
 * The --report files: the one-shot report (its per-tensor entries and layer table) with the weight
 * bytes of the input and of the output, measured by pruneArtifacts with nothing to prune.
 */
async function oneShotReports(
  ctx: Ctx,
  c: { input: string; out: string; calibration: string; config: OneShotConfig; quantize: QuantizeDtype | undefined; report: OneShotReport; before: ModelArtifacts; after: ModelArtifacts; reports: string[]; gzip: boolean },
): Promise<{ file: string; text: string }[]> {
  await init();
  const { pruneArtifacts } = await tfjsEntry();
  const sizes = async (a: ModelArtifacts) => (await pruneArtifacts(a, { sparsity: 0 }, { gzip: c.gzip, gzipSizes: nodeGzipSizes })).report.bytes;
  const before = (await sizes(c.before)).before;
  const out = await sizes(c.after);
  const bytes = { before, after: out.before, quantized: c.quantize === undefined ? out.quantized : { ...out.before, dtype: c.quantize } };
  const r = c.report;
  const report: ModelPruneReport = { format: c.before.format ?? 'unknown', scope: r.scope, method: 'magnitude', sparsity: r.sparsity, tensors: r.tensors, totals: r.totals, bytes };
  const config = { ...c.config, ...(c.quantize === undefined ? {} : { quantize: c.quantize }) } as PruneConfig;
  return renderReports(c.reports, {
    kind: 'prune',
    title: `One-shot pruning report: ${path.basename(c.input)}`,
    facts: [
      ['input', c.input],
      ['output', c.out],
      ['calibration', `${c.calibration} (${r.calibration.examples} examples)`],
      ['config', JSON.stringify(config)],
      ['format', report.format],
    ],
    report,
    config,
    before: c.before,
    after: c.after,
    oneShot: r,
    generator: ctx.generator,
    jsonReport: { ...r, bytes },
    json: { input: c.input, output: c.out, calibration: c.calibration, streamed: false },
  });
}

/** The per-layer table: sparsity, relative reconstruction error, solver. */
export function oneShotSummary(report: OneShotReport): string {
  const rows = [['layer', 'class', 'params', 'pruned', 'sparsity', 'error', 'solver']];
  for (const l of report.layers) {
    rows.push([l.layer, l.layerClass, l.params.toLocaleString('en-US'), l.pruned.toLocaleString('en-US'), `${(l.sparsity * 100).toFixed(2)}%`, l.error === null ? '-' : l.error.toFixed(4), l.solver]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const right = new Set([2, 3, 4, 5]);
  const line = (r: string[]) => r.map((cell, c) => (right.has(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd();
  const t = report.totals;
  const target = report.sparsity === null ? 'N:M' : `sparsity ${(report.sparsity * 100).toFixed(2)}%, scope ${report.scope}`;
  return [
    line(rows[0]),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.slice(1).map(line),
    '',
    `one-shot ${report.method} (${target}), ${report.calibration.examples} calibration examples`,
    `pruned tensors: ${t.prunedParams.toLocaleString('en-US')} params, sparsity ${(t.prunedSparsity * 100).toFixed(2)}%`,
  ].join('\n');
}
