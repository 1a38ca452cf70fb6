// One magnitude threshold across many tensors, exact: prunes k = round-half-to-even(s * N) of the
// N weights, the smallest magnitudes, ties at the threshold going to the lowest (tensor, index)
// in manifest order. Magnitudes order as their float32 bit patterns with the sign cleared, so the
// k-th smallest is found on integers, without concatenating the tensors: the core kernels' select
// across arrays (src/wasm/select-parts.ts: a sample brackets the k-th, one SIMD pass per tensor
// counts what lies below the bracket and gathers what lies inside it, a radix select if the
// sample misled) ranks float32 tensors where they lie and quantized ones in their codes (key
// ranges compared in the pass; only the codes inside the bracket are decoded).
//
// Each tensor then prunes its own exact share with the core kernels (docs/model.md).
import { codeHistogram8, selectAcrossArrays, type CodedInput } from '../kernels/index.js';

/** Pool tensor `i`: float32 values (a view or a decoded copy; not modified) or its codes. */
export type ReadTensor = (i: number) => Float32Array | CodedInput;

export interface GlobalPlan {
  /** Largest pruned magnitude (0 when nothing nonzero is pruned). */
  threshold: number;
  /** Bit pattern of `threshold`. */
  bits: number;
  /**
   * Per tensor: weights pruned (zeros included), below the threshold, at it, ties taken, and the
   * zeros among its weights (counted by the select's pass); null when the threshold is 0 (only
   * zeros are pruned).
   */
  counts: { pruned: number; below: number; ties: number; take: number; zeros: number }[] | null;
}

/** Throws (a NaNWeightsError naming the tensor) for pool tensor `i` holding NaN. */
export type NaNReporter = (i: number, count: number, first: number) => never;

const INF = 0x7f800000;

const bitsOf = (f: Float32Array) => new Uint32Array(f.buffer, f.byteOffset, f.length);

export function globalSelect(sizes: readonly number[], read: ReadTensor, k: number, onNaN: NaNReporter, fname = 'globalSelect'): GlobalPlan {
  const xs = sizes.map((_, t) => read(t));
  if (k > 0 && xs.every((x) => !(x instanceof Float32Array) && x.codes instanceof Uint8Array)) return selectCodes8(fname, xs as CodedInput[], k);
  if (k > 0) {
    const r = selectAcrossArrays(fname, xs, k);
    if ('nanPart' in r) {
      const x = xs[r.nanPart];
      const nan = x instanceof Float32Array ? findNaNBits(bitsOf(x)) : findNaNCodes(x);
      return onNaN(r.nanPart, nan.count, nan.first);
    }
    return finish(k, r.bits, r.lt, r.eq, r.zeros);
  }
  // Nothing to prune but the zeros; NaN is still an error.
  xs.forEach((x, t) => {
    const nan = x instanceof Float32Array ? findNaNBits(bitsOf(x)) : findNaNCodes(x);
    if (nan.count > 0) onNaN(t, nan.count, nan.first);
  });
  return ZERO_PLAN;
}

/**
 * A pool of 8-bit codes only (uint8 manifests): each tensor's 256 code counts (one histogram pass),
 * then the k-th over the pool's distinct magnitudes (a few thousand at most), and each tensor's
 * share read off its counts. No sample, no gather: for uint8 codes, whose 256 magnitudes a tensor
 * holds in large groups, that is less work than the bracket. (Also a uint8 tensor's own threshold:
 * a pool of one, src/format/codec.ts.)
 */
export function selectCodes8(fname: string, xs: readonly CodedInput[], k: number): GlobalPlan {
  const hists = xs.map((x) => codeHistogram8(fname, x.codes as Uint8Array));
  const total = new Map<number, number>();
  xs.forEach((x, t) => {
    const h = hists[t];
    const lut = x.table.lut;
    for (let c = 0; c < 256; c++) if (h[c] !== 0) total.set(lut[c], (total.get(lut[c]) ?? 0) + h[c]);
  });
  let below = 0;
  let bits = 0;
  for (const m of Float64Array.from(total.keys()).sort()) {
    below += total.get(m) as number;
    if (below >= k) {
      bits = m;
      break;
    }
  }
  const lt: number[] = [];
  const eq: number[] = [];
  const zeros: number[] = [];
  xs.forEach((x, t) => {
    const h = hists[t];
    const lut = x.table.lut;
    let l = 0;
    let e = 0;
    let z = 0;
    for (let c = 0; c < 256; c++) {
      if (lut[c] < bits) l += h[c];
      else if (lut[c] === bits) e += h[c];
      if (lut[c] === 0) z += h[c];
    }
    lt.push(l);
    eq.push(e);
    zeros.push(z);
  });
  return finish(k, bits, lt, eq, zeros);
}

/** How many of a quantized tensor's codes decode to NaN, and the first (an error path: a plain loop). */
export function findNaNCodes(x: CodedInput): { count: number; first: number } {
  let count = 0;
  let first = -1;
  const lut = x.table.lut;
  for (let i = 0; i < x.codes.length; i++) {
    if (lut[x.codes[i]] > INF) {
      if (first < 0) first = i;
      count++;
    }
  }
  return { count, first };
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
function finish(k: number, bits: number, lt: readonly number[], eq: readonly number[], zeros: readonly number[]): GlobalPlan {
  if (bits === 0) return ZERO_PLAN;
  let need = k;
  for (let t = 0; t < lt.length; t++) need -= lt[t];
  const counts = [];
  for (let t = 0; t < lt.length; t++) {
    const take = Math.min(eq[t], need);
    need -= take;
    counts.push({ pruned: lt[t] + take, below: lt[t], ties: eq[t], take, zeros: zeros[t] });
  }
  if (need !== 0) throw new Error(`tfjs-prune internal error: global select left ${need} weights unassigned`);
  return { threshold: new Float32Array(new Uint32Array([bits]).buffer)[0], bits, counts };
}
