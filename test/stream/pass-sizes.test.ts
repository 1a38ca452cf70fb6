// The CLI's gzip sizes of a streamed prune (src/node/dir_sizes.ts) with the output's pieces taken by
// the prune pass as it writes them (pruneDirectory's `passSizes`, src/model/sizes.ts PassSizes):
// the same figures as reading the written files back, byte for byte, on real and synthetic models,
// inline and on worker threads, with native zlib in the workers or the pieces handed back; and
// the pass really measured them (the written files are overwritten before the figures are asked
// for, and nothing changes).
import { createHash } from 'node:crypto';
import { readdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/index.js';
import { directorySizes, nodeGzipSizes, pruneDirectory, type PruneDirectoryOptions } from '../../src/node.js';
import type { GzipSizes } from '../../src/model/sizes.js';
import type { ModelPruneReport, PruneConfig } from '../../src/tfjs.js';
// @ts-expect-error: a plain .mjs script without types
import { synthModel } from '../../scripts/synth-model.mjs';
import { packageDir } from '../model/support.js';

const HUMAN = path.join(packageDir('@vladmandic/human'), 'models');
let root: string;
let synth: string;
let n = 0;

beforeAll(async () => {
  await init();
  root = await mkdtemp(path.join(tmpdir(), 'tfjs-prune-pass-sizes-'));
  // 600 x 600 float32 kernels (1.4 MiB: sliced into pieces) and their biases (grouped with the
  // next kernel's slices' neighbours), in shards of 300 000 bytes: 6.9 MiB.
  synth = synthModel({ params: 1.8e6, width: 600, seed: 5, shardBytes: 300000, out: path.join(root, 'synth') }).dir;
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Native zlib level 6 in the calling thread, recording each piece: not nodeGzipSizes, so workers hand their pieces back. */
function recording(): { sizes: GzipSizes; seen: string[] } {
  const seen: string[] = [];
  return {
    seen,
    sizes: async (pieces) =>
      pieces.map((p) => {
        seen.push(createHash('sha1').update(p).digest('hex'));
        return gzipSync(p, { level: 6 }).length;
      }),
  };
}

/** Overwrites every shard of a model directory with zeros (same sizes). */
async function blank(dir: string): Promise<void> {
  for (const f of await readdir(dir)) if (f.endsWith('.bin')) await writeFile(path.join(dir, f), new Uint8Array((await stat(path.join(dir, f))).size));
}

/** The report's three figures of a streamed prune; `pass`: the prune pass takes the output's pieces; `blankOutput`: the written shards are zeroed first. */
async function figures(input: string, config: PruneConfig, gzip: GzipSizes, o: { pass: boolean; blankOutput?: boolean } & PruneDirectoryOptions): Promise<ModelPruneReport['bytes']> {
  const { pass, blankOutput, ...options } = o;
  const sizes = await directorySizes(input, gzip);
  const out = path.join(root, `out-${n++}`);
  const saved = await pruneDirectory(input, out, config, { ...options, ...(pass ? { passSizes: sizes.pass } : {}) });
  if (blankOutput) await blank(out);
  return sizes.finish(saved.report, saved.modelPath, config.quantize ?? null);
}

describe('the output figures taken by the prune pass equal those read back from the written files', () => {
  const global90: PruneConfig = { sparsity: 0.9, scope: 'global' };
  const cases: [string, () => string, PruneConfig][] = [
    ['synthetic float32, sliced and grouped pieces', () => synth, global90],
    ['human faceres (float16 graph)', () => path.join(HUMAN, 'faceres.json'), global90],
    ['human blazeface (float32 graph)', () => path.join(HUMAN, 'blazeface.json'), global90],
    ['human handtrack (uint8 graph), layer scope', () => path.join(HUMAN, 'handtrack.json'), { sparsity: 0.5 }],
  ];
  it.each(cases)('%s: inline, 2 workers with native zlib, 2 workers handing pieces back', async (_, model, config) => {
    const input = model();
    const exact = await figures(input, config, nodeGzipSizes, { pass: false });
    expect(exact.after.gzip).toBeGreaterThan(0);
    expect(exact.after.estimated).toBeUndefined();
    // Under 16 MiB the input's figure is exact, so every piece the pass does not take has its
    // figure already: with the written shards zeroed, any piece read back would change a figure.
    for (const threads of [0, 2]) {
      expect(await figures(input, config, nodeGzipSizes, { pass: true, blankOutput: true, threads })).toEqual(exact);
      const rec = recording();
      expect(await figures(input, config, rec.sizes, { pass: true, blankOutput: true, threads })).toEqual(exact);
      // Never the same bytes twice (real weights: no two distinct pieces are equal by chance).
      if (input !== synth) expect(new Set(rec.seen).size).toBe(rec.seen.length);
    }
    // Without the pass the zeroed shards are what gets measured: the test above can fail.
    expect((await figures(input, config, nodeGzipSizes, { pass: false, blankOutput: true })).after.gzip).not.toBe(exact.after.gzip);
  });

  it('tensors pruned in chunks: the pass takes their output pieces, the uint8 codes (which need the whole tensor) are read back; same figures', async () => {
    const exact = await figures(synth, { sparsity: 0.8 }, nodeGzipSizes, { pass: false });
    for (const threads of [0, 2]) expect(await figures(synth, { sparsity: 0.8 }, nodeGzipSizes, { pass: true, threads, chunkBytes: 256 * 1024 })).toEqual(exact);
    // ...and the uint8 figure is the one that needs the files.
    const blanked = await figures(synth, { sparsity: 0.8 }, nodeGzipSizes, { pass: true, blankOutput: true, threads: 2, chunkBytes: 256 * 1024 });
    expect(blanked.after).toEqual(exact.after);
    expect(blanked.quantized.gzip).not.toBe(exact.quantized.gzip);
  });

  it('a passSizes that is not a PassSink is an ArgumentError, before anything is written', async () => {
    const out = path.join(root, `out-${n++}`);
    await expect(pruneDirectory(synth, out, { sparsity: 0.5 }, { passSizes: { plan: () => null } as never })).rejects.toThrow(/pruneDirectory: passSizes must be an object with plan\(\) and receive\(\)/);
    await expect(stat(out)).rejects.toThrow(/ENOENT/);
  });

  it('an output quantized on export is measured from the written files (another layout)', async () => {
    const config: PruneConfig = { sparsity: 0.7, quantize: 'uint8' };
    const exact = await figures(synth, config, nodeGzipSizes, { pass: false });
    expect(await figures(synth, config, nodeGzipSizes, { pass: true, threads: 2 })).toEqual(exact);
  });
});
