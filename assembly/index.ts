// tfjs-prune kernels. One source, two builds: `--enable simd` compiles the `ASC_FEATURE_SIMD`
// paths, the scalar build leaves them out and contains no v128 at all. Both give bit-identical
// results because every decision is made on integer bit patterns, never on float arithmetic.
//
// Contract shared by every kernel:
// - Buffers are float32 in this module's memory, addressed by byte pointers (`*Ptr`) and element
//   counts (`n`). Kernels never allocate: the TypeScript side (src/wasm/heap.ts) owns the layout,
//   so the same code can later run on memory it does not own.
// - A weight's magnitude is its bit pattern with the sign cleared (`bits & 0x7fffffff`). For
//   non-NaN floats the unsigned order of those patterns is the order of |w|: -0 and +0 are both 0,
//   denormals sit just above 0, +Infinity (0x7f800000) is the largest. NaN patterns are larger
//   still; callers reject NaN before a magnitude decision reaches these kernels.
// - Pruned weights are written as +0 (all bits clear). `kept` counts weights left nonzero.

import { aboveInto, needAfter, OUT_MASK_U8, OUT_WEIGHTS, pack4, selectInto, sumLanes } from './select';

const ABS: u32 = 0x7fffffff;
const INF: u32 = 0x7f800000;

/** Bins per histogram pass; hist areas hold 4 copies (one per lane), see `histogramAll`. */
const BINS: u32 = 2048;
const COPY_BYTES: usize = BINS << 2;

/** First byte this module does not use for its own data; allocation starts here. */
export function heapBase(): usize {
  return __heap_base;
}

/** 1 in the SIMD build, 0 in the scalar build. */
export function isSimd(): i32 {
  return ASC_FEATURE_SIMD ? 1 : 0;
}

export function remainingNeed(): u32 {
  return needAfter;
}

// ---------------------------------------------------------------------------------------------
// Fused prune by threshold: w = |w| > t ? w : +0, in place, one pass. Returns survivors.
// `tBits` is the bit pattern of a non-negative threshold. (The loop: select.ts.)
export function pruneAbove(ptr: usize, n: u32, tBits: u32): u32 {
  return aboveInto(ptr, ptr, n, tBits, OUT_WEIGHTS, false);
}

// Prune to an exact count: every |w| < t, plus the first `need` weights with |w| == t (lowest
// index first). Returns survivors; the ties still owed are left in `remainingNeed()` so a buffer
// processed in chunks, in order, gets the same result as one call. (The loop: select.ts.)
export function pruneSelect(ptr: usize, n: u32, tBits: u32, need: u32): u32 {
  return selectInto(ptr, ptr, n, tBits, need, OUT_WEIGHTS);
}

// ---------------------------------------------------------------------------------------------
// Masks: one byte per weight, 1 = keep, 0 = pruned. Same decisions as the prune kernels above.
//
//   weights  [w0 w1 w2 ... w15] (16 x f32)  ->  mask [b0 b1 ... b15] (16 x u8)

export function maskAbove(ptr: usize, n: u32, tBits: u32, maskPtr: usize): u32 {
  let i: u32 = 0;
  let kept: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const absMask = i32x4.splat(ABS);
    const tv = i32x4.splat(tBits);
    const one = i8x16.splat(1);
    let acc = i32x4.splat(0);
    for (; i + 16 <= n; i += 16) {
      const p = ptr + (<usize>i << 2);
      const m0 = i32x4.gt_s(v128.and(v128.load(p), absMask), tv);
      const m1 = i32x4.gt_s(v128.and(v128.load(p, 16), absMask), tv);
      const m2 = i32x4.gt_s(v128.and(v128.load(p, 32), absMask), tv);
      const m3 = i32x4.gt_s(v128.and(v128.load(p, 48), absMask), tv);
      acc = i32x4.sub(acc, i32x4.add(i32x4.add(m0, m1), i32x4.add(m2, m3)));
      v128.store(maskPtr + i, v128.and(pack16(m0, m1, m2, m3), one));
    }
    kept = sumLanes(acc);
  }
  for (; i < n; i++) {
    const keep = <u32>((load<u32>(ptr + (<usize>i << 2)) & ABS) > tBits);
    store<u8>(maskPtr + i, <u8>keep);
    kept += keep;
  }
  return kept;
}

export function maskSelect(ptr: usize, n: u32, tBits: u32, need: u32, maskPtr: usize): u32 {
  return selectInto(ptr, maskPtr, n, tBits, need, OUT_MASK_U8);
}

