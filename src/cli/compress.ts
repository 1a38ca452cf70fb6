/// <reference types="node" />
// `tfjs-prune compress <model> --out model.tpz`: any tfjs model into one compact container
// (docs/container.md), lossless; tfjs-prune/load's compressedModel reads it back for stock tfjs.
// Prints the container's bytes against the weights gzipped at level 9 (what a server sends).
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { ModelIOError } from '../node.js';
import { loadArtifacts } from '../node.js';
import { ArgumentError } from '../node.js';
import type { CompressReport } from '../tfjs.js';
import { tfjsEntry } from './tfjs_entry.js';
import type { Ctx } from './context.js';
import { localInput, writeFileAtomic } from './files.js';

export interface CompressFlags {
  out: string;
  force?: boolean;
  /** --raw-json: the model JSON stored uncompressed (for runtimes without DecompressionStream). */
  rawJson?: boolean;
  /** --codebook <bits>: lossy weight sharing (compressArtifacts' codebook option). */
  codebook?: string;
}

/** The --codebook flag as a number of bits (compressArtifacts checks the range). */
export function codebookBits(flag: string | undefined): number | undefined {
  if (flag === undefined) return undefined;
  const bits = Number(flag);
  if (!/^\d+$/.test(flag) || bits < 1 || bits > 16) throw new ArgumentError(`--codebook must be a number of bits from 1 to 16, got '${flag}'`);
  return bits;
}

/** One line per clustered tensor: its shared values and the relative RMS error they cost. */
export function clusterLines(report: CompressReport): string[] {
  const rows = report.tensors.filter((t) => t.clustered !== null);
  if (rows.length === 0) return [];
  const width = Math.max(...rows.map((t) => t.name.length));
  return [
    `codebooks (relative RMS error of the decoded weights against the input's):`,
    ...rows.map((t) => `  ${t.name.padEnd(width)}  [${t.shape.join(', ')}]  ${t.clustered!.centroids} values (${t.clustered!.bits} bits)  error ${(100 * t.clustered!.relativeRms).toFixed(2)}%  ${(t.bytes / 1024).toFixed(1)} KB`),
  ];
}

export async function compressCommand(ctx: Ctx, input: string, flags: CompressFlags): Promise<void> {
  const local = localInput(input);
  const out = path.resolve(flags.out);
  await checkOutputFile(out, flags.force === true);
  const progress = ctx.progress([
    { label: 'loading shards', weight: 1 },
    { label: 'coding', weight: 3 },
  ]);
  try {
    progress.next();
    const artifacts = await loadArtifacts(local ?? input);
    progress.next();
    const { container: bytes, report } = (await tfjsEntry()).compressArtifactsReport(artifacts, { json: flags.rawJson ? 'raw' : 'deflate', codebook: codebookBits(flags.codebook) });
    progress.stop();
    await writeContainer(ctx, out, bytes);
    const shards = [artifacts.weightData ?? []].flat();
    const weights = shards.reduce((t, b) => t + b.byteLength, 0);
    const weightsGzip = shards.reduce((t, b) => t + gzipSync(new Uint8Array(b), { level: 9 }).length, 0);
    const sizes = { weights, weightsGzip, container: bytes.length };
    if (ctx.json) {
      ctx.out(JSON.stringify({ command: 'compress', input: local ?? input, out, bytes: sizes, tensors: report.tensors }));
      return;
    }
    const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
    for (const line of clusterLines(report)) ctx.out(line);
    ctx.out(`wrote ${path.relative(process.cwd(), out) || out}: ${kb(bytes.length)} (weights ${kb(weights)}, gzip -9 ${kb(weightsGzip)}; container / gzip ${(bytes.length / weightsGzip).toFixed(3)})`);
  } finally {
    progress.stop();
  }
}

/** An output file that may be written: absent, or a file and --force. */
export async function checkOutputFile(out: string, force: boolean): Promise<void> {
  const st = await stat(out).catch(() => null);
  if (st?.isDirectory()) throw new ModelIOError('OUTPUT_EXISTS', `output ${out} is a directory`, out);
  if (st && !force) throw new ModelIOError('OUTPUT_EXISTS', `output ${out} exists; pass --force to replace it`, out);
}

/** Writes a container atomically; a later failure of the command removes it. */
export async function writeContainer(ctx: Ctx, out: string, bytes: Uint8Array): Promise<void> {
  ctx.onFailure(() => rm(out, { force: true }));
  await writeFileAtomic(out, bytes);
}
