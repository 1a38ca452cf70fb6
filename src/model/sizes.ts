// The report's gzip sizes (docs/model.md, "Sizes"), made cheap:
// - the weight bytes are cut into pieces of at most 1 MiB along tensor boundaries (small tensors of
//   one kind grouped, large ones sliced), each compressed as a gzip member of its own at level 6
//   (zlib's default, which Apache's mod_deflate uses) and the sizes summed — what a web server
//   sends for shards compressed one by one, within a few bytes per MiB of one stream;
// - a piece is never compressed twice: the output's pieces that no pruning touched, and the uint8
//   estimate's pieces of tensors it leaves as they are, take the size already measured;
// - the compressor is injected (`GzipSizes`): Node's native zlib on its thread pool from
//   tfjs-prune/node; fflate here, where no native one exists (this file imports no Node built-in);
// - beyond SAMPLE_ABOVE bytes (the input's figure: beyond 16 MiB), a figure is estimated from a
//   sample of pieces taken in rounds (one more piece at a seeded random place in each of 8 runs per
//   round) until the ratio estimator's standard error is within 0.2%, or 32 MiB are sampled, or
//   every piece is in (exact); the report marks an estimate `estimated: true` (SAMPLE_RULE; the
//   evidence is bench/size-estimate.mjs on 41 real models, bench/README.md);
// - a prune pass that writes the output (pruneDirectory) measures the output's pieces as it
//   writes them (PieceCutter, PassSizes, at the end of this file): nothing is read back.
import { gzipSync } from 'fflate';
import { encode, type TensorEntry } from '../format/index.js';
import type { QuantizeDtype, SizeReport } from './types.js';

/** The gzip level of every size figure: zlib's default (Apache mod_deflate's default too). */
export const GZIP_LEVEL = 6;
/** Largest piece compressed as one gzip member. */
export const PIECE_BYTES = 1 << 20;
/**
 * When gzip sizes are estimated from a sample of the pieces, and how large the sample grows. The
 * output's and the uint8 estimate's figures are sampled beyond `above` weight bytes, the input's
 * beyond `inputAbove`: a model's input is dense and its pieces compress alike, whereas the
 * output's pieces differ as much as the tensors' sparsities (bench/size-estimate.mjs measured
 * both). A sampled figure is measured in rounds: the pieces are cut into runs of `stride` (about
 * `round` runs; `inputMinStride` at least for the input), and each round compresses one more piece
 * at a seeded random place in every run. It stops once the ratio estimator's relative standard
 * error is at most `guard`, or once `budget` weight bytes have been sampled for it (the estimate is
 * then kept as it is), or when every piece is measured (the figure is then exact).
 */
export interface SampleRule {
  above: number;
  /** Default `above`. */
  inputAbove?: number;
  /** Runs (so pieces in the first round) a figure's pieces are cut into. */
  round: number;
  /** Default 1. */
  inputMinStride?: number;
  guard: number;
  budget: number;
  /** Forces this stride on every sampled figure (bench/size-estimate.mjs). */
  stride?: number;
}
export const SAMPLE_ABOVE = 256 * 1024 * 1024;
/** At most this many weight bytes are sampled per figure (issue 17: was the fixed sample of every figure). */
export const SAMPLE_BYTES = 32 * 1024 * 1024;
/**
 * The input's figure of a model beyond 16 MiB is estimated from one piece in 4 or fewer (worst error
 * 0.2% on human-models' 41 models beyond 8 MiB: bench/README.md); rounds of 8 pieces, until the
 * estimate's standard error is at most 0.2% (or 32 MiB sampled, or every piece measured).
 */
export const SAMPLE_RULE: SampleRule = { above: SAMPLE_ABOVE, inputAbove: 16 * 1024 * 1024, round: 8, inputMinStride: 4, guard: 0.002, budget: SAMPLE_BYTES };

/** The run length of the input's figure and of the output's (1: every piece, exact figures) for a model of `pieces` pieces. */
export function sampleStrides(totalBytes: number, pieces: number, rule: SampleRule = SAMPLE_RULE): { input: number; output: number } {
  const byRound = rule.stride ?? Math.max(1, Math.ceil(pieces / rule.round));
  const output = totalBytes > rule.above ? byRound : 1;
  const input = totalBytes > (rule.inputAbove ?? rule.above) ? Math.max(rule.inputMinStride ?? 1, byRound) : 1;
  return { input: Math.min(pieces, Math.max(input, output)) || 1, output: Math.min(pieces, output) || 1 };
}

