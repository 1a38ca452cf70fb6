// wasm/: the only code that touches WebAssembly and Wasm memory. Loading (SIMD detection, the
// scalar fallback, a precompiled Module, bytes or the embedded base64), the heap that hands out fresh
// views after growth, the window that streams JS arrays through Wasm memory, the kernel backends
// (Wasm, or the pure-JS build of the same kernels where there is no WebAssembly) and the tensor
// module that runs on tfjs-backend-wasm's own memory.
// May import: errors only. Imported by: kernels/, tfjs/, model/ and the entries.
export { initRuntime, wasmInfo } from './runtime.js';
export type { InitOptions, WasmInfo, EmbeddedBinaries, JsBuild } from './runtime.js';
export { jsBuild, loadPureJs, pureJsLoaded } from './purejs-load.js';
export { simdSupported, wasmSupported } from './detect.js';
export { decodeBase64 } from './base64.js';
export { allocWeights, WasmWeights } from './weights.js';
export { wasmBackend } from './backend.js';
export type { KernelBackend, Selection, Tally, Weights } from './backend.js';
export { bracketPass, selectParts } from './parts.js';
export { codeHistogram8, countCodes, pruneCodeRanges } from './codes.js';
export type { CodedInput, CodeRanges, CodeTable, KeyRange } from './codes.js';
export type { PartsSelection } from './parts.js';
export {
  loadTensorKernels,
  tensorKernelsLoaded,
  tensorKernelsOn,
  instantiateTensorBuild,
  coreHeap,
  asMemory,
  sharedMemorySupported,
  TensorKernels,
} from './foreign.js';
export type { ForeignHeap, TensorBuild, TensorKernelExports, TensorModuleSource } from './foreign.js';
