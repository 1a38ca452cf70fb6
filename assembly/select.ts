// The loops that prune or mask, shared by the in-place kernels (index.ts: byte masks, the tie
// count carried across chunks) and the tensor kernels (tensor.ts: out of place, float32 masks):
// - aboveInto, by threshold: pruneAbove, pruneAboveTo, maskAboveF32 (maskAbove's byte masks go
//   16 weights at a time and keep a loop of their own);
// - selectInto, to an exact count: pruneSelect, maskSelect, pruneSelectTo, maskSelectF32. Every
//   |w| < t is pruned, every |w| > t kept, and of the weights with |w| == t the first `need`
//   (lowest index) are pruned.
// `out` says what is written to `dst` per weight, and is a constant at every call, so the inlined
// copies keep only their own stores:
//   OUT_WEIGHTS   the weight, or +0 (dst may be src: in place)
//   OUT_MASK_U8   one byte, 1 = keep, 0 = pruned
//   OUT_MASK_F32  1.0f or +0, one float32 per weight
// Helpers for both entries' SIMD loops are here too.

export const OUT_WEIGHTS: i32 = 0;
export const OUT_MASK_U8: i32 = 1;
export const OUT_MASK_F32: i32 = 2;

const ABS: u32 = 0x7fffffff;
const INF: u32 = 0x7f800000;
const ONE: u32 = 0x3f800000; // 1.0f

/** Ties still owed after the last selectInto (pruneSelect/maskSelect carry them across chunks). */
export let needAfter: u32 = 0;

/** Writes weight i's decision (keep 0 or 1; `bits` its bit pattern). */
// @ts-ignore: decorator
@inline function emit(dst: usize, i: u32, bits: u32, keep: u32, out: i32): void {
  if (out == OUT_MASK_U8) store<u8>(dst + i, <u8>keep);
  else store<u32>(dst + (<usize>i << 2), (out == OUT_WEIGHTS ? bits : ONE) & (0 - keep));
}

/** Writes the decisions of weights i..i+3 (`keep`: lane masks, 0 or -1; `v` the weights). */
// @ts-ignore: decorator
@inline function emit4(dst: usize, i: u32, v: v128, keep: v128, out: i32): void {
  if (out == OUT_MASK_U8) store<u32>(dst + i, pack4(keep) & 0x01010101);
  else v128.store(dst + (<usize>i << 2), v128.and(out == OUT_WEIGHTS ? v : i32x4.splat(ONE), keep));
}

/**
 * dst = |src| > t ? (the weight or 1.0f) : +0, 8 weights a step (out: OUT_WEIGHTS or
 * OUT_MASK_F32). Returns the weights kept, or with `countNaN` the NaN met (the tensor kernels'
 * check, instead of a separate pass: NaN is above every threshold and goes through as a weight).
 */
// @ts-ignore: decorator
@inline export function aboveInto(src: usize, dst: usize, n: u32, tBits: u32, out: i32, countNaN: bool): u32 {
  let i: u32 = 0;
  let count: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const absMask = i32x4.splat(ABS);
    const tv = i32x4.splat(tBits);
    const inf = i32x4.splat(INF);
    let acc0 = i32x4.splat(0);
    let acc1 = i32x4.splat(0);
    for (; i + 8 <= n; i += 8) {
      const o = <usize>i << 2;
      const v0 = v128.load(src + o);
      const v1 = v128.load(src + o, 16);
      const a0 = v128.and(v0, absMask);
      const a1 = v128.and(v1, absMask);
      const m0 = i32x4.gt_s(a0, tv);
      const m1 = i32x4.gt_s(a1, tv);
      emit4(dst, i, v0, m0, out);
      emit4(dst, i + 4, v1, m1, out);
      acc0 = i32x4.sub(acc0, countNaN ? i32x4.gt_s(a0, inf) : m0);
      acc1 = i32x4.sub(acc1, countNaN ? i32x4.gt_s(a1, inf) : m1);
    }
    count = sumLanes(i32x4.add(acc0, acc1));
  }
  for (; i < n; i++) {
    const bits = load<u32>(src + (<usize>i << 2));
    const mag = bits & ABS;
    // Branch-free: V8 would turn a select into a mispredicting branch on random weights.
    const keep = <u32>(mag > tBits);
    emit(dst, i, bits, keep, out);
    count += countNaN ? <u32>(mag > INF) : keep;
  }
  return count;
}

/** Returns the weights kept; the ties still owed are left in `needAfter`. */
// @ts-ignore: decorator
@inline export function selectInto(src: usize, dst: usize, n: u32, tBits: u32, need: u32, out: i32): u32 {
  let i: u32 = 0;
  let kept: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const absMask = i32x4.splat(ABS);
    const tv = i32x4.splat(tBits);
    let acc = i32x4.splat(0);
    // While ties are owed, a vector holding a tie is settled lane by lane.
    while (need > 0 && i + 4 <= n) {
      const v = v128.load(src + (<usize>i << 2));
      const a = v128.and(v, absMask);
      if (v128.any_true(i32x4.eq(a, tv))) {
        for (let j: u32 = i; j < i + 4; j++) {
          const bits = load<u32>(src + (<usize>j << 2));
          const mag = bits & ABS;
          const tie = <u32>(mag == tBits) & <u32>(need > 0);
          const keep = <u32>(mag > tBits) | (<u32>(mag == tBits) & (tie ^ 1));
          need -= tie;
          emit(dst, j, bits, keep, out);
          kept += keep;
        }
      } else {
        const keep = i32x4.ge_s(a, tv);
        emit4(dst, i, v, keep, out);
        acc = i32x4.sub(acc, keep);
      }
      i += 4;
    }
    // No ties owed: plain `|w| >= t` survives.
    for (; i + 4 <= n; i += 4) {
      const v = v128.load(src + (<usize>i << 2));
      const keep = i32x4.ge_s(v128.and(v, absMask), tv);
      emit4(dst, i, v, keep, out);
      acc = i32x4.sub(acc, keep);
    }
    kept += sumLanes(acc);
  }
  for (; i < n; i++) {
    const bits = load<u32>(src + (<usize>i << 2));
    const mag = bits & ABS;
    const tie = <u32>(mag == tBits) & <u32>(need > 0);
    const keep = <u32>(mag > tBits) | (<u32>(mag == tBits) & (tie ^ 1));
    need -= tie;
    emit(dst, i, bits, keep, out);
    kept += keep;
  }
  needAfter = need;
  return kept;
}

// @ts-ignore: decorator
@inline export function sumLanes(v: v128): u32 {
  return <u32>(
    i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3)
  );
}

/** Four i32 lane masks (0 / -1) as four bytes (0 / 0xff) in the low 32 bits. */
// @ts-ignore: decorator
@inline export function pack4(m: v128): u32 {
  const w = i16x8.narrow_i32x4_s(m, m);
  return <u32>i32x4.extract_lane(i8x16.narrow_i16x8_s(w, w), 0);
}