/**
 * The places of each round: for each run of `stride` pieces, its places in a seeded random order
 * (xorshift32: the same pieces for every figure and every run); round k takes the k-th of each run.
 * Not every k-th piece, which could alias with a periodic layout (always the first slice of a kernel).
 */
class Rounds {
  private readonly order: number[] = [];
  constructor(
    private readonly n: number,
    readonly stride: number,
  ) {
    let seed = 0x9e3779b9;
    const next = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return seed >>> 0;
    };
    for (let b = 0; b < n; b += stride) {
      const len = Math.min(stride, n - b);
      const run = Array.from({ length: len }, (_, j) => b + j);
      // Fisher–Yates; the first draw of each run is the one place a single-round sample takes.
      for (let j = 0; j < len - 1; j++) {
        const r = j + (next() % (len - j));
        [run[j], run[r]] = [run[r], run[j]];
      }
      this.order.push(...run);
    }
  }

  /** Round k's pieces (k < stride). */
  round(k: number): number[] {
    const out: number[] = [];
    for (let b = 0; b < this.n; b += this.stride) if (k < Math.min(this.stride, this.n - b)) out.push(this.order[b + k]);
    return out;
  }
}

/**
 * Rounds of the output's sample that a prune pass measures as it writes: a pruned output's pieces
 * scatter more than an input's (the synthetic 2 GB model needs two rounds), and a piece measured
 * in the pass costs no read and no wait.
 */
const PASS_ROUNDS = 2;
/** The standard error of fewer pieces is not trusted (two pieces alike by chance stopped the rounds 1% off: bench/size-estimate.mjs). */
const MIN_SAMPLE = 4;
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
  /** Runs of `stride` pieces for the output's figures (1: every piece, exact figures). */
  readonly stride: number;
  /** The first round's pieces of the output's figures (what a prune pass measures as it writes: PassSizes). */
  readonly sampled: number[];
  /** The pieces a prune pass measures as it writes (PassSizes): the output's first PASS_ROUNDS rounds. */
  readonly passSampled: number[];
  /** Likewise for the input's figure (`measure(…, { input: true })`). */
  readonly inputStride: number;
  readonly inputSampled: number[];
  private readonly rounds: Rounds;
  private readonly inputRounds: Rounds;
  private readonly guard: number;
  private readonly budget: number;

  constructor(
    private readonly gzipSizes: GzipSizes,
    readonly pieces: readonly Piece[],
    totalBytes: number,
    sample: SampleRule = SAMPLE_RULE,
  ) {
    const strides = sampleStrides(totalBytes, pieces.length, sample);
    this.stride = strides.output;
    this.rounds = new Rounds(pieces.length, this.stride);
    this.sampled = this.rounds.round(0);
    this.passSampled = Array.from({ length: Math.min(PASS_ROUNDS, this.stride) }, (_, k) => this.rounds.round(k)).flat();
    this.inputStride = strides.input;
    this.inputRounds = strides.input === strides.output ? this.rounds : new Rounds(pieces.length, strides.input);
    this.inputSampled = this.inputRounds.round(0);
    this.guard = sample.guard;
    this.budget = sample.budget;
  }

  /** Records a piece's size measured elsewhere (a prune pass: PassSizes). */
  note(key: string, size: number): void {
    this.memo.set(key, size);
  }

  /** Whether a piece's size is known. */
  has(key: string): boolean {
    return this.memo.has(key);
  }

  /**
   * One stream's size: piece i has `lengthOf(i)` bytes (default the plan's), its size is known by
   * `keyOf(i)` (equal keys: equal bytes), and `read(i)` gives its bytes when not known yet. The
   * input's stream (`input`) may be sampled more sparsely than the output's. A sampled stream is
   * measured in rounds (SampleRule).
   */
  async measure(
    keyOf: (i: number) => string,
    read: (i: number) => Uint8Array | Promise<Uint8Array>,
    lengthOf = (i: number) => this.pieces[i].length,
    input = false,
    classOf: (i: number) => number = (i) => (this.pieces[i].f32 ? 1 : 0),
  ): Promise<SizeReport> {
    const n = this.pieces.length;
    let raw = 0;
    for (let i = 0; i < n; i++) raw += lengthOf(i);
    const rounds = input ? this.inputRounds : this.rounds;
    const list: number[] = [];
    let spent = 0;
    const take = (k: number) => {
      const add = rounds.round(k);
      list.push(...add);
      for (const i of add) spent += this.pieces[i].length;
    };
    for (let k = 0; k < rounds.stride; k++) {
      take(k);
      const keys = await this.compress(list, keyOf, read);
      // Rounds already measured (by a prune pass: PassSizes) are taken too: they cost nothing.
      while (k + 1 < rounds.stride && rounds.round(k + 1).every((i) => this.memo.has(keyOf(i)))) {
        take(++k);
        keys.push(...rounds.round(k).map(keyOf));
      }
      if (list.length === n) return { raw, gzip: keys.reduce((s, key) => s + (this.memo.get(key) as number), 0) };
      const est = this.estimate(list, keys, lengthOf, classOf);
      if ((est.relError <= this.guard && list.length >= MIN_SAMPLE) || spent >= this.budget) return { raw, gzip: Math.round(est.gzip), estimated: true };
    }
    throw new Error('tfjs-prune internal error: the rounds of a sample ended before every piece was measured');
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
  private estimate(list: readonly number[], keys: string[], lengthOf: (i: number) => number, classOf: (i: number) => number): { gzip: number; relError: number } {
    const n = this.pieces.length;
    // Per class: bytes in all, bytes sampled and their gzip size.
    const total = new Map<number, number>();
    const sampled = new Map<number, { raw: number; gz: number }>();
    for (let i = 0; i < n; i++) total.set(classOf(i), (total.get(classOf(i)) ?? 0) + lengthOf(i));
    let allRaw = 0;
    let allGz = 0;
    keys.forEach((k, j) => {
      const i = list[j];
      const s = sampled.get(classOf(i)) ?? { raw: 0, gz: 0 };
      s.raw += lengthOf(i);
      s.gz += this.memo.get(k) as number;
      sampled.set(classOf(i), s);
      allRaw += lengthOf(i);
      allGz += this.memo.get(k) as number;
    });
    const overall = allGz / Math.max(1, allRaw);
    const ratio = (c: number) => {
      const s = sampled.get(c);
      return s !== undefined && s.raw > 0 ? s.gz / s.raw : overall;
    };
    let gzip = 0;
    for (const [c, bytes] of total) gzip += bytes * ratio(c);
    const m = list.length;
    if (m < 2 || gzip <= 0) return { gzip, relError: Infinity };
    let ss = 0;
    keys.forEach((k, j) => {
      const i = list[j];
      const e = (this.memo.get(k) as number) - ratio(classOf(i)) * lengthOf(i);
      ss += e * e;
    });
    // Var(total) ≈ N² (1 - m/N) s² / m, s² the residuals' variance.
    const variance = ((n * n * (1 - m / n)) / m) * (ss / (m - 1));
    return { gzip, relError: Math.sqrt(variance) / gzip };
  }
}

