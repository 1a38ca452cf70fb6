// Kernels for tensors: the entry of the builds that run on memory this module does not own
// (`--importMemory --noExportMemory`, see asconfig.json `tensor-*` targets). tfjs tensors are
// immutable, so these write to a separate output (`dstPtr`; `dstPtr == srcPtr` is allowed and
// works in place), and masks are float32 0/1 like every other tfjs tensor a user multiplies with.
//
// Same contract as assembly/index.ts, plus: no data segments, no start function, no globals that
// must be initialised, no allocation. The caller owns every byte the pointers address, so an
// instance can sit on tfjs-backend-wasm's own WebAssembly.Memory (or a shared one, threads build)
// and read tensors where they live. Decisions are made on bit patterns, as in index.ts, so the
// SIMD and scalar builds agree bit for bit with each other and with index.ts.

export { isSimd, countNaN, firstNaN, histogramAll, histogramPrefix, gatherPrefix, countBracket } from './index';
import { aboveInto, OUT_MASK_F32, OUT_WEIGHTS, selectInto } from './select';

// The prune and mask loops are select.ts's, shared with index.ts.

// dst = |src| > t ? src : +0. Returns how many NaN it met (copied through like any weight above
// the threshold): the caller checks that count instead of making a separate NaN pass, and throws
// the output away when it is not 0. Out of place, the input is still intact then.
export function pruneAboveTo(srcPtr: usize, dstPtr: usize, n: u32, tBits: u32): u32 {
  return aboveInto(srcPtr, dstPtr, n, tBits, OUT_WEIGHTS, true);
}

// Exact count: dst = src where |src| > t, +0 where |src| < t, and of the weights with |src| == t
// the first `need` (lowest index) are pruned, the rest kept. One call covers the whole tensor, so
// no tie count is carried between calls. Returns survivors.
export function pruneSelectTo(srcPtr: usize, dstPtr: usize, n: u32, tBits: u32, need: u32): u32 {
  return selectInto(srcPtr, dstPtr, n, tBits, need, OUT_WEIGHTS);
}

// float32 keep-masks: dst = 1.0 where pruneAboveTo / pruneSelectTo would keep, else +0.
// maskAboveF32 returns the NaN count, as pruneAboveTo does; maskSelectF32 the weights kept.
export function maskAboveF32(srcPtr: usize, dstPtr: usize, n: u32, tBits: u32): u32 {
  return aboveInto(srcPtr, dstPtr, n, tBits, OUT_MASK_F32, true);
}

export function maskSelectF32(srcPtr: usize, dstPtr: usize, n: u32, tBits: u32, need: u32): u32 {
  return selectInto(srcPtr, dstPtr, n, tBits, need, OUT_MASK_F32);
}

// dst = mask != 0 ? src : +0 with a 32-bit mask per weight. A mask word counts as nonzero when
// (word & maskBits) != 0: maskBits 0x7fffffff for float32 masks (so -0 prunes, as -0 == 0),
// 0xffffffff for int32 masks.
export function applyMask32To(srcPtr: usize, maskPtr: usize, dstPtr: usize, n: u32, maskBits: u32): void {
  let i: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const mb = i32x4.splat(maskBits);
    const zero = i32x4.splat(0);
    for (; i + 8 <= n; i += 8) {
      const o = <usize>i << 2;
      const k0 = v128.not(i32x4.eq(v128.and(v128.load(maskPtr + o), mb), zero));
      const k1 = v128.not(i32x4.eq(v128.and(v128.load(maskPtr + o, 16), mb), zero));
      v128.store(dstPtr + o, v128.and(v128.load(srcPtr + o), k0));
      v128.store(dstPtr + o, v128.and(v128.load(srcPtr + o, 16), k1), 16);
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const keep = <u32>((load<u32>(maskPtr + o) & maskBits) != 0);
    store<u32>(dstPtr + o, load<u32>(srcPtr + o) & (0 - keep));
  }
}

// dst = mask != 0 ? src : +0 with one mask byte per weight (tfjs bool tensors).
export function applyMask8To(srcPtr: usize, maskPtr: usize, dstPtr: usize, n: u32): void {
  let i: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const zero = i32x4.splat(0);
    for (; i + 16 <= n; i += 16) {
      const o = <usize>i << 2;
      // 0xff where the mask byte is nonzero, widened to one i32 lane per weight.
      const mb = v128.not(i8x16.eq(v128.load(maskPtr + i), zero));
      const lo = i16x8.extend_low_i8x16_s(mb);
      const hi = i16x8.extend_high_i8x16_s(mb);
      v128.store(dstPtr + o, v128.and(v128.load(srcPtr + o), i32x4.extend_low_i16x8_s(lo)));
      v128.store(dstPtr + o, v128.and(v128.load(srcPtr + o, 16), i32x4.extend_high_i16x8_s(lo)), 16);
      v128.store(dstPtr + o, v128.and(v128.load(srcPtr + o, 32), i32x4.extend_low_i16x8_s(hi)), 32);
      v128.store(dstPtr + o, v128.and(v128.load(srcPtr + o, 48), i32x4.extend_high_i16x8_s(hi)), 48);
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const keep = <u32>(load<u8>(maskPtr + i) != 0);
    store<u32>(dstPtr + o, load<u32>(srcPtr + o) & (0 - keep));
  }
}
