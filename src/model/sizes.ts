// The report's gzip sizes (docs/model.md, "Sizes"), made cheap:
// - the weight bytes are cut into pieces of at most 1 MiB along tensor boundaries (small tensors of
//   one kind grouped, large ones sliced), each compressed as a gzip member of its own at level 6
//   (zlib's default, which Apache's mod_deflate uses) and the sizes summed — what a web server
//   sends for shards compressed one by one, within a few bytes per MiB of one stream;
// - a piece is never compressed twice: the output's pieces that no pruning touched, and the uint8
//   estimate's pieces of tensors it leaves as they are, take the size already measured;
// - the compressor is injected (`GzipSizes`): Node's native zlib on its thread pool from
//   tfjs-prune/node; fflate here, where no native one exists (this file imports no Node built-in);
// - beyond SAMPLE_ABOVE bytes, only one piece in k is compressed (about SAMPLE_BYTES in all, at a
//   seeded random place in each run of k, the same pieces in every stream) and the rest estimated
//   from the ratio of the sampled pieces of the same kind (float32 or not); the report marks such a
//   figure `estimated: true`. The input's figure alone is sampled from 16 MiB on (1 piece in 4 or
//   fewer), and kept as an estimate only when the sample says it is within about 0.2% (SAMPLE_RULE,
//   measured on 41 real models by bench/size-estimate.mjs).
import { gzipSync } from 'fflate';
import { encode, type TensorEntry } from '../format/index.js';
import type { QuantizeDtype, SizeReport } from './types.js';

/** The gzip level of every size figure: zlib's default (Apache mod_deflate's default too). */
export const GZIP_LEVEL = 6;
/** Largest piece compressed as one gzip member. */
export const PIECE_BYTES = 1 << 20;
/**
 * When gzip sizes are estimated from a sample of the pieces: beyond `above` weight bytes, one piece
 * in `stride` is compressed, `stride` being large enough that about `bytes` are compressed in all.
 * The input's figure may be sampled from a lower size on (`inputAbove`, one piece in at least
 * `inputMinStride`): a model's input is dense and its pieces compress alike, whereas the output's
 * pieces differ as much as the tensors' sparsities (bench/size-estimate.mjs measured both).
 */
export interface SampleRule {
  above: number;
  bytes: number;
  /** Default `above`. */
  inputAbove?: number;
  /** Default 1. */
  inputMinStride?: number;
}
export const SAMPLE_ABOVE = 256 * 1024 * 1024;
export const SAMPLE_BYTES = 32 * 1024 * 1024;
/** The input's figure of a model beyond 16 MiB is estimated from one piece in 4 or fewer (worst error 0.2% on human-models' 41 models beyond 8 MiB: bench/README.md). */
export const SAMPLE_RULE: SampleRule = { above: SAMPLE_ABOVE, bytes: SAMPLE_BYTES, inputAbove: 16 * 1024 * 1024, inputMinStride: 4 };

/** One piece in how many is compressed, for the input's figure and for the output's (1: every one, exact figures). */
export function sampleStrides(totalBytes: number, rule: SampleRule = SAMPLE_RULE): { input: number; output: number } {
  const byBytes = Math.max(1, Math.ceil(totalBytes / rule.bytes));
  const output = totalBytes > rule.above ? byBytes : 1;
  const input = totalBytes > (rule.inputAbove ?? rule.above) ? Math.max(rule.inputMinStride ?? 1, byBytes) : 1;
  return { input: Math.max(input, output), output };
}

/** One piece at a seeded random place in each run of `stride` (xorshift32: the same pieces for every figure and every run). */
function samplePlaces(n: number, stride: number): number[] {
  const out: number[] = [];
  let seed = 0x9e3779b9;
  for (let b = 0; b < n; b += stride) {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    out.push(stride === 1 ? b : b + ((seed >>> 0) % Math.min(stride, n - b)));
  }
  return out;
}

/**
 * The input's figure of a model under SAMPLE_ABOVE stays an estimate only when its standard error
 * is at most this (relative); else every piece is compressed.
 */
const MAX_INPUT_ERROR = 0.002;
/** Bytes handed to the compressor at a time (bounds memory when pieces are read from disk). */
const BATCH_BYTES = 16 * 1024 * 1024;

