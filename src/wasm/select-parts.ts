// The exact k-th smallest magnitude across several arrays, without concatenating them (the model
// layer's global scope). Kept apart from select.ts so that entries without the model layer (root,
// slim) do not carry it. Same scheme: a sample brackets the k-th, one compaction pass gathers the
// bracket, with a radix fallback.
import {
  ABS,
  bracketPlan,
  COMPACT_TABLE,
  finish,
  HIST_WORDS,
  INF,
  radix,
  RES_BYTES,
  RUNS,
  SAMPLE_FROM,
  type Extra,
  type SelectExports,
  type SelectMemory,
  type SelectSource,
} from './select.js';

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
 * pass too, so a caller pruning the parts needs no pass of its own for them. `extra` adds magnitudes that are not in memory
 * (quantized tensors, counted from their codes) to the ranking; they get no counts here.
 */
export function selectAcross(
  ex: SelectExports,
  mem: SelectMemory,
  parts: readonly SelectSource[],
  k: number,
  extra?: Extra,
): PartsSelection | { nanPart: number } {
  const n = parts.reduce((a, p) => a + p.n, 0);
  if (n >= SAMPLE_FROM && extra === undefined) {
    const r = bracketedAcross(ex, mem, parts, n, k);
    if (r !== undefined) return r;
  }
  const all: SelectSource = {
    n,
    bits: new Uint32Array(0), // unused by the radix path
    each: (fn) => {
      for (const p of parts) p.each(fn);
    },
  };
  const sel = radix(ex, mem, all, k, extra);
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

function bracketedAcross(
  ex: SelectExports,
  mem: SelectMemory,
  parts: readonly SelectSource[],
  n: number,
  k: number,
): PartsSelection | { nanPart: number } | undefined {
  const { run, s, loRank, hiRank, cap } = bracketPlan(n, k);
  const scratch = mem.malloc(HIST_WORDS * 4 + RES_BYTES + Math.max(cap + 4, s) * 4);
  try {
    const res = scratch + HIST_WORDS * 4;
    const gather = res + RES_BYTES;
    const sample = new Uint32Array(mem.memory.buffer, gather, s);
    const bits = parts.map((q) => q.bits); // after malloc, which may have grown the memory
    // Runs at the same global positions as one array would have, read across part boundaries.
    let part = 0;
    let base = 0; // global index of parts[part][0]
    for (let r = 0; r < RUNS; r++) {
      const start = Math.floor((r * (n - run)) / (RUNS - 1));
      while (start >= base + parts[part].n) base += parts[part++].n;
      let q = part;
      let qBase = base;
      for (let j = 0; j < run; j++) {
        while (start + j >= qBase + parts[q].n) qBase += parts[q++].n;
        sample[r * run + j] = bits[q][start + j - qBase] & ABS;
      }
    }
    const lo = loRank < 1 ? 0 : finish(ex, mem, scratch, gather, s, loRank).bits;
    const hi = hiRank > s ? INF : finish(ex, mem, scratch, gather, s, hiRank).bits;
    if (hi > INF) return undefined; // NaN in the sample: the radix path finds its part
    new Uint32Array(mem.memory.buffer, res, 3).fill(0);
    new Uint8Array(mem.memory.buffer, res + 16, 256).set(COMPACT_TABLE);
    const below: number[] = [];
    const zeros: number[] = [];
    const ends: number[] = [];
    let count = 0;
    let belowSoFar = 0;
    let zerosSoFar = 0;
    for (let i = 0; i < parts.length; i++) {
      parts[i].each((ptr, len) => (count = ex.countBracket(ptr, len, lo, hi, gather, count, cap, res) >>> 0));
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
