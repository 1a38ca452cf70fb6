// The exact k-th smallest magnitude across several arrays, without concatenating them (the model
// layer's global scope). Kept apart from select.ts so that entries without the model layer (root,
// slim) do not carry it. Same scheme: a sample brackets the k-th, one compaction pass gathers the
// bracket, with a radix fallback. Parts are float32 arrays or quantized codes (CodeSource: the
// codes' own bracket pass compares keys, and gathers the magnitudes of those inside the bracket
// into the same area, so the k-th is selected among both kinds at once).
import type { CodeSource } from './codes.js';
import { ABS, bracketPlan, COMPACT_TABLE, finish, HIST_WORDS, INF, MAX_GATHER, radix, RES_BYTES, SAMPLE_FROM, type SelectExports, type SelectMemory, type SelectSource } from './select.js';

/** A part of a select across arrays: float32 weights, or a quantized tensor's codes. */
export type Part = SelectSource | CodeSource;

const isCoded = (p: Part): p is CodeSource => 'bracket' in p;

/** Where the k-th smallest magnitude of several arrays lies, as each array's share of it. */
export interface PartsSelection {
  bits: number;
  /** Per part: weights with magnitude bits below `bits`, and equal to them. */
  lt: number[];
  eq: number[];
  /** Per part: weights that are ±0 (counted by the same kernel pass, on either path). */
  zeros: number[];
}

/**
 * The k-th smallest magnitude (k in [1, n]) over the concatenation of `parts`, without
 * concatenating them, and per part the counts below and at it (so a caller can hand out ties in
 * part order). `{ nanPart }` names the first part holding NaN.
 *
 * The bracketed path records each part's share during its one pass (below-lo counts from the
 * kernel's running totals, gathered ranges from the running count), so no extra pass is needed;
 * the radix fallback adds one counting pass. Either way each part's zeros are counted in that
 * pass too, so a caller pruning the parts needs no pass of its own for them. Coded parts take the
 * bracketed path at any size (their alternative, decoding, is slow); the radix fallback reads
 * them decoded into the window.
 */
export function selectAcross(ex: SelectExports, mem: SelectMemory, input: readonly Part[], k: number): PartsSelection | { nanPart: number } {
  const n = input.reduce((a, p) => a + p.n, 0);
  if (n >= SAMPLE_FROM || input.some(isCoded)) {
    const r = bracketedAcross(ex, mem, input, n, k);
    if (r !== undefined) return r;
  }
  const parts = input.map((p) => (isCoded(p) ? p.decoded : p));
  const all: SelectSource = {
    n,
    bits: new Uint32Array(0), // unused by the radix path
    each: (fn) => {
      for (const p of parts) p.each(fn);
    },
  };
  const sel = radix(ex, mem, all, k);
  if (sel === null) return { nanPart: nanPartOf(parts) };
  const scratch = mem.malloc(RES_BYTES + 16);
  try {
    const lt: number[] = [];
    const eq: number[] = [];
    const zeros: number[] = [];
    for (const p of parts) {
      // A bracket [bits, bits] with no room to gather: the kernel still counts what falls in it.
      new Uint32Array(mem.memory.buffer, scratch, 3).fill(0);
      new Uint8Array(mem.memory.buffer, scratch + 16, 256).set(COMPACT_TABLE);
      let count = 0;
      p.each((ptr, len) => (count = ex.countBracket(ptr, len, sel.bits, sel.bits, scratch + RES_BYTES, count, 0, scratch) >>> 0));
      const [below, , z] = new Uint32Array(mem.memory.buffer, scratch, 3);
      lt.push(below);
      eq.push(count);
      zeros.push(z);
    }
    return { bits: sel.bits, lt, eq, zeros };
  } finally {
    mem.free(scratch);
  }
}

/**
 * The sample across arrays: 1024 runs of at most 64 (n/64 in all, up to 65536; one array's
 * select reads 64 runs of 256), spread over the whole pool. A pool's tensors differ in scale, and
 * runs far apart see more of them: 64 runs of 256 misled face-api's uint8 model, and 256 runs of
 * 256 blazepose's float16 one (weights next to each other are alike, so a long run counts as
 * fewer samples than its length). A larger sample narrows the bracket: the pass then gathers
 * less (blazepose: 2% of its codes with 16384 samples, 1% with 65536; its pass 7.1 -> 5 ms).
 * Every real model in the tests and benches brackets with the k-th 0.34-0.76 of the way through
 * its bracket. Returns the runs' length and starts (exported for the tests that build samples
 * to mislead).
 */
export function acrossSampleStarts(n: number): { run: number; starts: number[] } {
  const { run } = bracketPlan(n, 1, ACROSS_RUNS, ACROSS_RUN);
  const starts: number[] = [];
  if (run > 0) for (let r = 0; r < ACROSS_RUNS; r++) starts.push(runStart(n, run, r));
  return { run, starts };
}

const runStart = (n: number, run: number, r: number) => Math.floor((r * (n - run)) / (ACROSS_RUNS - 1));

const ACROSS_RUNS = 1024;
const ACROSS_RUN = 64;

/**
 * The bracket a sample of the parts puts around the k-th (see bracketPlan), and room to gather
 * what falls inside it: 1.5 times what the sample says lies there, ties included (quantized
 * weights tie in large groups, 1% of a tensor on one code is common), or everything when there
 * is no sample (n < 4096). undefined: NaN in the sample (the radix path finds its part).
 */
