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
  columnNorms,
} from './api.js';
export type { CountReport, PruneReport, MaskOptions, NMOptions, ThresholdOptions, ColumnNormOptions } from './api.js';
