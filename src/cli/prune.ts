/// <reference types="node" />
// `tfjs-prune prune <model> --out <dir>`: load, prune, save, report. Everything is computed and
// rendered before the first byte is written; the model directory is written atomically by
// saveArtifacts, and a failure after it (a report that cannot be written) removes it again.
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { init } from '../index.js';
import { ArgumentError, directorySizes, loadArtifacts, ModelIOError, nodeGzipSizes, pruneDirectory, saveArtifacts, type LoadArtifactsOptions } from '../node.js';
import type { PruneConfig } from '../tfjs.js';
import { tfjsEntry } from './tfjs_entry.js';
import { checkOutputFile, clusterLines, codebookBits, writeContainer } from './compress.js';
import { configFromFlags, parseConfigFile, type PruneFlags } from './config.js';
import type { Ctx } from './context.js';
import { checkOutputDir, checkReportFile, localInput, reportKind, writeOutputDir } from './files.js';
import { limitOptions, type LimitFlags } from './limits.js';
import { oneShotCommand } from './oneshot.js';
import { renderReports, writeReports } from './reports.js';
import { pruneSummary } from './summary.js';

export interface PruneCommandFlags extends PruneFlags, LimitFlags {
  out: string;
  report: string[];
  force?: boolean;
  shardBytes?: string;
  gzip: boolean;
  all?: boolean;
  /** Example inputs (.npy or IDX): one-shot pruning (src/cli/oneshot.ts). */
  calibration?: string;
  calibrationLimit?: string;
  damping?: string;
  /** true: --stream, false: --no-stream, undefined: streamed wherever possible (prunePath). */
  stream?: boolean;
  threads?: string;
  /** 'tfjs' (default): a model directory; 'compact': one container file (docs/container.md). */
  format?: 'tfjs' | 'compact';
  /** --codebook <bits>, with --format compact: lossy weight sharing in the container. */
  codebook?: string;
}

/** Which path a prune takes, and why (printed with the result). */
export interface PrunePath {
  stream: boolean;
  why: string;
}

/**
 * The prune command streams (pruneDirectory: memory holds a window of the model, whatever its
 * size) wherever that writes the same bytes as loading the model, which is everywhere the input
 * is local. It loads the model into memory for a URL, for an HTML report (it draws histograms of
 * every weight before and after), for --format compact and with --no-stream.
 */
export function prunePath(flag: boolean | undefined, local: string | null, html: boolean, compact = false): PrunePath {
  if (flag === true) {
    if (local === null) throw new ArgumentError('--stream reads a model from local files; download it first, or leave --stream out');
    if (html) throw new ArgumentError('an HTML report draws the weights\' histograms and needs the model in memory, which --stream avoids; write a .json report, or leave --stream out');
    if (compact) throw new ArgumentError('--format compact codes the model in memory; leave --stream out');
  }
  if (flag === false) return { stream: false, why: '--no-stream' };
  if (local === null) return { stream: false, why: 'a URL is read into memory' };
  if (html) return { stream: false, why: 'the HTML report draws every weight' };
  if (compact) return { stream: false, why: 'a compact container is coded in memory' };
  return { stream: true, why: 'a window of the model at a time' };
}

