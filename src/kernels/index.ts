export {
  pruneByThreshold,
  pruneToSparsity,
  magnitudeThreshold,
  magnitudeMask,
  applyMask,
  countZeros,
  nmMask,
  prunedCount,
  roundHalfEven,
} from './api.js';
export type { CountReport, PruneReport, MaskOptions, NMOptions, ThresholdOptions } from './api.js';
