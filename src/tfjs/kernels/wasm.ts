// Zero copy on tfjs-backend-wasm: the tensor kernels are instantiated on the backend's own
// WebAssembly.Memory, read the input where the backend keeps it and write straight into an output
// the backend allocated. Scratch for the radix select comes from the backend's malloc and is freed
// before the kernel returns.
//
// This leans on internals of tfjs-backend-wasm 4.x (checked against 4.22):
//   backend.wasm.asm.memory   the memory (non-threaded builds; exported by the module)
//   backend.wasm.wasmMemory   the memory (threaded build; shared, imported by the module)
//   backend.wasm._malloc/_free, backend.dataIdMap.get(dataId).memoryOffset, backend.makeOutput
// They are feature-detected once per backend instance, and the detection ends with a self-test: a
// tensor the backend allocates is written by our kernels and must read back through readSync.
// Anything missing or different and the kernels take the copy path (kernels/copying.ts) instead.
import { engine, util, type DataId, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { tensorKernelsLoaded, tensorKernelsOn, type TensorKernels } from '../../wasm/index.js';
import { recordCopies } from '../copy_report.js';
import { backendAccess, type BackendAccess } from './backend_access.js';
import type { PruneMagnitudeAttrs } from '../kernel_names.js';
import { copyingApplyMaskKernel, copyingMagnitudeKernel, type MagnitudeKind } from './copying.js';
import { applyMaskTo, decide, writeMagnitude, type MaskDtype } from './impl.js';

/** What the kernels need from a wasm backend, once detected. */
export interface ZeroCopy extends BackendAccess {
  k: TensorKernels;
}

const detected = new WeakMap<object, ZeroCopy | null>();

/** The zero-copy access to `backend`, or null when its internals are not the expected ones. */
export function zeroCopyOn(backend: object): ZeroCopy | null {
  let zc = detected.get(backend);
  if (zc === undefined) {
    if (!tensorKernelsLoaded()) return null; // not cached: registerPruneKernels() may still come
    try {
      zc = detect(backend);
    } catch {
      zc = null; // e.g. a LinkError: the memory does not fit any of our builds
    }
    detected.set(backend, zc);
  }
  return zc;
}

function detect(backend: object): ZeroCopy | null {
  const access = backendAccess(backend);
  if (access === null) return null;
  const zc: ZeroCopy = { ...access, k: tensorKernelsOn(access.memory, 'registerPruneKernels') };
  return selfTest(zc, zc.read) ? zc : null;
}

// Prunes [0.5, -2, 1.5, -0.25, 3, 0, -1, 2] at threshold 1.5 from our own scratch into a tensor
// the backend made, then reads it back the backend's way.
function selfTest(zc: ZeroCopy, read: (dataId: DataId) => unknown): boolean {
  const input = [0.5, -2, 1.5, -0.25, 3, 0, -1, 2];
  const expected = [0, -2, 0, 0, 3, 0, 0, 2];
  const info = zc.makeOutput([8], 'float32');
  const src = zc.heap.malloc(32);
  try {
    const dst = zc.offset(info.dataId);
    if (dst === null) return false;
    zc.k.put(src, input, 'f32');
    zc.k.ex.pruneAboveTo(src, dst, 8, 0x3fc00000); // 1.5f
    const back = read(info.dataId);
    return back instanceof Float32Array && back.length === 8 && expected.every((v, i) => Object.is(back[i], v));
  } finally {
    zc.heap.free(src);
    zc.dispose(info.dataId);
  }
}

export function wasmMagnitudeKernel(kernelName: string, kind: MagnitudeKind): KernelFunc {
  const fallback = copyingMagnitudeKernel(kernelName, 'wasm', kind);
  return (args) => {
    const zc = zeroCopyOn(args.backend);
    const x = args.inputs.x as TensorInfo;
    const src = zc === null ? null : zc.offset(x.dataId);
    if (zc === null || src === null) return fallback(args);
    const n = util.sizeFromShape(x.shape);
    const d = decide(kernelName, zc.k, zc.heap, src, n, (args.attrs ?? {}) as PruneMagnitudeAttrs);
    const out = zc.makeOutput(x.shape, 'float32');
    try {
      writeMagnitude(kernelName, kind, zc.k, d, src, zc.offset(out.dataId) as number, n);
    } catch (e) {
      zc.dispose(out.dataId);
      throw e;
    }
    recordCopies(kernelName, engine().backendName, 'zero-copy', 0);
    return out;
  };
}

export function wasmApplyMaskKernel(kernelName: string): KernelFunc {
  const fallback = copyingApplyMaskKernel(kernelName, 'wasm');
  return (args) => {
    const zc = zeroCopyOn(args.backend);
    const x = args.inputs.x as TensorInfo;
    const mask = args.inputs.mask as TensorInfo;
    const src = zc === null ? null : zc.offset(x.dataId);
    const mptr = zc === null ? null : zc.offset(mask.dataId);
    if (zc === null || src === null || mptr === null) return fallback(args);
    const n = util.sizeFromShape(x.shape);
    const out = zc.makeOutput(x.shape, 'float32');
    try {
      applyMaskTo(zc.k, src, mptr, mask.dtype as MaskDtype, zc.offset(out.dataId) as number, n);
    } catch (e) {
      zc.dispose(out.dataId);
      throw e;
    }
    recordCopies(kernelName, engine().backendName, 'zero-copy', 0);
    return out;
  };
}
