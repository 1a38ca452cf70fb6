// `tfjs-prune prune`: streamed by default (prunePath), the same directory and the same report (gzip
// sizes included) as the in-memory path (--no-stream) on real models, a .json report, and a clear
// error for an HTML report --stream cannot draw.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prunePath } from '../../src/cli/prune.js';
// @ts-expect-error: a plain .mjs script without types
import { synthModel } from '../../scripts/synth-model.mjs';
import { cli } from '../cli/support.js';
import { expectSameDir } from './support.js';
import { packageDir } from '../model/support.js';
import { EXAMPLE } from '../cli/support.js';

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
    expect(a.stdout).toMatch(/streamed: a window of the model at a time/);
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

  it('streams wherever the input is local and no HTML report is asked for', () => {
    expect(prunePath(undefined, '/m', false)).toEqual({ stream: true, why: 'a window of the model at a time' });
    expect(prunePath(undefined, null, false).stream).toBe(false);
    expect(prunePath(undefined, '/m', true).stream).toBe(false);
    expect(prunePath(false, '/m', false)).toEqual({ stream: false, why: '--no-stream' });
  });
});

const HUMAN = path.join(packageDir('@vladmandic/human'), 'models');
const FACE_API = path.join(packageDir('@vladmandic/face-api'), 'model');

describe('the default (streamed) path and --no-stream write the same bytes and report the same sizes', () => {
  const cases: [string, string, string[]][] = [
    ['float32 layers model (examples/mnist-mlp), layer scope', EXAMPLE, ['--sparsity', '0.8']],
    ['float32 layers model (examples/mnist-mlp), global scope, quantize uint8', EXAMPLE, ['--sparsity', '0.8', '--scope', 'global', '--quantize', 'uint8']],
    ['float32 graph model (human blazeface), global scope', path.join(HUMAN, 'blazeface.json'), ['--sparsity', '0.9', '--scope', 'global']],
    ['float16 graph model (human faceres), global scope', path.join(HUMAN, 'faceres.json'), ['--sparsity', '0.9', '--scope', 'global']],
    ['float16 graph model (human faceres), layer scope', path.join(HUMAN, 'faceres.json'), ['--sparsity', '0.7']],
    ['uint8 weights manifest (face-api ssd_mobilenetv1), layer scope', path.join(FACE_API, 'ssd_mobilenetv1_model-weights_manifest.json'), ['--sparsity', '0.6']],
    ['uint8 graph model (human handtrack), global scope', path.join(HUMAN, 'handtrack.json'), ['--sparsity', '0.5', '--scope', 'global']],
  ];
  it.each(cases)('%s', async (_, input, args) => {
    const tag = `paths-${cases.findIndex((c) => c[1] === input && c[2] === args)}`;
    const a = await cli(['prune', input, '--out', `${tag}-s`, '--report', `${tag}-s.json`, ...args], root);
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/streamed: a window of the model at a time/);
    const b = await cli(['prune', input, '--out', `${tag}-m`, '--report', `${tag}-m.json`, '--no-stream', ...args], root);
    expect(b.code).toBe(0);
    expect(b.stdout).toMatch(/in memory: --no-stream/);
    await expectSameDir(path.join(root, `${tag}-m`), path.join(root, `${tag}-s`));
    const rs = JSON.parse(await readFile(path.join(root, `${tag}-s.json`), 'utf8'));
    const rm_ = JSON.parse(await readFile(path.join(root, `${tag}-m.json`), 'utf8'));
    expect(rs.streamed).toBe(true);
    expect(rm_.streamed).toBe(false);
    expect(rs.report.bytes.before.gzip).toBeGreaterThan(0);
    expect(rs.report).toEqual(rm_.report);
  });
});
