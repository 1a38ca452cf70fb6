// Counts the bytes of tensor data this library copies per kernel call, so the zero-copy claim can
// be checked (tests) and measured (bench/tfjs-ops.mjs). What counts as a copy: every byte our code
// moves between a tensor's storage and the memory the kernels run on — into the core runtime's
// Wasm memory, out of it into a new JS array, and, on backends other than cpu, a backend's
// readSync (a download from the GPU, a slice of the Wasm heap) and write (an upload). The kernels'
// own reads of their input and writes of their output are not copies.

/** How a call reached the kernels. */
export type CopyPath =
  /** Wasm backend: the kernels ran on the backend's own memory; nothing was copied. */
  | 'zero-copy'
  /** cpu backend: values copied into Wasm memory and the result copied out. */
  | 'copy'
  /** any other backend, or the wasm backend when its internals are not the expected ones:
   *  readSync, the copy path, then write back to the original backend. */
  | 'fallback';

export interface CopyCall {
  kernelName: string;
  backend: string;
  path: CopyPath;
  bytesCopied: number;
}

export interface CopyReport {
  /** Kernel calls since the last reset. */
  calls: number;
  /** Bytes copied over those calls. */
  bytesCopied: number;
  /** The most recent call, or null. */
  last: CopyCall | null;
}

let calls = 0;
let bytes = 0;
let last: CopyCall | null = null;

/** @internal called by every kernel once per call. */
export function recordCopies(kernelName: string, backend: string, path: CopyPath, bytesCopied: number): void {
  calls++;
  bytes += bytesCopied;
  last = { kernelName, backend, path, bytesCopied };
}

/** Bytes of tensor data the prune kernels copied since the last resetCopyReport(). */
export function copyReport(): CopyReport {
  return { calls, bytesCopied: bytes, last: last === null ? null : { ...last } };
}

export function resetCopyReport(): void {
  calls = 0;
  bytes = 0;
  last = null;
}