/** Gzip sizes (level GZIP_LEVEL, each piece a member of its own) of pieces of bytes, in order. */
export type GzipSizes = (pieces: Uint8Array[]) => Promise<number[]>;

/** The portable compressor: fflate, in the calling thread. */
export const fflateGzipSizes: GzipSizes = async (pieces) => pieces.map((p) => gzipSync(p, { level: GZIP_LEVEL, mtime: 0 }).length);

/** Tensors [first, last) whole (start 0), or the slice [start, start + length) of tensor `first` alone. */
export interface Piece {
  first: number;
  last: number;
  start: number;
  length: number;
  /** Float32 tensors (the kind the uint8 estimate re-encodes, and the ratio class of the estimate). */
  f32: boolean;
}

/** Cuts tensors of these byte lengths into pieces: runs of one kind up to PIECE_BYTES, larger tensors sliced. */
export function planPieces(lengths: readonly number[], isF32: (i: number) => boolean): Piece[] {
  const out: Piece[] = [];
  let run: Piece | null = null;
  for (let i = 0; i < lengths.length; i++) {
    const len = lengths[i];
    const f32 = isF32(i);
    if (run !== null && (run.f32 !== f32 || run.length + len > PIECE_BYTES)) {
      out.push(run);
      run = null;
    }
    if (len > PIECE_BYTES) {
      for (let s = 0; s < len; s += PIECE_BYTES) out.push({ first: i, last: i + 1, start: s, length: Math.min(PIECE_BYTES, len - s), f32 });
      continue;
    }
    if (run === null) run = { first: i, last: i + 1, start: 0, length: len, f32 };
    else {
      run.last = i + 1;
      run.length += len;
    }
  }
  if (run !== null) out.push(run);
  return out;
}

/**
 * Measures streams of pieces laid out by one plan, remembering each piece's size by a key so
 * that the same bytes are never compressed twice.
 */
export class SizeMeter {
  private readonly memo = new Map<string, number>();
  /** One piece in every `stride` is compressed for the output's figures (1: all, exact figures). */
  readonly stride: number;
  /** The pieces compressed: one at a seeded random place in each run of `stride` (not every k-th, which could alias with a periodic layout: always the first slice of a kernel, say). */
  readonly sampled: number[];
  /** Likewise for the input's figure (`measure(…, { input: true })`). */
  readonly inputStride: number;
  readonly inputSampled: number[];

  constructor(
    private readonly gzipSizes: GzipSizes,
    readonly pieces: readonly Piece[],
    totalBytes: number,
    sample: SampleRule = SAMPLE_RULE,
  ) {
    const strides = sampleStrides(totalBytes, sample);
    this.stride = strides.output;
    this.sampled = samplePlaces(pieces.length, this.stride);
    this.inputStride = strides.input;
    this.inputSampled = strides.input === strides.output ? this.sampled : samplePlaces(pieces.length, strides.input);
  }

  /**
   * One stream's size: piece i has `lengthOf(i)` bytes (default the plan's), its size is known by
   * `keyOf(i)` (equal keys: equal bytes), and `read(i)` gives its bytes when not known yet. The
   * input's stream (`input`) may be sampled more sparsely than the output's.
   */
  async measure(keyOf: (i: number) => string, read: (i: number) => Uint8Array | Promise<Uint8Array>, lengthOf = (i: number) => this.pieces[i].length, input = false): Promise<SizeReport> {
    const n = this.pieces.length;
    let list = input ? this.inputSampled : this.sampled;
    let keys = await this.compress(list, keyOf, read);
    let raw = 0;
    for (let i = 0; i < n; i++) raw += lengthOf(i);
    if (list.length < n) {
      const est = this.estimate(list, keys, lengthOf);
      // The input's extra sampling (a model under the output's threshold) must be sure of itself:
      // a sample whose pieces compress unlike each other (an input already sparse in places)
      // compresses the rest of the pieces instead.
      const sure = !input || this.stride > 1 || est.relError <= MAX_INPUT_ERROR;
      if (sure) return { raw, gzip: Math.round(est.gzip), estimated: true };
      list = Array.from({ length: n }, (_, i) => i);
      keys = await this.compress(list, keyOf, read);
    }
    return { raw, gzip: keys.reduce((s, k) => s + (this.memo.get(k) as number), 0) };
  }

