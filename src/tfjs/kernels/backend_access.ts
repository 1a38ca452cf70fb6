// Access to tfjs-backend-wasm's memory, allocator and tensor table, shared by the zero-copy
// kernels (the tensor kernels in wasm.ts, the sparse ones in src/sparse/kernels.ts). Internals
// of tfjs-backend-wasm 4.x (checked against 4.22) are listed in wasm.ts.
import type { DataId, DataType, TensorInfo } from '@tensorflow/tfjs-core';
import { asMemory } from '../../wasm/detect.js';
import type { ForeignHeap } from '../../wasm/foreign.js';

/** The backend internals every zero-copy kernel uses (the tensor kernels, the sparse ones). */
export interface BackendAccess {
  memory: WebAssembly.Memory;
  heap: ForeignHeap;
  /** Byte offset of a tensor's data in the backend's memory, or null if it has none. */
  offset(dataId: DataId): number | null;
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  dispose(dataId: DataId): void;
  read(dataId: DataId): unknown;
}

interface BackendWasmInternals {
  wasm?: {
    asm?: { memory?: unknown };
    wasmMemory?: unknown;
    _malloc?: (bytes: number) => number;
    _free?: (ptr: number) => void;
  };
  dataIdMap?: { get?: (dataId: DataId) => { memoryOffset?: unknown; dtype?: unknown } | undefined };
  makeOutput?: (shape: number[], dtype: DataType) => TensorInfo;
  disposeData?: (dataId: DataId, force?: boolean) => boolean;
  readSync?: (dataId: DataId) => unknown;
}

/**
 * The backend's memory, allocator and tensor table, when `backend` has the internals listed
 * above; null otherwise. Callers confirm them with a self-test of their own kernels.
 */
export function backendAccess(backend: object): BackendAccess | null {
  const b = backend as BackendWasmInternals;
  const w = b.wasm;
  if (w === undefined || w === null) return null;
  const memory = asMemory(w.asm?.memory) ?? asMemory(w.wasmMemory);
  const { _malloc: malloc, _free: free } = w;
  const map = b.dataIdMap;
  const { makeOutput, disposeData, readSync } = b;
  if (memory === null || typeof malloc !== 'function' || typeof free !== 'function' || typeof map?.get !== 'function'
    || typeof makeOutput !== 'function' || typeof disposeData !== 'function' || typeof readSync !== 'function') {
    return null;
  }
  return {
    memory,
    heap: {
      memory,
      // `>>> 0`: past 2 GiB emscripten's malloc returns a negative int32.
      malloc: (bytes) => {
        const p = malloc.call(w, bytes) >>> 0;
        if (p === 0) throw new RangeError(`the wasm backend cannot allocate ${bytes} bytes`);
        return p;
      },
      free: (ptr) => free.call(w, ptr),
    },
    offset(dataId) {
      const d = map.get!.call(map, dataId);
      return d !== undefined && typeof d.memoryOffset === 'number' ? d.memoryOffset >>> 0 : null;
    },
    makeOutput: (shape, dtype) => makeOutput.call(b, shape, dtype),
    dispose: (dataId) => void disposeData.call(b, dataId, true),
    read: (dataId) => readSync.call(b, dataId),
  };
}
