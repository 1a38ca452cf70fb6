// One-shot pruning with calibration data (docs/oneshot.md). Owns: calibration statistics
// (stats.ts, patches.ts), the per-layer solver and its linear algebra (solver.ts, linalg.ts,
// allocate.ts: no tfjs), and the walk over a live tf.LayersModel (walk.ts, prune_oneshot.ts).
// May import: errors, kernels, model (config, select, report, types) and tfjs-core/-layers.
// pruneOneShot's code is imported on its first call (lazy.ts), so the tfjs entry stays small.
export { pruneOneShot } from './lazy.js';
export { solveLayer, refitSchedule, keepLargest, relativeError, DEFAULT_DAMPING } from './solver.js';
export type { OneShotMethod, SolveOptions, SolveResult } from './solver.js';
export { LayerStats } from './stats.js';
export { cholesky, choleskySolve, choleskyInverse, inverseDiagonal } from './linalg.js';
export { pooledCounts } from './allocate.js';
export type { Calibration, OneShotConfig, OneShotLayerReport, OneShotReport } from './types.js';
