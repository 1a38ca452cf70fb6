// format/: the bytes of a model. Reading a weights manifest into tensor entries with byte ranges
// (manifest), random access to shards (store), where bytes came from for error messages (origin),
// tensor bytes <-> values for float32, float16, uint8 and uint16 storage, with the encoders that keep
// pruned weights exactly 0 (codec, quantize), and the exact k-th magnitude across many tensors,
// float or coded (global), and shared values (codebook: 1-D k-means over a tensor's nonzeros). It
// knows nothing of pruning plans, layers or tfjs models.
// May import: errors, wasm, kernels (and tfjs-core types). Imported by: model/, node/, the
// capabilities above them.
export { assignCodes, kmeans1d, nearest, snapToCentroids } from './codebook.js';
export type { Centroids, KMeansOptions } from './codebook.js';
export { encode, codePick, codeTableOf, codeZeros, otherZeros, pruneCodes, readCoded, readFloat, requantize } from './codec.js';
export type { CodePick, Encoded } from './codec.js';
export { globalSelect } from './global.js';
export type { GlobalPlan } from './global.js';
export { declaredBytes, parseWeightSpecs, shapeSize, storageDtype, QUANT_BYTES, VALUE_BYTES } from './manifest.js';
export type { ByteSource, TensorEntry } from './manifest.js';
export { describeLocation, locate, recordWeightFiles } from './origin.js';
export type { WeightFile } from './origin.js';
export { WeightStore } from './store.js';
export type { ModelArtifacts, QuantizeDtype, WeightSpec } from './types.js';
export { decodeFloat16, encodeFloat16 } from './quantize.js';
