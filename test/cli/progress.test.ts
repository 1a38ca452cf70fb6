// --progress / TFJS_PRUNE_PROGRESS=1: one line per stage on stderr when stderr is not a terminal
// (here a pipe, as in a CI log), for the streamed path and the in-memory one; nothing without them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, EXAMPLE } from './support.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'tfjs-prune-progress-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const stageLine = /^tfjs-prune: (\d)\/(\d) [a-z ]+ \((previous stage \d+\.\d\d s, )?\d+\.\d\d s in all\)$/;

describe('progress lines without a terminal', () => {
  it('--progress on the streamed path: a line per stage, in order, then done', async () => {
    const r = await cli(['prune', EXAMPLE, '--out', 'a', '--sparsity', '0.5', '--progress'], root);
    expect(r.code).toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines.map((l) => l.replace(/ \(.*\)$/, ''))).toEqual([
      'tfjs-prune: 1/3 selecting the threshold',
      'tfjs-prune: 2/3 pruning and writing',
      'tfjs-prune: 3/3 gzip sizes of the output',
      'tfjs-prune: done',
    ]);
    for (const l of lines.slice(0, 3)) expect(l).toMatch(stageLine);
    expect(lines[1]).toMatch(/previous stage/);
  });

  it('TFJS_PRUNE_PROGRESS=1 on the in-memory path (an HTML report)', async () => {
    const r = await cli(['prune', EXAMPLE, '--out', 'b', '--sparsity', '0.5', '--report', 'b.html'], root, { TFJS_PRUNE_PROGRESS: '1' });
    expect(r.code).toBe(0);
    expect(r.stderr.trim().split('\n').map((l) => l.replace(/ \(.*\)$/, ''))).toEqual([
      'tfjs-prune: 1/4 loading shards',
      'tfjs-prune: 2/4 pruning',
      'tfjs-prune: 3/4 rendering the report',
      'tfjs-prune: 4/4 writing',
      'tfjs-prune: done',
    ]);
  });

  it('nothing on stderr without them', async () => {
    const r = await cli(['prune', EXAMPLE, '--out', 'c', '--sparsity', '0.5'], root, { TFJS_PRUNE_PROGRESS: '' });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });
});
