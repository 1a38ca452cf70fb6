/// <reference types="node" />
// `tfjs-prune prune <model> --out <dir> --calibration <file>`: one-shot pruning with calibration
// data (docs/oneshot.md). Loads the layers model into tfjs, runs pruneOneShot on the examples of
// the file (.npy or IDX), saves the model the way `prune` does (atomically), prints the per-layer
// table. Everything is checked and computed before the output directory is written.
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ArgumentError, loadArtifacts, loadCalibration, saveArtifacts, type LoadArtifactsOptions } from '../node.js';
import { pruneOneShot, type ModelArtifacts, type OneShotConfig, type OneShotMethod, type OneShotReport, type PruneConfig } from '../tfjs.js';
import type { Ctx } from './context.js';
import { loadTf } from './evaluate.js';
import { writeOutputDir } from './files.js';

export interface OneShotFlags {
  calibration: string;
  limit?: string;
  method?: string;
  damping?: string;
  quantize?: string;
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
  o: { force: boolean; reports: string[]; shardBytes: number | undefined; limits?: LoadArtifactsOptions },
): Promise<void> {
  if (flags.quantize !== undefined) throw new ArgumentError('--quantize is not available with --calibration yet; prune, then run prune --quantize on the result with --sparsity 0');
  if (flags.stream === true) throw new ArgumentError('--stream does not apply to --calibration: one-shot pruning runs the model in memory');
  for (const r of o.reports) if (path.extname(r).toLowerCase() !== '.json') throw new ArgumentError(`--report ${r}: with --calibration only .json reports are written for now`);
  let damping: number | undefined;
  if (flags.damping !== undefined) {
    damping = Number(flags.damping);
    if (!(damping > 0)) throw new ArgumentError(`--damping must be a positive number, got '${flags.damping}'`);
  }
  const limit = flags.limit === undefined ? 1024 : Number(flags.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new ArgumentError(`--calibration-limit must be a positive integer, got '${flags.limit}'`);
  const { method, nm } = oneShotMethod(flags.method);
  // The method flag was read as a magnitude/N:M method by configFromFlags: replace it.
  const { method: _ignored, quantize: _q, ...rest } = config;
  const oneShot: OneShotConfig = { ...rest, method, ...(nm === undefined ? {} : { nm }), ...(damping === undefined ? {} : { damping }) };
  const progress = ctx.progress([
    { label: 'loading the model, the calibration data and tfjs', weight: 1 },
    { label: 'one-shot pruning', weight: 4 },
    { label: 'writing', weight: 1 },
  ]);
  try {
    progress.next();
    const calibration = await loadCalibration(flags.calibration);
    const artifacts = await loadArtifacts(input, o.limits);
    if (artifacts.format !== 'layers-model' || artifacts.modelTopology === undefined) {
      throw new ArgumentError(`--calibration: ${input} is a ${artifacts.format ?? 'bare weights'} model; one-shot pruning runs layers models (graph models are not supported yet)`);
    }
    const { tf } = await loadTf(undefined, '--calibration');
    const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    if (model.inputs.length !== 1) throw new ArgumentError(`--calibration: the model has ${model.inputs.length} inputs; a calibration file feeds one`);
    const want = model.inputs[0].shape.slice(1);
    const have = calibration.shape.slice(1);
    const size = (s: (number | null)[]) => s.reduce<number>((a, b) => a * (b ?? NaN), 1);
    const sameShape = want.length === have.length && want.every((w, i) => w === null || w === have[i]);
    // MNIST-style [N, 28, 28] for a model taking [N, 784]: the same examples, reshaped.
    if (!sameShape && !(size(want) === size(have) && have.length > 0)) {
      throw new ArgumentError(`--calibration ${flags.calibration}: ${calibration.shape[0]} examples of shape [${have.join(', ')}], the model takes [${want.map((w) => w ?? '?').join(', ')}]`);
    }
    const count = Math.min(limit, calibration.shape[0]);
    const per = calibration.values.length / Math.max(1, calibration.shape[0]);
    const x = tf.tensor(calibration.values.subarray(0, count * per), [count, ...(sameShape ? have : (want as number[]))], 'float32');
    progress.next();
    let report: OneShotReport;
    try {
      report = await pruneOneShot(model as never, x as never, oneShot);
    } finally {
      x.dispose();
    }
    let saved: ModelArtifacts | null = null;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        saved = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    model.dispose();
    const pruned = { ...(saved as unknown as ModelArtifacts), format: 'layers-model', generatedBy: artifacts.generatedBy, convertedBy: artifacts.convertedBy };
    progress.next();
    const result = await writeOutputDir(out, (fn) => ctx.onFailure(fn), () => saveArtifacts(out, pruned, { overwrite: o.force, ...(o.shardBytes === undefined ? {} : { shardBytes: o.shardBytes }) }));
    const json = { command: 'prune', input, output: { dir: out, modelPath: result.modelPath, shardPaths: result.shardPaths, weightBytes: result.weightBytes }, calibration: flags.calibration, config: oneShot, report };
    for (const r of o.reports) {
      ctx.onFailure(() => rm(r, { force: true }));
      await writeFile(r, JSON.stringify(json, null, 2));
    }
    progress.stop();
    if (ctx.json) {
      ctx.out(JSON.stringify(json));
      return;
    }
    ctx.out(oneShotSummary(report));
    ctx.out('');
    const rel = (p: string) => (path.relative(process.cwd(), p).startsWith('..') ? p : path.relative(process.cwd(), p) || '.');
    ctx.out(`wrote ${rel(out)}/ (${path.basename(result.modelPath)}, ${result.shardPaths.length} shard${result.shardPaths.length === 1 ? '' : 's'})`);
    for (const r of o.reports) ctx.out(`wrote ${rel(r)}`);
  } finally {
    progress.stop();
  }
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