// w = mask ? w : +0, in place (any nonzero mask byte keeps). Returns weights left nonzero.
export function applyMask(ptr: usize, maskPtr: usize, n: u32): u32 {
  let i: u32 = 0;
  let kept: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const absMask = i32x4.splat(ABS);
    const zero = i32x4.splat(0);
    let acc = i32x4.splat(0);
    for (; i + 16 <= n; i += 16) {
      const p = ptr + (<usize>i << 2);
      // 0xff where the mask byte is nonzero, widened to one i32 lane per weight.
      const mb = v128.not(i8x16.eq(v128.load(maskPtr + i), zero));
      const lo = i16x8.extend_low_i8x16_s(mb);
      const hi = i16x8.extend_high_i8x16_s(mb);
      const r0 = v128.and(v128.load(p), i32x4.extend_low_i16x8_s(lo));
      const r1 = v128.and(v128.load(p, 16), i32x4.extend_high_i16x8_s(lo));
      const r2 = v128.and(v128.load(p, 32), i32x4.extend_low_i16x8_s(hi));
      const r3 = v128.and(v128.load(p, 48), i32x4.extend_high_i16x8_s(hi));
      v128.store(p, r0);
      v128.store(p, r1, 16);
      v128.store(p, r2, 32);
      v128.store(p, r3, 48);
      // Count the zeros left and subtract at the end.
      acc = i32x4.sub(acc, i32x4.eq(v128.and(r0, absMask), zero));
      acc = i32x4.sub(acc, i32x4.eq(v128.and(r1, absMask), zero));
      acc = i32x4.sub(acc, i32x4.eq(v128.and(r2, absMask), zero));
      acc = i32x4.sub(acc, i32x4.eq(v128.and(r3, absMask), zero));
    }
    kept = i - sumLanes(acc);
  }
  for (; i < n; i++) {
    const p = ptr + (<usize>i << 2);
    const keep = <u32>(load<u8>(maskPtr + i) != 0);
    const bits = load<u32>(p) & (0 - keep);
    store<u32>(p, bits);
    kept += <u32>((bits & ABS) != 0);
  }
  return kept;
}

// Counts +0 and -0.
export function countZeros(ptr: usize, n: u32): u32 {
  let i: u32 = 0;
  let zeros: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const absMask = i32x4.splat(ABS);
    const zero = i32x4.splat(0);
    let acc0 = i32x4.splat(0);
    let acc1 = i32x4.splat(0);
    for (; i + 8 <= n; i += 8) {
      const p = ptr + (<usize>i << 2);
      acc0 = i32x4.sub(acc0, i32x4.eq(v128.and(v128.load(p), absMask), zero));
      acc1 = i32x4.sub(acc1, i32x4.eq(v128.and(v128.load(p, 16), absMask), zero));
    }
    zeros = sumLanes(i32x4.add(acc0, acc1));
  }
  for (; i < n; i++) {
    zeros += <u32>((load<u32>(ptr + (<usize>i << 2)) & ABS) == 0);
  }
  return zeros;
}

export function countNaN(ptr: usize, n: u32): u32 {
  let i: u32 = 0;
  let nans: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const absMask = i32x4.splat(ABS);
    const inf = i32x4.splat(INF);
    let acc0 = i32x4.splat(0);
    let acc1 = i32x4.splat(0);
    for (; i + 8 <= n; i += 8) {
      const p = ptr + (<usize>i << 2);
      acc0 = i32x4.sub(acc0, i32x4.gt_s(v128.and(v128.load(p), absMask), inf));
      acc1 = i32x4.sub(acc1, i32x4.gt_s(v128.and(v128.load(p, 16), absMask), inf));
    }
    nans = sumLanes(i32x4.add(acc0, acc1));
  }
  for (; i < n; i++) {
    nans += <u32>((load<u32>(ptr + (<usize>i << 2)) & ABS) > INF);
  }
  return nans;
}

