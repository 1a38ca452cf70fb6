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
  selectAcrossArrays,
  pruneBelowBits,
} from './api.js';
export type { CountReport, PruneReport, MaskOptions, NMOptions, ThresholdOptions } from './api.js';
