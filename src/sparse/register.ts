// registerSparseKernels: compiles the sparse kernels and registers PruneSparseMatMul with tfjs.
import { engine, getKernel, registerKernel } from '@tensorflow/tfjs-core';
import { WasmError } from '../errors.js';
import { loadSparseKernels, type SparseModuleSource } from '../wasm/sparse.js';
import { PruneSparseConv2D, PruneSparseMatMul } from './kernel_names.js';
import { registerSparseDense } from './layer.js';
import { kernelBuild, readSyncConvKernel, readSyncKernel, setKernelBuild, wasmSparseConvKernel, wasmSparseKernel, type SparseKernelBuild } from './kernels.js';

export interface RegisterSparseOptions {
  /**
   * Which implementation runs on the wasm backend: 'auto' (default: SIMD where supported, else
   * scalar), 'simd', 'scalar', or 'js' (the pure-JS kernel on the backend's memory). The cpu
   * backend always runs the pure-JS kernel on its own arrays. Results are identical in all.
   */
  build?: 'auto' | SparseKernelBuild;
  /** A precompiled module (or the bytes) of tfjs-prune/wasm/sparse-simd.wasm or sparse-scalar.wasm. */
  sparseModule?: SparseModuleSource;
}

/**
 * Makes sparseMatMul (and the sparse layers) runnable: compiles the Wasm kernels and registers
 * the PruneSparseMatMul kernel for the wasm backend (zero copy on its memory), the cpu backend
 * (pure JS on its arrays) and every other backend known now (readSync, then pure JS). Idempotent;
 * calling it again with another `build` switches the implementation. No gradient is registered.
 * Also registers the SparseDense layer class with tfjs' serialization (toSparseModel's models).
 */
export async function registerSparseKernels(options: RegisterSparseOptions = {}): Promise<SparseKernelBuild> {
  const want = options.build ?? 'auto';
  let b: SparseKernelBuild;
  if (want === 'js') b = 'js';
  else if (options.sparseModule !== undefined) b = await loadSparseKernels(options.sparseModule);
  else b = await loadSparseKernels(undefined, want === 'scalar');
  if (want === 'simd' && b !== 'simd') throw new WasmError('WASM_UNSUPPORTED', 'registerSparseKernels: this runtime has no Wasm SIMD; pass build: \'auto\' or \'scalar\'');
  setKernelBuild(b);
  registerSparseDense();
  for (const backendName of new Set(['wasm', 'cpu', ...engine().backendNames()])) registerSparseKernelFor(backendName);
  return b;
}

/** Registers the kernels for `backendName` unless it has them (a backend registered later gets them on first use). */
export function registerSparseKernelFor(backendName: string): void {
  if (getKernel(PruneSparseConv2D, backendName) !== undefined) return;
  const path = backendName === 'cpu' ? 'arrays' : 'readSync';
  if (getKernel(PruneSparseMatMul, backendName) === undefined) {
    registerKernel({ kernelName: PruneSparseMatMul, backendName, kernelFunc: backendName === 'wasm' ? wasmSparseKernel() : readSyncKernel(path) });
  }
  registerKernel({ kernelName: PruneSparseConv2D, backendName, kernelFunc: backendName === 'wasm' ? wasmSparseConvKernel() : readSyncConvKernel(path) });
}

export function sparseKernelsRegistered(): boolean {
  return kernelBuild() !== null;
}