/** A float32 tensor's extremes. */
interface Range {
  lo: number;
  hi: number;
}

function rangeOf(v: Float32Array): Range {
  let lo = Infinity;
  let hi = -Infinity;
  for (let j = 0; j < v.length; j++) {
    if (v[j] < lo) lo = v[j];
    if (v[j] > hi) hi = v[j];
  }
  return { lo, hi };
}

/**
 * The uint8 codes of elements [from, from + n) of a float32 tensor (extremes `range`) on the
 * tensor's grid: a slice is encoded with the tensor's extremes appended (the same range, so the
 * same grid), so its codes are those of the whole tensor's encoding.
 */
export function gridCodes(values: Float32Array, range: Range, from: number, n: number): Uint8Array {
  if (n === values.length || !(range.lo <= range.hi)) return encode(values, 'uint8').bytes.subarray(from, from + n);
  const part = new Float32Array(n + 2);
  part.set(values.subarray(from, from + n));
  part[n] = range.lo;
  part[n + 1] = range.hi;
  return encode(part, 'uint8').bytes.subarray(0, n);
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
  // Estimated per kind and per touched or not: a pruned piece compresses unlike an untouched one
  // (a dense bias between pruned kernels).
  const classes = pieces.map((p, i) => (p.f32 ? 1 : 0) + (afterKey(i).startsWith('out:') ? 2 : 0));
  const classOf = (i: number) => classes[i];
  const after = await meter.measure(afterKey, (i) => pieceOf(meter, i), undefined, false, classOf);
  // The uint8 estimate: a float32 tensor's grid spans its whole range, so each tensor is read
  // once (the slices of a large tensor, measured in order, share it) and its slices coded on it.
  let held: { t: number; values: Float32Array; range: Range } | null = null;
  const tensor = async (t: number) => {
    if (held === null || held.t !== t) {
      const v = await values(t);
      held = { t, values: v, range: rangeOf(v) };
    }
    return held;
  };
  const qBytes = async (i: number): Promise<Uint8Array> => {
    const p = pieces[i];
    if (!p.f32) return pieceOf(meter, i);
    if (p.last === p.first + 1) {
      const h = await tensor(p.first);
      return gridCodes(h.values, h.range, p.start / 4, p.length / 4);
    }
    const all = new Uint8Array(p.length / 4);
    let off = 0;
    for (let t = p.first; t < p.last; t++) {
      const h = await tensor(t);
      const b = gridCodes(h.values, h.range, 0, h.values.length);
      all.set(b, off);
      off += b.length;
    }
    return all;
  };
  const q = await meter.measure((i) => (pieces[i].f32 ? `q:${i}` : afterKey(i)), qBytes, (i) => (pieces[i].f32 ? pieces[i].length / 4 : pieces[i].length), false, classOf);
  return { after, quantized: { dtype: 'uint8', ...q } };
}

