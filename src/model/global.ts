// One magnitude threshold across many tensors, exact: prunes k = round-half-to-even(s * N) of the
// N weights, the smallest magnitudes, ties at the threshold going to the lowest (tensor, index)
// in manifest order. Magnitudes order as their float32 bit patterns with the sign cleared, so the
// k-th smallest is found on integers, without concatenating the tensors:
//
//   sample   a histogram of 1/16 of the weights (a block of 16, one cache line, in every 256)
//            brackets the k-th smallest: [lo, hi] holds it unless the sample misled us
//   gather   one pass over every weight counts, per tensor, those below lo and NaN, and
//            copies the bit patterns inside [lo, hi] (about 1% of N); if the k-th smallest is
//            among them (checked exactly), a select on them settles the threshold and the
//            per-tensor counts below and at it
//   exact    otherwise (adversarial layouts, tiny models): a radix select over all weights, two
//            to four passes
//
// Each tensor then prunes its own exact count with the core kernels (docs/model.md).
//
// When every pooled tensor is float32, the core kernels do all of this in Wasm over the tensors
// as they are (selectAcrossArrays: the same sample-bracket-gather scheme, SIMD); quantized
// tensors join it as the counts of their codes' magnitudes (kernelSelect). The plain-JS passes
// below serve kernels without a multi-array select.

import { selectAcrossArrays } from '../kernels/index.js';

/**
 * A quantized tensor as its codes and, per code, the bit pattern of the dequantized magnitude
 * (sign cleared): the passes below read it without decoding it.
 */
export interface CodedTensor {
  codes: Uint8Array | Uint16Array;
  lut: Uint32Array;
}

/** Pool tensor `i`: float32 values (a view or a decoded copy; not modified) or its codes. */
export type ReadTensor = (i: number) => Float32Array | CodedTensor;

export interface GlobalPlan {
  /** Largest pruned magnitude (0 when nothing nonzero is pruned). */
  threshold: number;
  /** Bit pattern of `threshold`. */
  bits: number;
  /**
   * Per tensor: weights pruned (zeros included), below the threshold, at it, and ties taken;
   * null when the threshold is 0 (only zeros are pruned).
   */
  counts: { pruned: number; below: number; ties: number; take: number }[] | null;
}

/** Throws (a NaNWeightsError naming the tensor) for pool tensor `i` holding NaN. */
export type NaNReporter = (i: number, count: number, first: number) => never;

const INF = 0x7f800000;
const SAMPLE_BLOCK = 16;
const SAMPLE_STRIDE = 256;
/** Largest bracket gathered in memory (4 bytes each) before falling back to the exact passes. */
const GATHER_CAP = 1 << 24;

const bitsOf = (f: Float32Array) => new Uint32Array(f.buffer, f.byteOffset, f.length);

/** Bit patterns of a tensor (the exact fallback path: coded tensors are expanded). */
function bitsOfAny(x: Float32Array | CodedTensor): Uint32Array {
  if (x instanceof Float32Array) return bitsOf(x);
  const out = new Uint32Array(x.codes.length);
  for (let i = 0; i < out.length; i++) out[i] = x.lut[x.codes[i]];
  return out;
}

export function globalSelect(sizes: readonly number[], read: ReadTensor, k: number, onNaN: NaNReporter, fname = 'globalSelect'): GlobalPlan {
  if (k > 0) {
    const plan = kernelSelect(sizes.map((_, t) => read(t)), k, onNaN, fname);
    if (plan !== null) return plan;
  }
  const n = sizes.reduce((a, b) => a + b, 0);
  const bracket = k > 0 && n >= 1 << 16 ? sampleBracket(sizes, read, k, n) : null;
  if (bracket !== null) {
    const plan = gatherSelect(sizes, read, k, bracket.lo, bracket.hi, onNaN);
    if (plan !== null) return plan;
  }
  return exactSelect(sizes, read, k, onNaN);
}

// ---- sample ----------------------------------------------------------------------------------

