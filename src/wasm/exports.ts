// The raw exports of assembly/index.ts. Both builds have exactly these; pointers are byte offsets
// into `memory`, counts are elements. The pure-JS build (purejs.ts) has them too, over a JsMemory.
import type { LinearMemory } from './purejs.js';

export interface KernelExports {
  readonly memory: LinearMemory;
  heapBase(): number;
  isSimd(): number;
  remainingNeed(): number;
  pruneAbove(ptr: number, n: number, tBits: number): number;
  pruneSelect(ptr: number, n: number, tBits: number, need: number): number;
  maskAbove(ptr: number, n: number, tBits: number, maskPtr: number): number;
  maskSelect(ptr: number, n: number, tBits: number, need: number, maskPtr: number): number;
  applyMask(ptr: number, maskPtr: number, n: number): number;
  countZeros(ptr: number, n: number): number;
  countNaN(ptr: number, n: number): number;
  firstNaN(ptr: number, n: number): number;
  histogramAll(ptr: number, n: number, histPtr: number): number;
  histogramPrefix(ptr: number, n: number, histPtr: number, shift: number, prefixShift: number, prefix: number): void;
  gatherPrefix(ptr: number, n: number, prefixShift: number, prefix: number, outPtr: number, count: number, cap: number): number;
  countBracket(ptr: number, n: number, lo: number, hi: number, outPtr: number, count: number, cap: number, resPtr: number): number;
  nmMask(ptr: number, n: number, rowLength: number, keep: number, m: number, maskPtr: number): number;
  columnNormsAdd(ptr: number, rows: number, cols: number, p: number, accPtr: number): void;
  histCodes8(ptr: number, n: number, histPtr: number): void;
  bracketCodes(
    ptr: number, n: number, width: number, mask: number,
    bLo: number, bSpan: number, gLo: number, gSpan: number, zLo: number, zSpan: number, nLo: number, nSpan: number,
    scale: number, offset: number, outPtr: number, count: number, cap: number, resPtr: number,
  ): number;
  pruneCodes8(ptr: number, n: number, lo1: number, span1: number, lo2: number, span2: number, z: number, take: number): number;
  pruneCodes16(ptr: number, n: number, mask: number, lo1: number, span1: number, lo2: number, span2: number, z: number, take: number): number;
}

export const KERNEL_EXPORT_NAMES: readonly (keyof KernelExports)[] = [
  'memory', 'heapBase', 'isSimd', 'remainingNeed', 'pruneAbove', 'pruneSelect', 'maskAbove',
  'maskSelect', 'applyMask', 'countZeros', 'countNaN', 'firstNaN', 'histogramAll',
  'histogramPrefix', 'gatherPrefix', 'countBracket', 'nmMask', 'columnNormsAdd', 'histCodes8', 'bracketCodes',
  'pruneCodes8', 'pruneCodes16',
];
