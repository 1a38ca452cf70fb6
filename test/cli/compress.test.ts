// `tfjs-prune compress` run as users run it (the built bin): the container it writes decodes to the
// very weights of the input; an existing output is refused unless --force; --json reports sizes.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decompressArtifacts } from '../../src/load.js';
import { loadArtifacts } from '../../src/node.js';
import { concatBytes, firstDiff } from '../model/support.js';
import { cli, EXAMPLE, hashDir } from './support.js';

let dir: string;
let exampleHash: Record<string, string>;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tfjs-prune-compress-'));
  exampleHash = await hashDir(EXAMPLE);
  tf.enableProdMode();
  await tf.setBackend('cpu');
});
afterAll(async () => {
  expect(await hashDir(EXAMPLE)).toEqual(exampleHash);
  await rm(dir, { recursive: true, force: true });
});

describe('tfjs-prune compress', () => {
  it('writes a container of the example that decodes to its exact weights, smaller than its weights gzipped', async () => {
    const out = path.join(dir, 'lenet.tpz');
    const run = await cli(['compress', EXAMPLE, '--out', out, '--json'], dir);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    const bytes = new Uint8Array(await readFile(out));
    expect(report.bytes.container).toBe(bytes.length);
    expect(report.bytes.container).toBeLessThan(report.bytes.weightsGzip);
    const decoded = await decompressArtifacts(bytes);
    const original = await loadArtifacts(EXAMPLE);
    expect(firstDiff(concatBytes(decoded.weightData!), concatBytes(original.weightData!))).toBe(-1);
    expect(decoded.modelTopology).toEqual(original.modelTopology);
  });

  it('refuses an existing output without --force (exit 6, file untouched), replaces it with --force', async () => {
    const out = path.join(dir, 'exists.tpz');
    await writeFile(out, 'keep');
    const run = await cli(['compress', EXAMPLE, '--out', out], dir);
    expect(run.code).toBe(6);
    expect(run.stderr).toMatch(/exists; pass --force/);
    expect(await readFile(out, 'utf8')).toBe('keep');
    const forced = await cli(['compress', EXAMPLE, '--out', out, '--force', '--raw-json'], dir);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/^wrote exists\.tpz: [\d.]+ KB \(weights 1041\.4 KB/);
    expect(new TextDecoder().decode(await readFile(out))).toContain('"weightSpecs"');
  });

  it('inspect reads a container: the zeros of the decoded weights, and the container size', async () => {
    const pruned = path.join(dir, 'pruned');
    expect((await cli(['prune', EXAMPLE, '--out', pruned, '--sparsity', '0.9', '--scope', 'global', '--quantize', 'uint8'], dir)).code).toBe(0);
    const out = path.join(dir, 'pruned.tpz');
    expect((await cli(['compress', pruned, '--out', out], dir)).code).toBe(0);
    const fromDir = JSON.parse((await cli(['inspect', pruned, '--json', '--no-gzip'], dir)).stdout);
    const run = await cli(['inspect', out, '--json', '--no-gzip'], dir);
    expect(run.code).toBe(0);
    const fromFile = JSON.parse(run.stdout);
    expect(fromFile.containerBytes).toBe((await readFile(out)).length);
    expect(fromFile.report.totals).toEqual(fromDir.report.totals);
    expect(fromFile.report.tensors.map((t: { zeros: number }) => t.zeros)).toEqual(fromDir.report.tensors.map((t: { zeros: number }) => t.zeros));
  });

  it('prune --format compact writes the pruned model as one container, equal to the directory prune writes', async () => {
    const args = ['--sparsity', '0.9', '--scope', 'global', '--quantize', 'uint8'];
    const asDir = path.join(dir, 'as-dir');
    expect((await cli(['prune', EXAMPLE, '--out', asDir, ...args], dir)).code).toBe(0);
    const file = path.join(dir, 'as-file.tpz');
    const run = await cli(['prune', EXAMPLE, '--out', file, ...args, '--format', 'compact', '--json'], dir);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout).output;
    const bytes = new Uint8Array(await readFile(file));
    expect(out).toEqual({ file, containerBytes: bytes.length });
    const decoded = await decompressArtifacts(bytes);
    const saved = await loadArtifacts(asDir);
    const stock = (a: tf.io.ModelArtifacts) => Object.values(tf.io.decodeWeights(a.weightData!, a.weightSpecs!)).map((t) => Array.from(t.dataSync()));
    expect(stock(decoded)).toEqual(stock(saved));
    const streamed = await cli(['prune', EXAMPLE, '--out', path.join(dir, 'no.tpz'), ...args, '--format', 'compact', '--stream'], dir);
    expect(streamed.code).toBe(2);
    expect(streamed.stderr).toMatch(/--format compact codes the model in memory/);
  });
});
