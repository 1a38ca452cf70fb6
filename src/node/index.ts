export { loadArtifacts, MODEL_FILE_NAMES } from './load.js';
export { saveArtifacts, DEFAULT_SHARD_BYTES } from './save.js';
export type { SaveArtifactsOptions, SaveArtifactsResult } from './save.js';
export { loadMnist, mnistDataDir, MNIST_FILES } from './mnist.js';
export type { LoadMnistOptions } from './mnist.js';
export { pruneDirectory, weightBytesOnDisk } from './prune_directory.js';
export type { PruneDirectoryOptions, PruneDirectoryResult } from './prune_directory.js';
export { nodeGzipSizes } from './gzip.js';
