import { engine, getGradient, registerGradient } from '@tensorflow/tfjs-core';
import { init } from '../index.js';
import { loadTensorKernels, wasmInfo, type InitOptions } from '../wasm/index.js';
import { markRegistered, registerKernelsFor } from './ensure.js';
import { pruneApplyMaskGradConfig } from './gradients/PruneApplyMask_grad.js';
import { pruneMagnitudeGradConfig } from './gradients/PruneMagnitude_grad.js';
import { pruneMagnitudeMaskGradConfig } from './gradients/PruneMagnitudeMask_grad.js';

const GRADIENTS = [pruneMagnitudeGradConfig, pruneMagnitudeMaskGradConfig, pruneApplyMaskGradConfig];

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
 * always calls `init(options)`, as calling init yourself would.
 */
export function registerPruneKernels(options?: InitOptions): Promise<void> {
  if (options !== undefined) return register(options);
  if (pending === null) {
    pending = register(undefined).catch((e: unknown) => {
      pending = null;
      throw e;
    });
  }
  return pending;
}

async function register(options: InitOptions | undefined): Promise<void> {
  const info = options === undefined && coreReady() ? wasmInfo() : await init(options ?? {});
  await loadTensorKernels(info.simd, info.backend === 'js');
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
