// pruneDirectory (streaming, docs/streaming.md) writes exactly what loadArtifacts + pruneArtifacts
// + saveArtifacts write, whatever the chunk size and thread count, on synthetic sharded models
// (tensors straddling shards, shards cut inside a float) and hand-made ones (quantized storage,
// int32/bool, ties, zeros, N:M, export quantization).
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/index.js';
import { NaNWeightsError, ModelIOError, pruneDirectory, saveArtifacts, type PruneDirectoryOptions } from '../../src/node.js';
import type { PruneConfig } from '../../src/tfjs.js';
import { makeArtifacts, randn } from '../model/support.js';
// @ts-expect-error: a plain .mjs script without types
import { synthModel } from '../../scripts/synth-model.mjs';
import { expectSameDir, reference } from './support.js';
import { setGatherCap } from '../../src/node/prune_directory.js';

let root: string;
let synth: string;
let mixed: string;
let n = 0;
const fresh = () => path.join(root, `out-${n++}`);

beforeAll(async () => {
  await init();
  root = await mkdtemp(path.join(tmpdir(), 'tfjs-prune-stream-'));
  // 5 Dense layers of 96 x 96 in shards of 1001 bytes: tensors straddle shards, floats are cut.
  synth = synthModel({ params: 45000, width: 96, seed: 7, shardBytes: 1001, out: path.join(root, 'synth') }).dir;
  mixed = path.join(root, 'mixed');
  await saveArtifacts(mixed, mixedArtifacts(), { shardBytes: 777 });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Every kind of storage the manifest allows, with zeros, -0 and ties across tensors. */
function mixedArtifacts() {
  const a = randn(3000, 1);
  for (let i = 0; i < a.length; i += 37) a[i] = 0;
  for (let i = 5; i < a.length; i += 41) a[i] = -0;
  for (let i = 3; i < a.length; i += 29) a[i] = i % 2 ? 0.05 : -0.05; // ties, across tensors too
  const b = randn(2400, 2);
  for (let i = 1; i < b.length; i += 31) b[i] = 0.05;
  const u8 = new Uint8Array(1200).map((_, i) => (i * 37) % 256);
  const u8off = new Uint8Array(900).map((_, i) => (i * 11) % 256);
  const u16 = new Uint16Array(700).map((_, i) => (i * 977) % 65536);
  const f16 = new Uint16Array(800).map((_, i) => ((i * 131) % 0x7bff) | (i % 3 === 0 ? 0x8000 : 0));
  return makeArtifacts([
    { name: 'dense/kernel', shape: [60, 50], values: a },
    { name: 'dense/bias', shape: [50], values: randn(50, 3) },
    { name: 'flag', shape: [3], dtype: 'bool', values: new Uint8Array([1, 0, 1]) },
    { name: 'q8/kernel', shape: [40, 30], quantization: { dtype: 'uint8', scale: 0.001, min: -0.128 }, bytes: u8 },
    { name: 'steps', shape: [5], dtype: 'int32', values: new Int32Array([0, 3, 0, -1, 7]) },
    { name: 'q8off/kernel', shape: [30, 30], quantization: { dtype: 'uint8', scale: 0.001, min: 0.01 }, bytes: u8off },
    { name: 'q16/kernel', shape: [35, 20], quantization: { dtype: 'uint16', scale: 1e-5, min: -0.3 }, bytes: new Uint8Array(u16.buffer) },
    { name: 'h/kernel', shape: [40, 20], quantization: { dtype: 'float16' }, bytes: new Uint8Array(f16.buffer) },
    { name: 'ids', shape: [6], dtype: 'int32', quantization: { dtype: 'uint8', scale: 1, min: -2 }, bytes: new Uint8Array([0, 2, 2, 5, 1, 2]) },
    { name: 'vocab', shape: [2], dtype: 'string' as 'int32', bytes: new Uint8Array([3, 0, 0, 0, 97, 98, 99, 1, 0, 0, 0, 120]) },
    { name: 'empty/kernel', shape: [0, 4], values: new Float32Array(0) },
    { name: 'dense_1/kernel', shape: [48, 50], values: b },
    { name: 'dense_1/bias', shape: [50], values: new Float32Array(50) },
  ]);
}

const CONFIGS: [string, PruneConfig][] = [
  ['global 90%', { sparsity: 0.9, scope: 'global' }],
  ['layer 70%', { sparsity: 0.7 }],
  ['global 50% with an override and skipFirst', { sparsity: 0.5, scope: 'global', overrides: [{ match: '/^dense_[12]\\//', sparsity: 0.25 }], skipFirst: true }],
  ['2:4', { method: '2:4' }],
  ['global 80%, quantized to uint8', { sparsity: 0.8, scope: 'global', quantize: 'uint8' }],
  ['layer 60%, quantized to float16', { sparsity: 0.6, quantize: 'float16' }],
  ['global 0', { sparsity: 0, scope: 'global' }],
  ['global 100%', { sparsity: 1, scope: 'global' }],
];

const RUNS: [string, PruneDirectoryOptions][] = [
  ['in this thread, one chunk per tensor', { threads: 0 }],
  ['in this thread, chunks of 1000 bytes', { threads: 0, chunkBytes: 1000 }],
  ['in this thread, chunks of 37 bytes', { threads: 0, chunkBytes: 37 }],
  ['2 workers, chunks of 4096 bytes', { threads: 2, chunkBytes: 4096 }],
];

describe.each([
  ['synthetic Dense model', () => synth],
  ['model of mixed storage', () => mixed],
] as const)('pruneDirectory on a %s', (_, dir) => {
  describe.each(CONFIGS)('%s', (_, base) => {
    const config = base;
    let ref: string;
    let refReport: unknown;
    beforeAll(async () => {
      ref = fresh();
      refReport = await reference(dir(), ref, config, 1 << 12);
    });
    it.each(RUNS)('%s: the same bytes and report as the in-memory path', async (_, opts) => {
      const out = fresh();
      const r = await pruneDirectory(dir(), out, config, { ...opts, shardBytes: 1 << 12 });
      await expectSameDir(ref, out);
      expect(r.report).toEqual(refReport);
      expect(r.shardPaths.length).toBe((await readdir(out)).length - 1);
    });
  });
});

describe('pruneDirectory: crowded brackets and bins (the exact fallback passes)', () => {
  it.each(CONFIGS.slice(0, 3))('%s', async (_, config) => {
    const ref = fresh();
    const refReport = await reference(synth, ref, config);
    const old = setGatherCap(10);
    try {
      for (const [cap, chunkBytes] of [[10, undefined], [10, 1000], [300, 1000], [3000, undefined]]) {
        setGatherCap(cap as number);
        const out = fresh();
        const r = await pruneDirectory(synth, out, config, { threads: 0, chunkBytes });
        await expectSameDir(ref, out);
        expect(r.report).toEqual(refReport);
      }
    } finally {
      setGatherCap(old);
    }
  });
});

describe('pruneDirectory: the same bytes whatever the thread count', () => {
  it.each([1, 3])('%i worker threads, chunks of 2000 bytes', async (threads) => {
    const config: PruneConfig = { sparsity: 0.75, scope: 'global', overrides: [{ match: 'dense_3/*', sparsity: 0.5 }] };
    const ref = fresh();
    const refReport = await reference(synth, ref, config);
    const out = fresh();
    const r = await pruneDirectory(synth, out, config, { threads, chunkBytes: 2000 });
    await expectSameDir(ref, out);
    expect(r.report).toEqual(refReport);
  });
});

describe('pruneDirectory: manifests of several groups, and no weights at all', () => {
  it('two weight groups in model.json become one, as saveArtifacts writes them', async () => {
    const dir = fresh();
    await mkdir(dir);
    const json = JSON.parse(await readFile(path.join(synth, 'model.json'), 'utf8'));
    const [group] = json.weightsManifest;
    const bytes = Buffer.concat(await Promise.all(group.paths.map((p: string) => readFile(path.join(synth, p)))));
    const half = group.weights.length >> 1;
    const cut = group.weights.slice(0, half).reduce((a: number, w: { shape: number[] }) => a + 4 * w.shape.reduce((x, y) => x * y, 1), 0);
    await writeFile(path.join(dir, 'a.bin'), bytes.subarray(0, cut));
    await writeFile(path.join(dir, 'b1.bin'), bytes.subarray(cut, cut + 999));
    await writeFile(path.join(dir, 'b2.bin'), bytes.subarray(cut + 999));
    json.weightsManifest = [
      { paths: ['a.bin'], weights: group.weights.slice(0, half) },
      { paths: ['b1.bin', 'b2.bin'], weights: group.weights.slice(half) },
    ];
    await writeFile(path.join(dir, 'model.json'), JSON.stringify(json));
    const config: PruneConfig = { sparsity: 0.6, scope: 'global' };
    const ref = fresh();
    const refReport = await reference(dir, ref, config);
    const out = fresh();
    const r = await pruneDirectory(dir, out, config, { threads: 0, chunkBytes: 5000 });
    await expectSameDir(ref, out);
    expect(r.report).toEqual(refReport);
  });

  it('a manifest without weights', async () => {
    const dir = fresh();
    await saveArtifacts(dir, makeArtifacts([]));
    const ref = fresh();
    const refReport = await reference(dir, ref, { sparsity: 0.5 });
    const out = fresh();
    const r = await pruneDirectory(dir, out, { sparsity: 0.5 }, { threads: 0 });
    await expectSameDir(ref, out);
    expect(r.report).toEqual(refReport);
    expect(r.shardPaths).toEqual([]);
  });
});

describe('pruneDirectory errors', () => {
  it('a NaN weight: NaNWeightsError naming the tensor and shard; no output', async () => {
    const w = randn(2000, 4);
    w[1234] = NaN;
    const dir = fresh();
    await saveArtifacts(dir, makeArtifacts([{ name: 'a/kernel', shape: [40, 50], values: w }]), { shardBytes: 3000 });
    for (const threads of [0, 2]) {
      const out = fresh();
      const err = await pruneDirectory(dir, out, { sparsity: 0.5, scope: 'global' }, { threads }).catch((e) => e);
      expect(err).toBeInstanceOf(NaNWeightsError);
      expect(err.message).toMatch(/tensor 'a\/kernel' .* holds 1 NaN value, the first at element 1234 \(byte 1936 of .*group1-shard2of3\.bin\)/);
      expect(existsSync(out)).toBe(false);
      expect((await readdir(root)).filter((f) => f.startsWith(`.${path.basename(out)}`))).toEqual([]);
    }
    const err = await pruneDirectory(dir, fresh(), { sparsity: 0.5 }, { threads: 0, chunkBytes: 100 }).catch((e) => e);
    expect(err).toBeInstanceOf(NaNWeightsError);
  });

  it('layer scope, a NaN in a later tensor (the earlier one pruned and written first): no output, the old one kept', async () => {
    const b = randn(2000, 5);
    b[1999] = NaN;
    const dir = fresh();
    await saveArtifacts(dir, makeArtifacts([{ name: 'a/kernel', shape: [40, 50], values: randn(2000, 4) }, { name: 'b/kernel', shape: [40, 50], values: b }]), { shardBytes: 3000 });
    const old = fresh();
    await pruneDirectory(synth, old, { sparsity: 0.5 }, { threads: 0 });
    const kept = await readdir(old);
    for (const [threads, chunkBytes] of [[0, undefined], [0, 100], [2, undefined]] as const) {
      const out = fresh();
      const err = await pruneDirectory(dir, out, { sparsity: 0.5 }, { threads, chunkBytes }).catch((e) => e);
      expect(err).toBeInstanceOf(NaNWeightsError);
      expect(err.message).toMatch(/tensor 'b\/kernel' .* holds 1 NaN value, the first at element 1999/);
      expect(existsSync(out)).toBe(false);
      const overwrite = await pruneDirectory(dir, old, { sparsity: 0.5 }, { threads, chunkBytes, overwrite: true }).catch((e) => e);
      expect(overwrite).toBeInstanceOf(NaNWeightsError);
      expect(await readdir(old)).toEqual(kept);
      expect((await readdir(root)).filter((f) => f.startsWith(`.${path.basename(out)}`) || f.startsWith(`.${path.basename(old)}`))).toEqual([]);
    }
  });

  it('an existing output is refused unless overwrite; overwrite replaces it', async () => {
    const out = fresh();
    await pruneDirectory(synth, out, { sparsity: 0.5 }, { threads: 0 });
    const err = await pruneDirectory(synth, out, { sparsity: 0.5 }, { threads: 0 }).catch((e) => e);
    expect(err).toBeInstanceOf(ModelIOError);
    expect(err.code).toBe('OUTPUT_EXISTS');
    await pruneDirectory(synth, out, { sparsity: 0.9, scope: 'global' }, { threads: 0, overwrite: true });
    const ref = fresh();
    await reference(synth, ref, { sparsity: 0.9, scope: 'global' });
    await expectSameDir(ref, out);
  });

  it('bad options are ArgumentErrors', async () => {
    await expect(pruneDirectory(synth, fresh(), { sparsity: 0.5 }, { threads: -1 })).rejects.toThrow(/threads must be an integer/);
    await expect(pruneDirectory(synth, fresh(), { sparsity: 0.5 }, { chunkBytes: 0 })).rejects.toThrow(/chunkBytes/);
    await expect(pruneDirectory(synth, fresh(), { sparsity: 0.5 }, { nope: 1 } as never)).rejects.toThrow(/unknown option 'nope'/);
    await expect(pruneDirectory('https://example.com/model.json', fresh(), { sparsity: 0.5 })).rejects.toThrow(/local files only/);
  });
});

describe('pruneDirectory: a tensor read and written in several calls', () => {
  it('2 MiB of one tensor in one shard (reads and writes are cut at 256 KiB): the same bytes as the in-memory path', async () => {
    const dir = path.join(root, 'big');
    const values = randn(1 << 19, 11);
    await saveArtifacts(dir, makeArtifacts([{ name: 'wide/kernel', shape: [512, 1024], values }, { name: 'wide/bias', shape: [1024], values: randn(1024, 12) }]), { shardBytes: 3 << 20 });
    const config: PruneConfig = { sparsity: 0.8, scope: 'global' };
    const ref = fresh();
    const refReport = await reference(dir, ref, config);
    for (const opts of [{ threads: 0 }, { threads: 0, chunkBytes: 1 << 20 }]) {
      const out = fresh();
      const r = await pruneDirectory(dir, out, config, opts);
      await expectSameDir(ref, out);
      expect(r.report).toEqual(refReport);
    }
  });
});
