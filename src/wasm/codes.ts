// Quantized tensors' codes through the kernels' window (src/format/codec.ts prunes uint8, uint16
// and float16 tensors in their codes): the bracket pass of a select over codes, and the in-place
// rewrite of a range of codes to the zero code. Codes arrive as little-endian bytes anywhere in JS
// memory; the window takes them a chunk at a time (chunkLength * 4 bytes), so alignment never
// matters.
import { releaseWindow } from './backend.js';
import type { Runtime } from './runtime.js';
import { runtime } from './runtime.js';
import type { SelectSource } from './select.js';

/** Keys lo..lo + span (key = code & mask); none when span < 0. */
export interface KeyRange {
  lo: number;
  span: number;
}

/**
 * How a quantized tensor's codes map to magnitudes, as the kernels need it: keys (code & mask:
 * 0x7fff for float16, whose -x and +x share a key, 0xff / 0xffff for affine codes), the sets a
 * magnitude threshold picks as key ranges, and the magnitude bits of every code.
 */
export interface CodeTable {
  readonly mask: number;
  /** Affine codes: q * scale + offset (tfjs' min); unused for float16. */
  readonly scale: number;
  readonly offset: number;
  /** |dequantized value| bit pattern per code. */
  readonly lut: Uint32Array;
  /** Codes with magnitude bits < bits (none for 0). */
  below(bits: number): KeyRange;
  /** Codes with magnitude bits <= bits. */
  atMost(bits: number): KeyRange;
  /** Codes whose magnitude is 0, and (float16) NaN. */
  readonly zero: KeyRange;
  readonly nan: KeyRange;
}

/** A quantized tensor in a select: its codes and their table. */
export interface CodedInput {
  readonly codes: Uint8Array | Uint16Array;
  readonly table: CodeTable;
}

/** A coded part as the select passes see it (src/wasm/select-parts.ts). */
export interface CodeSource {
  readonly n: number;
  /** One bracket pass over the codes (bracketCodes, chunk by chunk); returns the new count. */
  bracket(lo: number, hi: number, outPtr: number, count: number, cap: number, resPtr: number): number;
  /**
   * The magnitude bits of codes [from, to) for each pair of `pieces`, appended at outPtr from
   * element `count` on (the kernel decodes them: no table lookups in JS); NaN codes are left out
   * and counted in res. Returns the new count.
   */
  sample(pieces: readonly number[], outPtr: number, count: number, resPtr: number): number;
  /** The codes' magnitude bits, decoded into the window piece by piece (the radix fallback). */
  readonly decoded: SelectSource;
}

export function codeSource(rt: Runtime, input: CodedInput): CodeSource {
  const { codes, table } = input;
  const width = codes.BYTES_PER_ELEMENT;
  const bytes = new Uint8Array(codes.buffer, codes.byteOffset, codes.byteLength);
  const ex = rt.ex;
  return {
    n: codes.length,
    bracket(lo, hi, outPtr, count, cap, resPtr) {
      const b = table.below(lo);
      const g = table.atMost(hi);
      const z = table.zero;
      const nan = table.nan;
      chunks(rt, bytes, null, width, (ptr, n) => {
        count = ex.bracketCodes(ptr, n, width, table.mask, b.lo, b.span, g.lo, g.span, z.lo, z.span, nan.lo, nan.span, table.scale, table.offset, outPtr, count, cap, resPtr) >>> 0;
      });
      return count;
    },
    sample(pieces, outPtr, count, resPtr) {
      // Every non-NaN code is inside a bracket [0, +Infinity] with nothing below it.
      const all = table.atMost(0x7f800000);
      const nan = table.nan;
      const room = rt.chunkLength * 4;
      let used = 0;
      const flush = () => {
        if (used === 0) return;
        count = ex.bracketCodes(rt.chunkPtr, used / width, width, table.mask, 0, -1, all.lo, all.span, 0, -1, nan.lo, nan.span, table.scale, table.offset, outPtr, count, count + used, resPtr) >>> 0;
        used = 0;
      };
      releaseWindow(rt);
      for (let p = 0; p < pieces.length; p += 2) {
        for (let from = pieces[p] * width, to = pieces[p + 1] * width; from < to; ) {
          if (used === room) flush();
          const len = Math.min(to - from, room - used);
          rt.heap.u8.set(bytes.subarray(from, from + len), rt.chunkPtr + used);
          used += len;
          from += len;
        }
      }
      flush();
      return count;
    },
    decoded: {
      n: codes.length,
      get bits() {
        return decodeAll(codes, table.lut);
      },
      each(fn) {
        const step = rt.chunkLength;
        const lut = table.lut;
        for (let off = 0; off < codes.length; off += step) {
          const len = Math.min(step, codes.length - off);
          releaseWindow(rt);
          const u32 = rt.heap.u32;
          const base = rt.chunkPtr >>> 2;
          for (let j = 0; j < len; j++) u32[base + j] = lut[codes[off + j]];
          fn(rt.chunkPtr, len);
        }
      },
    },
  };
}