// Index of the first NaN, or -1. Only called to word an error, so it need not be fast.
export function firstNaN(ptr: usize, n: u32): i32 {
  for (let i: u32 = 0; i < n; i++) {
    if ((load<u32>(ptr + (<usize>i << 2)) & ABS) > INF) return <i32>i;
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------
// Radix select over magnitude bit patterns (31 bits = 11 + 11 + 9), in up to three passes.
//
// hist area: 4 copies x 2048 u32 counters. Element i is counted in copy (i & 3), so consecutive
// increments of the same bin (weights cluster in a few exponents) never wait on each other. The
// caller zeroes the area before a pass and sums the copies after it; kernels only add, so a pass
// may span many chunks.
//
//   copy 0: [b0 .. b2047] copy 1: [b0 .. b2047] copy 2: [...] copy 3: [...]

// Pass 1 over everything: bin = |w| >> 20. Returns how many NaN were seen.
export function histogramAll(ptr: usize, n: u32, histPtr: usize): u32 {
  let i: u32 = 0;
  let nans: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const absMask = i32x4.splat(ABS);
    const inf = i32x4.splat(INF);
    let nanAcc = i32x4.splat(0);
    for (; i + 4 <= n; i += 4) {
      const a = v128.and(v128.load(ptr + (<usize>i << 2)), absMask);
      nanAcc = i32x4.sub(nanAcc, i32x4.gt_s(a, inf));
      const b = i32x4.shr_u(a, 20);
      bump(histPtr + (<usize>i32x4.extract_lane(b, 0) << 2));
      bump(histPtr + COPY_BYTES + (<usize>i32x4.extract_lane(b, 1) << 2));
      bump(histPtr + 2 * COPY_BYTES + (<usize>i32x4.extract_lane(b, 2) << 2));
      bump(histPtr + 3 * COPY_BYTES + (<usize>i32x4.extract_lane(b, 3) << 2));
    }
    nans = sumLanes(nanAcc);
  }
  for (; i < n; i++) {
    const a = load<u32>(ptr + (<usize>i << 2)) & ABS;
    nans += <u32>(a > INF);
    bump(histPtr + (<usize>(i & 3)) * COPY_BYTES + (<usize>(a >> 20) << 2));
  }
  return nans;
}

// Later passes: among weights whose magnitude satisfies (|w| >> prefixShift) == prefix, count
// bin ((|w| >> shift) & 2047).
export function histogramPrefix(
  ptr: usize,
  n: u32,
  histPtr: usize,
  shift: u32,
  prefixShift: u32,
  prefix: u32,
): void {
  let i: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const absMask = i32x4.splat(ABS);
    const pv = i32x4.splat(prefix);
    for (; i + 4 <= n; i += 4) {
      const a = v128.and(v128.load(ptr + (<usize>i << 2)), absMask);
      // Most vectors hold no candidate: one compare and a branch, nothing stored.
      if (v128.any_true(i32x4.eq(i32x4.shr_u(a, prefixShift), pv))) {
        for (let j: u32 = 0; j < 4; j++) {
          bumpIfPrefix(load<u32>(ptr + (<usize>(i + j) << 2)) & ABS, j, histPtr, shift, prefixShift, prefix);
        }
      }
    }
  }
  for (; i < n; i++) {
    bumpIfPrefix(load<u32>(ptr + (<usize>i << 2)) & ABS, i & 3, histPtr, shift, prefixShift, prefix);
  }
}

// Copies the magnitudes (as u32 patterns) of weights in a prefix bucket to `outPtr`, starting at
// element `count`, writing at most up to `cap`. Returns the new count (which may exceed `cap`:
// the caller then knows the bucket did not fit). The copies are float32 magnitudes, so the
// histogram kernels run on them unchanged.
export function gatherPrefix(
  ptr: usize,
  n: u32,
  prefixShift: u32,
  prefix: u32,
  outPtr: usize,
  count: u32,
  cap: u32,
): u32 {
  let i: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const absMask = i32x4.splat(ABS);
    const pv = i32x4.splat(prefix);
    for (; i + 4 <= n; i += 4) {
      const a = v128.and(v128.load(ptr + (<usize>i << 2)), absMask);
      if (v128.any_true(i32x4.eq(i32x4.shr_u(a, prefixShift), pv))) {
        for (let j: u32 = 0; j < 4; j++) {
          count = gatherOne(load<u32>(ptr + (<usize>(i + j) << 2)) & ABS, prefixShift, prefix, outPtr, count, cap);
        }
      }
    }
  }
  for (; i < n; i++) {
    count = gatherOne(load<u32>(ptr + (<usize>i << 2)) & ABS, prefixShift, prefix, outPtr, count, cap);
  }
  return count;
}

