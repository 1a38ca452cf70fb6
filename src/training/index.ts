// training/: pruning while training (docs/training.md). Pure schedules (step -> sparsity), the
// Pruner that holds one keep-mask per weight and is driven by explicit steps, the model.fit
// callback that drives it, and iterative prune-retrain. The mask math is the tfjs ops'; which
// tensors to prune and how many come from model/'s config and engine.
// May import: errors, tfjs (ops, registration), model/ (config, select, engine, types), tfjs-core
// and tfjs-layers. Imported by: the tfjs entry only.
export { constantSparsity, polynomialDecay, scheduleFromConfig } from './schedules.js';
export type { PruningSchedule, PruningScheduleConfig, PruningStep, ConstantSparsityConfig, PolynomialDecayConfig } from './schedules.js';
export { Pruner } from './pruner.js';
export type { PruningOptions, PruningUpdateReport } from './pruner.js';
export { PruningCallback } from './callback.js';
export { pruneRetrain } from './retrain.js';
export type { PruneRetrainOptions, PruneRetrainReport, RetrainRound } from './retrain.js';
