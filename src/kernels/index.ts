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
  codeHistogram,
  codeCounts,
  pruneCodeRanges,
} from './api.js';
export type { CodeCounts, CodeRanges } from '../wasm/index.js';
export type { CountReport, PruneReport, MaskOptions, NMOptions, ThresholdOptions, ColumnNormOptions } from './api.js';