/** Bit-pattern bounds [lo, hi] that very likely hold the k-th smallest magnitude. */
function sampleBracket(sizes: readonly number[], read: ReadTensor, k: number, n: number): { lo: number; hi: number } | null {
  const h = new Uint32Array(65536);
  let s = 0;
  for (let t = 0; t < sizes.length; t++) {
    const x = read(t);
    if (x instanceof Float32Array) s += sampleHist(bitsOf(x), h);
    else if (x.codes instanceof Uint8Array) s += sampleCoded8(x.codes, x.lut, h);
    else s += sampleCoded16(x.codes, x.lut, h);
  }
  if (s === 0) return null;
  const p = k / n;
  // Five standard deviations, counting each block as one draw (neighbouring weights may be
  // alike), plus slack for the bins' width.
  const margin = 5 * Math.sqrt(p * (1 - p) * s * SAMPLE_BLOCK) + SAMPLE_BLOCK;
  const rLo = p * s - margin;
  const rHi = p * s + margin;
  let lo = 0;
  let hi = 65535;
  let cum = 0;
  let foundLo = rLo <= 0;
  for (let b = 0; b < 65536; b++) {
    if (!foundLo && cum + h[b] >= rLo) {
      lo = b;
      foundLo = true;
    }
    cum += h[b];
    if (cum >= rHi) {
      hi = b;
      break;
    }
  }
  const loBits = lo << 15;
  const hiBits = Math.min(INF, hi * 32768 + 32767);
  return { lo: loBits, hi: hiBits };
}

// Histogram of the top 16 bits of |w| over one block of 64 in every 1024 (all of a short tensor).
function sampleHist(u: Uint32Array, h: Uint32Array): number {
  const n = u.length;
  if (n <= SAMPLE_STRIDE) {
    for (let i = 0; i < n; i++) h[(u[i] << 1) >>> 16]++;
    return n;
  }
  let s = 0;
  for (let start = 0; start < n; start += SAMPLE_STRIDE) {
    const end = Math.min(start + SAMPLE_BLOCK, n);
    for (let i = start; i < end; i++) h[(u[i] << 1) >>> 16]++;
    s += end - start;
  }
  return s;
}

// The same over codes (one function per code type keeps each loop monomorphic).
function sampleCoded8(c: Uint8Array, lut: Uint32Array, h: Uint32Array): number {
  let s = 0;
  for (let start = 0; start < c.length; start += SAMPLE_STRIDE) {
    const end = Math.min(start + SAMPLE_BLOCK, c.length);
    for (let i = start; i < end; i++) h[lut[c[i]] >>> 15]++;
    s += end - start;
  }
  return s;
}

function sampleCoded16(c: Uint16Array, lut: Uint32Array, h: Uint32Array): number {
  let s = 0;
  for (let start = 0; start < c.length; start += SAMPLE_STRIDE) {
    const end = Math.min(start + SAMPLE_BLOCK, c.length);
    for (let i = start; i < end; i++) h[lut[c[i]] >>> 15]++;
    s += end - start;
  }
  return s;
}

// ---- gather ----------------------------------------------------------------------------------

class Gathered {
  buf = new Uint32Array(1 << 16);
  n = 0;
}

interface GatherResult {
  below: number;
  nan: number;
  firstNaN: number;
  overflow: boolean;
}

// Branchy on purpose: below lo is the common case and predicts well; this measured fastest.
function gatherTensor(u: Uint32Array, lo: number, hi: number, g: Gathered): GatherResult {
  let below = 0;
  let nan = 0;
  let firstNaN = -1;
  let buf = g.buf;
  let m = g.n;
  for (let i = 0; i < u.length; i++) {
    const a = u[i] & 0x7fffffff;
    if (a < lo) below++;
    else if (a <= hi) {
      if (m === buf.length) {
        if (buf.length >= GATHER_CAP) {
          g.n = m;
          return { below, nan, firstNaN, overflow: true };
        }
        const bigger = new Uint32Array(buf.length * 2);
        bigger.set(buf);
        buf = g.buf = bigger;
      }
      buf[m++] = a;
    } else if (a > INF) {
      if (firstNaN < 0) firstNaN = i;
      nan++;
    }
  }
  g.n = m;
  return { below, nan, firstNaN, overflow: false };
}

