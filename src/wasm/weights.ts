import { ArgumentError } from '../errors.js';
import { isCurrent, runtime, type Runtime } from './runtime.js';

/**
 * Float32 weights held inside the kernels' Wasm memory. Every kernel works on them in place, with
 * no copy. Fill them through `array`, which is a fresh view each time it is read (any later
 * allocation may grow the memory and detach older views), and `free()` them when done.
 */
export class WasmWeights {
  readonly length: number;
  /** @internal */ readonly rt: Runtime;
  #ptr: number;

  /** @internal use allocWeights() */
  constructor(rt: Runtime, ptr: number, length: number) {
    this.rt = rt;
    this.#ptr = ptr;
    this.length = length;
  }

  /** Byte offset in Wasm memory; -1 once freed. */
  get byteOffset(): number {
    return this.#ptr;
  }

  /** A view over the weights, valid until the next allocation. */
  get array(): Float32Array {
    this.check('WasmWeights.array');
    return new Float32Array(this.rt.heap.memory.buffer, this.#ptr, this.length);
  }

  free(): void {
    if (this.#ptr < 0 || !isCurrent(this.rt)) return;
    this.rt.heap.release(this.#ptr);
    this.#ptr = -1;
  }

  /** @internal */
  check(fname: string): void {
    if (this.#ptr < 0) throw new ArgumentError(`${fname}: these WasmWeights were freed`);
    if (!isCurrent(this.rt)) throw new ArgumentError(`${fname}: these WasmWeights belong to a runtime replaced by a later init()`);
  }
}

/** Allocates `length` float32 weights in Wasm memory (contents unspecified until written). */
export function allocWeights(length: number): WasmWeights {
  if (!Number.isInteger(length) || length < 0) {
    throw new ArgumentError(`allocWeights: length must be a non-negative integer, got ${String(length)}`);
  }
  const rt = runtime('allocWeights');
  if (length * 4 > 2 ** 32 - rt.heap.memory.buffer.byteLength) {
    throw new ArgumentError(`allocWeights: ${length} float32 weights do not fit in a 4 GiB Wasm memory; pass a Float32Array and let the kernels stream it`);
  }
  let ptr: number;
  try {
    ptr = rt.heap.alloc(length * 4);
  } catch (e) {
    throw new ArgumentError(`allocWeights: cannot allocate ${length} float32 weights: ${(e as Error).message}`);
  }
  return new WasmWeights(rt, ptr, length);
}
