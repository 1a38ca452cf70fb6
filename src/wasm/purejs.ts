// The pure-JS build: the exports of assembly/index.ts and assembly/tensor.ts, written in plain
// JavaScript over a linear memory of the same layout, for engines without WebAssembly (QuickJS,
// Hermes, Duktape, JerryScript) or where it cannot be instantiated. It touches no WebAssembly API,
// so the runtime (Heap, Stream, select.ts) and the tfjs copying path run on it unchanged, and the
// results are bit-identical to the Wasm builds: every decision is made on the same integer bit
// patterns, and each function below is the scalar tail loop of its AssemblyScript original.
//
// Pointers are byte offsets into `memory.buffer` (4-byte aligned for float data), counts are
// elements. No function allocates: views are rebuilt only when the buffer changes (memory growth).

/** What the kernels need of a memory: a WebAssembly.Memory, or a JsMemory. */
export interface LinearMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

const PAGE = 65536;
// The loops spell out their constants (|w| mask 0x7fffffff, +Infinity 0x7f800000, 1.0f
// 0x3f800000) instead of naming module-level consts: above 2^30 they are not small integers, and
// V8 then reloads a boxed number on every iteration (countNaN ran 1.5x slower that way).
const BINS_MASK = 2047;

interface Transferable {
  transfer?(length: number): ArrayBuffer;
}

/**
 * A growable ArrayBuffer standing in for a WebAssembly.Memory. Growing replaces the buffer; where
 * the engine has `ArrayBuffer.prototype.transfer` the old one is detached, as Wasm does, so a
 * stale view fails loudly instead of silently writing to a copy.
 */
export class JsMemory implements LinearMemory {
  #buffer: ArrayBuffer;

  constructor(pages: number) {
    this.#buffer = new ArrayBuffer(pages * PAGE);
  }

  get buffer(): ArrayBuffer {
    return this.#buffer;
  }

  grow(pages: number): number {
    const old = this.#buffer;
    const before = old.byteLength / PAGE;
    const bytes = (before + pages) * PAGE; // a size ArrayBuffer refuses throws a RangeError
    const t = old as ArrayBuffer & Transferable;
    let next: ArrayBuffer;
    if (typeof t.transfer === 'function') next = t.transfer(bytes);
    else {
      next = new ArrayBuffer(bytes);
      new Uint8Array(next).set(new Uint8Array(old));
    }
    this.#buffer = next;
    return before;
  }
}

