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
export { constantSparsity, polynomialDecay, scheduleFromConfig } from '../training/schedules.js';
export type { PruningSchedule, PruningScheduleConfig, PruningStep, ConstantSparsityConfig, PolynomialDecayConfig } from '../training/schedules.js';
export { Pruner } from '../training/pruner.js';
export type { PruningOptions, PruningUpdateReport } from '../training/pruner.js';
export { PruningCallback } from '../training/callback.js';
export { pruneRetrain } from '../training/retrain.js';
export type { PruneRetrainOptions, PruneRetrainReport, RetrainRound } from '../training/retrain.js';
// Structured pruning: physically smaller models (docs/structured.md).
export { pruneStructured } from './lazy.js';
export { formatStructuredReport } from '../structured/report.js';
export type { FormatStructuredReportOptions } from '../structured/report.js';
export type {
  StructuredConfig,
  StructuredGroupReport,
  StructuredImportance,
  StructuredLayerReport,
  StructuredOverrideConfig,
  StructuredReport,
} from '../structured/types.js';
// Layer-wise sensitivity analysis and its chart (docs/sensitivity.md).
export { proposeSparsities, DEFAULT_SCAN_SPARSITIES } from '../sensitivity/propose.js';
export { sensitivityScan } from './lazy.js';
export type { EvaluateFn, SensitivityScan, SensitivityScanOptions, SensitivityLayer, SensitivityMethod, SensitivityProgress, ProposeSparsitiesOptions, SparsityProposal, ProposedLayer, ProposedOverride } from '../sensitivity/propose.js';
export { sensitivityChart } from '../sensitivity/chart.js';
export type { SensitivityChartInput, SensitivityChartOptions } from '../sensitivity/chart.js';
