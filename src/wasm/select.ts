// The exact k-th smallest magnitude, shared by the core runtime (weights streamed through its own
// memory) and the tensor kernels on foreign memory (tfjs-backend-wasm's). Two strategies, both
// exact; the answer never depends on which one ran:
//
// - Bracketed (n >= 2^17): a sample of n/64 magnitudes (at most 16384), in 64 evenly spaced runs,
//   puts a bracket [lo, hi] around the k-th. One vectorised pass (`countBracket`) counts |w| < lo and NaN
//   and copies the few magnitudes inside the bracket; the k-th is then selected among those. If
//   the sample misled (the k-th is outside the bracket, or too many fell inside), the radix path
//   runs instead.
// - Radix: a histogram of the top 11 of the 31 magnitude bits over everything, then the bucket
//   holding the k-th is gathered (when it fits) or histogrammed in place, for bits 19..9 and 8..0.
//
// Scratch comes from the caller's allocator and is given back before returning.

import type { LinearMemory } from './purejs.js';

/** Bit pattern of the k-th smallest magnitude, and how many weights equal to it to prune. */
export interface Selection {
  bits: number;
  need: number;
}

export interface SelectExports {
  histogramAll(ptr: number, n: number, histPtr: number): number;
  histogramPrefix(ptr: number, n: number, histPtr: number, shift: number, prefixShift: number, prefix: number): void;
  gatherPrefix(ptr: number, n: number, prefixShift: number, prefix: number, outPtr: number, count: number, cap: number): number;
  countBracket(ptr: number, n: number, lo: number, hi: number, outPtr: number, count: number, cap: number, resPtr: number): number;
}

export interface SelectMemory {
  readonly memory: LinearMemory;
  malloc(bytes: number): number;
  free(ptr: number): void;
}

export interface SelectSource {
  readonly n: number;
  /** The weights' bit patterns, wherever they live (read for the sample only). */
  readonly bits: Uint32Array;
  /** Visits the weights in order, each piece at a pointer into the memory. */
  each(fn: (ptr: number, len: number) => void): void;
}

export const ABS = 0x7fffffff;
export const INF = 0x7f800000;
export const HIST_WORDS = 4 * 2048;
export const SAMPLE_FROM = 1 << 17;
export const RUNS = 64;
export const RUN = 256;
export const MAX_GATHER = 1 << 22; // 16 MiB of scratch at most, whatever n is
export const RES_BYTES = 16 + 256;

// countBracket's shuffles: for each 4-bit lane mask, byte indices that move the chosen i32 lanes
// to the front (0x80 zeroes a byte).
export const COMPACT_TABLE = new Uint8Array(256).fill(0x80);
for (let m = 0; m < 16; m++) {
  let o = 0;
  for (let lane = 0; lane < 4; lane++) {
    if ((m >> lane) & 1) {
      for (let b = 0; b < 4; b++) COMPACT_TABLE[m * 16 + o * 4 + b] = lane * 4 + b;
      o++;
    }
  }
}

/** k in [1, n]. null when the weights hold NaN. */
export function selectKth(ex: SelectExports, mem: SelectMemory, src: SelectSource, k: number): Selection | null {
  if (src.n >= SAMPLE_FROM) {
    const r = bracketed(ex, mem, src, k);
    if (r !== undefined) return r;
  }
  return radix(ex, mem, src, k);
}

/**
 * The sample and bracket of a bracketed select: `runs` runs of `run` (64 of 256 at most: a sample
 * of n/64 up to 16384), the 1-based sample ranks that bound the k-th (four standard deviations
 * either side), and room to gather 1.5 times what should fall between them.
 */
export function bracketPlan(n: number, k: number, runs = RUNS, maxRun = RUN): { run: number; s: number; loRank: number; hiRank: number; cap: number } {
  const run = Math.min(maxRun, Math.floor(n / (64 * runs)));
  const s = runs * run;
  const p = k / n;
  const margin = Math.ceil(4 * Math.sqrt(s * p * (1 - p))) + 16;
  const loRank = Math.floor(p * s) - margin;
  const hiRank = Math.ceil(p * s) + margin;
  const expected = (n * (Math.min(hiRank, s) - Math.max(loRank, 1) + 1)) / s;
  const cap = Math.min(MAX_GATHER, n, Math.ceil(expected * 1.5) + 4096);
  return { run, s, loRank, hiRank, cap };
}

