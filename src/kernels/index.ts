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
  gatherBracket,
  pruneBelowBits,
  columnNorms,
} from './api.js';
export type { CountReport, PruneReport, MaskOptions, NMOptions, ThresholdOptions, ColumnNormOptions } from './api.js';
