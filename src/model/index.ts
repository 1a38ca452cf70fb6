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
// Pruning while training (docs/training.md).
export { constantSparsity, polynomialDecay, scheduleFromConfig } from './schedules.js';
export type { PruningSchedule, PruningScheduleConfig, PruningStep, ConstantSparsityConfig, PolynomialDecayConfig } from './schedules.js';
export { Pruner } from './pruner.js';
export type { PruningOptions, PruningUpdateReport } from './pruner.js';
export { PruningCallback } from './callback.js';
export { pruneRetrain } from './retrain.js';
export type { PruneRetrainOptions, PruneRetrainReport, RetrainRound } from './retrain.js';
// Structured pruning: physically smaller models (docs/structured.md).
export { pruneStructured } from './lazy.js';
export { formatStructuredReport } from './structured_report.js';
export type { FormatStructuredReportOptions } from './structured_report.js';
export type {
  StructuredConfig,
  StructuredGroupReport,
  StructuredImportance,
  StructuredLayerReport,
  StructuredOverrideConfig,
  StructuredReport,
} from './structured_types.js';
// Layer-wise sensitivity analysis and its chart (docs/sensitivity.md).
export { proposeSparsities, DEFAULT_SCAN_SPARSITIES } from './sensitivity.js';
export { sensitivityScan } from './lazy.js';
export type { EvaluateFn, SensitivityScan, SensitivityScanOptions, SensitivityLayer, SensitivityMethod, SensitivityProgress, ProposeSparsitiesOptions, SparsityProposal, ProposedLayer, ProposedOverride } from './sensitivity.js';
export { sensitivityChart } from './chart.js';
export type { SensitivityChartInput, SensitivityChartOptions } from './chart.js';
