// The streamed select's sample (src/model/stream.ts sampleRuns): one run of SAMPLE_RUN per block
// of SAMPLE_STRIDE at an offset hashed from the block's index, the same runs whatever the chunks;
// and a model whose weights have a period of the stride (the columns of power-of-two rows) is
// settled from that sample in one full pass, as pruneArtifacts prunes it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/index.js';
import { pruneDirectory, saveArtifacts } from '../../src/node.js';
import type { PruneConfig } from '../../src/tfjs.js';
import { SAMPLE_RUN, SAMPLE_STRIDE, sampleOffset, sampleRuns } from '../../src/model/stream.js';
import { makeArtifacts, randn } from '../model/support.js';
import { expectSameDir, reference } from './support.js';

let root: string;

beforeAll(async () => {
  await init();
  root = await mkdtemp(path.join(tmpdir(), 'tfjs-prune-sample-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Sampled group indices of a group of n elements cut into chunks of the given lengths. */
function sampled(n: number, cuts: number[]): number[] {
  const out: number[] = [];
  let g0 = 0;
  for (const len of [...cuts, n - cuts.reduce((a, b) => a + b, 0)]) {
    for (const [from, to] of sampleRuns(g0, len)) for (let i = from; i < to; i++) out.push(g0 + i);
    g0 += len;
  }
  return out;
}

describe('the sample of the streamed select', () => {
  it('one run of SAMPLE_RUN in each whole block, at offsets that vary from block to block', () => {
    const blocks = 64;
    const idx = sampled(blocks * SAMPLE_STRIDE, []);
    expect(idx.length).toBe(blocks * SAMPLE_RUN);
    const offsets = new Set<number>();
    for (let j = 0; j < blocks; j++) {
      const run = idx.slice(j * SAMPLE_RUN, (j + 1) * SAMPLE_RUN);
      expect(Math.floor(run[0] / SAMPLE_STRIDE)).toBe(j);
      expect(run[SAMPLE_RUN - 1] - run[0]).toBe(SAMPLE_RUN - 1); // consecutive, inside the block
      expect(Math.floor(run[SAMPLE_RUN - 1] / SAMPLE_STRIDE)).toBe(j);
      offsets.add(run[0] - j * SAMPLE_STRIDE);
    }
    expect(offsets.size).toBeGreaterThan(blocks / 2);
    for (const j of [0, 1, 2 ** 31, 2 ** 32 + 5, 2 ** 40]) {
      const o = sampleOffset(j);
      expect(Number.isInteger(o) && o >= 0 && o <= SAMPLE_STRIDE - SAMPLE_RUN).toBe(true);
    }
  });

  it('the same elements however the group is cut into chunks', () => {
    const n = 10 * SAMPLE_STRIDE + 1234;
    const whole = sampled(n, []);
    expect(sampled(n, [1, 16383, 5000, 100, 40000])).toEqual(whole);
    expect(sampled(n, Array.from({ length: 160 }, () => 1000))).toEqual(whole);
  });
});

describe('a model with the sample stride as its period', () => {
  it('is settled by the sample: one full select pass, and the in-memory path\'s bytes', async () => {
    // 32 blocks; in each, the first SAMPLE_RUN weights are tiny (a sample always taken there sees
    // only them and brackets the wrong magnitudes).
    const n = 32 * SAMPLE_STRIDE;
    const w = randn(n, 11);
    for (let i = 0; i < n; i++) if (i % SAMPLE_STRIDE < SAMPLE_RUN) w[i] = 1e-6 * (1 + (i % 7));
    const dir = path.join(root, 'periodic');
    await saveArtifacts(dir, makeArtifacts([{ name: 'dense/kernel', shape: [n / 512, 512], values: w }]));
    const config: PruneConfig = { sparsity: 0.9, scope: 'global' };
    const ref = path.join(root, 'ref');
    const refReport = await reference(dir, ref, config);
    for (const threads of [0, 2]) {
      const out = path.join(root, `out-${threads}`);
      let selectTotal = 0;
      const r = await pruneDirectory(dir, out, config, {
        threads,
        onProgress: (pass, _done, total) => {
          if (pass === 'select') selectTotal = Math.max(selectTotal, total);
        },
      });
      await expectSameDir(ref, out);
      expect(r.report).toEqual(refReport);
      // The exact fallback would add two more passes (3n * 4 bytes).
      expect(selectTotal).toBe(n * 4);
    }
  });
});
