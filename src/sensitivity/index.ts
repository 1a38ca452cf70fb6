// sensitivity/: layer-wise sensitivity analysis (docs/sensitivity.md). The scan prunes one layer at
// a time and calls the user's metric; the proposal turns a scan into per-layer overrides for a
// target; the chart draws the curves as a standalone SVG. The scan's code (scan.ts) is loaded by its
// first call (`import()`).
// May import: errors, wasm, kernels, model/ (config, select, engine, types), structured/,
// tfjs-core and tfjs-layers. Imported by: the tfjs entry (and the CLI's report, for the chart).
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { EvaluateFn, SensitivityScan, SensitivityScanOptions } from './propose.js';

export { proposeSparsities, DEFAULT_SCAN_SPARSITIES } from './propose.js';
export type { EvaluateFn, SensitivityScan, SensitivityScanOptions, SensitivityLayer, SensitivityMethod, SensitivityProgress, ProposeSparsitiesOptions, SparsityProposal, ProposedLayer, ProposedOverride } from './propose.js';
export { sensitivityChart } from './chart.js';
export type { SensitivityChartInput, SensitivityChartOptions } from './chart.js';

/**
 * Prunes one layer at a time at each sparsity, calls `evaluate(model)` on the model so pruned,
 * and puts the layer's weights back bit for bit before the next trial (also when evaluate
 * throws). The model is the caller's: it is modified during the scan and restored after each
 * trial. With method 'structured', evaluate gets the smaller model pruneStructured built (disposed
 * after the call) and the caller's model is never written. Requires `await init()` from 'tfjs-prune'.
 */
export async function sensitivityScan(model: LayersModel, evaluate: EvaluateFn, options: SensitivityScanOptions = {}): Promise<SensitivityScan> {
  return (await import('./scan.js')).sensitivityScan(model, evaluate, options);
}