function bracketed(ex: SelectExports, mem: SelectMemory, src: SelectSource, k: number): Selection | null | undefined {
  const n = src.n;
  const { run, s, loRank, hiRank, cap } = bracketPlan(n, k);
  const scratch = mem.malloc(HIST_WORDS * 4 + RES_BYTES + Math.max(cap + 4, s) * 4);
  try {
    const res = scratch + HIST_WORDS * 4;
    const gather = res + RES_BYTES;
    // The sample's magnitudes, selected on in Wasm (the gather area is free until the pass).
    const sample = new Uint32Array(mem.memory.buffer, gather, s);
    const bits = src.bits; // after malloc, which may have grown (and detached) the memory
    for (let r = 0; r < RUNS; r++) {
      const start = Math.floor((r * (n - run)) / (RUNS - 1));
      for (let j = 0; j < run; j++) sample[r * run + j] = bits[start + j] & ABS;
    }
    const lo = loRank < 1 ? 0 : finish(ex, mem, scratch, gather, s, loRank).bits;
    const hi = hiRank > s ? INF : finish(ex, mem, scratch, gather, s, hiRank).bits;
    if (hi > INF) return radix(ex, mem, src, k); // NaN in the sample: the radix pass counts them
    new Uint32Array(mem.memory.buffer, res, 2).fill(0);
    new Uint8Array(mem.memory.buffer, res + 16, 256).set(COMPACT_TABLE);
    let count = 0;
    src.each((ptr, len) => (count = ex.countBracket(ptr, len, lo, hi, gather, count, cap, res) >>> 0));
    const [below, nans] = new Uint32Array(mem.memory.buffer, res, 2);
    if (nans > 0) return null;
    if (count > cap || k <= below || k > below + count) return undefined;
    return finish(ex, mem, scratch, gather, count, k - below);
  } finally {
    mem.free(scratch);
  }
}

export function radix(ex: SelectExports, mem: SelectMemory, src: SelectSource, k: number): Selection | null {
  const n = src.n;
  const cap = Math.min(n, MAX_GATHER, Math.max(1 << 16, n >>> 3));
  const scratch = mem.malloc(HIST_WORDS * 4 + cap * 4);
  try {
    const hist = scratch;
    const gather = scratch + HIST_WORDS * 4;
    zero(mem, hist);
    let nans = 0;
    src.each((ptr, len) => (nans += ex.histogramAll(ptr, len, hist) >>> 0));
    if (nans > 0) return null;
    const p1 = pick(mem, hist, k);
    const b1 = p1.bin;
    if (p1.binCount <= cap) {
      // The bucket fits the gather area: the later passes read only its magnitudes.
      let count = 0;
      src.each((ptr, len) => (count = ex.gatherPrefix(ptr, len, 20, b1, gather, count, cap) >>> 0));
      return finishFrom(ex, mem, hist, gather, count, b1, p1.rank);
    }
    zero(mem, hist);
    src.each((ptr, len) => ex.histogramPrefix(ptr, len, hist, 9, 20, b1));
    const p2 = pick(mem, hist, p1.rank);
    zero(mem, hist);
    src.each((ptr, len) => ex.histogramPrefix(ptr, len, hist, 0, 9, b1 * 2048 + p2.bin));
    const p3 = pick(mem, hist, p2.rank);
    return compose(b1, p2.bin, p3);
  } finally {
    mem.free(scratch);
  }
}

// The rank-th smallest of `count` magnitudes gathered at `data` (contiguous, in this memory).
export function finish(ex: SelectExports, mem: SelectMemory, hist: number, data: number, count: number, rank: number): Selection {
  zero(mem, hist);
  ex.histogramAll(data, count, hist);
  const p1 = pick(mem, hist, rank);
  return finishFrom(ex, mem, hist, data, count, p1.bin, p1.rank);
}

function finishFrom(ex: SelectExports, mem: SelectMemory, hist: number, data: number, count: number, b1: number, rank: number): Selection {
  zero(mem, hist);
  ex.histogramPrefix(data, count, hist, 9, 20, b1);
  const p2 = pick(mem, hist, rank);
  zero(mem, hist);
  ex.histogramPrefix(data, count, hist, 0, 9, b1 * 2048 + p2.bin);
  return compose(b1, p2.bin, pick(mem, hist, p2.rank));
}

// Pass 3 bins are the low 11 bits, of which only the low 9 are not already fixed by the prefix.
function compose(b1: number, b2: number, p3: { bin: number; rank: number }): Selection {
  return { bits: b1 * 2 ** 20 + b2 * 2 ** 9 + (p3.bin & 511), need: p3.rank };
}

function zero(mem: SelectMemory, hist: number): void {
  new Uint32Array(mem.memory.buffer, hist, HIST_WORDS).fill(0);
}

// Sums the four histogram copies and finds the bin holding the rank-th smallest (1-based).
function pick(mem: SelectMemory, hist: number, rank: number): { bin: number; rank: number; binCount: number } {
  const h = new Uint32Array(mem.memory.buffer, hist, HIST_WORDS);
  for (let b = 0; b < 2048; b++) {
    const c = h[b] + h[2048 + b] + h[4096 + b] + h[6144 + b];
    if (rank <= c) return { bin: b, rank, binCount: c };
    rank -= c;
  }
  throw new Error('tfjs-prune internal error: rank beyond histogram');
}
