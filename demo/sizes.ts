// The rows of the page's sizes table, and how a change in size is worded. Plain data and
// functions (no DOM), so the test reads the same rows to check every cell against the Node API.
import type { Sizes } from './protocol.js';

/**
 * One row of the sizes table: a size read from a model's Sizes, for the dense model (the report
 * of pruning it at sparsity 0, and its container) and for the pruned one. A new way to store the
 * weights is a new row, reading its size from what the worker sends.
 */
export interface SizeRow {
  id: string;
  label: string;
  dense(s: Sizes): number;
  pruned(s: Sizes): number;
}

export const SIZE_ROWS: readonly SizeRow[] = [
  { id: 'raw', label: 'raw float32', dense: (s) => s.before.raw, pruned: (s) => s.after.raw },
  { id: 'gzip', label: 'gzip', dense: (s) => s.before.gzip!, pruned: (s) => s.after.gzip! },
  { id: 'uint8', label: 'uint8 + gzip', dense: (s) => s.quantized.gzip!, pruned: (s) => s.quantized.gzip! },
  // The whole model (topology and float32 weights, losslessly) as one .tpz file: compressArtifacts.
  { id: 'compact', label: 'compact container', dense: (s) => s.compact, pruned: (s) => s.compact },
];

/** “same size” when equal; a ratio where it reads as more than 1.00; else the difference in bytes. */
export function sizeChange(dense: number, pruned: number): string {
  if (pruned === dense) return 'same size';
  const [big, small, word] = pruned < dense ? [dense, pruned, 'smaller'] : [pruned, dense, 'larger'];
  const ratio = big / small;
  return ratio >= 1.005 ? `${ratio.toFixed(2)}× ${word}` : `${(big - small).toLocaleString('en-US')} B ${word}`;
}
