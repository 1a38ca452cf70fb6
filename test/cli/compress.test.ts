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
    expect(out).toMatchObject({ file, containerBytes: bytes.length });
    expect(out.tensors.every((t: { clustered: unknown }) => t.clustered === null)).toBe(true);
    const decoded = await decompressArtifacts(bytes);
    const saved = await loadArtifacts(asDir);
    const stock = (a: tf.io.ModelArtifacts) => Object.values(tf.io.decodeWeights(a.weightData!, a.weightSpecs!)).map((t) => Array.from(t.dataSync()));
    expect(stock(decoded)).toEqual(stock(saved));
    const streamed = await cli(['prune', EXAMPLE, '--out', path.join(dir, 'no.tpz'), ...args, '--format', 'compact', '--stream'], dir);
    expect(streamed.code).toBe(2);
    expect(streamed.stderr).toMatch(/--format compact codes the model in memory/);
  });

  it('--codebook shares values: kernels clustered to at most 2^bits values, the error per tensor printed and in --json; bad bits refused', async () => {
    const pruned = path.join(dir, 'pruned-cb');
    expect((await cli(['prune', EXAMPLE, '--out', pruned, '--sparsity', '0.92', '--scope', 'global'], dir)).code).toBe(0);
    const out = path.join(dir, 'cb4.tpz');
    const run = await cli(['compress', pruned, '--out', out, '--codebook', '4', '--json'], dir);
    expect(run.code).toBe(0);
    const tensors = JSON.parse(run.stdout).tensors as { name: string; shape: number[]; clustered: { bits: number; relativeRms: number } | null }[];
    const decoded = tf.io.decodeWeights((await decompressArtifacts(new Uint8Array(await readFile(out)))).weightData!, (await decompressArtifacts(new Uint8Array(await readFile(out)))).weightSpecs!);
    for (const t of tensors) {
      const values = decoded[t.name].dataSync();
      if (t.shape.length === 2) {
        expect(t.clustered!.bits).toBe(4);
        expect(t.clustered!.relativeRms).toBeGreaterThan(0);
        expect(new Set(values.filter((v) => v !== 0)).size).toBeLessThanOrEqual(16);
      } else expect(t.clustered).toBeNull();
    }
    const text = await cli(['compress', pruned, '--out', out, '--codebook', '4', '--force'], dir);
    expect(text.stdout).toMatch(/codebooks \(relative RMS error[^]*fc1\/kernel +\[784, 300\] +\d+ values \(4 bits\) +error [\d.]+%/);
    for (const bad of ['0', '17', 'auto', '2.5']) {
      const r = await cli(['compress', pruned, '--out', path.join(dir, 'bad.tpz'), '--codebook', bad], dir);
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toMatch(/--codebook must be a number of bits from 1 to 16/);
    }
    const dirOut = await cli(['prune', EXAMPLE, '--out', path.join(dir, 'cb-dir'), '--sparsity', '0.9', '--codebook', '5'], dir);
    expect(dirOut.code).toBe(2);
    expect(dirOut.stderr).toMatch(/--codebook needs --format compact/);
    const compact = await cli(['prune', EXAMPLE, '--out', path.join(dir, 'cb5.tpz'), '--sparsity', '0.9', '--scope', 'global', '--format', 'compact', '--codebook', '5', '--json'], dir);
    expect(compact.code).toBe(0);
    expect(JSON.parse(compact.stdout).output.tensors.filter((t: { clustered: unknown }) => t.clustered !== null).length).toBe(3);
  });
});