function gatherCoded8(c: Uint8Array, lut: Uint32Array, lo: number, hi: number, g: Gathered): GatherResult {
  let below = 0;
  let buf = g.buf;
  let m = g.n;
  for (let i = 0; i < c.length; i++) {
    const a = lut[c[i]];
    if (a < lo) below++;
    else if (a <= hi) {
      if (m === buf.length) {
        if (buf.length >= GATHER_CAP) {
          g.n = m;
          return { below, nan: 0, firstNaN: -1, overflow: true };
        }
        const bigger = new Uint32Array(buf.length * 2);
        bigger.set(buf);
        buf = g.buf = bigger;
      }
      buf[m++] = a;
    }
  }
  g.n = m;
  return { below, nan: 0, firstNaN: -1, overflow: false };
}

function gatherCoded16(c: Uint16Array, lut: Uint32Array, lo: number, hi: number, g: Gathered): GatherResult {
  let below = 0;
  let nan = 0;
  let firstNaN = -1;
  let buf = g.buf;
  let m = g.n;
  for (let i = 0; i < c.length; i++) {
    const a = lut[c[i]];
    if (a < lo) below++;
    else if (a <= hi) {
      if (m === buf.length) {
        if (buf.length >= GATHER_CAP) {
          g.n = m;
          return { below, nan, firstNaN, overflow: true };
        }
        const bigger = new Uint32Array(buf.length * 2);
        bigger.set(buf);
        buf = g.buf = bigger;
      }
      buf[m++] = a;
    } else if (a > INF) {
      if (firstNaN < 0) firstNaN = i;
      nan++;
    }
  }
  g.n = m;
  return { below, nan, firstNaN, overflow: false };
}

function gatherSelect(sizes: readonly number[], read: ReadTensor, k: number, lo: number, hi: number, onNaN: NaNReporter): GlobalPlan | null {
  const T = sizes.length;
  const g = new Gathered();
  const below = new Float64Array(T);
  const ends = new Uint32Array(T);
  let totalBelow = 0;
  for (let t = 0; t < T; t++) {
    const x = read(t);
    const r =
      x instanceof Float32Array
        ? gatherTensor(bitsOf(x), lo, hi, g)
        : x.codes instanceof Uint8Array
          ? gatherCoded8(x.codes, x.lut, lo, hi, g)
          : gatherCoded16(x.codes, x.lut, lo, hi, g);
    if (r.nan > 0) onNaN(t, r.nan, r.firstNaN);
    if (r.overflow) return null;
    below[t] = r.below;
    ends[t] = g.n;
    totalBelow += r.below;
  }
  // The k-th smallest lies in [lo, hi] exactly when fewer than k are below lo and at least k are
  // at or below hi.
  if (!(totalBelow < k && totalBelow + g.n >= k)) return null;
  const v = g.buf.subarray(0, g.n);
  const bits = selectBits(v, k - totalBelow);
  const lt = new Float64Array(T);
  const eq = new Float64Array(T);
  let start = 0;
  for (let t = 0; t < T; t++) {
    const c = countAround(v, start, ends[t], bits);
    lt[t] = below[t] + c.lt;
    eq[t] = c.eq;
    start = ends[t];
  }
  return finish(k, bits, lt, eq);
}

function countAround(v: Uint32Array, start: number, end: number, bits: number): { lt: number; eq: number } {
  let lt = 0;
  let eq = 0;
  for (let j = start; j < end; j++) {
    const x = v[j];
    lt += x < bits ? 1 : 0;
    eq += x === bits ? 1 : 0;
  }
  return { lt, eq };
}

/** The rank-th smallest (1-based) of 31-bit values, by three histogram passes (11 + 10 + 10 bits). */
function selectBits(v: Uint32Array, rank: number): number {
  const h1 = new Uint32Array(2048);
  for (let i = 0; i < v.length; i++) h1[v[i] >>> 20]++;
  let a = 0;
  for (; a < 2047 && rank > h1[a]; a++) rank -= h1[a];
  const h2 = new Uint32Array(1024);
  for (let i = 0; i < v.length; i++) if (v[i] >>> 20 === a) h2[(v[i] >>> 10) & 1023]++;
  let b = 0;
  for (; b < 1023 && rank > h2[b]; b++) rank -= h2[b];
  const prefix = (a << 10) | b;
  const h3 = new Uint32Array(1024);
  for (let i = 0; i < v.length; i++) if (v[i] >>> 10 === prefix) h3[v[i] & 1023]++;
  let c = 0;
  for (; c < 1023 && rank > h3[c]; c++) rank -= h3[c];
  return prefix * 1024 + c;
}

