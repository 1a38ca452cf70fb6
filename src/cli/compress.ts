/// <reference types="node" />
// `tfjs-prune compress <model> --out model.tpz`: any tfjs model into one compact container
// (docs/container.md), lossless; tfjs-prune/load's compressedModel reads it back for stock tfjs.
// Prints the container's bytes against the weights gzipped at level 9 (what a server sends).
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { ModelIOError } from '../node.js';
import { loadArtifacts } from '../node.js';
import { compressArtifacts } from '../tfjs.js';
import type { Ctx } from './context.js';
import { localInput, writeFileAtomic } from './files.js';

export interface CompressFlags {
  out: string;
  force?: boolean;
  /** --raw-json: the model JSON stored uncompressed (for runtimes without DecompressionStream). */
  rawJson?: boolean;
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
    const bytes = compressArtifacts(artifacts, { json: flags.rawJson ? 'raw' : 'deflate' });
    progress.stop();
    await writeContainer(ctx, out, bytes);
    const shards = [artifacts.weightData ?? []].flat();
    const weights = shards.reduce((t, b) => t + b.byteLength, 0);
    const weightsGzip = shards.reduce((t, b) => t + gzipSync(new Uint8Array(b), { level: 9 }).length, 0);
    const sizes = { weights, weightsGzip, container: bytes.length };
    if (ctx.json) {
      ctx.out(JSON.stringify({ command: 'compress', input: local ?? input, out, bytes: sizes }));
      return;
    }
    const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
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
