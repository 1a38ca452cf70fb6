// One magnitude threshold across many tensors, exact: prunes k = round-half-to-even(s * N) of the
// N weights, the smallest magnitudes, ties at the threshold going to the lowest (tensor, index)
// in manifest order. Magnitudes order as their float32 bit patterns with the sign cleared, so the
// k-th smallest is found on integers, without concatenating the tensors: the core kernels' select
// across arrays (src/wasm/select-parts.ts: a sample brackets the k-th, one SIMD pass gathers the
// bracket, a radix select if the sample misled) ranks float32 tensors where they lie; quantized
// tensors join it as the counts of their codes' magnitudes (one histogram pass each, no decoding).
//
// Each tensor then prunes its own exact share with the core kernels (docs/model.md).
import { codeCounts, codeHistogram, selectAcrossArrays, type CodeCounts } from '../kernels/index.js';
import { splitCodes, sumRuns } from './codec.js';

/**
 * A quantized tensor as its codes and, per code, the bit pattern of the dequantized magnitude
 * (sign cleared): the passes below read it without decoding it.
 */
export interface CodedTensor {
  codes: Uint8Array | Uint16Array;
  lut: Uint32Array;
  /** The codes' histogram, once the select has counted them (pruneCodes reuses it). */
  counts?: Uint32Array;
}

/** Pool tensor `i`: float32 values (a view or a decoded copy; not modified) or its codes. */
export type ReadTensor = (i: number) => Float32Array | CodedTensor;

export interface GlobalPlan {
  /** Largest pruned magnitude (0 when nothing nonzero is pruned). */
  threshold: number;
  /** Bit pattern of `threshold`. */
  bits: number;
  /**
   * Per tensor: weights pruned (zeros included), below the threshold, at it, and ties taken,
   * and for float32 tensors the zeros among its weights (counted by the select's pass); null when
   * the threshold is 0 (only zeros are pruned).
   */
  counts: { pruned: number; below: number; ties: number; take: number; zeros?: number }[] | null;
}

/** Throws (a NaNWeightsError naming the tensor) for pool tensor `i` holding NaN. */
export type NaNReporter = (i: number, count: number, first: number) => never;

const INF = 0x7f800000;

const bitsOf = (f: Float32Array) => new Uint32Array(f.buffer, f.byteOffset, f.length);

export function globalSelect(sizes: readonly number[], read: ReadTensor, k: number, onNaN: NaNReporter, fname = 'globalSelect'): GlobalPlan {
  const xs = sizes.map((_, t) => read(t));
  if (k > 0) return kernelSelect(xs, k, onNaN, fname);
  // Nothing to prune but the zeros; NaN is still an error.
  xs.forEach((x, t) => {
    const nan = x instanceof Float32Array ? findNaNBits(bitsOf(x)) : findNaNCodes(x);
    if (nan.count > 0) onNaN(t, nan.count, nan.first);
  });
  return ZERO_PLAN;
}

// ---- the kernels' select ------------------------------------------------------------------------

/**
 * The plan from the kernels' select across arrays: float32 tensors are ranked where they lie,
 * quantized ones by their code histograms (a code's magnitude is fixed: one pass per tensor, then
 * at most 256 or 65536 distinct magnitudes each, added to the select's histograms).
 */
function kernelSelect(xs: readonly (Float32Array | CodedTensor)[], k: number, onNaN: NaNReporter, fname: string): GlobalPlan {
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
  // Tensors sharing a 16-bit code table (every float16 one) are counted together in the kernels'
  // memory: one pair per code in all, small tensors added without a table of their own.
  const users = new Map<Uint32Array, number>();
  for (const x of xs) if (!(x instanceof Float32Array)) users.set(x.lut, (users.get(x.lut) ?? 0) + 1);
  const groups = new Map<Uint32Array, CodeCounts>();
  const bytesOf = (x: CodedTensor) => new Uint8Array(x.codes.buffer, x.codes.byteOffset, x.codes.byteLength);
  try {
    xs.forEach((x, t) => {
      if (x instanceof Float32Array) {
        floats.push(x);
        floatAt.push(t);
        hists.push(null);
        return;
      }
      const small = x.codes.length * 4 < x.lut.length;
      let group = groups.get(x.lut);
      if (group === undefined && x.lut.length === 65536 && (users.get(x.lut) as number) > 1) groups.set(x.lut, (group = codeCounts(fname)));
      if (group !== undefined) {
        // (NaN is looked for in the group's total below.)
        const h = group.add(bytesOf(x), !small);
        if (h !== null) x.counts = h;
        hists.push(h);
        return;
      }
      if (small) {
        // Few weights for the code table: a pair per weight.
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
      const h = codeHistogram(fname, bytesOf(x), x.codes.BYTES_PER_ELEMENT as 1 | 2);
      x.counts = h;
      hists.push(h);
      checkNaN(x, h, t, onNaN);
      for (let c = 0; c < h.length; c++) if (h[c] !== 0) push(x.lut[c], h[c]);
    });
    groups.forEach((group, lut) => {
      const total = group.total();
      if (nanCodes(lut).some((c) => total[c] !== 0)) {
        xs.forEach((x, t) => {
          if (!(x instanceof Float32Array) && x.lut === lut) {
            const nan = findNaNCodes(x);
            if (nan.count > 0) onNaN(t, nan.count, nan.first);
          }
        });
      }
      for (let c = 0; c < total.length; c++) if (total[c] !== 0) push(lut[c], total[c]);
    });
  } finally {
    groups.forEach((g) => g.free());
  }
  const extra = floats.length < xs.length ? { bits: bits.subarray(0, pairs), counts: counts.subarray(0, pairs) } : undefined;
  const r = selectAcrossArrays(fname, floats, k, extra);
  if ('nanPart' in r) {
    const nan = findNaNBits(bitsOf(floats[r.nanPart]));
    return onNaN(floatAt[r.nanPart], nan.count, nan.first);
  }
  const lt = new Float64Array(xs.length);
  const eq = new Float64Array(xs.length);
  const zeros: (number | undefined)[] = [];
  floatAt.forEach((t, j) => {
    lt[t] = r.lt[j];
    eq[t] = r.eq[j];
    zeros[t] = r.zeros[j];
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
      // The codes below the threshold and at it, as runs (per code table, found once).
      const split = splitCodes(x.lut, r.bits);
      l = sumRuns(h, split.below);
      e = sumRuns(h, split.at);
    }
    lt[t] = l;
    eq[t] = e;
  });
  return finish(k, r.bits, lt, eq, zeros);
}

function checkNaN(x: CodedTensor, h: Uint32Array, t: number, onNaN: NaNReporter): void {
  const list = nanCodes(x.lut);
  for (let j = 0; j < list.length; j++) {
    if (h[list[j]] !== 0) {
      const nan = findNaNCodes(x);
      onNaN(t, nan.count, nan.first);
    }
  }
}

const NAN_CODES = new WeakMap<Uint32Array, Uint32Array>();

/** The codes of a table that decode to NaN (float16's; none for uint8 / uint16). */
function nanCodes(lut: Uint32Array): Uint32Array {
  let list = NAN_CODES.get(lut);
  if (list === undefined) {
    const nan: number[] = [];
    for (let c = 0; c < lut.length; c++) if (lut[c] > INF) nan.push(c);
    NAN_CODES.set(lut, (list = Uint32Array.from(nan)));
  }
  return list;
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
function finish(k: number, bits: number, lt: Float64Array, eq: Float64Array, zeros: readonly (number | undefined)[]): GlobalPlan {
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

/** The next float32 below a positive float32 (0 for the smallest subnormal). */