function sampleBracket(ex: SelectExports, mem: SelectMemory, parts: readonly Part[], n: number, k: number): { lo: number; hi: number; cap: number } | undefined {
  const { run, s, loRank, hiRank } = bracketPlan(n, k, ACROSS_RUNS, ACROSS_RUN);
  if (s === 0) return { lo: 0, hi: INF, cap: Math.min(MAX_GATHER, n) };
  // (+4: the code kernel's vector stores may reach 4 elements past the last.)
  const scratch = mem.malloc(HIST_WORDS * 4 + RES_BYTES + (s + 4) * 4);
  try {
    const res = scratch + HIST_WORDS * 4;
    const area = res + RES_BYTES;
    const sample = new Uint32Array(mem.memory.buffer, area, s);
    // Runs at global positions, read across part boundaries, a piece of one part at a time: float
    // bits copied as they are (every kernel that reads the sample clears the sign bit), codes
    // collected per part and decoded by the kernel. (Float bits read after malloc, which may have
    // grown the memory.) The sample's order does not matter.
    const bits = parts.map((q) => (isCoded(q) ? null : q.bits));
    const pieces = new Map<number, number[]>();
    let part = 0;
    let base = 0; // global index of parts[part][0]
    let o = 0;
    for (let r = 0; r < ACROSS_RUNS; r++) {
      const start = runStart(n, run, r);
      const end = start + run;
      for (let i = start; i < end; ) {
        while (i >= base + parts[part].n) base += parts[part++].n;
        const stop = Math.min(end, base + parts[part].n);
        const b = bits[part];
        if (b !== null) {
          sample.set(b.subarray(i - base, stop - base), o);
          o += stop - i;
        } else {
          let list = pieces.get(part);
          if (list === undefined) pieces.set(part, (list = []));
          list.push(i - base, stop - base);
        }
        i = stop;
      }
    }
    new Uint32Array(mem.memory.buffer, res, 3).fill(0);
    new Uint8Array(mem.memory.buffer, res + 16, 256).set(COMPACT_TABLE);
    pieces.forEach((list, q) => (o = (parts[q] as CodeSource).sample(list, area, o, res)));
    if (new Uint32Array(mem.memory.buffer, res, 2)[1] > 0) return undefined; // NaN in the sample: the radix path finds its part
    // (`finish` reorders nothing: the sample is still there to count.)
    const lo = loRank < 1 ? 0 : finish(ex, mem, scratch, area, s, loRank).bits;
    const hi = hiRank > s ? INF : finish(ex, mem, scratch, area, s, hiRank).bits;
    if (hi > INF) return undefined;
    // How many of the sample lie in [lo, hi]: the bracket kernel's count, with no room to gather
    // (its stray stores land in the histogram area).
    const inside = ex.countBracket(area, s, lo, hi, scratch, 0, 0, res) >>> 0;
    return { lo, hi, cap: Math.min(MAX_GATHER, n, Math.ceil(((n * inside) / s) * 1.5) + 4096) };
  } finally {
    mem.free(scratch);
  }
}

function bracketedAcross(
  ex: SelectExports,
  mem: SelectMemory,
  parts: readonly Part[],
  n: number,
  k: number,
): PartsSelection | { nanPart: number } | undefined {
  const bracket = sampleBracket(ex, mem, parts, n, k);
  if (bracket === undefined) return undefined;
  const { lo, hi, cap } = bracket;
  const scratch = mem.malloc(HIST_WORDS * 4 + RES_BYTES + (cap + 4) * 4);
  try {
    const res = scratch + HIST_WORDS * 4;
    const gather = res + RES_BYTES;
    new Uint32Array(mem.memory.buffer, res, 3).fill(0);
    new Uint8Array(mem.memory.buffer, res + 16, 256).set(COMPACT_TABLE);
    const below: number[] = [];
    const zeros: number[] = [];
    const ends: number[] = [];
    let count = 0;
    let belowSoFar = 0;
    let zerosSoFar = 0;
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (isCoded(p)) count = p.bracket(lo, hi, gather, count, cap, res);
      else p.each((ptr, len) => (count = ex.countBracket(ptr, len, lo, hi, gather, count, cap, res) >>> 0));
      const [b, nans, z] = new Uint32Array(mem.memory.buffer, res, 3);
      if (nans > 0) return { nanPart: i };
      below.push(b - belowSoFar);
      belowSoFar = b;
      zeros.push(z - zerosSoFar);
      zerosSoFar = z;
      ends.push(count);
      if (count > cap) return undefined;
    }
    if (k <= belowSoFar || k > belowSoFar + count) return undefined;
    const kth = finish(ex, mem, scratch, gather, count, k - belowSoFar).bits;
    // `finish` reorders nothing: the gathered magnitudes stay in part order. Each part's share of
    // them, below and at the k-th, counted by the kernel again (a bracket [kth, kth], no room to
    // gather: the scratch histogram area takes its stray stores).
    const lt: number[] = [];
    const eq: number[] = [];
    let start = 0;
    for (let i = 0; i < parts.length; i++) {
      new Uint32Array(mem.memory.buffer, res, 3).fill(0);
      const e = ex.countBracket(gather + start * 4, ends[i] - start, kth, kth, scratch, 0, 0, res) >>> 0;
      lt.push(below[i] + new Uint32Array(mem.memory.buffer, res, 1)[0]);
      eq.push(e);
      start = ends[i];
    }
    return { bits: kth, lt, eq, zeros };
  } finally {
    mem.free(scratch);
  }
}

/** The first part holding NaN (an error path: a plain loop). */
function nanPartOf(parts: readonly SelectSource[]): number {
  for (let i = 0; i < parts.length; i++) {
    const b = parts[i].bits;
    for (let j = 0; j < b.length; j++) if ((b[j] & ABS) > INF) return i;
  }
  throw new Error('tfjs-prune internal error: NaN reported but not found');
}
