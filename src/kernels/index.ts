// kernels/: the typed-array API (`tfjs-prune`'s root export): argument checks at the TypeScript
// boundary and the calls into wasm/'s backends. Never imports tfjs or Node built-ins.
// May import: errors, wasm/. Imported by: tfjs/, format/, model/ and the capabilities above them.
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
