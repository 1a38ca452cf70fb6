// `tfjs-prune prune --stream` (and the automatic choice, streamingRule): the same directory as the
// in-memory path, a .json report, and a clear error for an HTML report it cannot draw.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamingRule } from '../../src/cli/prune.js';
// @ts-expect-error: a plain .mjs script without types
import { synthModel } from '../../scripts/synth-model.mjs';
import { cli } from '../cli/support.js';
import { expectSameDir } from './support.js';

let root: string;
let model: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'tfjs-prune-stream-cli-'));
  model = synthModel({ params: 60000, width: 100, seed: 3, shardBytes: 30000, out: path.join(root, 'model') }).dir;
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('tfjs-prune prune --stream', () => {
  it('writes what the in-memory path writes, and a .json report', async () => {
    const args = ['--sparsity', '0.85', '--scope', 'global', '--override', 'dense_2/*=0.5', '--shard-bytes', '50000'];
    const a = await cli(['prune', model, '--out', 'streamed', '--stream', '--threads', '2', '--report', 'r.json', ...args], root);
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/streamed, no gzip sizes/);
    const b = await cli(['prune', model, '--out', 'loaded', '--no-stream', '--no-gzip', ...args], root);
    expect(b.code).toBe(0);
    await expectSameDir(path.join(root, 'loaded'), path.join(root, 'streamed'));
    const r = JSON.parse(await readFile(path.join(root, 'r.json'), 'utf8'));
    expect(r.streamed).toBe(true);
    expect(r.report.totals.prunedSparsity).toBeGreaterThan(0.75);
  });

  it('an HTML report with --stream is a usage error (exit 2), and nothing is written', async () => {
    const r = await cli(['prune', model, '--out', 'html', '--stream', '--sparsity', '0.5', '--report', 'r.html'], root);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/HTML report .* needs the model in memory/);
    expect(existsSync(path.join(root, 'html'))).toBe(false);
  });

  it('--stream on a URL and a bad --threads are usage errors', async () => {
    expect((await cli(['prune', 'https://example.com/m/model.json', '--out', 'u', '--stream', '--sparsity', '0.5'], root)).stderr).toMatch(/--stream reads a model from local files/);
    expect((await cli(['prune', model, '--out', 't', '--threads', 'x', '--sparsity', '0.5'], root)).stderr).toMatch(/--threads must be an integer/);
  });

  it('streams by itself above a quarter of the memory', () => {
    expect(streamingRule(4 * 2 ** 30, 16 * 2 ** 30)).toBe(false);
    expect(streamingRule(4 * 2 ** 30 + 1, 16 * 2 ** 30)).toBe(true);
  });
});
