// Codebooks in the container (docs/container.md, layout bit 4): lossless when a tensor already has
// few distinct values (the encoder picks the codebook when it is smaller, decoded bits identical),
// lossy on request (`codebook: bits`: k-means over each kernel's nonzeros, zeros and vectors kept
// exact, the error reported per tensor); containers written before codebooks still decode.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/index.js';
import { loadArtifacts } from '../../src/node.js';
import { compressArtifacts, compressArtifactsReport, pruneArtifacts, ArgumentError } from '../../src/tfjs.js';
import { decompressArtifacts } from '../../src/load.js';
import { concatBytes, firstDiff, makeArtifacts, randn, stockDecode } from '../model/support.js';

const LENET = path.join(import.meta.dirname, '../../examples/mnist-mlp/model.json');

beforeAll(async () => {
  await init();
  await tf.setBackend('cpu');
});

const u32 = (v: Float32Array) => new Uint32Array(v.buffer, v.byteOffset, v.length);

/** Every tensor stock tfjs decodes from `b` has the bits it decodes from `a`. */
function expectSameWeights(a: tf.io.ModelArtifacts, b: tf.io.ModelArtifacts): void {
  const x = stockDecode(a);
  const y = stockDecode(b);
  expect(Object.keys(y)).toEqual(Object.keys(x));
  for (const k of Object.keys(x)) expect(firstDiff(u32(y[k] as Float32Array), u32(x[k] as Float32Array)), k).toBe(-1);
}

/** A sparse [rows, cols] tensor whose nonzeros are drawn from `levels` distinct values. */
function shared(rows: number, cols: number, levels: number, seed: number): Float32Array {
  const table = randn(levels, seed + 100);
  const r = randn(rows * cols, seed);
  return r.map((v, i) => (Math.abs(v) < 0.12 ? 0 : table[(i * 7919 + Math.floor(Math.abs(v) * 1e4)) % levels] || 0.5));
}

const distinctNonzero = (v: Float32Array) => new Set(v.filter((x) => x !== 0)).size;

describe('lossless codebook', () => {
  it('float32 and float16 tensors with few distinct values get a codebook (1 and 2 index planes), bit-exact and smaller', async () => {
    const few = shared(120, 80, 12, 1);
    const many = shared(120, 80, 700, 2);
    const halves = new Uint16Array(60 * 50).map((_, i) => (i % 3 ? 0 : 0x3000 + ((i * 31) % 40) * 0x53));
    const a = makeArtifacts([
      { name: 'few', shape: [120, 80], values: few },
      { name: 'many', shape: [120, 80], values: many },
      { name: 'half', shape: [60, 50], quantization: { dtype: 'float16' }, bytes: new Uint8Array(halves.buffer) },
      { name: 'noise', shape: [40, 30], values: randn(1200, 3) },
      // No zeros: exactly 256 and 257 entries, the edge between one index plane and two.
      { name: 't256', shape: [64, 64], values: new Float32Array(4096).map((_, i) => 1 + randn(257, 5)[i % 256]) },
      { name: 't257', shape: [64, 64], values: new Float32Array(4096).map((_, i) => 1 + randn(257, 5)[i % 257]) },
    ]);
    const { container, report } = compressArtifactsReport(a);
    const byName = Object.fromEntries(report.tensors.map((t) => [t.name, t]));
    // The background is one more entry when every element is coded as a value (positions 'all').
    const entries = (name: string, distinct: number) => distinct + (byName[name].positions === 'all' ? 1 : 0);
    expect(byName.few.codebook).toBe(entries('few', 12));
    expect(byName.many.codebook).toBe(entries('many', distinctNonzero(many)));
    expect(byName.many.codebook).toBeGreaterThan(256);
    expect(byName.half.codebook).toBe(entries('half', 40));
    expect(byName.t256.codebook).toBe(256);
    expect(byName.t257.codebook).toBe(257);
    expect(byName.noise.codebook).toBeNull(); // 1200 distinct values: planes are smaller
    for (const t of report.tensors) expect(t.clustered).toBeNull();
    // 12 values cost under 4 bits each plus the table: far below the float32 planes.
    const nnz = few.filter((x) => x !== 0).length;
    expect(byName.few.bytes).toBeLessThan(nnz * 0.5 + 12 * 4 + 2000);
    expectSameWeights(a, await decompressArtifacts(container));
  });

  it('a clustered real model (LeNet pruned 92%, nonzeros snapped to 32 values): codebook chosen, bit-exact', async () => {
    const dense = await loadArtifacts(LENET);
    const { artifacts } = await pruneArtifacts(dense, { sparsity: 0.92, scope: 'global' }, { gzip: false });
    // Clustered as weight-sharing training would leave it: a lossy pass, decoded back to float32.
    const clustered = await decompressArtifacts(compressArtifacts(artifacts, { codebook: 5 }));
    const { container, report } = compressArtifactsReport(clustered);
    for (const t of report.tensors.filter((t) => t.shape.length === 2)) expect(t.codebook, t.name).toBeLessThanOrEqual(32);
    expectSameWeights(clustered, await decompressArtifacts(container));
    expect(container.length).toBeLessThan(compressArtifacts(artifacts).length * 0.6);
  });

  it('containers written before codebooks (version 1 fixture) still decode', async () => {
    const sparse = randn(24 * 16, 1);
    for (let i = 0; i < sparse.length; i++) if (Math.abs(sparse[i]) < 0.2 || Math.floor(i / 16) % 5 === 2 || i % 16 === 7) sparse[i] = 0;
    const half = new Uint16Array(20 * 20).map((_, i) => (i % 2 ? 0x3c00 + (i % 37) : 0));
    const codes = new Uint8Array(30 * 8).map((_, i) => (i % 11 === 0 ? (i * 7) % 256 : 100));
    const a = makeArtifacts([
      { name: 'sparse', shape: [24, 16], values: sparse },
      { name: 'dense', shape: [12], values: randn(12, 2) },
      { name: 'half', shape: [20, 20], quantization: { dtype: 'float16' }, bytes: new Uint8Array(half.buffer) },
      { name: 'codes', shape: [30, 8], quantization: { dtype: 'uint8', scale: 0.01, min: -1 }, bytes: codes },
      { name: 'ints', shape: [3], dtype: 'int32', values: Int32Array.of(1, -2, 3) },
    ]);
    const old = new Uint8Array(await readFile(path.join(import.meta.dirname, 'fixtures/v1-mixed.tpz')));
    expectSameWeights(a, await decompressArtifacts(old));
  });
});

