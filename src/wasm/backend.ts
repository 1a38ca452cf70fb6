// Runs the Wasm kernels over weights wherever they live. Weights in Wasm memory (WasmWeights, or
// a Float32Array viewing the kernels' memory) are used in place. Any other Float32Array is
// streamed through a fixed window of `chunkLength` floats: copy in, run, copy back if written.
// An array that fits the window is copied in once for all passes of one call.
import { GATHER_CAP, runtime, type Runtime } from './runtime.js';
import { WasmWeights } from './weights.js';

export type Weights = Float32Array | WasmWeights;

/** Bit pattern of the k-th smallest magnitude, and how many weights equal to it to prune. */
export interface Selection {
  bits: number;
  need: number;
}

/**
 * What the typed-array API needs from an implementation. The Wasm one is below; the API layer
 * validates arguments and gives meaning to the numbers.
 */
export interface KernelBackend {
  readonly simd: boolean;
  pruneAbove(w: Weights, tBits: number): number;
  pruneSelect(w: Weights, sel: Selection): number;
  maskAbove(w: Weights, tBits: number, out: Uint8Array): number;
  maskSelect(w: Weights, sel: Selection, out: Uint8Array): number;
  applyMask(w: Weights, mask: Uint8Array): number;
  countZeros(w: Weights): number;
  /** NaN count and index of the first, or null when there is none. */
  findNaN(w: Weights): { count: number; first: number } | null;
  /** The k-th smallest magnitude, k in [1, n]; null when the weights hold NaN. */
  select(w: Weights, k: number): Selection | null;
  nmMask(w: Weights, rowLength: number, keep: number, m: number, out: Uint8Array): number;
}

class Stream {
  readonly n: number;
  private readonly rt: Runtime;
  private readonly js: Float32Array | null;
  private readonly ptr: number;
  private resident = false;

  constructor(rt: Runtime, w: Weights) {
    this.rt = rt;
    this.n = w.length;
    if (w instanceof WasmWeights) {
      this.js = null;
      this.ptr = w.byteOffset;
    } else if (w.buffer === rt.heap.memory.buffer) {
      this.js = null;
      this.ptr = w.byteOffset;
    } else {
      this.js = w;
      this.ptr = rt.chunkPtr;
    }
  }

  get inPlace(): boolean {
    return this.js === null;
  }

  /**
   * Calls fn over consecutive pieces of at most `maxLen` weights (chunkLength unless in place),
   * with a pointer to each piece in Wasm memory.
   */
  each(writeBack: boolean, fn: (ptr: number, len: number, off: number) => void, maxLen?: number): void {
    const step = maxLen ?? (this.js === null ? this.n : this.rt.chunkLength);
    for (let off = 0; off < this.n; off += step) {
      const len = Math.min(step, this.n - off);
      this.range(off, len, writeBack, (ptr) => fn(ptr, len, off));
    }
  }

  range(off: number, len: number, writeBack: boolean, fn: (ptr: number) => void): void {
    const js = this.js;
    if (js === null) {
      fn(this.ptr + off * 4);
      return;
    }
    const base = this.rt.chunkPtr >>> 2;
    const whole = off === 0 && len === this.n;
    if (!(whole && this.resident)) this.rt.heap.f32.set(js.subarray(off, off + len), base);
    this.resident = whole;
    fn(this.rt.chunkPtr);
    if (writeBack) js.set(this.rt.heap.f32.subarray(base, base + len), off);
  }
}

