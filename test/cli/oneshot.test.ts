// `tfjs-prune prune --calibration <file>` (the built bin): one-shot pruning of the bundled LeNet from
// an IDX file of MNIST training images and from .npy files, exact counts in the written model, its
// accuracy, and the errors a user meets (shape, misplaced flags), each one line with status 2.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roundHalfEven } from '../../src/index.js';
import { loadArtifacts } from '../../src/node.js';
import { accuracy, mnist } from '../training/support.js';
import { npy } from '../oneshot/support.js';
import { cli, EXAMPLE, hashDir, mnistCalibration, oneErrorLine } from './support.js';

let dir: string;
let idx: string;

beforeAll(async () => {
  await tf.setBackend('wasm');
  dir = await mkdtemp(path.join(tmpdir(), 'tfjs-prune-oneshot-cli-'));
  idx = await mnistCalibration(dir, 256);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('prune --calibration', () => {
  it('prunes LeNet one-shot from an IDX file: exact count, accuracy kept, input untouched', async () => {
    const before = await hashDir(EXAMPLE);
    const out = path.join(dir, 'out-idx');
    const report = path.join(dir, 'r.json');
    const run = await cli(['prune', EXAMPLE, '--out', out, '--sparsity', '90%', '--scope', 'global', '--calibration', idx, '--report', report, '--json'], dir);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout);
    expect(json.report.method).toBe('reconstruct');
    expect(json.report.calibration.examples).toBe(256);
    expect(json.report.layers.map((l: { layer: string }) => l.layer)).toEqual(['fc1', 'fc2', 'fc3']);
    // The .json report: the same report, with the weight bytes before and after.
    const { bytes, ...same } = JSON.parse(await readFile(report, 'utf8')).report;
    expect(same).toEqual(json.report);
    expect(bytes.before.raw).toBe(266_610 * 4);
    expect(bytes.after.gzip).toBeLessThan(bytes.before.gzip);
    const artifacts = await loadArtifacts(out);
    const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    let zeros = 0;
    for (const w of model.weights.filter((v) => v.shape.length === 2)) for (const v of w.read().dataSync()) if (v === 0) zeros++;
    expect(zeros).toBe(roundHalfEven(0.9 * 266_200));
    // 97.42% on the whole test set in bench/README.md; magnitude alone: 89.52%.
    const test = await mnist('test', 2000);
    expect(accuracy(model, test)).toBeGreaterThan(0.96);
    expect(await hashDir(EXAMPLE)).toEqual(before);
  }, 180_000);

  it.each(['float16', 'uint8'] as const)('writes a %s layers model back in its own encoding (tfjs saves float32)', async (dtype) => {
    const input = path.join(dir, `in-${dtype}`);
    expect((await cli(['prune', EXAMPLE, '--out', input, '--sparsity', '0', '--quantize', dtype, '--no-gzip'], dir)).code).toBe(0);
    const out = path.join(dir, `out-${dtype}`);
    const run = await cli(['prune', input, '--out', out, '--sparsity', '90%', '--scope', 'global', '--calibration', idx], dir);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [a, b] = [await loadArtifacts(input), await loadArtifacts(out)];
    expect(b.weightSpecs!.map((w) => [w.name, w.quantization?.dtype])).toEqual(a.weightSpecs!.map((w) => [w.name, dtype]));
    expect((b.weightData as ArrayBuffer).byteLength).toBe((a.weightData as ArrayBuffer).byteLength);
    const model = await tf.loadLayersModel(tf.io.fromMemory(b));
    let zeros = 0;
    for (const w of model.weights.filter((v) => v.shape.length === 2)) for (const v of w.read().dataSync()) if (v === 0) zeros++;
    // Every pruned weight stays 0; uint8's fresh grid also rounds a few tiny survivors to its zero code.
    expect(zeros).toBeGreaterThanOrEqual(roundHalfEven(0.9 * 266_200));
    expect(zeros).toBeLessThan(roundHalfEven(0.9 * 266_200) + (dtype === 'uint8' ? 100 : 1));
    expect(accuracy(model, await mnist('test', 2000))).toBeGreaterThan(0.95);
  }, 180_000);

  it('reads .npy examples, reshaping [N, 28, 28] to the model\'s [N, 784], and prints the layer table', async () => {
    const x = (await mnist('train', 16)).x.dataSync();
    const file = path.join(dir, 'calib.npy');
    await writeFile(file, npy(x, [16, 28, 28]));
    const out = path.join(dir, 'out-npy');
    const run = await cli(['prune', EXAMPLE, '--out', out, '--sparsity', '0.5', '--method', 'activation', '--calibration', file], dir);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^layer\s+class\s+params\s+pruned\s+sparsity\s+error\s+solver/);
    expect(run.stdout).toMatch(/fc1\s+Dense\s+235,200\s+117,600\s+50\.00%\s+\d\.\d{4}\s+mask/);
    expect(run.stdout).toMatch(/one-shot activation \(sparsity 50\.00%, scope layer\), 16 calibration examples/);
  }, 120_000);

  it('refuses bad input in one line with status 2, writing nothing', async () => {
    const wrong = path.join(dir, 'wrong.npy');
    await writeFile(wrong, npy(new Float32Array(4 * 27 * 27), [4, 27, 27]));
    const cases: [string[], RegExp][] = [
      [['--sparsity', '0.9', '--calibration', wrong], /--calibration .*wrong\.npy: 4 examples of shape \[27, 27\], the model takes \[784\]/],
      [['--sparsity', '0.9', '--damping', '0.1'], /--damping applies to one-shot pruning: give --calibration <file>/],
      [['--sparsity', '0.9', '--calibration', idx, '--method', 'obs'], /--method with --calibration must be reconstruct, activation, magnitude or nm:N:M/],
      [['--sparsity', '0.9', '--calibration', idx, '--calibration-limit', '0'], /--calibration-limit must be a positive integer, got '0'/],
      [['--sparsity', '0.9', '--calibration', path.join(dir, 'missing.npy')], /cannot read .*missing\.npy: ENOENT/],
    ];
    for (const [args, message] of cases) {
      const out = path.join(dir, 'never');
      const run = await cli(['prune', EXAMPLE, '--out', out, ...args], dir);
      expect(oneErrorLine(run.stderr)).toMatch(message);
      expect([2, 5]).toContain(run.code);
      await expect(readFile(path.join(out, 'model.json'))).rejects.toThrow();
    }
  }, 180_000);
});
