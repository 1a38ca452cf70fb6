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
  pruneCodeRanges,
  codeHistogram8,
  countCodes,
} from './api.js';
export type { CodedInput, CodeRanges, CodeTable, KeyRange } from '../wasm/index.js';
export type { CountReport, PruneReport, MaskOptions, NMOptions, ThresholdOptions, ColumnNormOptions } from './api.js';
