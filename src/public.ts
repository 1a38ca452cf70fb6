// What the default and slim entries share: everything but init().
export {
  pruneByThreshold,
  pruneToSparsity,
  magnitudeThreshold,
  magnitudeMask,
  applyMask,
  countZeros,
  nmMask,
  prunedCount,
  roundHalfEven,
  columnNorms,
} from './kernels/index.js';
export type { CountReport, PruneReport, MaskOptions, NMOptions, ThresholdOptions, ColumnNormOptions } from './kernels/index.js';
export { wasmInfo, simdSupported, allocWeights, WasmWeights } from './wasm/index.js';
export type { InitOptions, WasmInfo, Weights } from './wasm/index.js';
export { PruneError, ArgumentError, NaNWeightsError, WasmError } from './errors.js';
export type { PruneErrorCode } from './errors.js';
