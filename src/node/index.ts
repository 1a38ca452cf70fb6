// node/: model files on disk and at URLs (load, atomic save), streaming pruning of models larger than
// memory on worker threads (pruneDirectory), and MNIST from its IDX files. The only room besides
// cli/ that uses Node built-ins.
// May import: everything below it (errors, wasm, kernels, format, model, data). Imported by: the
// node entry and cli/.
export { loadArtifacts, MODEL_FILE_NAMES } from './load.js';
export { DEFAULT_MAX_JSON_BYTES, DEFAULT_MAX_URL_BYTES, MAX_JSON_CONTAINERS, MAX_JSON_DEPTH } from './untrusted.js';
export type { LoadArtifactsOptions } from './untrusted.js';
export { saveArtifacts, DEFAULT_SHARD_BYTES } from './save.js';
export type { SaveArtifactsOptions, SaveArtifactsResult } from './save.js';
export { loadMnist, mnistDataDir, MNIST_FILES } from './mnist.js';
export type { LoadMnistOptions } from './mnist.js';
export { pruneDirectory, weightBytesOnDisk } from './prune_directory.js';
export type { PruneDirectoryOptions, PruneDirectoryResult } from './prune_directory.js';
export { loadCalibration } from './calibration.js';
export type { CalibrationArray } from './calibration.js';
export { nodeGzipSizes } from './gzip.js';
export { directorySizes } from './dir_sizes.js';
export type { DirectorySizes } from './dir_sizes.js';
