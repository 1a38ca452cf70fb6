// The copy path: for the cpu backend, and the fallback for every other backend (webgl, webgpu,
// tensorflow, ...) and for the wasm backend when its internals are not the expected ones.
//
//   backend.readSync(x)  ->  copy into the core runtime's Wasm memory  ->  kernels, in place
//                        ->  copy out into a new Float32Array  ->  backend.write(result)
//
// On the cpu backend readSync returns the tensor's own array and write adopts the new one, so a
// call copies the input in once and the result out once (plus the mask in, for applyMask): the
// floor for data kept in JS arrays. Elsewhere readSync is a download (GPU) or a slice (Wasm heap)
// and write an upload, so the result is a tensor on the original backend. Which of the two costs
// applies is fixed when the kernel is registered (`backendName`): a backend that received the cpu
// kernels through tf.copyRegisteredKernels('cpu', ...) is a cpu backend under another name.
import { engine, util, type BackendValues, type KernelBackend, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { coreHeap, tensorKernelsOn, type TensorKernels } from '../../wasm/index.js';
import { recordCopies } from '../copy_report.js';
import type { PruneMagnitudeAttrs } from '../kernel_names.js';
import { applyMaskTo, decide, writeMagnitude, type MaskDtype } from './impl.js';

export type MagnitudeKind = 'prune' | 'mask';

export function copyingMagnitudeKernel(kernelName: string, backendName: string, kind: MagnitudeKind): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const be = backend as KernelBackend;
    const x = inputs.x as TensorInfo;
    const n = util.sizeFromShape(x.shape);
    const native = backendName === 'cpu';
    const values = be.readSync(x.dataId);
    let copied = native ? 0 : n * 4;
    const heap = coreHeap(kernelName);
    const k = tensorKernelsOn(heap.memory, kernelName);
    const ptr = heap.malloc(n * 4);
    let out: Float32Array;
    try {
      copyIn(k, values, 'float32', ptr, n);
      copied += n * 4;
      const d = decide(kernelName, k, heap, ptr, n, (attrs ?? {}) as PruneMagnitudeAttrs);
      writeMagnitude(kernelName, kind, k, d, ptr, ptr, n);
      out = k.getF32(ptr, n);
      copied += n * 4;
    } finally {
      heap.free(ptr);
    }
    const dataId = be.write(out, x.shape, 'float32');
    if (!native) copied += n * 4;
    recordCopies(kernelName, engine().backendName, native ? 'copy' : 'fallback', copied);
    return { dataId, shape: x.shape, dtype: 'float32' };
  };
}

export function copyingApplyMaskKernel(kernelName: string, backendName: string): KernelFunc {
  return ({ inputs, backend }) => {
    const be = backend as KernelBackend;
    const x = inputs.x as TensorInfo;
    const mask = inputs.mask as TensorInfo;
    const n = util.sizeFromShape(x.shape);
    const native = backendName === 'cpu';
    const dtype = mask.dtype as MaskDtype;
    const maskBytes = n * (dtype === 'bool' ? 1 : 4);
    const values = be.readSync(x.dataId);
    const maskValues = be.readSync(mask.dataId);
    let copied = native ? 0 : n * 4 + maskBytes;
    const heap = coreHeap(kernelName);
    const k = tensorKernelsOn(heap.memory, kernelName);
    const ptr = heap.malloc(n * 4);
    let mptr = -1;
    let out: Float32Array;
    try {
      mptr = heap.malloc(maskBytes);
      copyIn(k, values, 'float32', ptr, n);
      copyIn(k, maskValues, dtype, mptr, n);
      copied += n * 4 + maskBytes;
      applyMaskTo(k, ptr, mptr, dtype, ptr, n);
      out = k.getF32(ptr, n);
      copied += n * 4;
    } finally {
      if (mptr >= 0) heap.free(mptr);
      heap.free(ptr);
    }
    const dataId = be.write(out, x.shape, 'float32');
    if (!native) copied += n * 4;
    recordCopies(kernelName, engine().backendName, native ? 'copy' : 'fallback', copied);
    return { dataId, shape: x.shape, dtype: 'float32' };
  };
}

// Bit-exact for the typed arrays backends hand back (TensorKernels.put); bool values from a
// backend that stores them otherwise are normalised to 0/1 bytes.
function copyIn(k: TensorKernels, values: BackendValues, dtype: MaskDtype, ptr: number, n: number): void {
  const v = values as ArrayLike<number>;
  if (v.length !== n) throw new Error(`tfjs-prune internal error: backend returned ${v.length} values for ${n} elements`);
  if (dtype === 'float32') k.put(ptr, v, 'f32');
  else if (dtype === 'int32') k.put(ptr, v, 'i32');
  else k.put(ptr, values instanceof Uint8Array ? values : Uint8Array.from(v, (x) => (x !== 0 ? 1 : 0)), 'u8');
}
