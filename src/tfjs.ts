// tfjs-prune/tfjs: TensorFlow.js ops and kernels (and, later, the model-level API). tfjs-core is
// a peer dependency, never bundled. Call `await registerPruneKernels()` once before the first op.
export {
  pruneMagnitude,
  magnitudeMask,
  applyMask,
  registerPruneKernels,
  copyReport,
  resetCopyReport,
  PruneMagnitude,
  PruneMagnitudeMask,
  PruneApplyMask,
  PRUNE_KERNEL_NAMES,
} from './tfjs/index.js';
export type {
  CopyReport,
  CopyCall,
  CopyPath,
  PruneMagnitudeInputs,
  PruneMagnitudeAttrs,
  PruneMagnitudeMaskInputs,
  PruneMagnitudeMaskAttrs,
  PruneApplyMaskInputs,
  PruneKernelName,
} from './tfjs/index.js';
export type { MaskOptions } from './kernels/index.js';
export type { InitOptions, TensorModuleSource } from './wasm/index.js';
export type { RegisterOptions } from './tfjs/index.js';
export { pruneArtifacts, pruneModel, formatReport, gzipSize } from './model/index.js';
export type {
  ModelArtifacts,
  ModelPruneReport,
  TensorPruneReport,
  SizeReport,
  PruneConfig,
  PruneOverrideConfig,
  PruneMethod,
  QuantizeDtype,
  PruneArtifactsOptions,
  PruneArtifactsResult,
  PruneModelOptions,
  FormatReportOptions,
} from './model/index.js';
// Pruning while training: schedules, the Pruner (explicit steps), the model.fit callback,
// iterative prune-retrain, weight sharing while fine-tuning (docs/training.md).
export { constantSparsity, polynomialDecay, scheduleFromConfig, Pruner, PruningCallback, pruneRetrain, Clusterer, ClusteringCallback } from './training/index.js';
export type {
  PruningSchedule,
  PruningScheduleConfig,
  PruningStep,
  ConstantSparsityConfig,
  PolynomialDecayConfig,
  PruningOptions,
  PruningUpdateReport,
  PruneRetrainOptions,
  PruneRetrainReport,
  RetrainRound,
  ClusterRound,
  PruneRetrainClusterOptions,
  ClusteringOptions,
  ClusteringReport,
  ClusterTensorReport,
} from './training/index.js';
// Structured pruning: delete Dense units and Conv filters, return a smaller model (docs/structured.md).
export { pruneStructured, formatStructuredReport } from './structured/index.js';
export type {
  StructuredConfig,
  StructuredGroupReport,
  StructuredImportance,
  StructuredLayerReport,
  StructuredOverrideConfig,
  StructuredReport,
  FormatStructuredReportOptions,
} from './structured/index.js';
// Layer-wise sensitivity analysis: scan, proposal, chart (docs/sensitivity.md).
export { sensitivityScan, proposeSparsities, sensitivityChart, DEFAULT_SCAN_SPARSITIES } from './sensitivity/index.js';
export type {
  EvaluateFn,
  SensitivityScan,
  SensitivityScanOptions,
  SensitivityLayer,
  SensitivityMethod,
  SensitivityProgress,
  ProposeSparsitiesOptions,
  SparsityProposal,
  ProposedLayer,
  ProposedOverride,
  SensitivityChartInput,
  SensitivityChartOptions,
} from './sensitivity/index.js';
// The compact container's encoder (docs/container.md). Its decoder and IOHandler are the
// tfjs-prune/load entry (decompressArtifacts, compressedModel), kept out of here: an app imports
// the 4 KB decoder alone, or both entries.
export { compressArtifacts, compressArtifactsReport } from './container/index.js';
export type { CompressOptions, CompressReport, CompressTensorReport } from './container/index.js';
export { PruneError, ArgumentError, NaNWeightsError, WasmError, ModelFormatError, ContainerFormatError } from './errors.js';
export type { ModelLocation } from './errors.js';
export type { PruneErrorCode } from './errors.js';
// One-shot pruning with calibration data: Wanda masks, OBS/SparseGPT-style reconstruction (docs/oneshot.md).
export { pruneOneShot, loadOneShotKernels } from './oneshot/index.js';
export type { OneShotBuild, Calibration, OneShotConfig, OneShotGraphModel, OneShotLayerReport, OneShotMethod, OneShotReport } from './oneshot/index.js';