  /** Compresses the pieces of `list` not measured yet; their keys, in order. */
  private async compress(list: readonly number[], keyOf: (i: number) => string, read: (i: number) => Uint8Array | Promise<Uint8Array>): Promise<string[]> {
    const keys: string[] = [];
    // Pieces are read one at a time (a reader may hold one tensor) and compressed a batch at a
    // time, the next batch being read while the previous one compresses.
    let batch: { key: string; bytes: Uint8Array }[] = [];
    let batchBytes = 0;
    let pending: Promise<void> = Promise.resolve();
    const flush = async () => {
      const b = batch;
      batch = [];
      batchBytes = 0;
      await pending;
      pending = this.gzipSizes(b.map((x) => x.bytes)).then((sizes) => b.forEach((x, j) => this.memo.set(x.key, sizes[j])));
    };
    const queued = new Set<string>();
    for (const i of list) {
      const key = keyOf(i);
      keys.push(key);
      if (this.memo.has(key) || queued.has(key)) continue;
      queued.add(key);
      const bytes = await read(i);
      batch.push({ key, bytes });
      batchBytes += bytes.length;
      if (batchBytes >= BATCH_BYTES) await flush();
    }
    if (batch.length > 0) await flush();
    await pending;
    return keys;
  }

  /**
   * Per kind, the sampled pieces' gzip/raw ratio times the kind's bytes; with the estimate's
   * relative standard error (a ratio estimator's: from the pieces' scatter around their kind's ratio).
   */
  private estimate(list: readonly number[], keys: string[], lengthOf: (i: number) => number): { gzip: number; relError: number } {
    const n = this.pieces.length;
    const sampled = [0, 0];
    const sampledGz = [0, 0];
    const total = [0, 0];
    for (let i = 0; i < n; i++) total[this.pieces[i].f32 ? 1 : 0] += lengthOf(i);
    keys.forEach((k, j) => {
      const i = list[j];
      const c = this.pieces[i].f32 ? 1 : 0;
      sampled[c] += lengthOf(i);
      sampledGz[c] += this.memo.get(k) as number;
    });
    const overall = (sampledGz[0] + sampledGz[1]) / Math.max(1, sampled[0] + sampled[1]);
    const ratio = [0, 1].map((c) => (sampled[c] > 0 ? sampledGz[c] / sampled[c] : overall));
    let gzip = 0;
    for (const c of [0, 1]) gzip += total[c] * ratio[c];
    const m = list.length;
    if (m < 2 || gzip <= 0) return { gzip, relError: Infinity };
    let ss = 0;
    keys.forEach((k, j) => {
      const i = list[j];
      const e = (this.memo.get(k) as number) - ratio[this.pieces[i].f32 ? 1 : 0] * lengthOf(i);
      ss += e * e;
    });
    // Var(total) ≈ N² (1 - m/N) s² / m, s² the residuals' variance.
    const variance = ((n * n * (1 - m / n)) / m) * (ss / (m - 1));
    return { gzip, relError: Math.sqrt(variance) / gzip };
  }
}

const isF32 = (e: TensorEntry) => e.dtype === 'float32' && e.quant === null;

/** The meter of a model's weights laid out by `entries`, or null without a compressor. */
export function sizeMeter(gzipSizes: GzipSizes | null, entries: readonly TensorEntry[], totalBytes: number): SizeMeter | null {
  return gzipSizes === null ? null : new SizeMeter(gzipSizes, planPieces(entries.map((e) => e.byteLength), (i) => isF32(entries[i])), totalBytes);
}

/** Reads [off, off + len) of a model's weight bytes. */
export type ReadBytes = (off: number, len: number) => Uint8Array | Promise<Uint8Array>;

/** The input's size (before anything changes it). */
export async function inputSize(meter: SizeMeter | null, entries: readonly TensorEntry[], totalBytes: number, read: ReadBytes): Promise<SizeReport> {
  if (meter === null) return { raw: totalBytes, gzip: null };
  return meter.measure((i) => `in:${i}`, (i) => read(entries[meter.pieces[i].first].byteOffset + meter.pieces[i].start, meter.pieces[i].length), undefined, true);
}

