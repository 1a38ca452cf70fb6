import { engine, getGradient, registerGradient } from '@tensorflow/tfjs-core';
import { init } from '../index.js';
import { loadTensorKernels, wasmInfo, type InitOptions, type TensorModuleSource } from '../wasm/index.js';
import { markRegistered, registerKernelsFor } from './ensure.js';
import { pruneApplyMaskGradConfig } from './gradients/PruneApplyMask_grad.js';
import { pruneMagnitudeGradConfig } from './gradients/PruneMagnitude_grad.js';
import { pruneMagnitudeMaskGradConfig } from './gradients/PruneMagnitudeMask_grad.js';

const GRADIENTS = [pruneMagnitudeGradConfig, pruneMagnitudeMaskGradConfig, pruneApplyMaskGradConfig];

/** registerPruneKernels' options: init's, and the tensor kernel build to use. */
export interface RegisterOptions extends InitOptions {
  /**
   * The tensor kernels (the build the tfjs kernels run, on tfjs-backend-wasm's memory or the core
   * runtime's) instead of the embedded ones: a precompiled `WebAssembly.Module`, or the bytes, of
   * `tfjs-prune/wasm/tensor-simd.wasm` or `tensor-scalar.wasm`. Needed, with `module`, where
   * compiling Wasm from bytes is forbidden (Cloudflare Workers).
   */
  tensorModule?: TensorModuleSource;
}

let pending: Promise<void> | null = null;

/**
 * Makes pruneMagnitude, magnitudeMask and applyMask runnable: registers their kernels with tfjs
 * for the `wasm` backend (zero copy), the `cpu` backend (one copy in, one out) and, as a copying
 * fallback, every other backend (webgl, webgpu, ...), and their gradients. Nothing is registered
 * on import; call this once, before the first op. Idempotent: later calls are free.
 *
 * Async because it compiles Wasm: it initialises the core runtime — `init(options)` — unless that
 * has been done already, and compiles the tensor kernels (the SIMD or scalar build, following the
 * runtime's choice, and the shared-memory build for the threaded wasm backend). Passing options
 * always calls `init(options)`, as calling init yourself would. Where Wasm cannot be compiled
 * from bytes (Cloudflare Workers), pass both builds precompiled:
 * `{ module: <tfjs-prune/wasm/simd.wasm>, tensorModule: <tfjs-prune/wasm/tensor-simd.wasm> }`.
 */
export function registerPruneKernels(options?: RegisterOptions): Promise<void> {
  if (options !== undefined) return register(options);
  if (pending === null) {
    pending = register(undefined).catch((e: unknown) => {
      pending = null;
      throw e;
    });
  }
  return pending;
}

async function register(options: RegisterOptions | undefined): Promise<void> {
  const { tensorModule, ...initOptions } = options ?? {};
  const info = options === undefined && coreReady() ? wasmInfo() : await init(initOptions);
  await loadTensorKernels(info.simd, tensorModule, info.backend === 'js');
  for (const backendName of new Set(['wasm', 'cpu', ...engine().backendNames()])) registerKernelsFor(backendName);
  for (const config of GRADIENTS) {
    if (getGradient(config.kernelName) === undefined) registerGradient(config);
  }
  markRegistered();
}

function coreReady(): boolean {
  try {
    wasmInfo();
    return true;
  } catch {
    return false;
  }
}
