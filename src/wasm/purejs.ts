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
const MAX_PAGES = 65536; // 4 GiB, as wasm32
const ABS = 0x7fffffff;
const INF = 0x7f800000;
const ONE = 0x3f800000;
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
    if (!(pages >= 0) || before + pages > MAX_PAGES) throw new RangeError('JsMemory.grow: out of memory');
    if (pages === 0) return before;
    const bytes = (before + pages) * PAGE;
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

/** assembly/index.ts + assembly/tensor.ts, in JS, over `memory`. */
export function jsKernels(memory: LinearMemory) {
  let buf: ArrayBufferLike | null = null;
  let i32 = new Int32Array(0);
  let u8 = new Uint8Array(0);
  let needLeft = 0;
  const views = (): void => {
    const b = memory.buffer;
    if (b === buf) return;
    buf = b;
    i32 = new Int32Array(b);
    u8 = new Uint8Array(b);
  };

  // The select kernels keep |w| > t, prune |w| < t, and of the ties prune the first `need`.
  return {
    memory,
    heapBase: (): number => 16,
    isSimd: (): number => 0,
    remainingNeed: (): number => needLeft,

    pruneAbove(ptr: number, n: number, tBits: number): number {
      views();
      const a = i32;
      let kept = 0;
      for (let i = ptr >>> 2, end = i + n; i < end; i++) {
        const b = a[i];
        if ((b & ABS) > tBits) kept++;
        else a[i] = 0;
      }
      return kept;
    },

    pruneSelect(ptr: number, n: number, tBits: number, need: number): number {
      views();
      const a = i32;
      let kept = 0;
      for (let i = ptr >>> 2, end = i + n; i < end; i++) {
        const m = a[i] & ABS;
        if (m > tBits || (m === tBits && need === 0)) kept++;
        else {
          if (m === tBits) need--;
          a[i] = 0;
        }
      }
      needLeft = need;
      return kept;
    },

    maskAbove(ptr: number, n: number, tBits: number, maskPtr: number): number {
      views();
      const a = i32;
      const out = u8;
      let kept = 0;
      for (let i = 0, p = ptr >>> 2; i < n; i++, p++) {
        const keep = (a[p] & ABS) > tBits ? 1 : 0;
        out[maskPtr + i] = keep;
        kept += keep;
      }
      return kept;
    },

    maskSelect(ptr: number, n: number, tBits: number, need: number, maskPtr: number): number {
      views();
      const a = i32;
      const out = u8;
      let kept = 0;
      for (let i = 0, p = ptr >>> 2; i < n; i++, p++) {
        const m = a[p] & ABS;
        let keep = 1;
        if (m < tBits || (m === tBits && need > 0)) {
          if (m === tBits) need--;
          keep = 0;
        }
        out[maskPtr + i] = keep;
        kept += keep;
      }
      needLeft = need;
      return kept;
    },

    applyMask(ptr: number, maskPtr: number, n: number): number {
      views();
      const a = i32;
      const mask = u8;
      let kept = 0;
      for (let i = 0, p = ptr >>> 2; i < n; i++, p++) {
        if (mask[maskPtr + i] === 0) a[p] = 0;
        else if ((a[p] & ABS) !== 0) kept++;
      }
      return kept;
    },

    countZeros(ptr: number, n: number): number {
      views();
      const a = i32;
      let zeros = 0;
      for (let i = ptr >>> 2, end = i + n; i < end; i++) if ((a[i] & ABS) === 0) zeros++;
      return zeros;
    },

    countNaN(ptr: number, n: number): number {
      views();
      const a = i32;
      let nans = 0;
      for (let i = ptr >>> 2, end = i + n; i < end; i++) if ((a[i] & ABS) > INF) nans++;
      return nans;
    },

    firstNaN(ptr: number, n: number): number {
      views();
      const a = i32;
      const p = ptr >>> 2;
      for (let i = 0; i < n; i++) if ((a[p + i] & ABS) > INF) return i;
      return -1;
    },

    // The Wasm builds spread counts over 4 histogram copies; the caller sums the copies, so
    // counting everything in copy 0 gives the same totals.
    histogramAll(ptr: number, n: number, histPtr: number): number {
      views();
      const a = i32;
      const h = histPtr >>> 2;
      let nans = 0;
      for (let i = ptr >>> 2, end = i + n; i < end; i++) {
        const m = a[i] & ABS;
        if (m > INF) nans++;
        a[h + (m >>> 20)]++;
      }
      return nans;
    },

    histogramPrefix(ptr: number, n: number, histPtr: number, shift: number, prefixShift: number, prefix: number): void {
      views();
      const a = i32;
      const h = histPtr >>> 2;
      for (let i = ptr >>> 2, end = i + n; i < end; i++) {
        const m = a[i] & ABS;
        if (m >>> prefixShift === prefix) a[h + ((m >>> shift) & BINS_MASK)]++;
      }
    },

    gatherPrefix(ptr: number, n: number, prefixShift: number, prefix: number, outPtr: number, count: number, cap: number): number {
      views();
      const a = i32;
      const o = outPtr >>> 2;
      for (let i = ptr >>> 2, end = i + n; i < end; i++) {
        const m = a[i] & ABS;
        if (m >>> prefixShift === prefix) {
          if (count < cap) a[o + count] = m;
          count++;
        }
      }
      return count;
    },

    // resPtr: [below u32][nans u32] (the shuffle table after them is for the SIMD build).
    countBracket(ptr: number, n: number, lo: number, hi: number, outPtr: number, count: number, cap: number, resPtr: number): number {
      views();
      const a = i32;
      const o = outPtr >>> 2;
      let below = 0;
      let nans = 0;
      for (let i = ptr >>> 2, end = i + n; i < end; i++) {
        const m = a[i] & ABS;
        if (m < lo) below++;
        else if (m <= hi) {
          if (count < cap) a[o + count] = m;
          count++;
        } else if (m > INF) nans++;
      }
      const r = resPtr >>> 2;
      a[r] += below;
      a[r + 1] += nans;
      return count;
    },

    nmMask(ptr: number, n: number, rowLength: number, keep: number, m: number, maskPtr: number): number {
      views();
      const a = i32;
      const out = u8;
      const p = ptr >>> 2;
      let kept = 0;
      for (let row = 0; row < n; row += rowLength) {
        for (let g = 0; g < rowLength; g += m) {
          const size = Math.min(m, rowLength - g);
          const base = row + g;
          for (let j = 0; j < size; j++) {
            const aj = a[p + base + j] & ABS;
            // rank = how many in the group come before j in (magnitude desc, index asc) order.
            let rank = 0;
            for (let q = 0; q < size; q++) {
              const aq = a[p + base + q] & ABS;
              if (aq > aj || (aq === aj && q < j)) rank++;
            }
            const k = rank < keep ? 1 : 0;
            out[maskPtr + base + j] = k;
            kept += k;
          }
        }
      }
      return kept;
    },

    // --- assembly/tensor.ts: out of place (dst may equal src), masks as float32 0/1 ---

    pruneAboveTo(srcPtr: number, dstPtr: number, n: number, tBits: number): number {
      views();
      const a = i32;
      const s = srcPtr >>> 2;
      const d = dstPtr >>> 2;
      let nans = 0;
      for (let i = 0; i < n; i++) {
        const b = a[s + i];
        const m = b & ABS;
        a[d + i] = m > tBits ? b : 0;
        if (m > INF) nans++;
      }
      return nans;
    },

    pruneSelectTo(srcPtr: number, dstPtr: number, n: number, tBits: number, need: number): number {
      views();
      const a = i32;
      const s = srcPtr >>> 2;
      const d = dstPtr >>> 2;
      let kept = 0;
      for (let i = 0; i < n; i++) {
        const b = a[s + i];
        const m = b & ABS;
        if (m > tBits || (m === tBits && need === 0)) {
          a[d + i] = b;
          kept++;
        } else {
          if (m === tBits) need--;
          a[d + i] = 0;
        }
      }
      return kept;
    },

    maskAboveF32(srcPtr: number, dstPtr: number, n: number, tBits: number): number {
      views();
      const a = i32;
      const s = srcPtr >>> 2;
      const d = dstPtr >>> 2;
      let nans = 0;
      for (let i = 0; i < n; i++) {
        const m = a[s + i] & ABS;
        a[d + i] = m > tBits ? ONE : 0;
        if (m > INF) nans++;
      }
      return nans;
    },

    maskSelectF32(srcPtr: number, dstPtr: number, n: number, tBits: number, need: number): number {
      views();
      const a = i32;
      const s = srcPtr >>> 2;
      const d = dstPtr >>> 2;
      let kept = 0;
      for (let i = 0; i < n; i++) {
        const m = a[s + i] & ABS;
        if (m > tBits || (m === tBits && need === 0)) {
          a[d + i] = ONE;
          kept++;
        } else {
          if (m === tBits) need--;
          a[d + i] = 0;
        }
      }
      return kept;
    },

    applyMask32To(srcPtr: number, maskPtr: number, dstPtr: number, n: number, maskBits: number): void {
      views();
      const a = i32;
      const s = srcPtr >>> 2;
      const mk = maskPtr >>> 2;
      const d = dstPtr >>> 2;
      for (let i = 0; i < n; i++) a[d + i] = (a[mk + i] & maskBits) !== 0 ? a[s + i] : 0;
    },

    applyMask8To(srcPtr: number, maskPtr: number, dstPtr: number, n: number): void {
      views();
      const a = i32;
      const mask = u8;
      const s = srcPtr >>> 2;
      const d = dstPtr >>> 2;
      for (let i = 0; i < n; i++) a[d + i] = mask[maskPtr + i] !== 0 ? a[s + i] : 0;
    },
  };
}

export type JsKernels = ReturnType<typeof jsKernels>;
