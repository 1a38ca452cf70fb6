// The report's gzip sizes (src/model/sizes.ts, docs/model.md "Sizes"): pieces along tensor
// boundaries, each a gzip member of its own at level 6; no piece compressed twice; the native
// compressor of tfjs-prune/node; the estimate from a sample, marked and written ≈.
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync as zlibGzipSync } from 'node:zlib';
import { gzipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/index.js';
import { readArtifacts } from '../../src/model/artifacts.js';
import { planPieces, sampleStrides, SizeMeter, PIECE_BYTES, type GzipSizes, type Piece } from '../../src/model/sizes.js';
import { loadArtifacts, nodeGzipSizes } from '../../src/node.js';
import { formatReport, pruneArtifacts } from '../../src/tfjs.js';
import { pruneSummary } from '../../src/cli/summary.js';
import { renderHtmlReport } from '../../src/cli/html.js';
import { concatBytes, makeArtifacts, packageDir, randn } from './support.js';
import { encode } from '../../src/format/index.js';

const HUMAN = path.join(packageDir('@vladmandic/human'), 'models');
const MiB = 1 << 20;

beforeAll(async () => {
  await init();
});

/** fflate at level 6, recording every piece it is given. */
function recording(): { sizes: GzipSizes; seen: Uint8Array[] } {
  const seen: Uint8Array[] = [];
  return {
    seen,
    sizes: async (pieces) => {
      for (const p of pieces) seen.push(p.slice());
      return pieces.map((p) => gzipSync(p, { level: 6, mtime: 0 }).length);
    },
  };
}

const sha = (b: Uint8Array) => createHash('sha1').update(b).digest('hex');

describe('pieces', () => {
  it('group small tensors of one kind up to 1 MiB, slice larger ones, never mix kinds', () => {
    const lengths = [10, 2 * MiB + 5, 3, 4, MiB - 5, 6, 8];
    const f32 = [true, true, true, false, false, false, true];
    expect(planPieces(lengths, (i) => f32[i])).toEqual([
      { first: 0, last: 1, start: 0, length: 10, f32: true },
      { first: 1, last: 2, start: 0, length: MiB, f32: true },
      { first: 1, last: 2, start: MiB, length: MiB, f32: true },
      { first: 1, last: 2, start: 2 * MiB, length: 5, f32: true },
      { first: 2, last: 3, start: 0, length: 3, f32: true },
      { first: 3, last: 5, start: 0, length: MiB - 1, f32: false },
      { first: 5, last: 6, start: 0, length: 6, f32: false },
      { first: 6, last: 7, start: 0, length: 8, f32: true },
    ]);
    expect(PIECE_BYTES).toBe(MiB);
  });
});

describe('sizes of real models', () => {
  it.each(['faceres.json', 'blazeface.json', 'handtrack.json'])('%s: exact sums of per-piece gzip, and no piece compressed twice', async (file) => {
    const a = await loadArtifacts(path.join(HUMAN, file));
    const input = concatBytes(a.weightData!).slice();
    const rec = recording();
    const { artifacts, report } = await pruneArtifacts(a, { sparsity: 0.8, scope: 'global' }, { gzipSizes: rec.sizes });
    // Never the same bytes twice (real weights: no two distinct pieces are equal by chance).
    const hashes = rec.seen.map(sha);
    expect(new Set(hashes).size).toBe(hashes.length);
    // Everything compressed: the input once, plus only the output pieces that pruning changed.
    const seenBytes = rec.seen.reduce((s, p) => s + p.length, 0);
    expect(seenBytes).toBeLessThan(input.length + report.bytes.after.raw + report.bytes.quantized.raw);
    // The input's figure: its pieces, cut here from the manifest, one gzip member each.
    const { entries } = readArtifacts(a);
    const inPieces = planPieces(entries.map((e) => e.byteLength), (i) => entries[i].dtype === 'float32' && entries[i].quant === null);
    const at = (i: number) => entries[inPieces[i].first].byteOffset + inPieces[i].start;
    expect(report.bytes.before.gzip).toBe(inPieces.reduce((s, p, i) => s + gzipSync(input.subarray(at(i), at(i) + p.length), { level: 6, mtime: 0 }).length, 0));
    // The figures are those of one member per piece, measured here on the output bytes directly.
    const out = concatBytes(artifacts.weightData!);
    expect(report.bytes.after.raw).toBe(out.length);
    expect(report.bytes.after.gzip! / gzipSync(out, { level: 6 }).length).toBeCloseTo(1, 2);
    expect(report.bytes.before.estimated).toBeUndefined();
  });

  it('the native compressor (tfjs-prune/node) gives zlib level-6 sizes, piece by piece, within 2% of fflate', async () => {
    const a = await loadArtifacts(path.join(HUMAN, 'blazeface.json'));
    const bytes = concatBytes(a.weightData!);
    const pieces = [bytes.subarray(0, 1000), bytes.subarray(1000, 300000), bytes.subarray(300000)];
    expect(await nodeGzipSizes(pieces)).toEqual(pieces.map((p) => zlibGzipSync(p, { level: 6 }).length));
    const native = await pruneArtifacts(a, { sparsity: 0.5 }, { gzipSizes: nodeGzipSizes });
    const portable = await pruneArtifacts(a, { sparsity: 0.5 });
    expect(native.artifacts.weightData).toEqual(portable.artifacts.weightData);
    for (const k of ['before', 'after', 'quantized'] as const) expect(native.report.bytes[k].gzip! / portable.report.bytes[k].gzip!).toBeCloseTo(1, 1);
  });

  it('an estimate from a sample of pieces: marked, written ≈, within 10% of the exact figure from 1 piece in 4 of 11 real models', async () => {
    // The pieces of every graph model of @vladmandic/human, one after another (about 30 MB).
    const all: Piece[] = [];
    const bytesOf: Uint8Array[] = [];
    let total = 0;
    for (const file of (await readdir(HUMAN)).filter((f) => f.endsWith('.json') && f !== 'models.json').sort()) {
      const m = await loadArtifacts(path.join(HUMAN, file));
      const { entries } = readArtifacts(m);
      const data = concatBytes(m.weightData!);
      for (const p of planPieces(entries.map((e) => e.byteLength), (i) => entries[i].dtype === 'float32' && entries[i].quant === null)) {
        const off = entries[p.first].byteOffset + p.start;
        all.push(p);
        bytesOf.push(data.subarray(off, off + p.length));
        total += p.length;
      }
    }
    const read = (i: number) => bytesOf[i];
    const exactRec = recording();
    const exact = await new SizeMeter(exactRec.sizes, all, total).measure((i) => `${i}`, read);
    const sampledRec = recording();
    const fourth = { above: MiB, round: 8, stride: 4, guard: Infinity, budget: Infinity };
    const meter = new SizeMeter(sampledRec.sizes, all, total, fourth);
    expect(meter.stride).toBe(4);
    const est = await meter.measure((i) => `${i}`, read);
    expect(est.estimated).toBe(true);
    expect(exact.estimated).toBeUndefined();
    expect(est.raw).toBe(exact.raw);
    expect(Math.abs(est.gzip! / exact.gzip! - 1)).toBeLessThan(0.1);
    // One piece at a seeded random place in each run of 4, the same every time.
    expect(sampledRec.seen.length).toBe(Math.ceil(all.length / 4));
    meter.sampled.forEach((i, b) => expect(Math.floor(i / 4)).toBe(b));
    expect(new SizeMeter(exactRec.sizes, all, total, fourth).sampled).toEqual(meter.sampled);
    expect(new Set(meter.sampled.map((i) => i % 4)).size).toBeGreaterThan(1);

    const a = await loadArtifacts(path.join(HUMAN, 'centernet.json'));
    const { report } = await pruneArtifacts(a, { sparsity: 0.5 });
    const marked = { ...report, bytes: { ...report.bytes, after: { ...report.bytes.after, estimated: true } } };
    expect(formatReport(marked)).toMatch(/-> [\d.]+ MiB raw, ≈[\d.]+ (MiB|KiB) gzip/);
    expect(pruneSummary(marked, { all: false, quantized: false })).toMatch(/after\s+[\d.]+ MiB\s+≈[\d.]+/);
    const html = renderHtmlReport({ kind: 'prune', title: 't', facts: [], report: marked, histograms: [], omittedHistograms: 0, generator: 'test' });
    const plain = renderHtmlReport({ kind: 'prune', title: 't', facts: [], report, histograms: [], omittedHistograms: 0, generator: 'test' });
    expect(html).toContain('≈');
    expect(plain).not.toContain('≈');
    expect(JSON.parse(JSON.stringify(marked)).bytes.after.estimated).toBe(true);
  });
});


describe('the sampling rule', () => {
  it('samples the input of a model beyond 16 MiB in runs of 4 pieces or more (8 runs); the output only beyond 256 MiB', () => {
    expect(sampleStrides(16 * MiB, 16)).toEqual({ input: 1, output: 1 });
    expect(sampleStrides(26.2 * MiB, 32)).toEqual({ input: 4, output: 1 });
    expect(sampleStrides(26.2 * MiB, 20)).toEqual({ input: 4, output: 1 });
    expect(sampleStrides(200 * MiB, 200)).toEqual({ input: 25, output: 1 });
    expect(sampleStrides(2048 * MiB, 2048)).toEqual({ input: 256, output: 256 });
  });

  // 32 pieces of 1 MiB, each a float16-like stream of pseudo-random bytes (compresses alike),
  // or, for the scattered model, every other piece zeros.
  function model(scattered: boolean) {
    const pieces: Piece[] = [];
    const bytes: Uint8Array[] = [];
    let seed = 12345;
    for (let i = 0; i < 32; i++) {
      const b = new Uint8Array(MiB);
      if (!(scattered && i % 2 === 1)) {
        for (let j = 0; j < b.length; j++) {
          seed = (seed * 1103515245 + 12345) >>> 0;
          b[j] = (seed >>> 24) & (j % 2 === 0 ? 0xff : 0x3f); // a float16's high byte varies less
        }
      }
      pieces.push({ first: i, last: i + 1, start: 0, length: MiB, f32: false });
      bytes.push(b);
    }
    return { pieces, read: (i: number) => bytes[i] };
  }
  const rule = { above: 256 * MiB, inputAbove: 16 * MiB, round: 8, inputMinStride: 4, guard: 0.002, budget: 32 * MiB };

  it('keeps a sample of alike pieces as an estimate of the input (≈, within 1%) and measures the output exactly', async () => {
    const { pieces, read } = model(false);
    const exact = await new SizeMeter(nodeGzipSizes, pieces, 32 * MiB, { above: Infinity, bytes: 1 }).measure((i) => `${i}`, read, undefined, true);
    const rec = recording();
    const meter = new SizeMeter(rec.sizes, pieces, 32 * MiB, rule);
    expect(meter.inputStride).toBe(4);
    expect(meter.stride).toBe(1);
    const input = await meter.measure((i) => `in:${i}`, read, undefined, true);
    expect(input.estimated).toBe(true);
    expect(rec.seen.length).toBe(8);
    expect(Math.abs(input.gzip! / exact.gzip! - 1)).toBeLessThan(0.01);
    const output = await meter.measure((i) => `in:${i}`, read);
    expect(output.estimated).toBeUndefined();
    // The output's pieces that the input's sample measured are not compressed again.
    expect(rec.seen.length).toBe(32);
    expect(output.gzip).toBe(rec.seen.reduce((a, p) => a + gzipSync(p, { level: 6, mtime: 0 }).length, 0));
  });

  it('adds rounds while the sample is scattered, and keeps the estimate once the budget is spent', async () => {
    const { pieces, read } = model(true);
    const rec = recording();
    // Rounds of 8 pieces (one per run of 4); the budget is spent after the second round.
    const meter = new SizeMeter(rec.sizes, pieces, 32 * MiB, { ...rule, budget: 12 * MiB });
    const input = await meter.measure((i) => `in:${i}`, read, undefined, true);
    expect(input.estimated).toBe(true);
    expect(rec.seen.length).toBe(16);
    // Two distinct places in each run of 4, the first round's among them.
    const seen = new Set(rec.seen.map(sha));
    const places = pieces.map((_, i) => i).filter((i) => seen.has(sha(read(i))));
    for (const i of meter.inputSampled) expect(places).toContain(i);
    // Without a budget (or a sample that is never sure), the rounds go on until every piece is
    // measured: the figure is then exact.
    const all = await new SizeMeter(recording().sizes, pieces, 32 * MiB, { ...rule, guard: 0 }).measure((i) => `${i}`, read, undefined, true);
    expect(all.estimated).toBeUndefined();
    expect(all.gzip).toBe(pieces.reduce((a, _, i) => a + gzipSync(read(i), { level: 6, mtime: 0 }).length, 0));
  });

  it('takes the rounds a prune pass measured as it wrote (PassSizes) at no cost', async () => {
    const { pieces, read } = model(false);
    const sampled = { ...rule, above: 0, guard: 0.01 }; // the output sampled too: runs of 4, rounds of 8 pieces
    const pass = new SizeMeter(recording().sizes, pieces, 32 * MiB, sampled);
    expect(pass.passSampled.length).toBe(16);
    expect(pass.passSampled.slice(0, 8)).toEqual(pass.sampled);
    for (const i of pass.passSampled) pass.note(`out:${i}`, gzipSync(read(i), { level: 6, mtime: 0 }).length);
    const rec = recording();
    // Nothing is read: both rounds are known, and the second is taken although the first would do.
    const after = await pass.measure((i) => `out:${i}`, (i) => {
      rec.seen.push(read(i));
      return read(i);
    });
    expect(rec.seen.length).toBe(0);
    expect(after.estimated).toBe(true);
    // The estimate is that of the 16 pieces: the ratio of their sizes to their bytes, times all bytes.
    const gz = pass.passSampled.reduce((a, i) => a + gzipSync(read(i), { level: 6, mtime: 0 }).length, 0);
    expect(after.gzip).toBe(Math.round((gz / (16 * MiB)) * 32 * MiB));
  });

  it('estimates per class: pruned pieces apart from the dense ones between them (fewer rounds, closer)', async () => {
    // 64 pieces: 1 MiB of a pruned kernel (90% zeros), then 64 KiB of a dense bias, over and over.
    const pieces: Piece[] = [];
    const bytes: Uint8Array[] = [];
    let seed = 777;
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    for (let i = 0; i < 64; i++) {
      const dense = i % 2 === 1;
      const b = new Uint8Array(dense ? 64 * 1024 : MiB);
      for (let j = 0; j < b.length; j += 2) if (dense || rnd() < 26) b[j] = rnd();
      pieces.push({ first: i, last: i + 1, start: 0, length: b.length, f32: true });
      bytes.push(b);
    }
    const total = bytes.reduce((a, b) => a + b.length, 0);
    const read = (i: number) => bytes[i];
    const exact = pieces.reduce((a, _, i) => a + gzipSync(read(i), { level: 6, mtime: 0 }).length, 0);
    const sampled = { ...rule, above: 0 };
    const run = async (classOf?: (i: number) => number) => {
      const rec = recording();
      const r = await new SizeMeter(rec.sizes, pieces, total, sampled).measure((i) => `${i}`, read, undefined, false, classOf);
      return { r, n: rec.seen.length };
    };
    const one = await run();
    const two = await run((i) => 1 + (i % 2) * 2);
    expect(two.r.estimated).toBe(true);
    expect(two.n).toBeLessThan(one.n);
    expect(Math.abs(two.r.gzip! / exact - 1)).toBeLessThan(0.002);
  });

  it('compresses every piece of the input when the sample is scattered (pieces unlike each other)', async () => {
    const { pieces, read } = model(true);
    const rec = recording();
    const meter = new SizeMeter(rec.sizes, pieces, 32 * MiB, rule);
    const input = await meter.measure((i) => `in:${i}`, read, undefined, true);
    expect(input.estimated).toBeUndefined();
    expect(new Set(rec.seen.map(sha)).size).toBe(17); // 16 distinct random pieces and the zeros
    expect(input.gzip).toBe(pieces.reduce((a, _, i) => a + gzipSync(read(i), { level: 6, mtime: 0 }).length, 0));
  });
});

describe('the uint8 estimate of a tensor sliced into pieces', () => {
  it('codes each slice on the whole tensor\'s grid: the figure is that of the whole tensor\'s codes, cut into 1 MiB pieces', async () => {
    // 3.5 MiB of float32 (4 slices of 1, 1, 1 and 0.5 MiB); the extremes sit in the first and last slices.
    const values = randn(917504, 7, 0.05);
    values[10] = -0.9;
    values[917000] = 1.3;
    const a = makeArtifacts([
      { name: 'dense/kernel', shape: [896, 1024], values },
      { name: 'dense/bias', shape: [1024], values: randn(1024, 8) },
    ]);
    const { artifacts, report } = await pruneArtifacts(a, { sparsity: 0.7 }, { gzipSizes: recording().sizes });
    const out = concatBytes(artifacts.weightData!);
    const codes = encode(new Float32Array(out.slice(0, 917504 * 4).buffer), 'uint8').bytes;
    const bias = encode(new Float32Array(out.slice(917504 * 4).buffer), 'uint8').bytes;
    const gz = (b: Uint8Array) => gzipSync(b, { level: 6, mtime: 0 }).length;
    let expected = gz(bias);
    for (let s = 0; s < codes.length; s += PIECE_BYTES / 4) expected += gz(codes.subarray(s, s + PIECE_BYTES / 4));
    expect(report.bytes.quantized.raw).toBe(917504 + 1024);
    expect(report.bytes.quantized.gzip).toBe(expected);
  });
});
