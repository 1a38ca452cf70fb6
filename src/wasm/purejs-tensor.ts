// The pure-JS build of assembly/tensor.ts: the tensor kernels (out of place, masks as float32 0/1)
// over any memory, for the tfjs ops when the core runtime runs the pure-JS build. Loaded together
// with the core one (purejs-load.ts), only where a pure-JS build runs.
import { jsKernels, MemoryViews, selectTo, type LinearMemory } from './purejs.js';

export { jsBuild } from './purejs.js';

export function jsTensorKernels(memory: LinearMemory) {
  const core = jsKernels(memory);
  const v = new MemoryViews(memory);
  return {
    isSimd: core.isSimd,
    countNaN: core.countNaN,
    firstNaN: core.firstNaN,
    histogramAll: core.histogramAll,
    histogramPrefix: core.histogramPrefix,
    gatherPrefix: core.gatherPrefix,
    countBracket: core.countBracket,
    pruneAboveTo(srcPtr: number, dstPtr: number, n: number, tBits: number): number {
      v.refresh();
      return aboveTo(v.i32, srcPtr >>> 2, dstPtr >>> 2, n, tBits, false);
    },
    pruneSelectTo(srcPtr: number, dstPtr: number, n: number, tBits: number, need: number): number {
      v.refresh();
      return selectTo(v.i32, srcPtr >>> 2, dstPtr >>> 2, n, tBits, need, false);
    },
    maskAboveF32(srcPtr: number, dstPtr: number, n: number, tBits: number): number {
      v.refresh();
      return aboveTo(v.i32, srcPtr >>> 2, dstPtr >>> 2, n, tBits, true);
    },
    maskSelectF32(srcPtr: number, dstPtr: number, n: number, tBits: number, need: number): number {
      v.refresh();
      return selectTo(v.i32, srcPtr >>> 2, dstPtr >>> 2, n, tBits, need, true);
    },
    applyMask32To(srcPtr: number, maskPtr: number, dstPtr: number, n: number, maskBits: number): void {
      v.refresh();
      applyMask32To(v.i32, srcPtr >>> 2, maskPtr >>> 2, dstPtr >>> 2, n, maskBits);
    },
    applyMask8To(srcPtr: number, maskPtr: number, dstPtr: number, n: number): void {
      v.refresh();
      applyMask8To(v.i32, v.u8, srcPtr >>> 2, maskPtr, dstPtr >>> 2, n);
    },
  };
}

// dst = |src| > t ? (asMask ? 1.0f : src) : +0. Returns the NaN count (tensor.ts contract).
function aboveTo(a: Int32Array, s: number, d: number, n: number, t: number, asMask: boolean): number {
  let nans = 0;
  for (let i = 0; i < n; i++) {
    const b = a[s + i];
    const m = b & 0x7fffffff;
    a[d + i] = m > t ? (asMask ? 0x3f800000 : b) : 0;
    if (m > 0x7f800000) nans++;
  }
  return nans;
}

function applyMask32To(a: Int32Array, s: number, mk: number, d: number, n: number, maskBits: number): void {
  for (let i = 0; i < n; i++) a[d + i] = (a[mk + i] & maskBits) !== 0 ? a[s + i] : 0;
}

function applyMask8To(a: Int32Array, mask: Uint8Array, s: number, maskPtr: number, d: number, n: number): void {
  for (let i = 0; i < n; i++) a[d + i] = mask[maskPtr + i] !== 0 ? a[s + i] : 0;
}