export async function pruneCommand(ctx: Ctx, input: string, flags: PruneCommandFlags): Promise<void> {
  // Arguments first: a typo costs nothing.
  if (flags.calibration === undefined && (flags.damping !== undefined || flags.calibrationLimit !== undefined)) {
    throw new ArgumentError(`${flags.damping !== undefined ? '--damping' : '--calibration-limit'} applies to one-shot pruning: give --calibration <file>`);
  }
  let base: PruneConfig = {};
  if (flags.config !== undefined) {
    const text = await readFile(flags.config, 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new ModelIOError('IO_ERROR', `cannot read --config ${flags.config}: ${e.code ?? e.message}`, flags.config!);
    });
    base = parseConfigFile(flags.config, text);
  }
  // One-shot: --method names reconstruct / activation, which configFromFlags does not know.
  const config = configFromFlags(flags.calibration === undefined ? flags : { ...flags, method: undefined }, base);
  let shardBytes: number | undefined;
  if (flags.shardBytes !== undefined) {
    shardBytes = Number(flags.shardBytes);
    if (!Number.isInteger(shardBytes) || shardBytes < 1) throw new ArgumentError(`--shard-bytes must be a positive integer, got '${flags.shardBytes}'`);
  }
  let threads: number | undefined;
  if (flags.threads !== undefined) {
    threads = Number(flags.threads);
    if (!Number.isInteger(threads) || threads < 0 || threads > 256) throw new ArgumentError(`--threads must be an integer in [0, 256], got '${flags.threads}'`);
  }
  const limits = limitOptions(flags);
  const out = path.resolve(flags.out);
  const local = localInput(input);
  const force = flags.force === true;
  const reports = flags.report.map((r) => path.resolve(r));
  for (const r of reports) reportKind(r);
  const compact = flags.format === 'compact';
  const codebook = codebookBits(flags.codebook);
  if (codebook !== undefined && !compact) throw new ArgumentError('--codebook needs --format compact (shared values are a container coding)');
  if (compact) await checkOutputFile(out, force);
  else await checkOutputDir(out, local, force);
  for (const r of reports) await checkReportFile(r, local, force);
  if (flags.calibration !== undefined) {
    return oneShotCommand(ctx, local ?? input, out, config, { calibration: flags.calibration, limit: flags.calibrationLimit, method: flags.method, damping: flags.damping, stream: flags.stream }, { force, reports, shardBytes, limits, compact, gzip: flags.gzip });
  }
  const html = reports.some((r) => reportKind(r) === 'html');
  const how = prunePath(flags.stream, local, html, compact);
  if (how.stream) return streamCommand(ctx, local as string, out, config, { force, reports, shardBytes, threads, all: flags.all === true, gzip: flags.gzip, why: how.why, limits });

  const progress = ctx.progress([
    { label: 'loading shards', weight: 2 },
    { label: 'pruning', weight: 3 },
    ...(reports.length > 0 ? [{ label: 'rendering the report', weight: html ? 2 : 0.2 }] : []),
    { label: 'writing', weight: 2 },
  ]);
  try {
    progress.next();
    await init();
    const artifacts = await loadArtifacts(local ?? input, limits);
    progress.next();
    // Without an HTML report nobody needs the weights as loaded: prune them where they are.
    const { pruneArtifacts, compressArtifactsReport } = await tfjsEntry();
    const { artifacts: pruned, report } = await pruneArtifacts(artifacts, config, { gzip: flags.gzip, gzipSizes: nodeGzipSizes, inPlace: !html });
    let rendered: { file: string; text: string }[] = [];
    if (reports.length > 0) {
      progress.next();
      const facts: [string, string][] = [
        ['input', local ?? input],
        ['output', out],
        ['config', JSON.stringify(config)],
        ['format', report.format],
      ];
      rendered = renderReports(
        reports,
        {
          kind: 'prune',
          title: `Pruning report: ${path.basename(local ?? input)}`,
          facts,
          report,
          config,
          before: artifacts,
          after: pruned,
          generator: ctx.generator,
          json: { input: local ?? input, output: out, streamed: false },
        },
        (d, n) => progress.update(d, n),
      );
    }
    progress.next();
    const coded = compact ? compressArtifactsReport(pruned, { codebook }) : null;
    const container = coded ? coded.container : null;
    if (container) await writeContainer(ctx, out, container);
    const saved = container
      ? null
      : await writeOutputDir(out, (fn) => ctx.onFailure(fn), () => saveArtifacts(out, pruned, { overwrite: force, ...(shardBytes === undefined ? {} : { shardBytes }) }));
    for (const r of reports) ctx.onFailure(() => rm(r, { force: true }));
    await writeReports(rendered);
    progress.stop();

    if (ctx.json) {
      ctx.out(
        JSON.stringify({
          command: 'prune',
          input: local ?? input,
          streamed: false,
          path: `in memory (${how.why})`,
          output: saved ? { dir: out, modelPath: saved.modelPath, shardPaths: saved.shardPaths, weightBytes: saved.weightBytes } : { file: out, containerBytes: container!.length, tensors: coded!.report.tensors },
          reports,
          config,
          report,
        }),
      );
      return;
    }
    ctx.out(pruneSummary(report, { all: flags.all === true, quantized: config.quantize !== undefined }));
    ctx.out('');
    const rel = (p: string) => (path.relative(process.cwd(), p).startsWith('..') ? p : path.relative(process.cwd(), p) || '.');
    if (saved) ctx.out(`wrote ${rel(out)}/ (${path.basename(saved.modelPath)}, ${saved.shardPaths.length} shard${saved.shardPaths.length === 1 ? '' : 's'}; in memory: ${how.why})`);
    if (coded) for (const line of clusterLines(coded.report)) ctx.out(line);
    if (!saved) ctx.out(`wrote ${rel(out)} (${(container!.length / 1024).toFixed(1)} KB, compact container; in memory: ${how.why})`);
    for (const r of reports) ctx.out(`wrote ${rel(r)}`);
  } finally {
    progress.stop();
  }
}

