// One-shot pruning with calibration data (docs/oneshot.md). Owns: calibration statistics
// (stats.ts; patches.ts cuts Dense rows and Conv2D/DepthwiseConv2D im2col patches), the per-layer
// solver and its linear algebra (solver.ts, linalg.ts, allocate.ts: no tfjs), and the walks over a
// live tf.LayersModel (walk.ts) and a live tf.GraphModel (graph_walk.ts), driven by
// prune_oneshot.ts (types.ts: the public types).
// May import: errors, wasm (its one-shot kernels, src/wasm/oneshot.ts), kernels, format (encode,
// for a GraphModel's saved weights), model (config, select, report, artifacts, types) and
// tfjs-core/-layers (tfjs-converter only by structural types).
// pruneOneShot's code is imported on its first call (lazy.ts), so the tfjs entry stays small; so
// are the Wasm kernels (assembly/oneshot.ts), which it loads on that call.
export { pruneOneShot, loadOneShotKernels } from './lazy.js';
export type { OneShotBuild } from '../wasm/oneshot.js';
// The pure parts, for tests and for a future Wasm build to be checked against (not public API).
export { solveLayer, errorCurve, refitSchedule, keepLargest, nmKeep, nmPrunedCount, relativeError, DEFAULT_DAMPING } from './solver.js';
export type { NMPattern, OneShotMethod, SolveOptions, SolveResult } from './solver.js';
export { LayerStats } from './stats.js';
export { cholesky, choleskySolve, choleskyInverse, inverseDiagonal } from './linalg.js';
export { pooledCounts, curveCounts, smallest } from './allocate.js';
export type { ErrorCurve } from './allocate.js';
export { forEachRows, rowLength } from './patches.js';
export type { Geometry, DenseGeometry, ConvGeometry, DepthwiseGeometry } from './patches.js';
export type { Calibration, OneShotConfig, OneShotGraphModel, OneShotLayerReport, OneShotReport } from './types.js';
