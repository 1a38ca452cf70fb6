// The multi-array select on the current runtime (Wasm or pure JS), for the model layer only.
import { runtime } from './runtime.js';
import { source, Stream, type Weights } from './backend.js';
import { selectAcross, type PartsSelection } from './select-parts.js';
import type { Extra } from './select.js';

export type { Extra } from './select.js';
export type { PartsSelection } from './select-parts.js';

/**
 * The k-th smallest magnitude over several arrays (k in [1, total]) and each array's counts below
 * and at it; `nanPart` names the first array holding NaN. `extra`: magnitudes ranked with the
 * arrays' that are not in memory (quantized tensors counted from their codes).
 */
export function selectParts(fname: string, ws: readonly Weights[], k: number, extra?: Extra): PartsSelection | { nanPart: number } {
  const rt = runtime(fname);
  const scratch = { memory: rt.heap.memory, malloc: (bytes: number) => rt.heap.alloc(bytes), free: (ptr: number) => rt.heap.release(ptr) };
  return selectAcross(rt.ex, scratch, ws.map((w) => source(new Stream(rt, w))), k, extra);
}
