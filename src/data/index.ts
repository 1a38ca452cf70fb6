// data/: data sets parsed from bytes, with no tfjs and no Node built-ins, so a page, a worker or Node
// can use them: the IDX format, MNIST as plain typed arrays and .npy arrays (node/ reads the files
// from disk).
// May import: errors. Imported by: node/ and the node entry.
export { parseIdx, parseIdxHeader } from './idx.js';
export type { IdxArray, IdxHeader, IdxDtype, IdxValues } from './idx.js';
export { mnistFromIdx } from './mnist.js';
export type { MnistData, MnistSliceOptions } from './mnist.js';
export { parseNpy } from './npy.js';
export type { NpyArray } from './npy.js';
