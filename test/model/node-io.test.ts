// tfjs-prune/node: loadArtifacts / saveArtifacts round trips, the converter's shard layout, stock
// tfjs loading over a loopback HTTP server, and atomic, non-clobbering writes.
import { mkdtemp, readdir, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/index.js';
import { loadArtifacts, saveArtifacts, ModelIOError } from '../../src/node.js';
import { pruneArtifacts } from '../../src/tfjs.js';
import { artifactsOf, concatBytes, makeArtifacts, randn, serve, stockDecode, zeros } from './support.js';

let root: string;
beforeAll(async () => {
  await init();
  await tf.setBackend('cpu');
  root = await mkdtemp(path.join(tmpdir(), 'tfjs-prune-io-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const sample = () =>
  makeArtifacts(
    [
      { name: 'a/kernel', shape: [64, 33], values: randn(64 * 33, 1) },
      { name: 'a/bias', shape: [33], values: randn(33, 2) },
      { name: 'q', shape: [7], bytes: Uint8Array.from([0, 1, 2, 3, 4, 5, 6]), quantization: { dtype: 'uint8', scale: 0.5, min: -1 } },
      { name: 'b/kernel', shape: [33, 10], values: randn(330, 3) },
    ],
    { topology: { node: [] }, format: 'graph-model' },
  );

describe('save and load', () => {
  it('round-trips specs and bytes, sharded like tfjs-converter', async () => {
    const a = sample();
    const dir = path.join(root, 'rt');
    const res = await saveArtifacts(dir, a, { shardBytes: 4000 });
    const total = concatBytes(a.weightData!).length;
    const n = Math.ceil(total / 4000);
    expect((await readdir(dir)).sort()).toEqual(['model.json', ...Array.from({ length: n }, (_, i) => `group1-shard${i + 1}of${n}.bin`)].sort());
    for (let i = 0; i < n; i++) expect((await stat(res.shardPaths[i])).size).toBe(Math.min(4000, total - i * 4000));
    const json = JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8'));
    expect(json.format).toBe('graph-model');
    expect(json.weightsManifest[0].weights).toEqual(a.weightSpecs);
    const b = await loadArtifacts(dir);
    expect(b.weightSpecs).toEqual(a.weightSpecs);
    expect(concatBytes(b.weightData!)).toEqual(concatBytes(a.weightData!));
    expect(b.modelTopology).toEqual(a.modelTopology);
    // The default shard size is tfjs-converter's 4 MiB.
    const big = makeArtifacts([{ name: 'w', shape: [1100, 1000], values: randn(1_100_000, 4) }]);
    const r2 = await saveArtifacts(path.join(root, 'big'), big);
    expect(r2.shardPaths.map((p) => path.basename(p))).toEqual(['group1-shard1of2.bin', 'group1-shard2of2.bin']);
    expect((await stat(r2.shardPaths[0])).size).toBe(4 * 1024 * 1024);
  });

  it('reads a model.json path, a directory, a file: URL and an http URL alike', async () => {
    const dir = path.join(root, 'forms');
    await saveArtifacts(dir, sample(), { shardBytes: 1000 });
    const server = await serve(root);
    try {
      const want = concatBytes((await loadArtifacts(dir)).weightData!);
      for (const src of [path.join(dir, 'model.json'), pathToFileURL(dir).href, pathToFileURL(path.join(dir, 'model.json')), `${server.url}/forms/model.json`]) {
        expect(concatBytes((await loadArtifacts(src)).weightData!)).toEqual(want);
      }
    } finally {
      await server.close();
    }
  });

  it('weights without a topology are written as a bare weights manifest, loadable by tf.io.loadWeights', async () => {
    const a = makeArtifacts([{ name: 'w', shape: [10, 10], values: randn(100, 5) }]);
    const dir = path.join(root, 'bare');
    const { artifacts } = await pruneArtifacts(a, { sparsity: 0.5 });
    const res = await saveArtifacts(dir, artifacts);
    expect(path.basename(res.modelPath)).toBe('weights_manifest.json');
    const manifest = JSON.parse(await readFile(res.modelPath, 'utf8'));
    expect(Array.isArray(manifest)).toBe(true);
    const server = await serve(root);
    try {
      const loaded = await tf.io.loadWeights(manifest, `${server.url}/bare`);
      expect(zeros(loaded.w.dataSync())).toBe(50);
    } finally {
      await server.close();
    }
    expect((await loadArtifacts(dir)).weightSpecs).toEqual(artifacts.weightSpecs);
  });
});

describe('stock tfjs loads what we save', () => {
  it('tf.loadLayersModel over http: pruned zeros exact, same predictions as in memory', async () => {
    const model = tf.sequential({
      layers: [tf.layers.dense({ units: 32, inputShape: [20], activation: 'relu' }), tf.layers.dense({ units: 5, activation: 'softmax' })],
    });
    const { artifacts } = await pruneArtifacts(await artifactsOf(model), { sparsity: 0.8, scope: 'global', quantize: 'uint8' });
    const dir = path.join(root, 'layers');
    await saveArtifacts(dir, artifacts, { shardBytes: 300 });
    const server = await serve(root);
    try {
      const loaded = await tf.loadLayersModel(`${server.url}/layers/model.json`);
      const mem = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
      const k = loaded.getWeights().map((w) => w.dataSync());
      expect(zeros(k[0]) + zeros(k[2])).toBe(Math.round(0.8 * (20 * 32 + 32 * 5)));
      const x = tf.randomNormal([8, 20], 0, 1, 'float32', 3);
      expect((loaded.predict(x) as tf.Tensor).dataSync()).toEqual((mem.predict(x) as tf.Tensor).dataSync());
    } finally {
      await server.close();
    }
  });
});

describe('atomic writes', () => {
  it('never overwrites an existing directory unless asked, and leaves no temporary files', async () => {
    const dir = path.join(root, 'exists');
    await mkdir(dir);
    await writeFile(path.join(dir, 'keep.txt'), 'mine');
    const err = await saveArtifacts(dir, sample()).catch((e) => e);
    expect(err).toBeInstanceOf(ModelIOError);
    expect(err.code).toBe('OUTPUT_EXISTS');
    expect(err.file).toBe(dir);
    expect(await readdir(dir)).toEqual(['keep.txt']);
    await saveArtifacts(dir, sample(), { overwrite: true });
    expect((await readdir(dir)).sort()).toEqual(['group1-shard1of1.bin', 'model.json']);
    expect((await readdir(root)).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('writes nothing for invalid artifacts', async () => {
    const a = sample();
    a.weightSpecs![0] = { ...a.weightSpecs![0], shape: [64, 34] };
    const dir = path.join(root, 'invalid');
    // One column more in the first tensor pushes the last one past the end of the data.
    await expect(saveArtifacts(dir, a)).rejects.toMatchObject({ code: 'WEIGHTS_MISMATCH', tensor: 'b/kernel' });
    await expect(stat(dir)).rejects.toThrow();
    expect((await readdir(root)).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('a graph model saved after pruning loads back with identical weights', async () => {
    const { artifacts } = await pruneArtifacts(sample(), { sparsity: 0.5 });
    await saveArtifacts(path.join(root, 'g'), artifacts);
    const back = await loadArtifacts(path.join(root, 'g'));
    expect(stockDecode(back)).toEqual(stockDecode(artifacts));
  });
});