describe('lossy codebook (options.codebook)', () => {
  const kernel = randn(200 * 100, 7).map((v) => (Math.abs(v) < 0.1 ? 0 : v));
  const halves = new Uint16Array(80 * 40);
  const hv = randn(halves.length, 8);
  halves.forEach((_, i) => (halves[i] = Math.abs(hv[i]) < 0.05 ? 0 : 0x2000 + ((i * 97) % 0x1800)));
  const codes = new Uint8Array(50 * 40).map((_, i) => (i % 4 === 0 ? (i * 13) % 256 : 128));
  const a = makeArtifacts([
    { name: 'kernel', shape: [200, 100], values: kernel },
    { name: 'bias', shape: [100], values: randn(100, 9) },
    { name: 'half', shape: [80, 40], quantization: { dtype: 'float16' }, bytes: new Uint8Array(halves.buffer) },
    { name: 'codes', shape: [50, 40], quantization: { dtype: 'uint8', scale: 0.01, min: -1.28 }, bytes: codes },
  ]);
  const before = stockDecode(a);

  it.each([3, 5, 8])('%i bits: at most 2^bits values per kernel, zeros where they were, vectors exact, the reported error is the real one', async (bits) => {
    const { container, report } = compressArtifactsReport(a, { codebook: bits });
    const after = stockDecode(await decompressArtifacts(container));
    for (const name of ['kernel', 'half', 'codes']) {
      const x = before[name] as Float32Array;
      const y = after[name] as Float32Array;
      expect(distinctNonzero(y), name).toBeLessThanOrEqual(2 ** bits);
      // The background (zero) stays where it was and nothing else becomes it.
      for (let i = 0; i < x.length; i++) if ((x[i] === 0) !== (y[i] === 0)) throw new Error(`${name}[${i}]: ${x[i]} -> ${y[i]}`);
      let num = 0;
      let den = 0;
      for (let i = 0; i < x.length; i++) {
        num += (y[i] - x[i]) ** 2;
        den += x[i] ** 2;
      }
      const t = report.tensors.find((t) => t.name === name)!;
      expect(t.clustered!.bits).toBe(bits);
      expect(t.clustered!.relativeRms).toBeCloseTo(Math.sqrt(num / den), 6);
      // uint8 codes are one byte: a codebook cannot be smaller than the plane.
      expect(t.codebook).toBe(name === 'codes' ? null : t.clustered!.centroids + (t.positions === 'all' ? 1 : 0));
    }
    expect(firstDiff(u32(after.bias as Float32Array), u32(before.bias as Float32Array))).toBe(-1);
    expect(report.tensors.find((t) => t.name === 'bias')!.clustered).toBeNull();
  });

  it('more bits, less error and more bytes; the input is not modified', () => {
    const snapshot = concatBytes(a.weightData!).slice();
    const r3 = compressArtifactsReport(a, { codebook: 3 }).report;
    const r6 = compressArtifactsReport(a, { codebook: 6 }).report;
    const err = (r: typeof r3) => r.tensors.find((t) => t.name === 'kernel')!.clustered!.relativeRms;
    expect(err(r6)).toBeLessThan(err(r3) / 3);
    expect(r6.bytes).toBeGreaterThan(r3.bytes);
    expect(firstDiff(concatBytes(a.weightData!), snapshot)).toBe(-1);
  });

  it('rejects a bad number of bits', () => {
    for (const bad of [0, 17, 2.5, '5', Number.NaN]) expect(() => compressArtifacts(a, { codebook: bad as number })).toThrow(ArgumentError);
  });
});
