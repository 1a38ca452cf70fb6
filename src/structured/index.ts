// structured/: physically smaller models (docs/structured.md). pruneStructured deletes whole Dense
// units and Conv filters with every slice that depends on them and rebuilds the tf.LayersModel with
// stock tfjs; its types and its text report live beside it. Its code (prune.ts and what only it
// imports) is loaded by the first call (`import()`), so an app that never calls it does not load it.
// May import: errors, kernels (column norms), model/ (config), tfjs-core and tfjs-layers.
// Imported by: sensitivity/ (method 'structured'), the tfjs entry.
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { StructuredConfig, StructuredReport } from './types.js';

export { formatStructuredReport } from './report.js';
export type { FormatStructuredReportOptions } from './report.js';
export type {
  StructuredConfig,
  StructuredGroupReport,
  StructuredImportance,
  StructuredLayerReport,
  StructuredOverrideConfig,
  StructuredReport,
} from './types.js';

/**
 * Removes the least important Dense units and Conv filters of a tf.LayersModel and returns a new,
 * smaller model (same inputs and outputs; stock tfjs saves, loads, compiles and fits it) and the
 * report. The input model is not modified. Model outputs are never pruned; a group keeps at least
 * one unit. Requires `await init()` from 'tfjs-prune' (the column norms are a Wasm kernel).
 */
export async function pruneStructured(model: LayersModel, config: StructuredConfig): Promise<{ model: LayersModel; report: StructuredReport }> {
  return (await import('./prune.js')).pruneStructured(model, config);
}