/** assembly/index.ts in JS, over `memory` (assembly/tensor.ts: purejs-tensor.ts). */
export function jsKernels(memory: LinearMemory) {
  const v = new MemoryViews(memory);
  let needLeft = 0;
  // The loops are module-level functions taking the views as arguments: V8 optimises those
  // about twice as well as the same loop written inside these closures.
  return {
    memory,
    heapBase: (): number => 16,
    isSimd: (): number => 0,
    remainingNeed: (): number => needLeft,
    pruneAbove(ptr: number, n: number, tBits: number): number {
      v.refresh();
      return pruneAbove(v.i32, ptr >>> 2, n, tBits);
    },
    pruneSelect(ptr: number, n: number, tBits: number, need: number): number {
      v.refresh();
      const kept = selectTo(v.i32, ptr >>> 2, ptr >>> 2, n, tBits, need, false);
      needLeft = tiesLeft;
      return kept;
    },
    maskAbove(ptr: number, n: number, tBits: number, maskPtr: number): number {
      v.refresh();
      return maskAbove(v.i32, v.u8, ptr >>> 2, n, tBits, maskPtr);
    },
    maskSelect(ptr: number, n: number, tBits: number, need: number, maskPtr: number): number {
      v.refresh();
      const kept = maskSelect(v.i32, v.u8, ptr >>> 2, n, tBits, need, maskPtr);
      needLeft = tiesLeft;
      return kept;
    },
    applyMask(ptr: number, maskPtr: number, n: number): number {
      v.refresh();
      return applyMask(v.i32, v.u8, ptr >>> 2, maskPtr, n);
    },
    countZeros(ptr: number, n: number): number {
      v.refresh();
      return countZeros(v.i32, ptr >>> 2, n);
    },
    countNaN(ptr: number, n: number): number {
      v.refresh();
      return countNaN(v.i32, ptr >>> 2, n);
    },
    firstNaN(ptr: number, n: number): number {
      v.refresh();
      return firstNaN(v.i32, ptr >>> 2, n);
    },
    histogramAll(ptr: number, n: number, histPtr: number): number {
      v.refresh();
      return histogramAll(v.i32, ptr >>> 2, n, histPtr >>> 2);
    },
    histogramPrefix(ptr: number, n: number, histPtr: number, shift: number, prefixShift: number, prefix: number): void {
      v.refresh();
      histogramPrefix(v.i32, ptr >>> 2, n, histPtr >>> 2, shift, prefixShift, prefix);
    },
    gatherPrefix(ptr: number, n: number, prefixShift: number, prefix: number, outPtr: number, count: number, cap: number): number {
      v.refresh();
      return gatherPrefix(v.i32, ptr >>> 2, n, prefixShift, prefix, outPtr >>> 2, count, cap);
    },
    countBracket(ptr: number, n: number, lo: number, hi: number, outPtr: number, count: number, cap: number, resPtr: number): number {
      v.refresh();
      return countBracket(v.i32, ptr >>> 2, n, lo, hi, outPtr >>> 2, count, cap, resPtr >>> 2);
    },
    nmMask(ptr: number, n: number, rowLength: number, keep: number, m: number, maskPtr: number): number {
      v.refresh();
      return nmMask(v.i32, v.u8, ptr >>> 2, n, rowLength, keep, m, maskPtr);
    },
    columnNormsAdd(ptr: number, rows: number, cols: number, p: number, accPtr: number): void {
      v.refresh();
      columnNormsAdd(v.f32, ptr >>> 2, rows, cols, p, accPtr >>> 2);
    },
    histCodes8(ptr: number, n: number, histPtr: number): void {
      v.refresh();
      // (The Wasm builds spread counts over 4 copies that the caller sums: copy 0 alone is the same.)
      for (let i = 0, h = histPtr >>> 2; i < n; i++) v.i32[h + v.u8[ptr + i]]++;
    },
    bracketCodes(
      ptr: number, n: number, width: number, mask: number,
      bLo: number, bSpan: number, gLo: number, gSpan: number, zLo: number, zSpan: number, nLo: number, nSpan: number,
      scale: number, offset: number, outPtr: number, count: number, cap: number, resPtr: number,
    ): number {
      v.refresh();
      const c = width === 1 ? v.u8 : v.u16;
      return bracketCodes(c, v.i32, v.f32, width === 1 ? ptr : ptr >>> 1, n, mask, bLo, bSpan, gLo, gSpan, zLo, zSpan, nLo, nSpan, scale, offset, outPtr >>> 2, count, cap, resPtr >>> 2);
    },
    pruneCodes8(ptr: number, n: number, lo1: number, span1: number, lo2: number, span2: number, z: number, take: number): number {
      v.refresh();
      return pruneCodes(v.u8, ptr, n, 0xff, lo1, span1, lo2, span2, z, take);
    },
    pruneCodes16(ptr: number, n: number, mask: number, lo1: number, span1: number, lo2: number, span2: number, z: number, take: number): number {
      v.refresh();
      return pruneCodes(v.u16, ptr >>> 1, n, mask, lo1, span1, lo2, span2, z, take);
    },
  };
}

export type JsKernels = ReturnType<typeof jsKernels>;

/** Typed-array views over a memory, made again whenever its buffer has changed (grown). */
export class MemoryViews {
  i32 = new Int32Array(0);
  u8 = new Uint8Array(0);
  u16 = new Uint16Array(0);
  f32 = new Float32Array(0);
  private buf: ArrayBufferLike | null = null;

  constructor(private readonly memory: LinearMemory) {}

  refresh(): void {
    const b = this.memory.buffer;
    if (b === this.buf) return;
    this.buf = b;
    this.i32 = new Int32Array(b);
    this.u8 = new Uint8Array(b);
    this.u16 = new Uint16Array(b, 0, b.byteLength >>> 1);
    this.f32 = new Float32Array(b);
  }
}

/** The pure-JS build on a fresh memory (what the default entry falls back to). */
export function jsBuild(): JsKernels {
  return jsKernels(new JsMemory(1));
}

// ---------------------------------------------------------------------------------------------
// The loops. `a` is the whole memory as Int32Array, `p`/`s`/`d`/`h`/`o`/`r` are element indices
// into it; mask pointers index `u8` in bytes.

/** Ties still owed after the last selectTo / maskSelect (module state: JS is single-threaded). */
let tiesLeft = 0;

function pruneAbove(a: Int32Array, p: number, n: number, t: number): number {
  let kept = 0;
  for (let i = p, end = p + n; i < end; i++) {
    if ((a[i] & 0x7fffffff) > t) kept++;
    else a[i] = 0;
  }
  return kept;
}