// ---- the output's figures measured by a prune pass as it writes (issue 17) ------------------------
// pruneDirectory holds each output tensor (or chunk of one) in memory once, when it writes it: the
// output's and the uint8 estimate's pieces of the first round (SizeMeter.sampled) are taken there
// instead of being read back from the written files. A runner cuts the wanted pieces out of what
// it writes (PieceCutter); a piece whole in one cut is compressed on the spot where a native
// compressor exists there (a worker thread), else its bytes, or the fragments of a piece spread
// over several cuts (a run of small tensors), go to the calling thread, which assembles them and
// compresses them with the meter's compressor while the pass goes on (PassSizes). The figures are
// those of outputSizes on the written files, byte for byte: the same pieces, keys and codes.

/** What a prune pass measures as it writes an output laid out as its input. */
export interface PassPlan {
  pieces: Piece[];
  /** Each tensor's byte length. */
  lengths: number[];
  /** The pieces to measure (the output's first round), in order. */
  wanted: number[];
  /** Per piece: whether its output bytes are measured (it holds a pruned tensor; else the input's figure stands). */
  out: boolean[];
  /** Compress a piece whole in one cut where it is cut (native zlib in a worker thread) rather than hand its bytes back. */
  compressWhereCut: boolean;
}

/** Part of a wanted piece: its output bytes from `at`, its uint8 codes from `at / 4` (false: no codes from this cut, the tensor was not whole in it). */
export interface PieceFragment {
  i: number;
  at: number;
  out: Uint8Array | null;
  q: Uint8Array | null | false;
}

/** What a cut yields: sizes measured on the spot ([key, gzip size]) and fragments to assemble. */
export interface PassPieces {
  sizes: [string, number][];
  frags: PieceFragment[];
}

/** Cuts the wanted pieces out of the bytes a prune pass writes (in the thread that writes them). */
export class PieceCutter {
  /** Per tensor, the wanted pieces over it and where the tensor's bytes start in each (negative: a slice). */
  private readonly over = new Map<number, { i: number; base: number }[]>();

  constructor(
    private readonly plan: PassPlan,
    private readonly gzipSize: ((bytes: Uint8Array) => number) | null,
  ) {
    for (const i of plan.wanted) {
      const p = plan.pieces[i];
      if (!plan.out[i] && !p.f32) continue; // the input's figure stands for it
      let base = -p.start;
      for (let t = p.first; t < p.last; t++) {
        let list = this.over.get(t);
        if (list === undefined) this.over.set(t, (list = []));
        list.push({ i, base });
        base += plan.lengths[t];
      }
    }
  }

  /**
   * Output bytes [from, from + bytes.length) of tensor t, as written; `whole()`: the whole tensor's
   * float32 values when `bytes` are all of a float32 tensor, else null (the uint8 codes need its
   * extremes; asked for only when a wanted piece needs codes).
   */
  cut(t: number, from: number, bytes: Uint8Array, whole: () => Float32Array | null): PassPieces | null {
    const list = this.over.get(t);
    if (list === undefined) return null;
    const got: PassPieces = { sizes: [], frags: [] };
    let range: Range | null = null;
    let known = false;
    let vals: Float32Array | null = null;
    const valuesOf = () => {
      if (!known) {
        vals = whole();
        known = true;
      }
      return vals;
    };
    for (const { i, base } of list) {
      const p = this.plan.pieces[i];
      // The piece holds tensor bytes [lo, hi) at piece offset base + lo.
      const lo = Math.max(0, -base, from);
      const hi = Math.min(this.plan.lengths[t], p.length - base, from + bytes.length);
      if (lo >= hi) continue;
      const at = base + lo;
      const out = this.plan.out[i] ? bytes.subarray(lo - from, hi - from) : null;
      let q: Uint8Array | null | false = null;
      const values = p.f32 ? valuesOf() : null;
      if (p.f32 && values === null) q = false;
      else if (values !== null) q = gridCodes(values, (range ??= rangeOf(values)), lo / 4, (hi - lo) / 4);
      if (at === 0 && hi - lo === p.length && this.gzipSize !== null) {
        if (out !== null) got.sizes.push([`out:${i}`, this.gzipSize(out)]);
        if (q) got.sizes.push([`q:${i}`, this.gzipSize(q)]);
        continue;
      }
      // Copies: the writer reuses its buffer, and a worker transfers these.
      got.frags.push({ i, at, out: out === null ? null : out.slice(), q: q ? q.slice() : q });
    }
    return got.sizes.length + got.frags.length > 0 ? got : null;
  }
}

