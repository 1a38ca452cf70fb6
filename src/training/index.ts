// training/: pruning while training (docs/training.md). Pure schedules (step -> sparsity), the
// Pruner that holds one keep-mask per weight and is driven by explicit steps, the model.fit
// callback that drives it, and iterative prune-retrain. The mask math is the tfjs ops'; which
// tensors to prune and how many come from model/'s config and engine. Weight sharing (the
// Clusterer, its callback, pruneRetrain's cluster phase) uses format/codebook's k-means.
// May import: errors, tfjs (ops, registration), model/ (config, select, engine, types),
// format/codebook, tfjs-core and tfjs-layers. Imported by: the tfjs entry only.
export { constantSparsity, polynomialDecay, scheduleFromConfig } from './schedules.js';
export type { PruningSchedule, PruningScheduleConfig, PruningStep, ConstantSparsityConfig, PolynomialDecayConfig } from './schedules.js';
export { Pruner } from './pruner.js';
export type { PruningOptions, PruningUpdateReport } from './pruner.js';
export { PruningCallback, ClusteringCallback } from './callback.js';
export { Clusterer } from './cluster.js';
export type { ClusteringOptions, ClusteringReport, ClusterTensorReport } from './cluster.js';
export { pruneRetrain } from './retrain.js';
export type { PruneRetrainOptions, PruneRetrainReport, RetrainRound, ClusterRound, PruneRetrainClusterOptions } from './retrain.js';