// |w| > t kept, |w| < t pruned, the first `need` ties pruned and the rest kept; the kept value is
// w itself, or 1.0f when `asMask`. Returns survivors; the ties still owed go to `tiesLeft`.
export function selectTo(a: Int32Array, s: number, d: number, n: number, t: number, need: number, asMask: boolean): number {
  let kept = 0;
  for (let i = 0; i < n; i++) {
    const b = a[s + i];
    const m = b & 0x7fffffff;
    if (m > t || (m === t && need === 0)) {
      a[d + i] = asMask ? 0x3f800000 : b;
      kept++;
    } else {
      if (m === t) need--;
      a[d + i] = 0;
    }
  }
  tiesLeft = need;
  return kept;
}

function maskAbove(a: Int32Array, out: Uint8Array, p: number, n: number, t: number, maskPtr: number): number {
  let kept = 0;
  for (let i = 0; i < n; i++) {
    const keep = (a[p + i] & 0x7fffffff) > t ? 1 : 0;
    out[maskPtr + i] = keep;
    kept += keep;
  }
  return kept;
}

function maskSelect(a: Int32Array, out: Uint8Array, p: number, n: number, t: number, need: number, maskPtr: number): number {
  let kept = 0;
  for (let i = 0; i < n; i++) {
    const m = a[p + i] & 0x7fffffff;
    let keep = 1;
    if (m < t || (m === t && need > 0)) {
      if (m === t) need--;
      keep = 0;
    }
    out[maskPtr + i] = keep;
    kept += keep;
  }
  tiesLeft = need;
  return kept;
}

function applyMask(a: Int32Array, mask: Uint8Array, p: number, maskPtr: number, n: number): number {
  let kept = 0;
  for (let i = 0; i < n; i++) {
    if (mask[maskPtr + i] === 0) a[p + i] = 0;
    else if ((a[p + i] & 0x7fffffff) !== 0) kept++;
  }
  return kept;
}

function countZeros(a: Int32Array, p: number, n: number): number {
  let zeros = 0;
  // Branch-free (m - 1 is negative only for m = 0): faster in V8 than a counted branch.
  for (let i = p, end = p + n; i < end; i++) zeros += ((a[i] & 0x7fffffff) - 1) >>> 31;
  return zeros;
}

function countNaN(a: Int32Array, p: number, n: number): number {
  let nans = 0;
  for (let i = p, end = p + n; i < end; i++) nans += (0x7f800000 - (a[i] & 0x7fffffff)) >>> 31; // |w| > +Inf
  return nans;
}

function firstNaN(a: Int32Array, p: number, n: number): number {
  for (let i = 0; i < n; i++) if ((a[p + i] & 0x7fffffff) > 0x7f800000) return i;
  return -1;
}

// The Wasm builds spread counts over 4 histogram copies; the caller sums the copies, so counting
// everything in copy 0 gives the same totals.
function histogramAll(a: Int32Array, p: number, n: number, h: number): number {
  let nans = 0;
  for (let i = p, end = p + n; i < end; i++) {
    const m = a[i] & 0x7fffffff;
    if (m > 0x7f800000) nans++;
    a[h + (m >>> 20)]++;
  }
  return nans;
}

function histogramPrefix(a: Int32Array, p: number, n: number, h: number, shift: number, prefixShift: number, prefix: number): void {
  for (let i = p, end = p + n; i < end; i++) {
    const m = a[i] & 0x7fffffff;
    if (m >>> prefixShift === prefix) a[h + ((m >>> shift) & BINS_MASK)]++;
  }
}

function gatherPrefix(a: Int32Array, p: number, n: number, prefixShift: number, prefix: number, o: number, count: number, cap: number): number {
  for (let i = p, end = p + n; i < end; i++) {
    const m = a[i] & 0x7fffffff;
    if (m >>> prefixShift === prefix) {
      if (count < cap) a[o + count] = m;
      count++;
    }
  }
  return count;
}

// res: [below, nans] added to (the shuffle table after them is for the SIMD build).
function countBracket(a: Int32Array, p: number, n: number, lo: number, hi: number, o: number, count: number, cap: number, r: number): number {
  let below = 0;
  let nans = 0;
  let zeros = 0;
  for (let i = p, end = p + n; i < end; i++) {
    const m = a[i] & 0x7fffffff;
    if (m === 0) zeros++;
    if (m < lo) below++;
    else if (m <= hi) {
      if (count < cap) a[o + count] = m;
      count++;
    } else if (m > 0x7f800000) nans++;
  }
  a[r] += below;
  a[r + 1] += nans;
  a[r + 2] += zeros;
  return count;
}

