// model/: pruning a model's weights by magnitude or N:M. The selection rule (which tensors are
// weights), the config (one decision per tensor), the engine that runs a plan over tensors reached
// through an Access (artifacts bytes or a live model's variables), the pure pieces of streaming,
// pruneArtifacts and pruneModel, and reports (totals, gzip sizes, text).
// May import: errors, wasm, kernels, format/, tfjs-core and tfjs-layers. Imported by: the
// capabilities (training/, structured/, sensitivity/, …), node/ and the tfjs entry.
export { pruneArtifacts } from './artifacts.js';
export { pruneModel } from './layers_model.js';
export { formatReport, gzipSize } from './report.js';
export type { FormatReportOptions } from './report.js';
export type {
  ModelArtifacts,
  ModelPruneReport,
  PruneArtifactsOptions,
  PruneArtifactsResult,
  PruneConfig,
  PruneMethod,
  PruneModelOptions,
  PruneOverrideConfig,
  QuantizeDtype,
  SizeReport,
  TensorPruneReport,
} from './types.js';
