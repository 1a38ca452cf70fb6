/// <reference types="node" />
// `tfjs-prune prune <model> --out <dir>`: load, prune, save, report. Everything is computed and
// rendered before the first byte is written; the model directory is written atomically by
// saveArtifacts, and a failure after it (a report that cannot be written) removes it again.
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { init } from '../index.js';
import { ArgumentError, loadArtifacts, ModelIOError, saveArtifacts } from '../node.js';
import { pruneArtifacts, type PruneConfig } from '../tfjs.js';
import { configFromFlags, parseConfigFile, type PruneFlags } from './config.js';
import type { Ctx } from './context.js';
import { checkOutputDir, checkReportFile, localInput, removeNewTempSiblings, reportKind, tempSiblings } from './files.js';
import { renderReports, writeReports } from './reports.js';
import { pruneSummary } from './summary.js';

export interface PruneCommandFlags extends PruneFlags {
  out: string;
  report: string[];
  force?: boolean;
  shardBytes?: string;
  gzip: boolean;
  all?: boolean;
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
  const out = path.resolve(flags.out);
  const local = localInput(input);
  const force = flags.force === true;
  const reports = flags.report.map((r) => path.resolve(r));
  for (const r of reports) reportKind(r);
  await checkOutputDir(out, local, force);
  for (const r of reports) await checkReportFile(r, local, force);
  const html = reports.some((r) => reportKind(r) === 'html');

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
    const temps = await tempSiblings(out);
    ctx.onFailure(() => removeNewTempSiblings(out, temps));
    const saved = await saveArtifacts(out, pruned, { overwrite: force, ...(shardBytes === undefined ? {} : { shardBytes }) });
    ctx.onFailure(() => rm(out, { recursive: true, force: true }));
    for (const r of reports) ctx.onFailure(() => rm(r, { force: true }));
    await writeReports(rendered);
    progress.stop();

    if (ctx.json) {
      ctx.out(
        JSON.stringify({
          command: 'prune',
          input: local ?? input,
          output: { dir: out, modelPath: saved.modelPath, shardPaths: saved.shardPaths, weightBytes: saved.weightBytes },
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
    ctx.out(`wrote ${rel(out)}/ (${path.basename(saved.modelPath)}, ${saved.shardPaths.length} shard${saved.shardPaths.length === 1 ? '' : 's'})`);
    for (const r of reports) ctx.out(`wrote ${rel(r)}`);
  } finally {
    progress.stop();
  }
}