function nmMask(a: Int32Array, out: Uint8Array, p: number, n: number, rowLength: number, keep: number, m: number, maskPtr: number): number {
  let kept = 0;
  for (let row = 0; row < n; row += rowLength) {
    for (let g = 0; g < rowLength; g += m) {
      const size = Math.min(m, rowLength - g);
      const base = row + g;
      for (let j = 0; j < size; j++) {
        const aj = a[p + base + j] & 0x7fffffff;
        // rank = how many in the group come before j in (magnitude desc, index asc) order.
        let rank = 0;
        for (let q = 0; q < size; q++) {
          const aq = a[p + base + q] & 0x7fffffff;
          if (aq > aj || (aq === aj && q < j)) rank++;
        }
        const k = rank < keep ? 1 : 0;
        out[maskPtr + base + j] = k;
        kept += k;
      }
    }
  }
  return kept;
}

// acc[c] += |w| (p = 1) or w * w (p = 2) over the rows, in float32 like the Wasm build: a sum or
// product of two float32s is exact in float64, so rounding it once with fround gives the same bits.
function columnNormsAdd(f: Float32Array, p: number, rows: number, cols: number, norm: number, acc: number): void {
  for (let r = 0; r < rows; r++) {
    const row = p + r * cols;
    for (let c = 0; c < cols; c++) {
      const w = f[row + c];
      f[acc + c] = Math.fround(f[acc + c] + (norm === 1 ? Math.abs(w) : Math.fround(w * w)));
    }
  }
}

/** lo <= k <= lo + span, none when span < 0 (the code kernels' key ranges; k - lo wraps to a large u32 below lo). */
function inRange(k: number, lo: number, span: number): boolean {
  return (k - lo) >>> 0 <= span;
}

/** bracketCodes: a bracket pass over 8- or 16-bit codes. */
function bracketCodes(
  c: Uint8Array | Uint16Array, a: Int32Array, f: Float32Array, p: number, n: number, mask: number,
  bLo: number, bSpan: number, gLo: number, gSpan: number, zLo: number, zSpan: number, nLo: number, nSpan: number,
  scale: number, offset: number, o: number, count: number, cap: number, r: number,
): number {
  const from = count;
  let below = 0;
  let zeros = 0;
  let nans = 0;
  for (let i = p, end = p + n; i < end; i++) {
    const k = c[i] & mask;
    const b = inRange(k, bLo, bSpan);
    if (b) below++;
    if (inRange(k, zLo, zSpan)) zeros++;
    if (inRange(k, nLo, nSpan)) nans++;
    if (!b && inRange(k, gLo, gSpan)) {
      if (count < cap) a[o + count] = k;
      count++;
    }
  }
  a[r] += below;
  a[r + 1] += nans;
  a[r + 2] += zeros;
  // The gathered keys to magnitude bits: a float16 key as its float32 pattern (a subnormal is
  // key * 2^-24, exact), an affine one as |f32(key * scale + offset)|.
  for (let j = o + from, end = o + Math.min(count, cap); j < end; j++) {
    const key = a[j];
    const e = key >>> 10;
    if (mask !== 0x7fff || e === 0) {
      f[j] = mask !== 0x7fff ? key * scale + offset : key * 5.9604644775390625e-8;
      a[j] &= 0x7fffffff;
    } else a[j] = e === 31 ? 0x7f800000 | ((key & 0x3ff) << 13) : (key + (112 << 10)) << 13;
  }
  return count;
}

/** pruneCodes8 (mask 0xff) and pruneCodes16: the code range rewrite, in place. */
function pruneCodes(c: Uint8Array | Uint16Array, p: number, n: number, mask: number, lo1: number, span1: number, lo2: number, span2: number, z: number, take: number): number {
  const wrap = c instanceof Uint8Array ? 0xff : 0xffff;
  let taken = 0;
  for (let i = p, end = p + n; i < end; i++) {
    const k = c[i] & mask;
    const in2 = span2 >= 0 && ((k - lo2) & wrap) <= span2;
    if (taken < take) {
      if (((k - lo1) & wrap) <= span1) {
        if (!in2) taken++;
        c[i] = z;
      }
    } else if (in2) c[i] = z;
  }
  return taken;
}
