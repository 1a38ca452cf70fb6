/// <reference types="node" />
// `tfjs-prune prune <model> --out <dir>`: load, prune, save, report. Everything is computed and
// rendered before the first byte is written; the model directory is written atomically by
// saveArtifacts, and a failure after it (a report that cannot be written) removes it again.
import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { init } from '../index.js';
import { ArgumentError, loadArtifacts, ModelIOError, pruneDirectory, saveArtifacts, weightBytesOnDisk } from '../node.js';
import { compressArtifacts, pruneArtifacts, type PruneConfig } from '../tfjs.js';
import { checkOutputFile, writeContainer } from './compress.js';
import { configFromFlags, parseConfigFile, type PruneFlags } from './config.js';
import type { Ctx } from './context.js';
import { checkOutputDir, checkReportFile, localInput, reportKind, writeOutputDir } from './files.js';
import { renderReports, writeReports } from './reports.js';
import { pruneSummary } from './summary.js';

export interface PruneCommandFlags extends PruneFlags {
  out: string;
  report: string[];
  force?: boolean;
  shardBytes?: string;
  gzip: boolean;
  all?: boolean;
  /** true: --stream, false: --no-stream, undefined: by the model's size (streamingRule). */
  stream?: boolean;
  threads?: string;
  /** 'tfjs' (default): a model directory; 'compact': one container file (docs/container.md). */
  format?: 'tfjs' | 'compact';
}

/**
 * The prune command streams (pruneDirectory) a local model whose weight bytes exceed a quarter of
 * the machine's memory: the in-memory path holds the weights about twice (input and output).
 */
export function streamingRule(weightBytes: number, totalMemory = os.totalmem()): boolean {
  return weightBytes > totalMemory / 4;
}

export async function pruneCommand(ctx: Ctx, input: string, flags: PruneCommandFlags): Promise<void> {
  // Arguments first: a typo costs nothing.
  let base: PruneConfig = {};
  if (flags.config !== undefined) {
    const text = await readFile(flags.config, 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new ModelIOError('IO_ERROR', `cannot read --config ${flags.config}: ${e.code ?? e.message}`, flags.config!);
    });
    base = parseConfigFile(flags.config, text);
  }
  const config = configFromFlags(flags, base);
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
  const out = path.resolve(flags.out);
  const local = localInput(input);
  const force = flags.force === true;
  const reports = flags.report.map((r) => path.resolve(r));
  for (const r of reports) reportKind(r);
  const compact = flags.format === 'compact';
  if (compact) await checkOutputFile(out, force);
  else await checkOutputDir(out, local, force);
  for (const r of reports) await checkReportFile(r, local, force);
  const html = reports.some((r) => reportKind(r) === 'html');
  if (flags.stream === true && local === null) throw new ArgumentError('--stream reads a model from local files; download it first, or leave --stream out');
  const stream = flags.stream ?? (local !== null && streamingRule(await weightBytesOnDisk(local)));
  if (stream) {
    if (compact) throw new ArgumentError('--format compact codes the model in memory; pass --no-stream');
    if (html) {
      throw new ArgumentError(
        `an HTML report draws the weights' histograms and needs the model in memory, which ${flags.stream === true ? '--stream' : 'this model (over a quarter of the memory) streams'} avoids; ` +
          'write a .json report, or pass --no-stream',
      );
    }
    return streamCommand(ctx, local as string, out, config, { force, reports, shardBytes, threads, all: flags.all === true });
  }

  const progress = ctx.progress([
    { label: 'loading shards', weight: 2 },
    { label: 'pruning', weight: 3 },
    ...(reports.length > 0 ? [{ label: 'rendering the report', weight: html ? 2 : 0.2 }] : []),
    { label: 'writing', weight: 2 },
  ]);
  try {
    progress.next();
    await init();
    const artifacts = await loadArtifacts(local ?? input);
    progress.next();
    // Without an HTML report nobody needs the weights as loaded: prune them where they are.
    const { artifacts: pruned, report } = await pruneArtifacts(artifacts, config, { gzip: flags.gzip, inPlace: !html });
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
          json: { input: local ?? input, output: out },
        },
        (d, n) => progress.update(d, n),
      );
    }
    progress.next();
    const container = compact ? compressArtifacts(pruned) : null;
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
          output: saved ? { dir: out, modelPath: saved.modelPath, shardPaths: saved.shardPaths, weightBytes: saved.weightBytes } : { file: out, containerBytes: container!.length },
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
    if (saved) ctx.out(`wrote ${rel(out)}/ (${path.basename(saved.modelPath)}, ${saved.shardPaths.length} shard${saved.shardPaths.length === 1 ? '' : 's'})`);
    else ctx.out(`wrote ${rel(out)} (${(container!.length / 1024).toFixed(1)} KB, compact container)`);
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
  o: { force: boolean; reports: string[]; shardBytes: number | undefined; threads: number | undefined; all: boolean },
): Promise<void> {
  const progress = ctx.progress([
    { label: 'selecting the threshold', weight: 2 },
    { label: 'pruning and writing', weight: 3 },
  ]);
  try {
    await init();
    let pass: string | null = null;
    const saved = await writeOutputDir(out, (fn) => ctx.onFailure(fn), () => pruneDirectory(input, out, config, {
      overwrite: o.force,
      ...(o.shardBytes === undefined ? {} : { shardBytes: o.shardBytes }),
      ...(o.threads === undefined ? {} : { threads: o.threads }),
      onProgress(p, done, total) {
        if (p !== pass) {
          if (pass === null && p === 'prune') progress.next();
          progress.next();
          pass = p;
        }
        progress.update(done, total);
      },
    }));
    const report = saved.report;
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
    ctx.out(`wrote ${rel(out)}/ (${path.basename(saved.modelPath)}, ${saved.shardPaths.length} shard${saved.shardPaths.length === 1 ? '' : 's'}; streamed, no gzip sizes)`);
    for (const r of o.reports) ctx.out(`wrote ${rel(r)}`);
  } finally {
    progress.stop();
  }
}