/**
 * Sizes of the output (laid out by `out`) and of its uint8 estimate. With the input's layout
 * (no quantize on export), pieces no pruning touched (`pruned(t)` false for all their tensors)
 * keep the input's size, and the estimate's pieces of tensors it leaves alone (not float32) keep
 * the output's; `values(t)` gives a float32 tensor of the output to encode.
 */
export async function outputSizes(
  meter: SizeMeter | null,
  gzipSizes: GzipSizes | null,
  out: readonly TensorEntry[],
  totalBytes: number,
  pruned: (t: number) => boolean,
  exportQ: QuantizeDtype | null,
  read: ReadBytes,
  values: (t: number) => Float32Array | Promise<Float32Array>,
): Promise<{ after: SizeReport; quantized: SizeReport & { dtype: QuantizeDtype } }> {
  const pieceOf = (m: SizeMeter, i: number) => read(out[m.pieces[i].first].byteOffset + m.pieces[i].start, m.pieces[i].length);
  if (exportQ !== null) {
    // Another layout: nothing to share with the input's pieces.
    const m = gzipSizes === null ? null : new SizeMeter(gzipSizes, planPieces(out.map((e) => e.byteLength), () => false), totalBytes);
    const after = m === null ? { raw: totalBytes, gzip: null } : await m.measure((i) => `x:${i}`, (i) => pieceOf(m, i));
    return { after, quantized: { dtype: exportQ, ...after } };
  }
  let qRaw = 0;
  for (const e of out) qRaw += isF32(e) ? e.size : e.byteLength;
  if (meter === null) return { after: { raw: totalBytes, gzip: null }, quantized: { dtype: 'uint8', raw: qRaw, gzip: null } };
  const pieces = meter.pieces;
  const afterKey = (i: number) => {
    for (let t = pieces[i].first; t < pieces[i].last; t++) if (pruned(t)) return `out:${i}`;
    return `in:${i}`;
  };
  const after = await meter.measure(afterKey, (i) => pieceOf(meter, i));
  // The uint8 estimate: a float32 tensor's grid spans its whole range, so each tensor is read
  // once (the slices of a large tensor, measured in order, share it) and a slice is encoded alone
  // with the tensor's range: its codes are those of the whole tensor's encoding.
  let held: { t: number; values: Float32Array; lo: number; hi: number } | null = null;
  const tensor = async (t: number) => {
    if (held === null || held.t !== t) {
      const v = await values(t);
      let lo = Infinity;
      let hi = -Infinity;
      for (let j = 0; j < v.length; j++) {
        if (v[j] < lo) lo = v[j];
        if (v[j] > hi) hi = v[j];
      }
      held = { t, values: v, lo, hi };
    }
    return held;
  };
  const qBytes = async (i: number): Promise<Uint8Array> => {
    const p = pieces[i];
    if (!p.f32) return pieceOf(meter, i);
    if (p.last === p.first + 1) {
      const h = await tensor(p.first);
      const n = p.length / 4;
      if (n === h.values.length || !(h.lo <= h.hi)) return encode(h.values, 'uint8').bytes.subarray(p.start / 4, p.start / 4 + n);
      // The slice and the tensor's extremes: the same range, so the same grid.
      const part = new Float32Array(n + 2);
      part.set(h.values.subarray(p.start / 4, p.start / 4 + n));
      part[n] = h.lo;
      part[n + 1] = h.hi;
      return encode(part, 'uint8').bytes.subarray(0, n);
    }
    const all = new Uint8Array(p.length / 4);
    let off = 0;
    for (let t = p.first; t < p.last; t++) {
      const b = encode((await tensor(t)).values, 'uint8').bytes;
      all.set(b, off);
      off += b.length;
    }
    return all;
  };
  const q = await meter.measure((i) => (pieces[i].f32 ? `q:${i}` : afterKey(i)), qBytes, (i) => (pieces[i].f32 ? pieces[i].length / 4 : pieces[i].length));
  return { after, quantized: { dtype: 'uint8', ...q } };
}
