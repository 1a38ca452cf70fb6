// Real pretrained models shipped in npm packages: @vladmandic/face-api's weight manifests (uint8
// quantized, with float32 and uint8-quantized int32 tensors) and @vladmandic/human's graph models
// (float32, float16 and uint8). Pruned, saved, loaded back by stock tfjs over a loopback server,
// with exact zeros and predictions compared with the dense model's.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init, roundHalfEven } from '../../src/index.js';
import { loadArtifacts, saveArtifacts } from '../../src/node.js';
import { pruneArtifacts } from '../../src/tfjs.js';
import { refPruneToSparsity } from '../support/reference.js';
import { firstDiff, packageDir, randn, serve, snapshot, stockDecode, zeros } from './support.js';

const FACE_API = path.join(packageDir('@vladmandic/face-api'), 'model');
const HUMAN = path.join(packageDir('@vladmandic/human'), 'models');

let root: string;
let server: Awaited<ReturnType<typeof serve>>;

beforeAll(async () => {
  await init();
  await tf.setBackend('wasm');
  root = await mkdtemp(path.join(tmpdir(), 'tfjs-prune-pre-'));
  server = await serve(root);
});
afterAll(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

describe('face-api weight manifests (uint8)', async () => {
  const manifests = (await readdir(FACE_API)).filter((f) => f.endsWith('-weights_manifest.json')).sort();

  it('ships uint8-quantized manifests', () => {
    expect(manifests.length).toBe(7);
  });

  it.each(manifests)('%s: global sparsity 0.5 on dequantized values, pruned weights decode to exactly 0 in stock tfjs', async (file) => {
    const a = await loadArtifacts(path.join(FACE_API, file));
    const before = snapshot(a);
    const dense = stockDecode(a);
    const { artifacts, report } = await pruneArtifacts(a, { sparsity: 0.5, scope: 'global' }, { gzip: false });
    const now = snapshot(a);
    expect(now.json).toBe(before.json);
    expect(firstDiff(now.bytes, before.bytes)).toBe(-1);
    const after = stockDecode(artifacts);
    const pruned = report.tensors.filter((t) => t.method !== null);
    expect(pruned.length).toBeGreaterThan(0);
    // The reference: the pool's dequantized values (stock tfjs) concatenated in manifest order and
    // pruned by the sort-based reference, which gives which weights are pruned.
    const pool = new Float32Array(pruned.reduce((n, t) => n + t.params, 0));
    let at = 0;
    for (const t of pruned) {
      pool.set(dense[t.name], at);
      at += t.params;
    }
    const { mask } = refPruneToSparsity(pool, 0.5);
    at = 0;
    let poolZeros = 0;
    for (const t of report.tensors) {
      const spec = artifacts.weightSpecs!.find((s) => s.name === t.name)!;
      const orig = a.weightSpecs!.find((s) => s.name === t.name)!;
      expect(spec.quantization?.dtype).toBe(orig.quantization?.dtype);
      expect(zeros(after[t.name])).toBe(t.zerosAfter);
      if (t.method === null) {
        expect(firstDiff(after[t.name], dense[t.name])).toBe(-1);
        continue;
      }
      // Every weight as stock tfjs must decode it: pruned ones 0, float32 survivors unchanged,
      // uint8 survivors re-encoded on the output's grid (the nearest code, decoded as
      // q · scale + min in float64 like tfjs). That grid must hold 0 exactly; a tiny survivor may
      // round to it.
      const grid = spec.quantization as { scale: number; min: number } | undefined;
      if (grid !== undefined) expect(spec.quantization?.dtype).toBe('uint8');
      const d = dense[t.name];
      const expected = new Float32Array(d.length);
      for (let i = 0; i < d.length; i++) {
        if (mask[at + i] === 0) continue;
        if (grid === undefined) expected[i] = d[i];
        else expected[i] = Math.min(255, Math.max(0, Math.round((d[i] - grid.min) / grid.scale))) * grid.scale + grid.min;
      }
      expect(firstDiff(after[t.name], expected)).toBe(-1);
      poolZeros += t.zerosAfter;
      at += t.params;
    }
    expect(poolZeros).toBeGreaterThanOrEqual(roundHalfEven(0.5 * pool.length));

    // Saved as a bare manifest and read back by stock tf.io.loadWeights.
    const dir = path.join(root, `face-${file}`);
    const res = await saveArtifacts(dir, artifacts);
    const manifest = JSON.parse(await (await import('node:fs/promises')).readFile(res.modelPath, 'utf8'));
    const loaded = await tf.io.loadWeights(manifest, `${server.url}/${path.basename(dir)}`);
    for (const [name, t] of Object.entries(loaded)) {
      expect(firstDiff(t.dataSync(), after[name])).toBe(-1);
      t.dispose();
    }
  });
});

describe('human graph models', () => {
  async function stockModel(dir: string): Promise<tf.GraphModel> {
    return tf.loadGraphModel(`${server.url}/${path.basename(dir)}/model.json`);
  }

  async function prunedPair(name: string, config: Parameters<typeof pruneArtifacts>[1]) {
    const src = await loadArtifacts(path.join(HUMAN, `${name}.json`));
    const denseDir = path.join(root, `${name}-dense-${Math.random().toString(36).slice(2)}`);
    await saveArtifacts(denseDir, src);
    const { artifacts, report } = await pruneArtifacts(src, config, { gzip: false });
    const dir = path.join(root, `${name}-${Math.random().toString(36).slice(2)}`);
    await saveArtifacts(dir, artifacts);
    return { src, artifacts, report, dense: await stockModel(denseDir), pruned: await stockModel(dir) };
  }

  const cosine = (a: Float32Array, b: Float32Array) => {
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let i = 0; i < a.length; i++) {
      ab += a[i] * b[i];
      aa += a[i] * a[i];
      bb += b[i] * b[i];
    }
    return ab / Math.sqrt(aa * bb);
  };

  it('emotion (float32): global scope is exact on a real graph model; 10% keeps the predictions', async () => {
    const src = await loadArtifacts(path.join(HUMAN, 'emotion.json'));
    const half = await pruneArtifacts(src, { sparsity: 0.5, scope: 'global' }, { gzip: false });
    const sel = half.report.tensors.filter((t) => t.method !== null);
    expect(sel.map((t) => t.layerClass).sort()).toContain('DepthwiseConv2dNative');
    expect(half.report.tensors.filter((t) => t.shape.length === 1).every((t) => t.method === null)).toBe(true);
    const n = sel.reduce((s, t) => s + t.params, 0);
    expect(sel.reduce((s, t) => s + t.zerosAfter, 0)).toBe(roundHalfEven(0.5 * n));

    const { dense, pruned, report } = await prunedPair('emotion', { sparsity: 0.1, scope: 'global' });
    expect(report.totals.prunedSparsity).toBeCloseTo(0.1, 3);
    const x = tf.tensor4d(Float32Array.from(randn(8 * 64 * 64, 5, 1), (v) => 0.5 + v / 2), [8, 64, 64, 1]);
    const p0 = (dense.predict(x) as tf.Tensor).dataSync() as Float32Array;
    const p1 = (pruned.predict(x) as tf.Tensor).dataSync() as Float32Array;
    expect(cosine(p0, p1)).toBeGreaterThan(0.99);
    const top = (p: Float32Array) => Array.from({ length: 8 }, (_, i) => p.subarray(i * 7, i * 7 + 7).indexOf(Math.max(...p.subarray(i * 7, i * 7 + 7))));
    expect(top(p1)).toEqual(top(p0));
  });

  it('antispoof (float16): pruned weights are exactly 0 after stock loading; 10% keeps the output', async () => {
    const { artifacts, report, dense, pruned } = await prunedPair('antispoof', { sparsity: 0.1 });
    expect(artifacts.weightSpecs!.filter((s) => s.quantization?.dtype === 'float16').length).toBe(10);
    const w = stockDecode(artifacts);
    const w0 = stockDecode(await loadArtifacts(path.join(HUMAN, 'antispoof.json')));
    for (const t of report.tensors) expect(zeros(w[t.name])).toBe(t.zerosAfter);
    // Zeros count as pruned: unknown_5 ships 71% zeros already and keeps them, no more.
    for (const t of report.tensors.filter((x) => x.method !== null)) expect(t.zerosAfter).toBe(Math.max(zeros(w0[t.name]), roundHalfEven(0.1 * t.params)));
    expect(report.tensors.find((t) => t.name === 'unknown_5')!.zerosBefore).toBe(284284);
    const x = tf.tensor4d(Float32Array.from(randn(4 * 128 * 128 * 3, 6, 1), (v) => 0.5 + v / 2), [4, 128, 128, 3]);
    const p0 = (dense.predict(x) as tf.Tensor).dataSync();
    const p1 = (pruned.predict(x) as tf.Tensor).dataSync();
    for (let i = 0; i < p0.length; i++) expect(Math.abs(p1[i] - p0[i])).toBeLessThan(0.05);
  });

  it('handtrack (uint8 SSD): zeros exact in stock decoding, int32 tensors untouched, raw outputs close at 2%', async () => {
    const src = await loadArtifacts(path.join(HUMAN, 'handtrack.json'));
    const { artifacts, report } = await pruneArtifacts(src, { sparsity: 0.3 }, { gzip: false });
    const before = stockDecode(src);
    const after = stockDecode(artifacts);
    expect(report.tensors.filter((t) => t.method !== null).length).toBeGreaterThan(20);
    for (const t of report.tensors) {
      expect(zeros(after[t.name])).toBe(t.zerosAfter);
      if (t.method === null && t.dtype === 'int32') expect(firstDiff(after[t.name], before[t.name])).toBe(-1);
      if (t.method !== null) {
        expect(t.dtype).toBe('uint8');
        // Zeros count as pruned (counted here in stock decoding, not taken from the report).
        expect(t.zerosAfter).toBe(Math.max(zeros(before[t.name]), roundHalfEven(0.3 * t.params)));
      }
    }
    // A small SSD whose 3x3 depthwise filters leave little slack: compared at 2%.
    const { dense, pruned } = await prunedPair('handtrack', { sparsity: 0.02 });
    const x = tf.tensor4d(Int32Array.from(randn(128 * 128 * 3, 7, 1), (v) => Math.max(0, Math.min(255, Math.round(128 + v * 100)))), [1, 128, 128, 3], 'int32');
    const run = async (m: tf.GraphModel) => ((await m.executeAsync(x)) as tf.Tensor[]).map((t) => t.dataSync() as Float32Array);
    const o0 = await run(dense);
    const o1 = await run(pruned);
    expect(o1.map((t) => t.length)).toEqual(o0.map((t) => t.length));
    // The raw (pre-NMS) box and score outputs, the two largest.
    for (const i of o0.map((t, j) => [t.length, j]).sort((a, b) => b[0] - a[0]).slice(0, 2).map((p) => p[1])) {
      expect(cosine(o0[i], o1[i])).toBeGreaterThan(0.99);
    }
  });

  it('prune + quantize: the size gains multiply (emotion, 80% global, uint8)', async () => {
    const src = await loadArtifacts(path.join(HUMAN, 'emotion.json'));
    const { report } = await pruneArtifacts(src, { sparsity: 0.8, scope: 'global', quantize: 'uint8' });
    const b = report.bytes;
    expect(b.after.raw).toBeLessThan(b.before.raw / 3.9);
    expect(b.after.gzip!).toBeLessThan(b.before.gzip! / 6);
  });
});