// ---- the kernels' select ------------------------------------------------------------------------

/**
 * The plan from the Wasm kernels' select across arrays: float32 tensors are ranked where they
 * lie, quantized ones by their code histograms (a code's magnitude is fixed: one pass per tensor,
 * then at most 256 or 65536 distinct magnitudes each, added to the select's histograms). null
 * when the kernels have no multi-array select.
 */
function kernelSelect(xs: readonly (Float32Array | CodedTensor)[], k: number, onNaN: NaNReporter, fname: string): GlobalPlan | null {
  const floats: Float32Array[] = [];
  const floatAt: number[] = [];
  const hists: (Uint32Array | null)[] = [];
  let pairs = 0;
  let bits = new Uint32Array(1024);
  let counts = new Float64Array(1024);
  const push = (m: number, count: number) => {
    if (pairs === bits.length) {
      const b2 = new Uint32Array(pairs * 2);
      b2.set(bits);
      bits = b2;
      const c2 = new Float64Array(pairs * 2);
      c2.set(counts);
      counts = c2;
    }
    bits[pairs] = m;
    counts[pairs++] = count;
  };
  xs.forEach((x, t) => {
    if (x instanceof Float32Array) {
      floats.push(x);
      floatAt.push(t);
      hists.push(null);
      return;
    }
    if (x.codes.length * 4 < x.lut.length) {
      // Few weights for the code table: each weight is a pair of its own.
      hists.push(null);
      for (let i = 0; i < x.codes.length; i++) {
        const m = x.lut[x.codes[i]];
        if (m > INF) {
          const nan = findNaNCodes(x);
          onNaN(t, nan.count, nan.first);
        }
        push(m, 1);
      }
      return;
    }
    const h = histCodes(x.codes, x.lut.length);
    hists.push(h);
    for (let c = 0; c < h.length; c++) {
      if (h[c] === 0) continue;
      if (x.lut[c] > INF) {
        const nan = findNaNCodes(x);
        onNaN(t, nan.count, nan.first);
      }
      push(x.lut[c], h[c]);
    }
  });
  const extra = floats.length < xs.length ? { bits: bits.subarray(0, pairs), counts: counts.subarray(0, pairs) } : undefined;
  const r = selectAcrossArrays(fname, floats, k, extra);
  if (r === null) return null;
  if ('nanPart' in r) {
    const nan = findNaNBits(bitsOf(floats[r.nanPart]));
    return onNaN(floatAt[r.nanPart], nan.count, nan.first);
  }
  const lt = new Float64Array(xs.length);
  const eq = new Float64Array(xs.length);
  floatAt.forEach((t, j) => {
    lt[t] = r.lt[j];
    eq[t] = r.eq[j];
  });
  xs.forEach((x, t) => {
    if (x instanceof Float32Array) return;
    const h = hists[t];
    let l = 0;
    let e = 0;
    if (h === null) {
      for (let i = 0; i < x.codes.length; i++) {
        const m = x.lut[x.codes[i]];
        if (m < r.bits) l++;
        else if (m === r.bits) e++;
      }
    } else {
      for (let c = 0; c < h.length; c++) {
        const m = x.lut[c];
        if (m < r.bits) l += h[c];
        else if (m === r.bits) e += h[c];
      }
    }
    lt[t] = l;
    eq[t] = e;
  });
  return finish(k, r.bits, lt, eq);
}

function histCodes(codes: Uint8Array | Uint16Array, size: number): Uint32Array {
  const h = new Uint32Array(size);
  for (let i = 0; i < codes.length; i++) h[codes[i]]++;
  return h;
}

function findNaNCodes(x: CodedTensor): { count: number; first: number } {
  let count = 0;
  let first = -1;
  for (let i = 0; i < x.codes.length; i++) {
    if (x.lut[x.codes[i]] > INF) {
      if (first < 0) first = i;
      count++;
    }
  }
  return { count, first };
}

// ---- exact fallback --------------------------------------------------------------------------

