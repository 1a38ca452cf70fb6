// The model API's large async functions, whose code is imported (`import()`) on their first call:
// an app that never calls them does not load it, and a bundler puts each in a chunk of its own.
// Both return promises anyway, so a caller sees no difference (size budget: README, "Bundle sizes").
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { EvaluateFn, SensitivityScan, SensitivityScanOptions } from '../sensitivity/propose.js';
import type { StructuredConfig, StructuredReport } from '../structured/types.js';

/**
 * Removes the least important Dense units and Conv filters of a tf.LayersModel and returns a new,
 * smaller model (same inputs and outputs; stock tfjs saves, loads, compiles and fits it) and the
 * report. The input model is not modified. Model outputs are never pruned; a group keeps at least
 * one unit. Requires `await init()` from 'tfjs-prune' (the column norms are a Wasm kernel).
 */
export async function pruneStructured(model: LayersModel, config: StructuredConfig): Promise<{ model: LayersModel; report: StructuredReport }> {
  return (await import('../structured/prune.js')).pruneStructured(model, config);
}

/**
 * Prunes one layer at a time at each sparsity, calls `evaluate(model)` on the model so pruned,
 * and puts the layer's weights back bit for bit before the next trial (also when evaluate
 * throws). The model is the caller's: it is modified during the scan and restored after each
 * trial. With method 'structured', evaluate gets the smaller model pruneStructured built (disposed
 * after the call) and the caller's model is never written. Requires `await init()` from 'tfjs-prune'.
 */
export async function sensitivityScan(model: LayersModel, evaluate: EvaluateFn, options: SensitivityScanOptions = {}): Promise<SensitivityScan> {
  return (await import('../sensitivity/scan.js')).sensitivityScan(model, evaluate, options);
}