/** The calling thread's side: records what the cuts measured, assembles and compresses the rest. */
export class PassSizes {
  private readonly parts = new Map<number, { out: Uint8Array | null; outGot: number; q: Uint8Array | null; qGot: number }>();
  private batch: { key: string; bytes: Uint8Array }[] = [];
  private batchBytes = 0;
  private pending: Promise<void> = Promise.resolve();
  /** Sizes the pass measured (on the spot or here): for tests and benches. */
  measured = 0;

  constructor(
    private readonly meter: SizeMeter,
    private readonly gzipSizes: GzipSizes,
    readonly plan: PassPlan,
  ) {}

  /** The plan for a meter's output (`pruned[t]`: tensor t is pruned), or null when the output's layout differs (quantized on export). */
  static plan(meter: SizeMeter, lengths: number[], pruned: readonly boolean[], exportQ: QuantizeDtype | null, compressWhereCut: boolean): PassPlan | null {
    if (exportQ !== null) return null;
    const pieces = meter.pieces.map((p) => ({ ...p }));
    const out = pieces.map((p) => {
      for (let t = p.first; t < p.last; t++) if (pruned[t]) return true;
      return false;
    });
    return { pieces, lengths, wanted: meter.passSampled, out, compressWhereCut };
  }

  receive(got: PassPieces): void {
    for (const [key, size] of got.sizes) {
      this.meter.note(key, size);
      this.measured++;
    }
    for (const f of got.frags) {
      const p = this.plan.pieces[f.i];
      if (f.at === 0 && f.out !== null && f.out.length === p.length && (f.q === null || (f.q !== false && f.q.length === p.length / 4)) && !this.parts.has(f.i)) {
        // A whole piece in one fragment (a cut in this thread): no assembly.
        this.queue(`out:${f.i}`, f.out);
        if (f.q !== null) this.queue(`q:${f.i}`, f.q);
        continue;
      }
      let s = this.parts.get(f.i);
      if (s === undefined) this.parts.set(f.i, (s = { out: this.plan.out[f.i] ? new Uint8Array(p.length) : null, outGot: 0, q: p.f32 ? new Uint8Array(p.length / 4) : null, qGot: 0 }));
      if (f.out !== null && s.out !== null) {
        s.out.set(f.out, f.at);
        s.outGot += f.out.length;
        if (s.outGot === p.length) {
          this.queue(`out:${f.i}`, s.out);
          s.out = null;
        }
      }
      if (f.q === false) s.q = null; // left to outputSizes, which reads the whole tensor
      else if (f.q !== null && s.q !== null) {
        s.q.set(f.q, f.at / 4);
        s.qGot += f.q.length;
        if (s.qGot === p.length / 4) {
          this.queue(`q:${f.i}`, s.q);
          s.q = null;
        }
      }
      if (s.out === null && s.q === null) this.parts.delete(f.i);
    }
  }

  /** Waits for every compression started; a piece never completed (the pass failed, or a piece of empty tensors) is left to outputSizes. */
  async done(): Promise<void> {
    this.flush();
    await this.pending;
  }

  private queue(key: string, bytes: Uint8Array): void {
    this.batch.push({ key, bytes });
    this.batchBytes += bytes.length;
    this.measured++;
    if (this.batchBytes >= PIECE_BYTES * 4) this.flush();
  }

  private flush(): void {
    if (this.batch.length === 0) return;
    const b = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    this.pending = this.pending.then(async () => {
      const sizes = await this.gzipSizes(b.map((x) => x.bytes));
      b.forEach((x, j) => this.meter.note(x.key, sizes[j]));
    });
    this.pending.catch(() => undefined); // done() reports it; unawaited when the pass failed
  }
}

/** How a prune pass hands its pieces over (pruneDirectory's `passSizes`: src/node/dir_sizes.ts). */
export interface PassSink {
  /** The plan for this output (`pruned[t]`: tensor t is pruned), or null: nothing measured during the pass. */
  plan(pruned: readonly boolean[], exportQ: QuantizeDtype | null, workers: boolean): PassPlan | null;
  receive(got: PassPieces): void;
}