function exactSelect(sizes: readonly number[], read: ReadTensor, k: number, onNaN: NaNReporter): GlobalPlan {
  const T = sizes.length;
  const hist = new Float64Array(4096);
  const h = new Uint32Array(4096);
  // Top 12 bits of |w|, and NaN per tensor.
  for (let t = 0; t < T; t++) {
    const u = bitsOfAny(read(t));
    h.fill(0);
    histTop(u, h);
    let high = 0;
    for (let b = 0xff0; b < 4096; b++) high += h[b];
    if (high > 0) {
      const nan = findNaNBits(u);
      if (nan.count > 0) onNaN(t, nan.count, nan.first);
    }
    for (let b = 0; b < 4096; b++) hist[b] += h[b];
  }
  if (k === 0) return ZERO_PLAN;
  let rank = k;
  let b1 = 0;
  for (; b1 < 4095 && rank > hist[b1]; b1++) rank -= hist[b1];
  // Refine inside bin b1: bits 18..9, then 8..0.
  const h2 = new Float64Array(1024);
  for (let t = 0; t < T; t++) histMid(bitsOfAny(read(t)), b1, h2);
  let b2 = 0;
  for (; b2 < 1023 && rank > h2[b2]; b2++) rank -= h2[b2];
  const prefix = (b1 << 10) | b2;
  const h3 = new Float64Array(512);
  for (let t = 0; t < T; t++) histLow(bitsOfAny(read(t)), prefix, h3);
  let b3 = 0;
  for (; b3 < 511 && rank > h3[b3]; b3++) rank -= h3[b3];
  const bits = prefix * 512 + b3;
  const lt = new Float64Array(T);
  const eq = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    const c = countBits(bitsOfAny(read(t)), bits);
    lt[t] = c.lt;
    eq[t] = c.eq;
  }
  return finish(k, bits, lt, eq);
}

function histTop(u: Uint32Array, h: Uint32Array): void {
  for (let i = 0; i < u.length; i++) h[(u[i] & 0x7fffffff) >>> 19]++;
}

function histMid(u: Uint32Array, b1: number, h: Float64Array): void {
  for (let i = 0; i < u.length; i++) {
    const a = u[i] & 0x7fffffff;
    if (a >>> 19 === b1) h[(a >>> 9) & 1023]++;
  }
}

function histLow(u: Uint32Array, prefix: number, h: Float64Array): void {
  for (let i = 0; i < u.length; i++) {
    const a = u[i] & 0x7fffffff;
    if (a >>> 9 === prefix) h[a & 511]++;
  }
}

function countBits(u: Uint32Array, bits: number): { lt: number; eq: number } {
  let lt = 0;
  let eq = 0;
  for (let i = 0; i < u.length; i++) {
    const a = u[i] & 0x7fffffff;
    lt += a < bits ? 1 : 0;
    eq += a === bits ? 1 : 0;
  }
  return { lt, eq };
}

function findNaNBits(u: Uint32Array): { count: number; first: number } {
  let count = 0;
  let first = -1;
  for (let i = 0; i < u.length; i++) {
    if ((u[i] & 0x7fffffff) > INF) {
      if (first < 0) first = i;
      count++;
    }
  }
  return { count, first };
}

// ---- shared ----------------------------------------------------------------------------------

/** A zero threshold: at least k weights are zero already, and pruning removes only zeros. */
const ZERO_PLAN: GlobalPlan = { threshold: 0, bits: 0, counts: null };

/** Assigns the ties at `bits` in tensor order so that exactly k are pruned. */
function finish(k: number, bits: number, lt: Float64Array, eq: Float64Array): GlobalPlan {
  if (bits === 0) return ZERO_PLAN;
  let need = k;
  for (let t = 0; t < lt.length; t++) need -= lt[t];
  const counts = [];
  for (let t = 0; t < lt.length; t++) {
    const take = Math.min(eq[t], need);
    need -= take;
    counts.push({ pruned: lt[t] + take, below: lt[t], ties: eq[t], take });
  }
  if (need !== 0) throw new Error(`tfjs-prune internal error: global select left ${need} weights unassigned`);
  return { threshold: new Float32Array(new Uint32Array([bits]).buffer)[0], bits, counts };
}

/** The next float32 below a positive float32 (0 for the smallest subnormal). */
export function floatBelow(bits: number): number {
  return new Float32Array(new Uint32Array([bits > 0 ? bits - 1 : 0]).buffer)[0];
}
