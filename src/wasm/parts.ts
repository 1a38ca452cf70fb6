// The multi-array select on the current runtime (Wasm or pure JS), for the model layer only.
import { runtime } from './runtime.js';
import { source, Stream, type Weights } from './backend.js';
import { codeSource, type CodedInput } from './codes.js';
import { selectAcross, type PartsSelection } from './select-parts.js';
import { COMPACT_TABLE } from './select.js';

export type { PartsSelection } from './select-parts.js';

/**
 * The k-th smallest magnitude over several arrays (k in [1, total]) and each array's counts below
 * and at it, and its zeros; `nanPart` names the first array holding NaN. An array is float32
 * weights or a quantized tensor's codes with their table (ranked by dequantized magnitude,
 * never decoded unless the sample misleads).
 */
export function selectParts(fname: string, ws: readonly (Weights | CodedInput)[], k: number): PartsSelection | { nanPart: number } {
  const rt = runtime(fname);
  const scratch = { memory: rt.heap.memory, malloc: (bytes: number) => rt.heap.alloc(bytes), free: (ptr: number) => rt.heap.release(ptr) };
  const parts = ws.map((w) => ('table' in w ? codeSource(rt, w) : source(new Stream(rt, w))));
  return selectAcross(rt.ex, scratch, parts, k);
}

/**
 * One bracket pass over `w` (the streaming global select's gather, chunk by chunk): how many
 * magnitudes lie below `lo`, how many are NaN, and a copy of the magnitude bit patterns inside
 * [lo, hi], in order; `values` is null when more than `cap` fell inside (the caller gathers that
 * chunk another way).
 */
export function bracketPass(fname: string, w: Weights, lo: number, hi: number, cap: number): { below: number; nan: number; values: Uint32Array | null } {
  const rt = runtime(fname);
  const n = w.length;
  const scratch = rt.heap.alloc(16 + 256 + (cap + 4) * 4);
  try {
    const res = scratch;
    const out = scratch + 16 + 256;
    new Uint32Array(rt.heap.memory.buffer, res, 2).fill(0);
    new Uint8Array(rt.heap.memory.buffer, res + 16, 256).set(COMPACT_TABLE);
    let count = 0;
    new Stream(rt, w).each(false, (ptr, len) => (count = rt.ex.countBracket(ptr, len, lo, hi, out, count, cap, res) >>> 0));
    const [below, nan] = new Uint32Array(rt.heap.memory.buffer, res, 2);
    const values = count > cap || count > n ? null : new Uint32Array(rt.heap.memory.buffer, out, count).slice();
    return { below, nan, values };
  } finally {
    rt.heap.release(scratch);
  }
}