// One pass for a bracketed select: count |w| < lo, NaN and zeros (added to the three u32 at
// `resPtr`: [below, nans, zeros]; zeros so that a global prune needs no pass of its own) and copy the magnitudes with lo <= |w| <= hi to `outPtr` from element `count` on,
// keeping at most `cap` (the area must hold cap + 4). Returns the new count, which exceeds `cap`
// when the bracket held more than fits.
//
// The SIMD build compacts without branches (a branch to per-lane code made V8 compile the whole
// loop several times slower): the 4-bit mask of lanes inside the bracket picks a shuffle from a
// 16-entry table that moves those lanes to the front, the vector is stored at the current end and
// the end advances by the mask's popcount.
//
//   resPtr: [below u32][nans u32][zeros u32][4 bytes unused][table: 16 x 16 bytes]   (the caller writes the table)
export function countBracket(
  ptr: usize,
  n: u32,
  lo: u32,
  hi: u32,
  outPtr: usize,
  count: u32,
  cap: u32,
  resPtr: usize,
): u32 {
  let i: u32 = 0;
  let below: u32 = 0;
  let nans: u32 = 0;
  let zeros: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const absMask = i32x4.splat(ABS);
    const lov = i32x4.splat(lo);
    const hiv = i32x4.splat(hi);
    const inf = i32x4.splat(INF);
    const table = resPtr + 16;
    const zero = i32x4.splat(0);
    let belowAcc = i32x4.splat(0);
    let nanAcc = i32x4.splat(0);
    let zeroAcc = i32x4.splat(0);
    for (; i + 8 <= n; i += 8) {
      const p = ptr + (<usize>i << 2);
      const a0 = v128.and(v128.load(p), absMask);
      const a1 = v128.and(v128.load(p, 16), absMask);
      const lt0 = i32x4.gt_s(lov, a0);
      const lt1 = i32x4.gt_s(lov, a1);
      belowAcc = i32x4.sub(belowAcc, i32x4.add(lt0, lt1));
      zeroAcc = i32x4.sub(zeroAcc, i32x4.add(i32x4.eq(a0, zero), i32x4.eq(a1, zero)));
      nanAcc = i32x4.sub(nanAcc, i32x4.add(i32x4.gt_s(a0, inf), i32x4.gt_s(a1, inf)));
      const in0 = v128.not(v128.or(lt0, i32x4.gt_s(a0, hiv)));
      const in1 = v128.not(v128.or(lt1, i32x4.gt_s(a1, hiv)));
      // The bracket is narrow: most steps hold none of it and store nothing.
      if (v128.any_true(v128.or(in0, in1))) {
        const m0 = <u32>i32x4.bitmask(in0);
        const m1 = <u32>i32x4.bitmask(in1);
        v128.store(outPtr + (<usize>min(count, cap) << 2), i8x16.swizzle(a0, v128.load(table + (<usize>m0 << 4))));
        count += popcnt(m0);
        v128.store(outPtr + (<usize>min(count, cap) << 2), i8x16.swizzle(a1, v128.load(table + (<usize>m1 << 4))));
        count += popcnt(m1);
      }
    }
    below = sumLanes(belowAcc);
    nans = sumLanes(nanAcc);
    zeros = sumLanes(zeroAcc);
  }
  for (; i < n; i++) {
    const a = load<u32>(ptr + (<usize>i << 2)) & ABS;
    below += <u32>(a < lo);
    nans += <u32>(a > INF);
    zeros += <u32>(a == 0);
    count = bracketOne(a, lo, hi, outPtr, count, cap);
  }
  store<u32>(resPtr, load<u32>(resPtr) + below);
  store<u32>(resPtr, load<u32>(resPtr, 4) + nans, 4);
  store<u32>(resPtr, load<u32>(resPtr, 8) + zeros, 8);
  return count;
}

// ---------------------------------------------------------------------------------------------
// N:M mask. The buffer is `n / rowLength` rows; each row is cut into groups of `m` consecutive
// weights (the last group of a row may be shorter). In each group the `keep` largest magnitudes
// get mask 1, ties going to the lowest index (the order tf.topk returns). Returns weights kept.
// Scalar in both builds: groups are tiny and the O(m^2) rank count is branch-free.
export function nmMask(ptr: usize, n: u32, rowLength: u32, keep: u32, m: u32, maskPtr: usize): u32 {
  let kept: u32 = 0;
  for (let row: u32 = 0; row < n; row += rowLength) {
    for (let g: u32 = 0; g < rowLength; g += m) {
      const size = min(m, rowLength - g);
      const base = row + g;
      for (let j: u32 = 0; j < size; j++) {
        const aj = load<u32>(ptr + (<usize>(base + j) << 2)) & ABS;
        // rank = how many in the group come before j in (magnitude desc, index asc) order.
        let rank: u32 = 0;
        for (let q: u32 = 0; q < size; q++) {
          const aq = load<u32>(ptr + (<usize>(base + q) << 2)) & ABS;
          rank += <u32>(aq > aj) | (<u32>(aq == aj) & <u32>(q < j));
        }
        const k = <u32>(rank < keep);
        store<u8>(maskPtr + base + j, <u8>k);
        kept += k;
      }
    }
  }
  return kept;
}

