// Which backends have our kernels. registerPruneKernels() registers them for wasm and cpu and a
// copying fallback for every other backend known at that time; a backend registered later (say,
// webgpu imported after) gets the fallback the first time one of our ops runs on it.
import { engine, getKernel, registerKernel } from '@tensorflow/tfjs-core';
import { WasmError } from '../errors.js';
import { PruneApplyMask, PruneMagnitude, PruneMagnitudeMask, PRUNE_KERNEL_NAMES, type PruneKernelName } from './kernel_names.js';
import { copyingApplyMaskKernel, copyingMagnitudeKernel } from './kernels/copying.js';
import { wasmApplyMaskKernel, wasmMagnitudeKernel } from './kernels/wasm.js';

let registered = false;

/** Registers all three kernels for `backendName` where not yet registered (idempotent). */
export function registerKernelsFor(backendName: string): void {
  for (const kernelName of PRUNE_KERNEL_NAMES) {
    if (getKernel(kernelName, backendName) !== undefined) continue;
    registerKernel({ kernelName, backendName, kernelFunc: kernelFor(kernelName, backendName) });
  }
}

function kernelFor(kernelName: PruneKernelName, backendName: string) {
  const wasm = backendName === 'wasm';
  switch (kernelName) {
    case PruneMagnitude:
      return wasm ? wasmMagnitudeKernel(kernelName, 'prune') : copyingMagnitudeKernel(kernelName, backendName, 'prune');
    case PruneMagnitudeMask:
      return wasm ? wasmMagnitudeKernel(kernelName, 'mask') : copyingMagnitudeKernel(kernelName, backendName, 'mask');
    case PruneApplyMask:
      return wasm ? wasmApplyMaskKernel(kernelName) : copyingApplyMaskKernel(kernelName, backendName);
  }
}

export function markRegistered(): void {
  registered = true;
}

export function kernelsRegistered(): boolean {
  return registered;
}

/** Called by every op before runKernel. */
export function ensureKernel(fname: string, kernelName: PruneKernelName): void {
  if (!registered) {
    throw new WasmError('WASM_NOT_INITIALIZED', `${fname}: the prune kernels are not registered; await registerPruneKernels() first`);
  }
  const backendName = engine().backendName;
  if (getKernel(kernelName, backendName) === undefined) registerKernelsFor(backendName);
}
