// pruneArtifacts on artifacts built in the test: exact counts per scope against a brute-force
// reference, untouched inputs, shards and unaligned tensors, overrides and selection rules, N:M,
// quantized manifests decoded by stock tfjs, and the report.
import * as tf from '@tensorflow/tfjs';
import { gzipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { init, pruneToSparsity, roundHalfEven } from '../../src/index.js';
import { formatReport, pruneArtifacts, type ModelPruneReport } from '../../src/tfjs.js';
import { acrossSampleStarts } from '../../src/wasm/select-parts.js';
import { artifactsOf, concatBytes, firstDiff, makeArtifacts, randn, snapshot, stockDecode, zeros, type TensorInit } from './support.js';
import { refPruneToSparsity } from '../support/reference.js';

/** x rounded to the nearest float16 value, ties to even, as a number (past 65504: saturated, as the encoder does). */
function halfRNE(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const a = Math.abs(x);
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  const quantum = 2 ** (Math.max(e, -14) - 10); // 10 fraction bits; subnormals below 2^-14
  const m = a / quantum; // exact: a power-of-two division
  let r = Math.floor(m);
  if (m - r > 0.5 || (m - r === 0.5 && r % 2 === 1)) r++;
  const v = r * quantum;
  return Math.sign(x) * Math.min(v, 65504);
}

beforeAll(async () => {
  await init();
  await tf.setBackend('cpu');
});

/** Brute force: which of the pool's weights a global prune of sparsity s removes. */
function referenceGlobal(pool: Float32Array[], s: number): Set<string> {
  const all: { m: number; t: number; i: number }[] = [];
  pool.forEach((w, t) => w.forEach((v, i) => all.push({ m: Math.abs(v), t, i })));
  all.sort((a, b) => a.m - b.m || a.t - b.t || a.i - b.i);
  const k = roundHalfEven(s * all.length);
  const out = new Set<string>();
  for (let j = 0; j < k; j++) out.add(`${all[j].t}:${all[j].i}`);
  for (const e of all) if (e.m === 0) out.add(`${e.t}:${e.i}`);
  return out;
}

function zeroSet(pool: ArrayLike<number>[]): Set<string> {
  const out = new Set<string>();
  pool.forEach((w, t) => {
    for (let i = 0; i < w.length; i++) if (w[i] === 0) out.add(`${t}:${i}`);
  });
  return out;
}

// Weight-manifest-only model (no topology): rank >= 2 float tensors are pruned.
const kernels = (seed: number): TensorInit[] => [
  { name: 'a/kernel', shape: [32, 16], values: randn(512, seed, 0.3) },
  { name: 'a/bias', shape: [16], values: randn(16, seed + 1) },
  { name: 'b/kernel', shape: [16, 24], values: randn(384, seed + 2, 0.05) },
  { name: 'b/bias', shape: [24], values: randn(24, seed + 3) },
  { name: 'c/kernel', shape: [3, 3, 4, 8], values: randn(288, seed + 4, 1) },
  { name: 'steps', shape: [2], dtype: 'int32', values: Int32Array.from([0, 7]) },
];

describe('scopes', () => {
  it.each([0, 0.1, 0.5, 0.77, 0.9, 1])('layer scope prunes exactly round(s*n) of each kernel (s=%s)', async (s) => {
    const a = makeArtifacts(kernels(1));
    const { artifacts, report } = await pruneArtifacts(a, { sparsity: s });
    const w = stockDecode(artifacts);
    for (const name of ['a/kernel', 'b/kernel', 'c/kernel']) {
      expect(zeros(w[name])).toBe(roundHalfEven(s * w[name].length));
      const t = report.tensors.find((x) => x.name === name)!;
      expect(t.method).toBe('magnitude');
      expect(t.zerosAfter).toBe(zeros(w[name]));
    }
    expect(w['a/bias']).toEqual(randn(16, 2));
    expect(Array.from(w.steps)).toEqual([0, 7]);
  });

  it.each([0.05, 0.5, 0.9, 0.999])('global scope prunes exactly round(s*N) across kernels, as the brute-force reference (s=%s)', async (s) => {
    const a = makeArtifacts(kernels(7));
    const { artifacts, report } = await pruneArtifacts(a, { sparsity: s, scope: 'global' });
    const w = stockDecode(artifacts);
    const pool = [kernels(7)[0], kernels(7)[2], kernels(7)[4]].map((t) => t.values as Float32Array);
    const got = zeroSet([w['a/kernel'], w['b/kernel'], w['c/kernel']]);
    expect(got).toEqual(referenceGlobal(pool, s));
    expect(got.size).toBe(roundHalfEven(s * (512 + 384 + 288)));
    // One threshold for all; the layers with small weights lose more.
    const th = report.tensors.filter((t) => t.method !== null).map((t) => t.threshold);
    expect(new Set(th).size).toBe(1);
    expect(report.totals.prunedSparsity).toBeCloseTo(got.size / 1184, 12);
  });

  it('global ties at the threshold go to the lowest (tensor, index) in manifest order', async () => {
    // Three levels of magnitude, many ties, some zeros and -0.
    const lv = (n: number, seed: number) => Float32Array.from(randn(n, seed), (v, i) => (i % 11 === 0 ? (i % 2 ? -0 : 0) : Math.sign(v || 1) * (1 + (Math.abs(Math.round(v * 30)) % 3))));
    const t: TensorInit[] = [
      { name: 'x/kernel', shape: [10, 10], values: lv(100, 3) },
      { name: 'y/kernel', shape: [10, 7], values: lv(70, 4) },
      { name: 'z/kernel', shape: [9, 9], values: lv(81, 5) },
    ];
    for (const s of [0.2, 0.33, 0.5, 0.61, 0.95]) {
      const { artifacts } = await pruneArtifacts(makeArtifacts(t), { sparsity: s, scope: 'global' });
      const w = stockDecode(artifacts);
      expect(zeroSet([w['x/kernel'], w['y/kernel'], w['z/kernel']])).toEqual(referenceGlobal(t.map((x) => x.values as Float32Array), s));
    }
  });

  it.each([0.3, 0.9])('global scope on 300K weights (the sampled bracket) matches the reference (s=%s)', async (s) => {
    const t: TensorInit[] = [
      { name: 'p/kernel', shape: [300, 500], values: randn(150_000, 41, 0.2) },
      { name: 'q/kernel', shape: [500, 200], values: randn(100_000, 42, 0.05) },
      { name: 'r/kernel', shape: [50, 1000], values: Float32Array.from(randn(50_000, 43, 1), (v, i) => (i % 7 === 0 ? 0 : v)) },
    ];
    const { artifacts } = await pruneArtifacts(makeArtifacts(t), { sparsity: s, scope: 'global' }, { gzip: false });
    const w = stockDecode(artifacts);
    expect(zeroSet([w['p/kernel'], w['q/kernel'], w['r/kernel']])).toEqual(referenceGlobal(t.map((x) => x.values as Float32Array), s));
  });

  it('global scope over many tensors with ties straddling them (the sampled bracket) matches the reference', async () => {
    // Magnitudes on a coarse grid (64 values), so the threshold's ties run across tensor
    // boundaries; sizes below, at and above the kernels' 64K-float window, one not a multiple of 4.
    const sizes = [70_001, 65_536, 1_000, 131_072, 4_093];
    const t: TensorInit[] = sizes.map((n, j) => ({
      name: `g${j}/kernel`,
      shape: [n, 1],
      values: Float32Array.from(randn(n, 60 + j, 1), (v) => Math.round(v * 16) / 16),
    }));
    for (const s of [0.25, 0.6, 0.95]) {
      const { artifacts } = await pruneArtifacts(makeArtifacts(t), { sparsity: s, scope: 'global' }, { gzip: false });
      const w = stockDecode(artifacts);
      expect(zeroSet(sizes.map((_, j) => w[`g${j}/kernel`]))).toEqual(referenceGlobal(t.map((x) => x.values as Float32Array), s));
    }
  });

  it('global scope names the tensor holding NaN in a large pool', async () => {
    const t: TensorInit[] = [
      { name: 'm/kernel', shape: [400, 500], values: randn(200_000, 70, 1) },
      { name: 'n/kernel', shape: [300, 500], values: randn(150_000, 71, 1) },
    ];
    (t[1].values as Float32Array)[123_456] = NaN;
    await expect(pruneArtifacts(makeArtifacts(t), { sparsity: 0.5, scope: 'global' })).rejects.toThrow(
      /tensor 'n\/kernel' \(float32\[300,500\]\) holds 1 NaN value, the first at element 123456/,
    );
  });

  it('global scope stays exact when the sample misleads (every sampled block holds the largest weights)', async () => {
    // The blocks the sample reads hold large magnitudes, the rest small.
    const { run, starts } = acrossSampleStarts(262_144);
    const sampled = new Uint8Array(262_144);
    for (const start of starts) sampled.fill(1, start, start + run);
    const v = Float32Array.from(randn(262_144, 44, 0.01), (x, i) => (sampled[i] ? 10 + x : x));
    const t: TensorInit[] = [{ name: 'adv/kernel', shape: [256, 1024], values: v }];
    const { artifacts } = await pruneArtifacts(makeArtifacts(t), { sparsity: 0.5, scope: 'global' }, { gzip: false });
    expect(zeroSet([stockDecode(artifacts)['adv/kernel']])).toEqual(referenceGlobal([v], 0.5));
  });

  it('global scope with a bucket too large to gather (5M equal magnitudes) stays exact', async () => {
    const big = new Float32Array(5_000_000).fill(0.25);
    for (let i = 0; i < big.length; i += 3) big[i] = -0.25;
    const small = Float32Array.from({ length: 1000 }, (_, i) => (i % 2 ? 0.25 : 0.5));
    const a = makeArtifacts([
      { name: 'big/kernel', shape: [5000, 1000], values: big },
      { name: 'small/kernel', shape: [10, 100], values: small },
    ]);
    const { artifacts } = await pruneArtifacts(a, { sparsity: 0.5, scope: 'global' }, { gzip: false });
    const w = stockDecode(artifacts);
    const k = roundHalfEven(0.5 * 5_001_000);
    // All 0.25s tie: the first k of them in manifest order go, all in the big tensor.
    expect(zeros(w['big/kernel'])).toBe(k);
    expect(w['big/kernel'][k - 1]).toBe(0);
    expect(Math.abs(w['big/kernel'][k])).toBe(0.25);
    expect(zeros(w['small/kernel'])).toBe(0);
  });

  it('zeros already present count as pruned; a sparsity below them changes nothing', async () => {
    const v = randn(100, 9);
    for (let i = 0; i < 60; i++) v[i] = i % 2 ? -0 : 0;
    const a = makeArtifacts([{ name: 'k', shape: [10, 10], values: v }]);
    for (const scope of ['layer', 'global'] as const) {
      const { artifacts, report } = await pruneArtifacts(a, { sparsity: 0.5, scope });
      const w = stockDecode(artifacts).k;
      expect(zeros(w)).toBe(60);
      expect(report.tensors[0].zerosBefore).toBe(60);
      expect(Object.is(w[1], 0)).toBe(true); // every zero, -0 included, comes out as +0
    }
  });
});

describe('inputs are never modified', () => {
  it('single buffer, shards, quantized, layer and global, N:M and export quantization', async () => {
    const variants = [
      makeArtifacts(kernels(2)),
      makeArtifacts(kernels(2), { shards: [100, 2048, 2049, 3000] }),
      makeArtifacts([
        { name: 'q/kernel', shape: [8, 8], bytes: Uint8Array.from({ length: 64 }, (_, i) => (i * 37) % 256), quantization: { dtype: 'uint8', scale: 0.01, min: -1.28 } },
        { name: 'h/kernel', shape: [4, 4], bytes: new Uint8Array(new Uint16Array(Array.from({ length: 16 }, (_, i) => 0x3c00 + i * 7)).buffer), quantization: { dtype: 'float16' } },
      ]),
    ];
    const configs = [{ sparsity: 0.6 }, { sparsity: 0.6, scope: 'global' as const }, { method: '2:4' as const }, { sparsity: 0.3, quantize: 'uint8' as const }];
    for (const a of variants) {
      const before = snapshot(a);
      for (const c of configs) {
        await pruneArtifacts(a, c);
        expect(snapshot(a)).toEqual(before);
      }
    }
  });

  it('inPlace gives the same result and reuses the buffers', async () => {
    const a = makeArtifacts(kernels(4), { shards: [1000, 3001] });
    const expected = await pruneArtifacts(a, { sparsity: 0.7, scope: 'global' });
    const b = makeArtifacts(kernels(4), { shards: [1000, 3001] });
    const got = await pruneArtifacts(b, { sparsity: 0.7, scope: 'global' }, { inPlace: true });
    expect(concatBytes(got.artifacts.weightData!)).toEqual(concatBytes(expected.artifacts.weightData!));
    expect((got.artifacts.weightData as ArrayBuffer[])[0]).toBe((b.weightData as ArrayBuffer[])[0]);
    expect(got.report).toEqual(expected.report);
  });
});

describe('layout', () => {
  it('tensors straddling shards and at unaligned offsets prune as in one buffer; shards are kept', async () => {
    const t: TensorInit[] = [
      { name: 'flags', shape: [3], dtype: 'bool', values: Uint8Array.from([1, 0, 1]) },
      ...kernels(5),
      { name: 'q8', shape: [5], bytes: Uint8Array.from([0, 1, 2, 3, 4]), quantization: { dtype: 'uint8', scale: 1, min: -2 } },
      { name: 'tail/kernel', shape: [7, 3], values: randn(21, 77) },
    ];
    const one = await pruneArtifacts(makeArtifacts(t), { sparsity: 0.5, scope: 'global' });
    const sharded = makeArtifacts(t, { shards: [1, 2, 5, 700, 2051, 4000, 4001] });
    const many = await pruneArtifacts(sharded, { sparsity: 0.5, scope: 'global' });
    expect(concatBytes(many.artifacts.weightData!)).toEqual(concatBytes(one.artifacts.weightData!));
    expect((many.artifacts.weightData as ArrayBuffer[]).map((b) => b.byteLength)).toEqual((sharded.weightData as ArrayBuffer[]).map((b) => b.byteLength));
    expect(stockDecode(many.artifacts)['tail/kernel'].length).toBe(21);
    expect(many.report).toEqual(one.report);
  });
});

describe('selection and overrides', () => {
  // A functional model with one layer of each kind the rule knows about.
  async function zoo(): Promise<tf.io.ModelArtifacts> {
    const ids = tf.input({ shape: [6], name: 'ids' });
    const img = tf.input({ shape: [8, 8, 3], name: 'img' });
    let t = tf.layers.embedding({ inputDim: 40, outputDim: 8, name: 'emb' }).apply(ids) as tf.SymbolicTensor;
    t = tf.layers.lstm({ units: 6, name: 'lstm' }).apply(t) as tf.SymbolicTensor;
    let x = tf.layers.conv2d({ filters: 8, kernelSize: 3, name: 'conv' }).apply(img) as tf.SymbolicTensor;
    x = tf.layers.batchNormalization({ name: 'bn' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.separableConv2d({ filters: 8, kernelSize: 2, name: 'sep' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.depthwiseConv2d({ kernelSize: 2, name: 'dw' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
    x = tf.layers.concatenate().apply([x, t]) as tf.SymbolicTensor;
    x = tf.layers.dense({ units: 10, name: 'dense1' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.dense({ units: 3, name: 'dense2' }).apply(x) as tf.SymbolicTensor;
    return artifactsOf(tf.model({ inputs: [ids, img], outputs: x }));
  }

  it('default rule: kernels of Dense/Conv/SeparableConv and embeddings; not biases, normalization, LSTM', async () => {
    const { report } = await pruneArtifacts(await zoo(), { sparsity: 0.5 });
    const pruned = report.tensors.filter((t) => t.method !== null).map((t) => t.name);
    expect(pruned).toEqual(['conv/kernel', 'sep/depthwise_kernel', 'sep/pointwise_kernel', 'dw/depthwise_kernel', 'emb/embeddings', 'dense1/kernel', 'dense2/kernel']);
    const why = Object.fromEntries(report.tensors.map((t) => [t.name, t.reason]));
    expect(why['bn/gamma']).toBe('normalization');
    expect(why['bn/moving_mean']).toBe('normalization');
    expect(why['conv/bias']).toBe('bias');
    expect(why['lstm/kernel']).toMatch(/LSTM kernel \(not in the default rule\)/);
    expect(report.tensors.find((t) => t.name === 'dense1/kernel')!.layerClass).toBe('Dense');
  });

  it('include / exclude by pattern and class, first/last skipping, overrides', async () => {
    const a = await zoo();
    const names = async (config: Parameters<typeof pruneArtifacts>[1]) =>
      (await pruneArtifacts(a, config)).report.tensors.filter((t) => t.method !== null).map((t) => `${t.name}@${t.target}`);
    expect(await names({ sparsity: 0.5, includeClasses: ['LSTM'], excludeClasses: ['Embedding', 'SeparableConv2D', 'DepthwiseConv2D'] })).toEqual([
      'conv/kernel@0.5',
      'lstm/kernel@0.5',
      'lstm/recurrent_kernel@0.5',
      'dense1/kernel@0.5',
      'dense2/kernel@0.5',
    ]);
    expect(await names({ sparsity: 0.5, include: ['dense2/bias'], exclude: ['/^(emb|sep)\\//'] })).toEqual([
      'conv/kernel@0.5',
      'dw/depthwise_kernel@0.5',
      'dense1/kernel@0.5',
      'dense2/kernel@0.5',
      'dense2/bias@0.5',
    ]);
    expect(await names({ sparsity: 0.5, skipFirst: true, skipLast: true })).toEqual([
      'sep/depthwise_kernel@0.5',
      'sep/pointwise_kernel@0.5',
      'dw/depthwise_kernel@0.5',
      'emb/embeddings@0.5',
      'dense1/kernel@0.5',
    ]);
    expect(
      await names({ sparsity: 0.5, overrides: [{ match: 'dense*', sparsity: 0.9 }, { match: 'sep/*', skip: true }, { match: 'emb/?mbeddings', method: '1:4' }] }),
    ).toEqual(['conv/kernel@0.5', 'dw/depthwise_kernel@0.5', 'emb/embeddings@0.75', 'dense1/kernel@0.9', 'dense2/kernel@0.9']);
  });

  it('global scope with overrides: overridden tensors leave the pool, the pool stays exact', async () => {
    const a = makeArtifacts(kernels(11));
    const { artifacts, report } = await pruneArtifacts(a, { sparsity: 0.8, scope: 'global', overrides: [{ match: 'b/*', sparsity: 0.1 }] });
    const w = stockDecode(artifacts);
    expect(zeros(w['b/kernel'])).toBe(roundHalfEven(0.1 * 384));
    const pool = [kernels(11)[0], kernels(11)[4]].map((t) => t.values as Float32Array);
    expect(zeroSet([w['a/kernel'], w['c/kernel']])).toEqual(referenceGlobal(pool, 0.8));
    expect(report.tensors.find((t) => t.name === 'b/kernel')!.reason).toMatch(/override 'b\/\*'/);
  });

  it('graph models: weight operands of MatMul/Conv/Depthwise/Gather, through Identity; not constants or batch norm', async () => {
    const node = (name: string, op: string, input: string[] = [], attr: object = {}) => ({ name, op, input, attr });
    const topology = {
      node: [
        node('x', 'Placeholder'),
        node('w1', 'Const'),
        node('w1/read', 'Identity', ['w1']),
        node('mm', 'MatMul', ['x', 'w1/read'], { transpose_b: { b: true } }),
        node('anchors', 'Const'),
        node('add', 'AddV2', ['mm', 'anchors']),
        node('dw', 'Const'),
        node('dconv', 'DepthwiseConv2dNative', ['add', 'dw']),
        node('bn/scale', 'Const'),
        node('bn', 'FusedBatchNormV3', ['dconv', 'bn/scale']),
        node('emb', 'Const'),
        node('ids', 'Placeholder'),
        node('gather', 'GatherV2', ['emb', 'ids', 'axis']),
        node('axis', 'Const'),
      ],
      library: {},
      versions: {},
    };
    const a = makeArtifacts(
      [
        { name: 'w1', shape: [6, 8], values: randn(48, 1) },
        { name: 'anchors', shape: [4, 4], values: randn(16, 2) },
        { name: 'dw', shape: [3, 3, 4, 1], values: randn(36, 3) },
        { name: 'bn/scale', shape: [2, 2], values: randn(4, 4) },
        { name: 'emb', shape: [5, 8], values: randn(40, 5) },
        { name: 'axis', shape: [], dtype: 'int32', values: Int32Array.from([0]) },
      ],
      { topology, format: 'graph-model' },
    );
    const { report } = await pruneArtifacts(a, { method: '2:4' });
    const r = Object.fromEntries(report.tensors.map((t) => [t.name, t]));
    expect(r.w1.method).toBe('2:4');
    expect(r.w1.layerClass).toBe('MatMul');
    expect(r.dw.method).toBe('2:4');
    expect(r.emb.method).toBe('2:4');
    expect(r.anchors.reason).toMatch(/AddV2 \(not a weight operand\)/);
    expect(r['bn/scale'].reason).toBe('normalization');
    expect(report.format).toBe('graph-model');
  });
});

describe('N:M', () => {
  /** For each group of m along the input axis (index function), at most n nonzeros, and n kept exactly where the group is full. */
  function checkGroups(w: ArrayLike<number>, orig: Float32Array, groups: number[][], n: number): void {
    for (const g of groups) {
      const kept = g.filter((i) => w[i] !== 0);
      expect(kept.length).toBe(Math.min(n, g.length));
      // The kept ones are the largest magnitudes, ties to the lowest index (stable sort).
      const order = [...g].sort((a, b) => Math.abs(orig[b]) - Math.abs(orig[a]) || a - b).slice(0, n);
      expect(new Set(kept)).toEqual(new Set(order));
      for (const i of kept) expect(w[i]).toBe(orig[i]);
    }
  }

  it('Dense kernel [in, out]: groups of m along the input axis for each output', async () => {
    const [inp, out] = [10, 6];
    const v = randn(inp * out, 21);
    const a = makeArtifacts([{ name: 'd/kernel', shape: [inp, out], values: v }]);
    const { artifacts } = await pruneArtifacts(a, { method: '2:4' });
    const w = stockDecode(artifacts)['d/kernel'];
    const groups: number[][] = [];
    for (let o = 0; o < out; o++) for (let g = 0; g < inp; g += 4) groups.push(Array.from({ length: Math.min(4, inp - g) }, (_, j) => (g + j) * out + o));
    checkGroups(w, v, groups, 2);
  });

  it('Conv kernel [kh, kw, cin, cout]: along cin; depthwise [kh, kw, c, 1]: along the window', async () => {
    const v = randn(3 * 3 * 8 * 5, 22);
    const d = randn(3 * 3 * 4, 23);
    const a = makeArtifacts([
      { name: 'c/kernel', shape: [3, 3, 8, 5], values: v },
      { name: 'c/depthwise_kernel', shape: [3, 3, 4, 1], values: d },
    ]);
    const { artifacts } = await pruneArtifacts(a, { method: '1:4' });
    const w = stockDecode(artifacts);
    const groups: number[][] = [];
    for (let s = 0; s < 9; s++) for (let o = 0; o < 5; o++) for (let g = 0; g < 8; g += 4) groups.push([0, 1, 2, 3].map((j) => (s * 8 + g + j) * 5 + o));
    checkGroups(w['c/kernel'], v, groups, 1);
    const dg: number[][] = [];
    for (let ch = 0; ch < 4; ch++) for (let g = 0; g < 9; g += 4) dg.push(Array.from({ length: Math.min(4, 9 - g) }, (_, j) => (g + j) * 4 + ch));
    checkGroups(w['c/depthwise_kernel'], d, dg, 1);
  });
});

describe('quantized manifests', () => {
  const codes = (n: number, seed: number, levels: number) => Array.from(randn(n, seed), (v) => Math.max(0, Math.min(levels, Math.round(levels / 2 + v * levels * 2))));

  it('uint8 whose grid holds 0: survivors keep their codes, pruned weights decode to exactly 0', async () => {
    const q = Uint8Array.from(codes(256, 31, 255));
    const scale = 0.0078125;
    const min = -128 * scale;
    const a = makeArtifacts([{ name: 'k/kernel', shape: [16, 16], bytes: q, quantization: { dtype: 'uint8', scale, min } }]);
    const before = stockDecode(a)['k/kernel'];
    const { artifacts, report } = await pruneArtifacts(a, { sparsity: 0.6 });
    const after = stockDecode(artifacts)['k/kernel'];
    expect(artifacts.weightSpecs![0].quantization).toEqual({ dtype: 'uint8', scale, min });
    expect(zeros(after)).toBe(report.tensors[0].zerosAfter);
    expect(zeros(after)).toBeGreaterThanOrEqual(roundHalfEven(0.6 * 256));
    for (let i = 0; i < 256; i++) if (after[i] !== 0) expect(after[i]).toBe(before[i]);
  });

  it('uint8 pruned in its codes selects exactly what the core selects on the dequantized values', async () => {
    // Few distinct codes (many ties, equal magnitudes on both sides of 0), zeros, a min a hair off.
    const q1 = Uint8Array.from(randn(5000, 61, 1), (v) => 100 + Math.round(v * 6));
    const q2 = Uint8Array.from(randn(3000, 62, 1), (v) => 100 + Math.round(v * 40));
    const scale = 0.02;
    const a = makeArtifacts([
      { name: 'x/kernel', shape: [50, 100], bytes: q1, quantization: { dtype: 'uint8', scale, min: -100 * scale * (1 + 1e-12) } },
      { name: 'y/kernel', shape: [30, 100], bytes: q2, quantization: { dtype: 'uint8', scale, min: -100 * scale } },
    ]);
    const dense = stockDecode(a);
    for (const s of [0.1, 0.37, 0.5, 0.83]) {
      const layer = stockDecode((await pruneArtifacts(a, { sparsity: s }, { gzip: false })).artifacts);
      for (const n of ['x/kernel', 'y/kernel']) {
        const w = (dense[n] as Float32Array).slice();
        pruneToSparsity(w, s);
        expect(zeroSet([layer[n]])).toEqual(zeroSet([w]));
        expect(firstDiff(Float32Array.from(layer[n], (v, i) => (v === 0 ? 0 : v - dense[n][i])), new Float32Array(w.length))).toBe(-1);
      }
      const global = stockDecode((await pruneArtifacts(a, { sparsity: s, scope: 'global' }, { gzip: false })).artifacts);
      expect(zeroSet([global['x/kernel'], global['y/kernel']])).toEqual(referenceGlobal([dense['x/kernel'] as Float32Array, dense['y/kernel'] as Float32Array], s));
    }
  });

  it('uint8 / uint16 whose grid misses 0 (face-api style min): re-gridded so pruned weights are exactly 0', async () => {
    for (const [dtype, levels, bytesPer] of [['uint8', 255, 1], ['uint16', 65535, 2]] as const) {
      const c = codes(300, 32, levels);
      const bytes = bytesPer === 1 ? Uint8Array.from(c) : new Uint8Array(Uint16Array.from(c).buffer);
      const scale = 0.8 / levels;
      const min = -0.4123456789;
      const a = makeArtifacts([{ name: 'k/kernel', shape: [20, 15], bytes, quantization: { dtype, scale, min } }]);
      const before = stockDecode(a)['k/kernel'];
      const { artifacts, report } = await pruneArtifacts(a, { sparsity: 0.5 });
      const after = stockDecode(artifacts)['k/kernel'];
      const qz = artifacts.weightSpecs![0].quantization!;
      expect(qz.dtype).toBe(dtype);
      expect(zeros(after)).toBe(report.tensors[0].zerosAfter);
      // The reference: the sort-based pruning of the stock-decoded values, then TF's FakeQuant
      // grid over [min(w, 0), max(w, 0)] of what is left (docs/model.md), each weight at its
      // nearest code, decoded as tfjs does.
      const ref = refPruneToSparsity(before as Float32Array, 0.5).out;
      const lo = Math.min(0, ...ref);
      const hi = Math.max(0, ...ref);
      const step = (hi - lo) / levels;
      const z = Math.round(-lo / step);
      expect(qz.scale).toBe(step);
      expect(qz.min).toBe(-(z * step));
      const expected = Float32Array.from(ref, (v) => Math.min(levels, Math.max(0, Math.round(v / step) + z)) * step - z * step);
      expect(firstDiff(after, expected)).toBe(-1);
    }
  });

  it('global scope over large quantized tensors (read as codes) matches the reference on dequantized values', async () => {
    const h = Uint16Array.from(randn(120_000, 51, 1), (v) => (v < 0 ? 0x8000 : 0) | Math.min(0x7bff, 0x2000 + Math.floor(Math.abs(v) * 0x3000)));
    const u16 = Uint16Array.from(randn(80_000, 52, 1), (v) => Math.max(0, Math.min(65535, Math.round(32768 + v * 20000))));
    const u8 = Uint8Array.from(randn(70_000, 53, 1), (v) => Math.max(0, Math.min(255, Math.round(128 + v * 90))));
    const a = makeArtifacts([
      { name: 'h/kernel', shape: [300, 400], bytes: new Uint8Array(h.buffer), quantization: { dtype: 'float16' } },
      { name: 'w/kernel', shape: [400, 200], bytes: new Uint8Array(u16.buffer), quantization: { dtype: 'uint16', scale: 1 / 32768, min: -1 } },
      { name: 'b/kernel', shape: [350, 200], bytes: u8, quantization: { dtype: 'uint8', scale: 0.01, min: -1.28 } },
    ]);
    const before = stockDecode(a);
    const { artifacts } = await pruneArtifacts(a, { sparsity: 0.7, scope: 'global' }, { gzip: false });
    const w = stockDecode(artifacts);
    const names = ['h/kernel', 'w/kernel', 'b/kernel'];
    expect(zeroSet(names.map((n) => w[n]))).toEqual(referenceGlobal(names.map((n) => before[n] as Float32Array), 0.7));
  });

  it('mixed pools (float32 with small and large float16 / uint16 / uint8 tensors, many ties) match the reference, global and layer', async () => {
    const half = (n: number, seed: number) => Uint16Array.from(randn(n, seed, 1), (v) => (v < 0 ? 0x8000 : 0) | (0x3000 + (Math.floor(Math.abs(v) * 8) << 6)));
    const h1 = half(3_000, 81); // fewer weights than a quarter of the code table: weight by weight
    const h2 = half(20_000, 82);
    const u16 = Uint16Array.from(randn(2_000, 83, 1), (v) => Math.max(0, Math.min(65535, 32768 + Math.round(v * 8) * 64)));
    const u8 = Uint8Array.from(randn(30_000, 84, 1), (v) => Math.max(0, Math.min(255, Math.round(128 + v * 40))));
    const f32 = Float32Array.from(randn(60_000, 85, 1), (v) => Math.round(v * 64) / 64);
    const t: TensorInit[] = [
      { name: 'h1/kernel', shape: [30, 100], bytes: new Uint8Array(h1.buffer), quantization: { dtype: 'float16' } },
      { name: 'f/kernel', shape: [300, 200], values: f32 },
      { name: 'h2/kernel', shape: [100, 200], bytes: new Uint8Array(h2.buffer), quantization: { dtype: 'float16' } },
      { name: 'w/kernel', shape: [40, 50], bytes: new Uint8Array(u16.buffer), quantization: { dtype: 'uint16', scale: 1 / 4096, min: -8 } },
      { name: 'b/kernel', shape: [150, 200], bytes: u8, quantization: { dtype: 'uint8', scale: 1 / 32, min: -4 } },
    ];
    const names = t.map((x) => x.name);
    const before = stockDecode(makeArtifacts(t));
    for (const s of [0.3, 0.8]) {
      const g = stockDecode((await pruneArtifacts(makeArtifacts(t), { sparsity: s, scope: 'global' }, { gzip: false })).artifacts);
      expect(zeroSet(names.map((n) => g[n]))).toEqual(referenceGlobal(names.map((n) => before[n] as Float32Array), s));
      const l = stockDecode((await pruneArtifacts(makeArtifacts(t), { sparsity: s }, { gzip: false })).artifacts);
      for (const n of names) expect(zeroSet([l[n]])).toEqual(referenceGlobal([before[n] as Float32Array], s));
      // Survivors keep their values bit for bit.
      for (const n of names) for (let i = 0; i < g[n].length; i++) if (g[n][i] !== 0) expect(g[n][i]).toBe(before[n][i]);
    }
  });

  it('float16: exact zeros, survivors bit for bit; int32 quantized tensors untouched', async () => {
    const h = new Uint16Array(64);
    const f16 = (x: number) => {
      // a few exact halves: +-(1 + k/1024) * 2^e
      const e = (x >>> 3) % 6;
      return ((x & 1) << 15) | ((15 - e) << 10) | ((x * 97) & 0x3ff);
    };
    for (let i = 0; i < 64; i++) h[i] = f16(i);
    const a = makeArtifacts([
      { name: 'h/kernel', shape: [8, 8], bytes: new Uint8Array(h.buffer), quantization: { dtype: 'float16' } },
      { name: 'ids', shape: [3], dtype: 'int32', bytes: Uint8Array.from([0, 5, 9]), quantization: { dtype: 'uint8', scale: 1, min: 3 } },
    ]);
    const before = stockDecode(a);
    const { artifacts } = await pruneArtifacts(a, { sparsity: 0.25, scope: 'global' });
    const after = stockDecode(artifacts);
    expect(zeros(after['h/kernel'])).toBe(16);
    for (let i = 0; i < 64; i++) if (after['h/kernel'][i] !== 0) expect(after['h/kernel'][i]).toBe(before['h/kernel'][i]);
    expect(Array.from(after.ids)).toEqual([3, 8, 12]);
    expect(artifacts.weightSpecs![1]).toEqual(a.weightSpecs![1]);
  });

  it.each(['uint8', 'uint16', 'float16'] as const)('export quantization to %s keeps every pruned weight exactly 0', async (dtype) => {
    const a = makeArtifacts(kernels(12));
    const dense = await pruneArtifacts(a, { sparsity: 0.7, scope: 'global' });
    const { artifacts, report } = await pruneArtifacts(a, { sparsity: 0.7, scope: 'global', quantize: dtype });
    const want = stockDecode(dense.artifacts);
    const got = stockDecode(artifacts);
    for (const spec of artifacts.weightSpecs!) {
      if (spec.dtype !== 'float32') {
        expect(spec.quantization).toBeUndefined();
        continue;
      }
      expect(spec.quantization!.dtype).toBe(dtype);
      const w = want[spec.name];
      const g = got[spec.name];
      if (dtype === 'float16') {
        // Each weight rounded to the nearest half, ties to even: exactly.
        expect(firstDiff(g, Float32Array.from(w, halfRNE))).toBe(-1);
        continue;
      }
      const step = spec.quantization!.scale!;
      for (let i = 0; i < w.length; i++) {
        if (w[i] === 0) expect(g[i]).toBe(0);
        else expect(Math.abs(g[i] - w[i])).toBeLessThanOrEqual(step / 2 + 1e-7);
      }
    }
    const bytes = concatBytes(artifacts.weightData!).length;
    expect(report.bytes.after.raw).toBe(bytes);
    expect(report.bytes.quantized).toEqual({ dtype, ...report.bytes.after });
    expect(bytes).toBeLessThan(concatBytes(a.weightData!).length);
  });
});

describe('report', () => {
  it('is plain data (JSON round trip), with totals and sizes that match the bytes', async () => {
    const a = makeArtifacts(kernels(13));
    const { artifacts, report } = await pruneArtifacts(a, { sparsity: 0.5, scope: 'global' });
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    const before = concatBytes(a.weightData!);
    const after = concatBytes(artifacts.weightData!);
    expect(report.bytes.before.raw).toBe(before.length);
    expect(report.bytes.after.raw).toBe(after.length);
    expect(report.bytes.before.gzip).toBeGreaterThan(0);
    // fflate by default, the same library in Node and browsers, level 6, one gzip member per piece:
    // here the run of float32 tensors and the int32 tensor after it (docs/model.md, "Sizes").
    const f32End = after.length - 8;
    expect(report.bytes.after.gzip).toBe(gzipSync(after.subarray(0, f32End), { level: 6, mtime: 0 }).length + gzipSync(after.subarray(f32End), { level: 6, mtime: 0 }).length);
    expect(report.bytes.after.estimated).toBeUndefined();
    expect(report.bytes.after.gzip!).toBeLessThan(report.bytes.before.gzip!);
    expect(report.bytes.quantized.dtype).toBe('uint8');
    expect(report.bytes.quantized.raw).toBe(512 + 16 + 384 + 24 + 288 + 8);
    const t = report.totals;
    expect(t.params).toBe(512 + 16 + 384 + 24 + 288 + 2);
    expect(t.prunedParams).toBe(512 + 384 + 288);
    expect(t.zerosAfter).toBe(report.tensors.reduce((s, x) => s + x.zerosAfter, 0));
    for (const x of report.tensors) expect(x.sparsity).toBe(x.params ? x.zerosAfter / x.params : 0);
    const none = await pruneArtifacts(a, { sparsity: 0.5 }, { gzip: false });
    expect(none.report.bytes.before.gzip).toBeNull();
  });

  it('renders as a text table', async () => {
    const { report } = await pruneArtifacts(makeArtifacts(kernels(14)), { sparsity: 0.5 });
    const text = formatReport(report as ModelPruneReport);
    expect(text).toMatch(/^tensor\s+shape\s+dtype\s+params\s+zeros before\s+zeros after\s+sparsity\s+threshold\s+method/);
    expect(text).toMatch(/a\/kernel\s+\[32,16\]\s+float32\s+512\s+0\s+256\s+50\.00%/);
    expect(text).toContain('3 tensors not pruned');
    expect(text).toMatch(/weight bytes: .* raw, .* gzip -> .*; uint8: /);
    expect(formatReport(report, { all: true })).toMatch(/a\/bias .*- \(bias\)/);
  });
});
