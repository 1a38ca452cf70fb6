// container/: the compact container for pruned models (docs/container.md): compressArtifacts
// (encoder, exported by tfjs-prune/tfjs), decompressArtifacts and the compressedModel IOHandler
// (decoder: the whole of tfjs-prune/load, src/load.ts). May import errors and format/model (the
// encoder only); the decoder side (decode, rans, format, specs, io) imports nothing but errors and
// tfjs types.
export { compressArtifacts, compressArtifactsReport } from './encode.js';
export type { CompressOptions, CompressReport, CompressTensorReport } from './encode.js';
export { decompressArtifacts } from './decode.js';
export type { DecompressOptions } from './decode.js';
export { compressedModel } from './io.js';
export type { CompressedModelOptions } from './io.js';