// ---------------------------------------------------------------------------------------------
// Column norms for structured pruning. The block at ptr is `rows` rows of `cols` float32 (row
// major: a Dense kernel [in, units], a Conv kernel [..., in, filters] seen as [k, filters]). Adds
// |w| (p = 1) or w*w (p = 2) of every weight to its column's float32 accumulator at accPtr
// (cols of them), row after row, so a block can be fed in pieces of whole rows. Each column is
// summed in row order in both builds (the SIMD build takes 4 adjacent columns at once), so the
// results are bit-identical. NaN propagates (callers reject NaN first).
//
//   ptr:    w[0,0] w[0,1] .. w[0,cols-1] | w[1,0] ..      accPtr: acc[0] .. acc[cols-1]
export function columnNormsAdd(ptr: usize, rows: u32, cols: u32, p: u32, accPtr: usize): void {
  for (let r: u32 = 0; r < rows; r++) {
    const row = ptr + ((<usize>r * <usize>cols) << 2);
    let c: u32 = 0;
    if (ASC_FEATURE_SIMD) {
      if (p == 1) {
        for (; c + 4 <= cols; c += 4) {
          const a = accPtr + (<usize>c << 2);
          v128.store(a, f32x4.add(v128.load(a), f32x4.abs(v128.load(row + (<usize>c << 2)))));
        }
      } else {
        for (; c + 4 <= cols; c += 4) {
          const a = accPtr + (<usize>c << 2);
          const w = v128.load(row + (<usize>c << 2));
          v128.store(a, f32x4.add(v128.load(a), f32x4.mul(w, w)));
        }
      }
    }
    for (; c < cols; c++) {
      const w = load<f32>(row + (<usize>c << 2));
      const a = accPtr + (<usize>c << 2);
      store<f32>(a, load<f32>(a) + (p == 1 ? Mathf.abs(w) : w * w));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Quantized tensors' codes (uint8; uint16 and float16 as 16-bit codes), little-endian, any
// alignment for 8-bit codes, 2-byte aligned for 16-bit ones. A code is read as a key,
// key = code & mask (mask 0x7fff folds a float16's -x and +x into one key; 0xff / 0xffff leave
// affine codes as they are), and a set of codes is a range of keys (lo, span): the keys with
// lo <= key <= lo + span, none when span < 0. A quantized weight's magnitude grows away from the
// zero code on either side (with the key, for float16), so every set a threshold picks — the
// codes below it, at or below it, equal to 0 — is one such range (src/model/codec.ts).

// The histogram of 8-bit codes (a uint8 tensor's own threshold: 256 magnitudes at most, so its
// k-th is read off the counts): 4 copies x 256 u32, code i counted in copy i & 3 as in
// `histogramAll`; the caller zeroes the area and sums the copies. Scalar code in both builds.
export function histCodes8(ptr: usize, n: u32, histPtr: usize): void {
  let i: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    // (Four codes per load; the scalar build keeps the plain loop, which is smaller.)
    for (; i + 4 <= n; i += 4) {
      const w = load<u32>(ptr + <usize>i);
      bump(histPtr + ((<usize>(w & 0xff)) << 2));
      bump(histPtr + 1024 + ((<usize>((w >> 8) & 0xff)) << 2));
      bump(histPtr + 2048 + ((<usize>((w >> 16) & 0xff)) << 2));
      bump(histPtr + 3072 + ((<usize>(w >> 24)) << 2));
    }
  }
  for (; i < n; i++) bump(histPtr + (<usize>(i & 3) << 10) + (<usize>load<u8>(ptr + <usize>i) << 2));
}

// One pass of a bracketed select (see countBracket) over codes of `width` bytes: counts the codes
// in `below` (|w| < lo), `zero` (|w| = 0) and `nan`, adding them to res [below u32][nans u32]
// [zeros u32], and gathers the keys in `inside` (|w| <= hi) that are not below at outPtr from
// element `count` on, keeping at most `cap` (the area holds cap + 4), which it then turns into
// magnitude bits: float16 (mask 0x7fff) the half's float32 pattern, affine codes that of
// |f32(key * scale + offset)| (tfjs' own float64 arithmetic: q * scale + min). Returns the new
// count, above `cap` when the bracket held more than fits. res + 16 holds countBracket's shuffle
// table (the caller writes it).
//
// SIMD: 16 8-bit codes at a time in u8 lanes, or 8 16-bit keys in u16 lanes; lane counts are added
// to u32 totals before a lane can wrap. The `nan` range must hold the largest keys (float16's,
// above +Infinity; none for 8-bit codes): the 16-bit loop only tracks the largest key, and counts
// NaN one code at a time when one is there.
export function bracketCodes(
  ptr: usize, n: u32, width: u32, mask: u32,
  bLo: u32, bSpan: i32, gLo: u32, gSpan: i32, zLo: u32, zSpan: i32, nLo: u32, nSpan: i32,
  scale: f64, offset: f64, outPtr: usize, count: u32, cap: u32, resPtr: usize,
): u32 {
  const from = count;
  let i: u32 = 0;
  let below: u32 = 0;
  let zeros: u32 = 0;
  let nans: u32 = 0;
  if (ASC_FEATURE_SIMD && width == 1) {
    // 16 codes at a time in u8 lanes (no NaN among 8-bit codes); lane counts added to u32 totals
    // every 255 vectors, before a u8 lane can wrap.
    const table = resPtr + 16;
    const bl = i8x16.splat(<i8>bLo);
    const bs = i8x16.splat(<i8>bSpan);
    const bh = i8x16.splat(bSpan < 0 ? 0 : -1);
    const gl = i8x16.splat(<i8>gLo);
    const gs = i8x16.splat(<i8>gSpan);
    const gh = i8x16.splat(gSpan < 0 ? 0 : -1);
    const zl = i8x16.splat(<i8>zLo);
    const zs = i8x16.splat(<i8>zSpan);
    const zh = i8x16.splat(zSpan < 0 ? 0 : -1);
    let accB = i32x4.splat(0);
    let accZ = i32x4.splat(0);
    while (i + 16 <= n) {
      const end = i + min((n - i) & ~15, 16 * 255);
      let b8 = i8x16.splat(0);
      let z8 = i8x16.splat(0);
      for (; i < end; i += 16) {
        const k = v128.load(ptr + <usize>i);
        const mb = v128.and(i8x16.le_u(i8x16.sub(k, bl), bs), bh);
        b8 = i8x16.sub(b8, mb);
        z8 = i8x16.sub(z8, v128.and(i8x16.le_u(i8x16.sub(k, zl), zs), zh));
        const inside = v128.andnot(v128.and(i8x16.le_u(i8x16.sub(k, gl), gs), gh), mb);
        if (v128.any_true(inside)) {
          const m = <u32>i8x16.bitmask(inside);
          count = gatherKeys(i16x8.extend_low_i8x16_u(k), m & 0xff, outPtr, count, cap, table);
          count = gatherKeys(i16x8.extend_high_i8x16_u(k), m >> 8, outPtr, count, cap, table);
        }
      }
      accB = i32x4.add(accB, i32x4.extadd_pairwise_i16x8_u(i16x8.extadd_pairwise_i8x16_u(b8)));
      accZ = i32x4.add(accZ, i32x4.extadd_pairwise_i16x8_u(i16x8.extadd_pairwise_i8x16_u(z8)));
    }
    below = sumLanes(accB);
    zeros = sumLanes(accZ);
  } else if (ASC_FEATURE_SIMD) {
    const table = resPtr + 16;
    const mv = i16x8.splat(<i16>mask);
    const bl = i16x8.splat(<i16>bLo);
    const bs = i16x8.splat(<i16>bSpan);
    const bh = i16x8.splat(bSpan < 0 ? 0 : -1);
    const gl = i16x8.splat(<i16>gLo);
    const gs = i16x8.splat(<i16>gSpan);
    const gh = i16x8.splat(gSpan < 0 ? 0 : -1);
    const zl = i16x8.splat(<i16>zLo);
    const zs = i16x8.splat(<i16>zSpan);
    const zh = i16x8.splat(zSpan < 0 ? 0 : -1);
    // The NaN range holds the largest keys: the loop only tracks the largest key it sees.
    let top = i16x8.splat(0);
    let accB = i32x4.splat(0);
    let accZ = i32x4.splat(0);
    while (i + 8 <= n) {
      const end = i + min((n - i) & ~7, 8 << 12);
      let b16 = i16x8.splat(0);
      let z16 = i16x8.splat(0);
      for (; i < end; i += 8) {
        const k = v128.and(v128.load(ptr + (<usize>i << 1)), mv);
        const mb = v128.and(i16x8.le_u(i16x8.sub(k, bl), bs), bh);
        b16 = i16x8.sub(b16, mb);
        z16 = i16x8.sub(z16, v128.and(i16x8.le_u(i16x8.sub(k, zl), zs), zh));
        top = i16x8.max_u(top, k);
        const inside = v128.andnot(v128.and(i16x8.le_u(i16x8.sub(k, gl), gs), gh), mb);
        // The bracket is narrow: most steps gather nothing.
        if (v128.any_true(inside)) count = gatherKeys(k, <u32>i16x8.bitmask(inside), outPtr, count, cap, table);
      }
      accB = i32x4.add(accB, i32x4.extadd_pairwise_i16x8_u(b16));
      accZ = i32x4.add(accZ, i32x4.extadd_pairwise_i16x8_u(z16));
    }
    below = sumLanes(accB);
    zeros = sumLanes(accZ);
    // Some key reached the NaN range (an error path): count those codes one at a time.
    if (nSpan >= 0 && v128.any_true(i16x8.ge_u(top, i16x8.splat(<i16>nLo)))) {
      for (let j: u32 = 0; j < i; j++) nans += <u32>inRange(<u32>load<u16>(ptr + (<usize>j << 1)) & mask, nLo, nSpan);
    }
  }
  for (; i < n; i++) {
    const k = (width == 1 ? <u32>load<u8>(ptr + <usize>i) : <u32>load<u16>(ptr + (<usize>i << 1))) & mask;
    const b = inRange(k, bLo, bSpan);
    below += <u32>b;
    zeros += <u32>inRange(k, zLo, zSpan);
    nans += <u32>inRange(k, nLo, nSpan);
    if (!b && inRange(k, gLo, gSpan)) {
      if (count < cap) store<u32>(outPtr + (<usize>count << 2), k);
      count++;
    }
  }
  addResults(resPtr, below, nans, zeros);
  keysToMagnitudes(outPtr, from, min(count, cap), mask == 0x7fff, scale, offset);
  return count;
}

// Code rewrite in place, for a pruned set that is a range of keys, key = (code & mask) - lo
// (wrapping at the code width; mask 0x7fff makes a float16's -x and +x one key): a code is pruned
// (set to `z`) when its key <= span. Until `take` ties are taken the range is (lo1, span1); a code
// inside it but outside (lo2, span2) is a tie, and once `take` of them are pruned (lowest index
// first) the range is (lo2, span2), empty when span2 < 0. take 0: (lo2, span2) from the start.
// Returns the ties taken (a split may continue in the next chunk with the rest of `take`).
export function pruneCodes8(ptr: usize, n: u32, lo1: u32, span1: u32, lo2: u32, span2: i32, z: u32, take: u32): u32 {
  let i: u32 = 0;
  let taken: u32 = 0;
  if (ASC_FEATURE_SIMD && take > 0) {
    const l1 = i8x16.splat(<i8>lo1);
    const s1 = i8x16.splat(<i8>span1);
    const l2 = i8x16.splat(<i8>lo2);
    const s2 = i8x16.splat(<i8>span2);
    const zv = i8x16.splat(<i8>z);
    const has2 = i8x16.splat(span2 < 0 ? 0 : -1);
    for (; i + 16 <= n && taken < take; i += 16) {
      const p = ptr + <usize>i;
      const c = v128.load(p);
      const m1 = i8x16.le_u(i8x16.sub(c, l1), s1);
      const m2 = v128.and(i8x16.le_u(i8x16.sub(c, l2), s2), has2);
      const ties = popcnt(<u32>i8x16.bitmask(v128.andnot(m1, m2)));
      if (taken + ties > take) break;
      v128.store(p, v128.bitselect(zv, c, m1));
      taken += ties;
    }
  }
  for (; i < n && taken < take; i++) {
    const p = ptr + <usize>i;
    const c = <u32>load<u8>(p);
    if (((c - lo1) & 0xff) <= span1) {
      taken += <u32>(((c - lo2) & 0xff) > <u32>span2 || span2 < 0);
      store<u8>(p, <u8>z);
    }
  }
  if (span2 < 0) return taken;
  if (ASC_FEATURE_SIMD) {
    const l2 = i8x16.splat(<i8>lo2);
    const s2 = i8x16.splat(<i8>span2);
    const zv = i8x16.splat(<i8>z);
    for (; i + 32 <= n; i += 32) {
      const p = ptr + <usize>i;
      const c0 = v128.load(p);
      const c1 = v128.load(p, 16);
      v128.store(p, v128.bitselect(zv, c0, i8x16.le_u(i8x16.sub(c0, l2), s2)));
      v128.store(p, v128.bitselect(zv, c1, i8x16.le_u(i8x16.sub(c1, l2), s2)), 16);
    }
  }
  for (; i < n; i++) {
    const p = ptr + <usize>i;
    const c = <u32>load<u8>(p);
    if (((c - lo2) & 0xff) <= <u32>span2) store<u8>(p, <u8>z);
  }
  return taken;
}

export function pruneCodes16(ptr: usize, n: u32, mask: u32, lo1: u32, span1: u32, lo2: u32, span2: i32, z: u32, take: u32): u32 {
  let i: u32 = 0;
  let taken: u32 = 0;
  if (ASC_FEATURE_SIMD && take > 0) {
    const mv = i16x8.splat(<i16>mask);
    const l1 = i16x8.splat(<i16>lo1);
    const s1 = i16x8.splat(<i16>span1);
    const l2 = i16x8.splat(<i16>lo2);
    const s2 = i16x8.splat(<i16>span2);
    const zv = i16x8.splat(<i16>z);
    const has2 = i16x8.splat(span2 < 0 ? 0 : -1);
    for (; i + 8 <= n && taken < take; i += 8) {
      const p = ptr + (<usize>i << 1);
      const c = v128.load(p);
      const k = v128.and(c, mv);
      const m1 = i16x8.le_u(i16x8.sub(k, l1), s1);
      const m2 = v128.and(i16x8.le_u(i16x8.sub(k, l2), s2), has2);
      const ties = popcnt(<u32>i16x8.bitmask(v128.andnot(m1, m2)));
      if (taken + ties > take) break;
      v128.store(p, v128.bitselect(zv, c, m1));
      taken += ties;
    }
  }
  for (; i < n && taken < take; i++) {
    const p = ptr + (<usize>i << 1);
    const k = <u32>load<u16>(p) & mask;
    if (((k - lo1) & 0xffff) <= span1) {
      taken += <u32>(((k - lo2) & 0xffff) > <u32>span2 || span2 < 0);
      store<u16>(p, <u16>z);
    }
  }
  if (span2 < 0) return taken;
  if (ASC_FEATURE_SIMD) {
    const mv = i16x8.splat(<i16>mask);
    const l2 = i16x8.splat(<i16>lo2);
    const s2 = i16x8.splat(<i16>span2);
    const zv = i16x8.splat(<i16>z);
    for (; i + 16 <= n; i += 16) {
      const p = ptr + (<usize>i << 1);
      const c0 = v128.load(p);
      const c1 = v128.load(p, 16);
      v128.store(p, v128.bitselect(zv, c0, i16x8.le_u(i16x8.sub(v128.and(c0, mv), l2), s2)));
      v128.store(p, v128.bitselect(zv, c1, i16x8.le_u(i16x8.sub(v128.and(c1, mv), l2), s2)), 16);
    }
  }
  for (; i < n; i++) {
    const p = ptr + (<usize>i << 1);
    if ((((<u32>load<u16>(p) & mask) - lo2) & 0xffff) <= <u32>span2) store<u16>(p, <u16>z);
  }
  return taken;
}

// lo <= k <= lo + span (k - lo wraps to a large u32 below lo); none when span < 0.
@inline function inRange(k: u32, lo: u32, span: i32): bool {
  return span >= 0 && k - lo <= <u32>span;
}

@inline function addResults(resPtr: usize, a: u32, b: u32, c: u32): void {
  store<u32>(resPtr, load<u32>(resPtr) + a);
  store<u32>(resPtr, load<u32>(resPtr, 4) + b, 4);
  store<u32>(resPtr, load<u32>(resPtr, 8) + c, 8);
}

// Stores the u16 lanes of `k` picked by the 8-bit lane mask `m` as u32 at the end of the gather
// area, through countBracket's 4-lane shuffle table (two halves).
// @ts-ignore: decorator
@inline function gatherKeys(k: v128, m: u32, outPtr: usize, count: u32, cap: u32, table: usize): u32 {
  const m0 = m & 15;
  const m1 = m >> 4;
  v128.store(outPtr + (<usize>min(count, cap) << 2), i8x16.swizzle(i32x4.extend_low_i16x8_u(k), v128.load(table + (<usize>m0 << 4))));
  count += popcnt(m0);
  v128.store(outPtr + (<usize>min(count, cap) << 2), i8x16.swizzle(i32x4.extend_high_i16x8_u(k), v128.load(table + (<usize>m1 << 4))));
  return count + popcnt(m1);
}

// Gathered keys [from, to) to magnitude bit patterns, in place.
function keysToMagnitudes(outPtr: usize, from: u32, to: u32, half: bool, scale: f64, offset: f64): void {
  for (let j = from; j < to; j++) {
    const p = outPtr + (<usize>j << 2);
    const key = load<u32>(p);
    store<u32>(p, half ? halfMagnitude(key) : reinterpret<u32>(<f32>(<f64>key * scale + offset)) & ABS);
  }
}

// A float16 key (code & 0x7fff) as the bit pattern of its float32 value.
@inline function halfMagnitude(key: u32): u32 {
  const e = key >> 10;
  if (e == 0) return reinterpret<u32>(<f32>key * 5.9604644775390625e-8); // subnormal: key * 2^-24, exact
  if (e == 31) return 0x7f800000 | ((key & 0x3ff) << 13);
  return (key + (112 << 10)) << 13;
}

// ---------------------------------------------------------------------------------------------

@inline function bump(p: usize): void {
  store<u32>(p, load<u32>(p) + 1);
}

@inline function bumpIfPrefix(a: u32, copy: u32, histPtr: usize, shift: u32, prefixShift: u32, prefix: u32): void {
  if ((a >> prefixShift) == prefix) {
    bump(histPtr + (<usize>copy) * COPY_BYTES + (<usize>((a >> shift) & (BINS - 1)) << 2));
  }
}

@inline function gatherOne(a: u32, prefixShift: u32, prefix: u32, outPtr: usize, count: u32, cap: u32): u32 {
  if ((a >> prefixShift) == prefix) {
    if (count < cap) store<u32>(outPtr + (<usize>count << 2), a);
    count++;
  }
  return count;
}

@inline function bracketOne(a: u32, lo: u32, hi: u32, outPtr: usize, count: u32, cap: u32): u32 {
  if (a >= lo && a <= hi) {
    if (count < cap) store<u32>(outPtr + (<usize>count << 2), a);
    count++;
  }
  return count;
}

@inline function pack16(m0: v128, m1: v128, m2: v128, m3: v128): v128 {
  return i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(m0, m1), i16x8.narrow_i32x4_s(m2, m3));
}
