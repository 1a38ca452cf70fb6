// tfjs-prune/load: the decoder of compact containers (docs/container.md) and nothing else, for
// pages that only load models. No pruning code, no Wasm, no tfjs import beyond types.
//   const model = await tf.loadGraphModel(compressedModel('model.tpz'));
export { decompressArtifacts } from './container/decode.js';
export type { DecompressOptions } from './container/decode.js';
export { compressedModel } from './container/io.js';
export type { CompressedModelOptions } from './container/io.js';
export { PruneError, ContainerFormatError } from './errors.js';
export type { PruneErrorCode } from './errors.js';