/** The streaming path: pruneDirectory reads the shards in passes and writes the output directly. */
async function streamCommand(
  ctx: Ctx,
  input: string,
  out: string,
  config: PruneConfig,
  o: { force: boolean; reports: string[]; shardBytes: number | undefined; threads: number | undefined; all: boolean; gzip: boolean; why: string; limits: LoadArtifactsOptions },
): Promise<void> {
  const progress = ctx.progress([
    { label: 'selecting the threshold', weight: 2 },
    { label: 'pruning and writing', weight: 3 },
    ...(o.gzip ? [{ label: 'gzip sizes of the output', weight: 1 }] : []),
  ]);
  try {
    // The input's gzip size is measured on the thread pool from the start, while the Wasm
    // kernels load and the pruning runs.
    const sizes = o.gzip ? await directorySizes(input, nodeGzipSizes, 'prune', o.limits) : null;
    await init();
    // Stages: 0 selecting, 1 pruning and writing, 2 sizes; `at` is the stage shown.
    let at = -1;
    const reach = (stage: number) => {
      while (at < stage) {
        progress.next();
        at++;
      }
    };
    ctx.onFailure(async () => sizes?.cancel());
    const saved = await writeOutputDir(out, (fn) => ctx.onFailure(fn), () => pruneDirectory(input, out, config, {
      overwrite: o.force,
      ...o.limits,
      ...(o.shardBytes === undefined ? {} : { shardBytes: o.shardBytes }),
      ...(o.threads === undefined ? {} : { threads: o.threads }),
      ...(sizes === null ? {} : { passSizes: sizes.pass }),
      onProgress(p, done, total) {
        reach(p === 'select' ? 0 : 1);
        progress.update(done, total);
      },
    }));
    const report = saved.report;
    if (sizes !== null) {
      reach(2);
      report.bytes = await sizes.finish(report, saved.modelPath, config.quantize ?? null);
    }
    for (const r of o.reports) ctx.onFailure(() => rm(r, { force: true }));
    const rendered = renderReports(o.reports, {
      kind: 'prune',
      title: `Pruning report: ${path.basename(input)}`,
      facts: [],
      report,
      config,
      before: {},
      after: null,
      generator: ctx.generator,
      json: { input, output: out, streamed: true },
    });
    await writeReports(rendered);
    progress.stop();
    if (ctx.json) {
      ctx.out(
        JSON.stringify({
          command: 'prune',
          input,
          streamed: true,
          path: `streamed (${o.why})`,
          output: { dir: out, modelPath: saved.modelPath, shardPaths: saved.shardPaths, weightBytes: saved.weightBytes },
          reports: o.reports,
          config,
          report,
        }),
      );
      return;
    }
    ctx.out(pruneSummary(report, { all: o.all, quantized: config.quantize !== undefined }));
    ctx.out('');
    const rel = (p: string) => (path.relative(process.cwd(), p).startsWith('..') ? p : path.relative(process.cwd(), p) || '.');
    ctx.out(`wrote ${rel(out)}/ (${path.basename(saved.modelPath)}, ${saved.shardPaths.length} shard${saved.shardPaths.length === 1 ? '' : 's'}; streamed: ${o.why})`);
    for (const r of o.reports) ctx.out(`wrote ${rel(r)}`);
  } finally {
    progress.stop();
  }
}
