// tfjs/: custom tfjs ops over the kernels (pruneMagnitude, magnitudeMask, applyMask), their kernels
// for the wasm backend (zero copy on its memory) and the cpu backend (the copying path other
// backends fall back to), their gradients, and the idempotent registerPruneKernels().
// May import: errors, wasm/, kernels/, tfjs-core. Imported by: model/, training/, the tfjs entry.
export { pruneMagnitude } from './ops/prune_magnitude.js';
export { magnitudeMask } from './ops/magnitude_mask.js';
export { applyMask } from './ops/apply_mask.js';
export { registerPruneKernels } from './register.js';
export type { RegisterOptions } from './register.js';
export { copyReport, resetCopyReport } from './copy_report.js';
export type { CopyReport, CopyCall, CopyPath } from './copy_report.js';
export { PruneMagnitude, PruneMagnitudeMask, PruneApplyMask, PRUNE_KERNEL_NAMES } from './kernel_names.js';
export type {
  PruneMagnitudeInputs,
  PruneMagnitudeAttrs,
  PruneMagnitudeMaskInputs,
  PruneMagnitudeMaskAttrs,
  PruneApplyMaskInputs,
  PruneKernelName,
} from './kernel_names.js';
