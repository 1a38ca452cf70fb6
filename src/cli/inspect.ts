/// <reference types="node" />
// `tfjs-prune inspect <model>`: sparsity and sizes of any tfjs model, pruned or not. The numbers
// come from pruneArtifacts at sparsity 0 (which prunes nothing but counts every tensor's zeros,
// applies the default selection rule and measures raw, gzip and uint8 sizes); nothing is written
// except the --report files.
import { readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { init } from '../index.js';
import { loadArtifacts, nodeGzipSizes } from '../node.js';
import { MAGIC } from '../container/format.js';
import type { ModelArtifacts, pruneArtifacts } from '../tfjs.js';
import { tfjsEntry } from './tfjs_entry.js';
import type { Ctx } from './context.js';
import { checkReportFile, localInput, reportKind } from './files.js';
import { limitOptions, type LimitFlags } from './limits.js';
import { renderReports, writeReports } from './reports.js';
import { inspectSummary } from './summary.js';

export interface InspectFlags extends LimitFlags {
  report: string[];
  force?: boolean;
  gzip: boolean;
  all?: boolean;
}

export async function inspectCommand(ctx: Ctx, input: string, flags: InspectFlags): Promise<void> {
  const limits = limitOptions(flags);
  const local = localInput(input);
  const reports = flags.report.map((r) => path.resolve(r));
  for (const r of reports) reportKind(r);
  for (const r of reports) await checkReportFile(r, local, flags.force === true);
  const html = reports.some((r) => reportKind(r) === 'html');

  const progress = ctx.progress([
    { label: 'loading shards', weight: 2 },
    { label: 'counting zeros and sizes', weight: 3 },
    ...(reports.length > 0 ? [{ label: 'writing the report', weight: html ? 2 : 0.2 }] : []),
  ]);
  try {
    progress.next();
    await init();
    const container = await readContainer(local, limits.maxBytes);
    const artifacts = container?.artifacts ?? (await loadArtifacts(local ?? input, limits));
    progress.next();
    const { report } = await (await tfjsEntry()).pruneArtifacts(artifacts, { sparsity: 0 }, { gzip: flags.gzip, gzipSizes: nodeGzipSizes });
    if (reports.length > 0) {
      progress.next();
      const rendered = renderReports(
        reports,
        {
          kind: 'inspect',
          title: `Model report: ${path.basename(local ?? input)}`,
          facts: [
            ['model', local ?? input],
            ['format', report.format],
          ],
          report,
          before: artifacts,
          after: null,
          generator: ctx.generator,
          jsonReport: inspectReport(report),
          json: { input: local ?? input },
        },
        (d, n) => progress.update(d, n),
      );
      for (const r of reports) ctx.onFailure(() => rm(r, { force: true }));
      await writeReports(rendered);
    }
    progress.stop();
    if (ctx.json) {
      const extra = container ? { containerBytes: container.bytes } : {};
      ctx.out(JSON.stringify({ command: 'inspect', input: local ?? input, reports, report: inspectReport(report), ...extra }));
      return;
    }
    ctx.out(inspectSummary(report, { all: flags.all === true }));
    if (container) ctx.out(`\ncompact container: ${(container.bytes / 1024).toFixed(1)} KiB; the sizes above are of its weights decoded (plain float32)`);
    for (const r of reports) ctx.out(`\nwrote ${path.relative(process.cwd(), r) || r}`);
  } finally {
    progress.stop();
  }
}

/** A compact container (docs/container.md) at a local file path, decoded (--max-bytes caps its weights); null for anything else. */
async function readContainer(local: string | null, maxBytes: number | undefined): Promise<{ artifacts: ModelArtifacts; bytes: number } | null> {
  if (local === null || !(await stat(local).then((s) => s.isFile(), () => false))) return null;
  const bytes = new Uint8Array(await readFile(local));
  return MAGIC.every((b, i) => bytes[i] === b) ? { artifacts: await (await import('../load.js')).decompressArtifacts(bytes, { maxBytes }), bytes: bytes.length } : null;
}

/** The report of a sparsity-0 run, reworded for a model as it is (no before / after). */
function inspectReport(r: Awaited<ReturnType<typeof pruneArtifacts>>['report']) {
  return {
    format: r.format,
    tensors: r.tensors.map((t) => ({
      name: t.name,
      shape: t.shape,
      dtype: t.dtype,
      layer: t.layer,
      layerClass: t.layerClass,
      params: t.params,
      zeros: t.zerosAfter,
      sparsity: t.sparsity,
      prunable: t.method !== null,
      reason: t.reason,
    })),
    totals: {
      params: r.totals.params,
      zeros: r.totals.zerosAfter,
      sparsity: r.totals.sparsity,
      prunableParams: r.totals.prunedParams,
      prunableSparsity: r.totals.prunedSparsity,
    },
    bytes: { stored: r.bytes.after, quantized: r.bytes.quantized },
  };
}
