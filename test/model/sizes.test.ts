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
import { planPieces, SizeMeter, PIECE_BYTES, type GzipSizes, type Piece } from '../../src/model/sizes.js';
import { loadArtifacts, nodeGzipSizes } from '../../src/node.js';
import { formatReport, pruneArtifacts } from '../../src/tfjs.js';
import { pruneSummary } from '../../src/cli/summary.js';
import { renderHtmlReport } from '../../src/cli/html.js';
import { concatBytes, packageDir } from './support.js';

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
    const meter = new SizeMeter(sampledRec.sizes, all, total, { above: MiB, bytes: total / 4 });
    expect(meter.stride).toBe(4);
    const est = await meter.measure((i) => `${i}`, read);
    expect(est.estimated).toBe(true);
    expect(exact.estimated).toBeUndefined();
    expect(est.raw).toBe(exact.raw);
    expect(Math.abs(est.gzip! / exact.gzip! - 1)).toBeLessThan(0.1);
    // One piece at a seeded random place in each run of 4, the same every time.
    expect(sampledRec.seen.length).toBe(Math.ceil(all.length / 4));
    meter.sampled.forEach((i, b) => expect(Math.floor(i / 4)).toBe(b));
    expect(new SizeMeter(exactRec.sizes, all, total, { above: MiB, bytes: total / 4 }).sampled).toEqual(meter.sampled);
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

