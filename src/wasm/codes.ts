// Quantized tensors' codes through the kernels' window (src/model/codec.ts prunes uint8, uint16
// and float16 tensors in their codes): a histogram of the codes, and the in-place rewrite of a
// range of codes to the zero code. Codes arrive as little-endian bytes anywhere in JS memory; the
// window takes them a chunk at a time (chunkLength * 4 bytes), so alignment never matters.
import type { Runtime } from './runtime.js';
import { runtime } from './runtime.js';

/**
 * The pruned set, as ranges of keys (see pruneCodes8/16 in assembly/index.ts): key =
 * (code & mask) - lo, wrapping at the code width, inside when key <= span. (lo1, span1) holds the
 * ties too and applies until `take` ties are pruned, (lo2, span2) after that (empty if span2 < 0).
 */
export interface CodeRanges {
  mask: number;
  lo1: number;
  span1: number;
  lo2: number;
  span2: number;
  z: number;
  take: number;
}

/** Counts per code of `bytes` read as codes of `width` bytes: 256 or 65536 bins. */
export function codeHistogram(fname: string, bytes: Uint8Array, width: 1 | 2): Uint32Array {
  const rt = runtime(fname);
  const words = width === 1 ? 1024 : 65536;
  const hist = rt.heap.alloc(words * 4);
  try {
    rt.heap.u32.fill(0, hist >>> 2, (hist >>> 2) + words);
    chunks(rt, bytes, null, width, (ptr, n) => (width === 1 ? rt.ex.histCodes8(ptr, n, hist) : rt.ex.histCodes16(ptr, n, hist)));
    const h = rt.heap.u32.subarray(hist >>> 2, (hist >>> 2) + words);
    if (width === 2) return h.slice();
    // Four copies (code i counted in copy i & 3) summed.
    const out = new Uint32Array(256);
    for (let c = 0; c < 256; c++) out[c] = h[c] + h[256 + c] + h[512 + c] + h[768 + c];
    return out;
  } finally {
    rt.heap.release(hist);
  }
}

/**
 * A running histogram of 16-bit codes in the kernels' memory, for tensors that share a code table
 * (every float16 tensor): each tensor's codes are added to the total, and a tensor's own
 * histogram can be had on the way without a second pass over its codes. free() when done.
 */
export class CodeCounts {
  private readonly rt: Runtime;
  private readonly ptr: number;

  constructor(fname: string) {
    this.rt = runtime(fname);
    this.ptr = this.rt.heap.alloc(BINS16 * 4);
    this.rt.heap.u32.fill(0, this.ptr >>> 2, (this.ptr >>> 2) + BINS16);
  }

  /** Adds the codes (little-endian bytes) to the total; with `own`, returns their histogram too. */
  add(bytes: Uint8Array, own: boolean): Uint32Array | null {
    const { rt } = this;
    if (!own) {
      chunks(rt, bytes, null, 2, (ptr, n) => rt.ex.histCodes16(ptr, n, this.ptr));
      return null;
    }
    const hist = rt.heap.alloc(BINS16 * 4);
    try {
      rt.heap.u32.fill(0, hist >>> 2, (hist >>> 2) + BINS16);
      chunks(rt, bytes, null, 2, (ptr, n) => rt.ex.histCodes16(ptr, n, hist));
      rt.ex.addCounts(this.ptr, hist, BINS16);
      return rt.heap.u32.slice(hist >>> 2, (hist >>> 2) + BINS16);
    } finally {
      rt.heap.release(hist);
    }
  }

  /** The total so far. */
  total(): Uint32Array {
    return this.rt.heap.u32.slice(this.ptr >>> 2, (this.ptr >>> 2) + BINS16);
  }

  free(): void {
    this.rt.heap.release(this.ptr);
  }
}

const BINS16 = 65536;

/**
 * Writes `src` (codes of `width` bytes) to `dst` (the same length; may be `src` itself) with the
 * codes in `r`'s range replaced by r.z. Returns the ties pruned.
 */
export function pruneCodeRanges(fname: string, src: Uint8Array, dst: Uint8Array, width: 1 | 2, r: CodeRanges): number {
  const rt = runtime(fname);
  let taken = 0;
  chunks(rt, src, dst, width, (ptr, n) => {
    const take = r.take - taken;
    taken += (width === 1
      ? rt.ex.pruneCodes8(ptr, n, r.lo1, r.span1, r.lo2, r.span2, r.z, take)
      : rt.ex.pruneCodes16(ptr, n, r.mask, r.lo1, r.span1, r.lo2, r.span2, r.z, take)) >>> 0;
  });
  return taken;
}

function chunks(rt: Runtime, src: Uint8Array, dst: Uint8Array | null, width: number, fn: (ptr: number, n: number) => void): void {
  const step = rt.chunkLength * 4;
  for (let off = 0; off < src.length; off += step) {
    const len = Math.min(step, src.length - off);
    rt.heap.u8.set(src.subarray(off, off + len), rt.chunkPtr);
    fn(rt.chunkPtr, len / width);
    if (dst !== null) dst.set(rt.heap.u8.subarray(rt.chunkPtr, rt.chunkPtr + len), off);
  }
}