export function wasmBackend(fname: string): KernelBackend {
  const rt = runtime(fname);
  const ex = rt.ex;
  const stream = (w: Weights) => new Stream(rt, w);
  const maskOut = (out: Uint8Array, off: number, len: number) =>
    out.set(rt.heap.u8.subarray(rt.maskPtr, rt.maskPtr + len), off);

  function zeroHist(): void {
    rt.heap.u32.fill(0, rt.histPtr >>> 2, (rt.histPtr >>> 2) + 4 * 2048);
  }

  // Sums the four histogram copies and finds the bin holding the rank-th smallest (1-based).
  function pick(rank: number): { bin: number; rank: number } {
    const h = rt.heap.u32;
    const base = rt.histPtr >>> 2;
    for (let b = 0; b < 2048; b++) {
      const c = h[base + b] + h[base + 2048 + b] + h[base + 4096 + b] + h[base + 6144 + b];
      if (rank <= c) return { bin: b, rank };
      rank -= c;
    }
    throw new Error('tfjs-prune internal error: rank beyond histogram');
  }

  return {
    simd: rt.simd,

    pruneAbove(w, tBits) {
      let kept = 0;
      stream(w).each(true, (p, len) => (kept += ex.pruneAbove(p, len, tBits) >>> 0));
      return kept;
    },

    pruneSelect(w, sel) {
      let kept = 0;
      let need = sel.need;
      stream(w).each(true, (p, len) => {
        kept += ex.pruneSelect(p, len, sel.bits, need) >>> 0;
        need = ex.remainingNeed() >>> 0;
      });
      return kept;
    },

    maskAbove(w, tBits, out) {
      let kept = 0;
      stream(w).each(false, (p, len, off) => {
        kept += ex.maskAbove(p, len, tBits, rt.maskPtr) >>> 0;
        maskOut(out, off, len);
      }, rt.chunkLength);
      return kept;
    },

    maskSelect(w, sel, out) {
      let kept = 0;
      let need = sel.need;
      stream(w).each(false, (p, len, off) => {
        kept += ex.maskSelect(p, len, sel.bits, need, rt.maskPtr) >>> 0;
        need = ex.remainingNeed() >>> 0;
        maskOut(out, off, len);
      }, rt.chunkLength);
      return kept;
    },

    applyMask(w, mask) {
      let kept = 0;
      stream(w).each(true, (p, len, off) => {
        rt.heap.u8.set(mask.subarray(off, off + len), rt.maskPtr);
        kept += ex.applyMask(p, rt.maskPtr, len) >>> 0;
      }, rt.chunkLength);
      return kept;
    },

    countZeros(w) {
      let zeros = 0;
      stream(w).each(false, (p, len) => (zeros += ex.countZeros(p, len) >>> 0));
      return zeros;
    },

    findNaN(w) {
      const s = stream(w);
      let count = 0;
      let first = -1;
      s.each(false, (p, len, off) => {
        const c = ex.countNaN(p, len) >>> 0;
        if (c > 0 && first < 0) first = off + ex.firstNaN(p, len);
        count += c;
      });
      return count > 0 ? { count, first } : null;
    },

    select(w, k) {
      const s = stream(w);
      zeroHist();
      let nans = 0;
      s.each(false, (p, len) => (nans += ex.histogramAll(p, len, rt.histPtr) >>> 0));
      if (nans > 0) return null;
      const p1 = pick(k);
      const b1 = p1.bin;
      let p2: { bin: number; rank: number };
      let p3: { bin: number; rank: number };
      // The bucket's magnitudes usually fit the gather area: copy them out once and finish the
      // select there, so the data is read twice in all instead of three times.
      const h = rt.heap.u32;
      const hb = rt.histPtr >>> 2;
      const bucket = h[hb + b1] + h[hb + 2048 + b1] + h[hb + 4096 + b1] + h[hb + 6144 + b1];
      if (bucket <= GATHER_CAP) {
        let count = 0;
        s.each(false, (p, len) => (count = ex.gatherPrefix(p, len, 20, b1, rt.gatherPtr, count, GATHER_CAP) >>> 0));
        zeroHist();
        ex.histogramPrefix(rt.gatherPtr, count, rt.histPtr, 9, 20, b1);
        p2 = pick(p1.rank);
        zeroHist();
        ex.histogramPrefix(rt.gatherPtr, count, rt.histPtr, 0, 9, b1 * 2048 + p2.bin);
        p3 = pick(p2.rank);
      } else {
        zeroHist();
        s.each(false, (p, len) => ex.histogramPrefix(p, len, rt.histPtr, 9, 20, b1));
        p2 = pick(p1.rank);
        zeroHist();
        s.each(false, (p, len) => ex.histogramPrefix(p, len, rt.histPtr, 0, 9, b1 * 2048 + p2.bin));
        p3 = pick(p2.rank);
      }
      // Pass 3 bins are the low 11 bits, of which only the low 9 are not already fixed by the prefix.
      return { bits: b1 * 2 ** 20 + p2.bin * 2 ** 9 + (p3.bin & 511), need: p3.rank };
    },

    nmMask(w, rowLength, keep, m, out) {
      const s = stream(w);
      const window = rt.chunkLength;
      let kept = 0;
      const run = (off: number, len: number, rowLen: number) =>
        s.range(off, len, false, (p) => {
          kept += ex.nmMask(p, len, rowLen, keep, m, rt.maskPtr) >>> 0;
          maskOut(out, off, len);
        });
      if (rowLength <= window) {
        // Whole rows per window, so groups never straddle a window boundary.
        const step = Math.floor(window / rowLength) * rowLength;
        for (let off = 0; off < s.n; off += step) run(off, Math.min(step, s.n - off), rowLength);
      } else {
        // Rows longer than the window: cut each at a multiple of m; the short group ends the row.
        const step = Math.floor(window / m) * m;
        for (let row = 0; row < s.n; row += rowLength) {
          for (let g = 0; g < rowLength; g += step) {
            const len = Math.min(step, rowLength - g);
            run(row + g, len, len);
          }
        }
      }
      return kept;
    },
  };
}
