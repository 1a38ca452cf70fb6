// Runs the Wasm kernels over weights wherever they live. Weights in Wasm memory (WasmWeights, or
// a Float32Array viewing the kernels' memory) are used in place. Any other Float32Array is
// streamed through a fixed window of `chunkLength` floats: copy in, run, copy back if written.
// An array that fits the window is copied in once for all passes of one call.
import { runtime, type Runtime } from './runtime.js';
import { selectKth, type Selection, type SelectMemory, type SelectSource } from './select.js';
import { WasmWeights } from './weights.js';

export type Weights = Float32Array | WasmWeights;

export type { Selection } from './select.js';

/** What a prune counts on the side: the zeros it found (before pruning). */
export interface Tally {
  zeros: number;
}

/**
 * What the typed-array API needs from an implementation. The Wasm one is below; the API layer
 * validates arguments and gives meaning to the numbers.
 */
export interface KernelBackend {
  readonly simd: boolean;
  /**
   * The fused prunes; with `tally`, each window's zeros are counted (before it is pruned) into
   * tally.zeros in the same pass, while the window is in cache.
   */
  pruneAbove(w: Weights, tBits: number, tally?: Tally, out?: Float32Array): number;
  pruneSelect(w: Weights, sel: Selection, tally?: Tally, out?: Float32Array): number;
  maskAbove(w: Weights, tBits: number, out: Uint8Array): number;
  maskSelect(w: Weights, sel: Selection, out: Uint8Array): number;
  applyMask(w: Weights, mask: Uint8Array): number;
  countZeros(w: Weights): number;
  /** NaN count and index of the first, or null when there is none. */
  findNaN(w: Weights): { count: number; first: number } | null;
  /** The k-th smallest magnitude, k in [1, n]; null when the weights hold NaN. */
  select(w: Weights, k: number): Selection | null;
  nmMask(w: Weights, rowLength: number, keep: number, m: number, out: Uint8Array): number;
  /** Per-column sums of |w| (p = 1) or w² (p = 2) of a row-major [w.length / cols, cols] matrix. */
  columnSums(w: Weights, cols: number, p: 1 | 2): Float32Array;
}

/**
 * The stream whose whole array the window holds now (per runtime), so that a second pass of the
 * same call skips the copy in. Several streams may take turns in the window (a select across
 * arrays), so this is the window's state, not a stream's.
 */
const windowHolder = new WeakMap<Runtime, Stream>();

/** For other writers of the window (quantized codes): no stream's array is held there any more. */
export function releaseWindow(rt: Runtime): void {
  windowHolder.delete(rt);
}

export class Stream {
  readonly n: number;
  private readonly rt: Runtime;
  private readonly js: Float32Array | null;
  private readonly ptr: number;
  /** Where a writing pass puts its results instead of `js` (left as it is); null: `js` itself. */
  private readonly out: Float32Array | null = null;

  constructor(rt: Runtime, w: Weights, out?: Float32Array) {
    this.rt = rt;
    this.n = w.length;
    if (w instanceof WasmWeights || w.buffer === rt.heap.memory.buffer) {
      if (out === undefined) {
        this.js = null;
        this.ptr = w.byteOffset;
        return;
      }
      // Weights in Wasm memory with a separate output: the output is filled and worked in.
      out.set(w instanceof WasmWeights ? w.array : w);
      w = out;
      out = undefined;
    }
    this.js = w;
    this.ptr = rt.chunkPtr;
    if (out !== undefined) this.out = out;
  }

  /** The weights' bit patterns, wherever they live (no copy). */
  get bits(): Uint32Array {
    const js = this.js;
    return js === null
      ? new Uint32Array(this.rt.heap.memory.buffer, this.ptr, this.n)
      : new Uint32Array(js.buffer, js.byteOffset, js.length);
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
    if (!(whole && windowHolder.get(this.rt) === this)) this.rt.heap.f32.set(js.subarray(off, off + len), base);
    // (With a separate output the window ends up holding results that are not `js`'s.)
    if (whole && this.out === null) windowHolder.set(this.rt, this);
    else windowHolder.delete(this.rt);
    fn(this.rt.chunkPtr);
    if (writeBack) (this.out ?? js).set(this.rt.heap.f32.subarray(base, base + len), off);
  }
}

/** A stream as the select passes see it (`bits` read late: scratch allocation may grow memory). */
export function source(s: Stream): SelectSource {
  return { n: s.n, get bits() { return s.bits; }, each: (fn) => s.each(false, fn) };
}

/** One backend object per runtime: built on first use, not on every kernel call. */
const backends = new WeakMap<Runtime, KernelBackend>();

export function wasmBackend(fname: string): KernelBackend {
  const rt = runtime(fname);
  let be = backends.get(rt);
  if (be === undefined) backends.set(rt, (be = backendOf(rt)));
  return be;
}

// Longer than 120 lines on purpose: an object literal of one short method per kernel, each read on
// its own; splitting it would only scatter the closures over `rt` that they share.
function backendOf(rt: Runtime): KernelBackend {
  const ex = rt.ex;
  const stream = (w: Weights, out?: Float32Array) => new Stream(rt, w, out);
  const maskOut = (out: Uint8Array, off: number, len: number) =>
    out.set(rt.heap.u8.subarray(rt.maskPtr, rt.maskPtr + len), off);

  const scratch: SelectMemory = {
    memory: rt.heap.memory,
    malloc: (bytes) => rt.heap.alloc(bytes),
    free: (ptr) => rt.heap.release(ptr),
  };

  return {
    simd: rt.simd,

    pruneAbove(w, tBits, tally, out) {
      let kept = 0;
      stream(w, out).each(true, (p, len) => {
        if (tally !== undefined) tally.zeros += ex.countZeros(p, len) >>> 0;
        kept += ex.pruneAbove(p, len, tBits) >>> 0;
      }, tally === undefined ? undefined : rt.chunkLength);
      return kept;
    },

    pruneSelect(w, sel, tally, out) {
      let kept = 0;
      let need = sel.need;
      stream(w, out).each(true, (p, len) => {
        if (tally !== undefined) tally.zeros += ex.countZeros(p, len) >>> 0;
        kept += ex.pruneSelect(p, len, sel.bits, need) >>> 0;
        need = ex.remainingNeed() >>> 0;
      }, tally === undefined ? undefined : rt.chunkLength);
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
      return selectKth(ex, scratch, source(stream(w)), k);
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

    columnSums(w, cols, p) {
      const s = stream(w);
      const window = rt.chunkLength;
      const acc = rt.heap.alloc(cols * 4);
      try {
        rt.heap.f32.fill(0, acc >>> 2, (acc >>> 2) + cols);
        if (cols <= window) {
          // Whole rows per window; the accumulators carry over from one window to the next.
          const step = Math.floor(window / cols) * cols;
          for (let off = 0; off < s.n; off += step) {
            const len = Math.min(step, s.n - off);
            s.range(off, len, false, (ptr) => ex.columnNormsAdd(ptr, len / cols, cols, p, acc));
          }
        } else {
          // Rows longer than the window: each row in pieces, each piece adding to its own columns.
          for (let row = 0; row < s.n; row += cols) {
            for (let c = 0; c < cols; c += window) {
              const len = Math.min(window, cols - c);
              s.range(row + c, len, false, (ptr) => ex.columnNormsAdd(ptr, 1, len, p, acc + c * 4));
            }
          }
        }
        return rt.heap.f32.slice(acc >>> 2, (acc >>> 2) + cols);
      } finally {
        rt.heap.release(acc);
      }
    },
  };
}
