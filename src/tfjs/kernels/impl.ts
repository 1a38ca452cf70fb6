// The semantics of the three kernels on floats already in some Wasm memory, shared by every path
// (zero-copy on the wasm backend, copy in / copy out elsewhere): the same decisions as the
// typed-array API (src/kernels/api.ts), made by the same kernels, so every backend agrees with
// it bit for bit.
import { NaNWeightsError } from '../../errors.js';
import { prunedCount, thresholdBits } from '../../kernels/api.js';
import type { ForeignHeap, TensorKernels } from '../../wasm/index.js';
import type { PruneMagnitudeAttrs } from '../kernel_names.js';

/** Prune |w| <= tBits when `need` is null; else |w| < tBits and the first `need` ties. */
export interface Decision {
  tBits: number;
  need: number | null;
}

/**
 * Where the threshold falls for `attrs`, from the n floats at `ptr`. A sparsity needs the radix
 * select, which sees any NaN and throws a NaNWeightsError; a threshold (or sparsity 0) needs no
 * pass at all, and its NaN check is left to the writing pass (`writeMagnitude`).
 */
export function decide(
  fname: string,
  k: TensorKernels,
  heap: ForeignHeap,
  ptr: number,
  n: number,
  attrs: PruneMagnitudeAttrs,
): Decision {
  if (attrs.threshold !== undefined && attrs.threshold !== null) {
    return { tBits: thresholdBits(fname, attrs.threshold), need: null };
  }
  const count = prunedCount(attrs.sparsity as number, n);
  if (count === 0) return { tBits: 0, need: null };
  const sel = k.select(heap, ptr, n, count);
  if (sel === null) throw nanError(fname, k, ptr, n);
  // A zero threshold means every pruned weight is already zero: prune all zeros alike.
  return sel.bits === 0 ? { tBits: 0, need: null } : { tBits: sel.bits, need: sel.need };
}

/**
 * dst = the pruned floats (`prune`) or the float32 keep-mask (`mask`); dst may equal src. The
 * threshold kernels count NaN as they go (one pass instead of two): when they met any, this
 * throws a NaNWeightsError and dst holds garbage, which the caller discards. NaNs are copied
 * through, so src still shows them even when dst == src.
 */
export function writeMagnitude(
  fname: string,
  kind: 'prune' | 'mask',
  k: TensorKernels,
  d: Decision,
  src: number,
  dst: number,
  n: number,
): void {
  const ex = k.ex;
  if (d.need !== null) {
    if (kind === 'prune') ex.pruneSelectTo(src, dst, n, d.tBits, d.need);
    else ex.maskSelectF32(src, dst, n, d.tBits, d.need);
    return;
  }
  const nans = kind === 'prune' ? ex.pruneAboveTo(src, dst, n, d.tBits) : ex.maskAboveF32(src, dst, n, d.tBits);
  if (nans >>> 0 !== 0) throw nanError(fname, k, src, n);
}

export type MaskDtype = 'float32' | 'int32' | 'bool';

/**
 * dst = mask != 0 ? src : +0. A float32 mask of -0 counts as zero (-0 == 0); bool masks are one
 * byte per element, float32 and int32 masks four.
 */
export function applyMaskTo(k: TensorKernels, src: number, mask: number, dtype: MaskDtype, dst: number, n: number): void {
  if (dtype === 'bool') k.ex.applyMask8To(src, mask, dst, n);
  else k.ex.applyMask32To(src, mask, dst, n, dtype === 'float32' ? 0x7fffffff : 0xffffffff);
}

function nanError(fname: string, k: TensorKernels, ptr: number, n: number): NaNWeightsError {
  const { count, first } = k.findNaN(ptr, n) ?? { count: 0, first: -1 };
  return new NaNWeightsError(
    `${fname}: weights contain ${count} NaN value${count === 1 ? '' : 's'} (first at index ${first}); a NaN has no magnitude to rank`,
    count,
    first,
  );
}