function decodeAll(codes: Uint8Array | Uint16Array, lut: Uint32Array): Uint32Array {
  const out = new Uint32Array(codes.length);
  for (let i = 0; i < codes.length; i++) out[i] = lut[codes[i]];
  return out;
}

/** Counts per code of 8-bit codes (256 bins). */
export function codeHistogram8(fname: string, bytes: Uint8Array): Uint32Array {
  const rt = runtime(fname);
  const hist = rt.heap.alloc(1024 * 4);
  try {
    rt.heap.u32.fill(0, hist >>> 2, (hist >>> 2) + 1024);
    chunks(rt, bytes, null, 1, (ptr, n) => rt.ex.histCodes8(ptr, n, hist));
    const h = rt.heap.u32.subarray(hist >>> 2, (hist >>> 2) + 1024);
    const out = new Uint32Array(256);
    for (let c = 0; c < 256; c++) out[c] = h[c] + h[256 + c] + h[512 + c] + h[768 + c];
    return out;
  } finally {
    rt.heap.release(hist);
  }
}

/**
 * The pruned set for the rewrite kernel: until `take` ties are pruned, range 1 (the ties'
 * magnitude and below), then range 2 (below it); `z` the zero code written.
 */
export interface CodeRanges {
  mask: number;
  r1: KeyRange;
  r2: KeyRange;
  z: number;
  take: number;
}

/**
 * Writes `src` (codes of `width` bytes) to `dst` (the same length; may be `src` itself) with the
 * codes in `r`'s ranges replaced by r.z. Returns the ties pruned.
 */
export function pruneCodeRanges(fname: string, src: Uint8Array, dst: Uint8Array, width: 1 | 2, r: CodeRanges): number {
  const rt = runtime(fname);
  const { r1, r2 } = r;
  let taken = 0;
  chunks(rt, src, dst, width, (ptr, n) => {
    const take = r.take - taken;
    taken += (width === 1
      ? rt.ex.pruneCodes8(ptr, n, r1.lo, r1.span, r2.lo, r2.span, r.z, take)
      : rt.ex.pruneCodes16(ptr, n, r.mask, r1.lo, r1.span, r2.lo, r2.span, r.z, take)) >>> 0;
  });
  return taken;
}

/** How many codes (little-endian bytes of `width`) have a key (code & mask) in `range`: the bracket kernel as a counter. */
export function countCodes(fname: string, bytes: Uint8Array, width: 1 | 2, mask: number, range: KeyRange): number {
  if (range.span < 0) return 0;
  const rt = runtime(fname);
  const res = rt.heap.alloc(16 + 256);
  try {
    rt.heap.u32.fill(0, res >>> 2, (res >>> 2) + 3);
    chunks(rt, bytes, null, width, (ptr, n) => rt.ex.bracketCodes(ptr, n, width, mask, range.lo, range.span, 0, -1, 0, -1, 0, -1, 0, 0, res, 0, 0, res));
    return rt.heap.u32[res >>> 2];
  } finally {
    rt.heap.release(res);
  }
}

function chunks(rt: Runtime, src: Uint8Array, dst: Uint8Array | null, width: number, fn: (ptr: number, n: number) => void): void {
  const step = rt.chunkLength * 4;
  releaseWindow(rt);
  for (let off = 0; off < src.length; off += step) {
    const len = Math.min(step, src.length - off);
    rt.heap.u8.set(src.subarray(off, off + len), rt.chunkPtr);
    fn(rt.chunkPtr, len / width);
    if (dst !== null) dst.set(rt.heap.u8.subarray(rt.chunkPtr, rt.chunkPtr + len), off);
  }
}
