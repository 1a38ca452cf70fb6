// pruneStructured's configuration and report (docs/structured.md).
import type { Tensor } from '@tensorflow/tfjs-core';

/** How a unit (Dense unit, Conv filter) is scored; the lowest scores are removed. */
export type StructuredImportance = 'l1' | 'l2' | 'activation';

/** A per-layer exception, matched against layer names (first match wins). */
export interface StructuredOverrideConfig {
  /** Glob over the layer name (`*`, `?`) or a regular expression written `/source/flags`. */
  match: string;
  /** Fraction of the layer's units removed (its whole group's, see docs/structured.md). */
  sparsity?: number;
  /** Leave the layer's units (and its group's) alone. */
  skip?: boolean;
}

export interface StructuredConfig {
  /** Fraction in [0, 1] of units (Dense units, Conv filters) removed. */
  sparsity: number;
  /**
   * 'layer' (default): every prunable group loses round(sparsity x its units).
   * 'global': round(sparsity x all units) are removed across groups, ranked by the per-weight
   * score (L1 / fan-in, L2 / sqrt(fan-in), or the activation score), at least one kept per group.
   */
  scope?: 'layer' | 'global';
  /** Default 'l1'. 'activation' (mean |output| over a calibration batch) needs `calibration`. */
  importance?: StructuredImportance;
  /** Input batch (one tensor per model input) for the activation score. Not disposed. */
  calibration?: Tensor | Tensor[];
  /** Keep a multiple of this many units per group (default 1; a group smaller than it is kept whole). */
  roundTo?: number;
  /** Prune only these layers (names). A named layer that cannot be pruned is an ArgumentError. */
  layers?: string[];
  /** Layers whose units are left alone (names). */
  exclude?: string[];
  overrides?: StructuredOverrideConfig[];
}

export interface StructuredLayerReport {
  name: string;
  className: string;
  /** Dense units, Conv/SeparableConv filters, DepthwiseConv2D output channels; null for other layers. */
  unitsBefore: number | null;
  unitsAfter: number | null;
  paramsBefore: number;
  paramsAfter: number;
  /** Multiply-adds per example of Dense, Conv1D/2D, DepthwiseConv2D, SeparableConv2D (0 for the rest). */
  flopsBefore: number;
  flopsAfter: number;
  /** Index into `groups` for layers whose units were candidates for pruning, else null. */
  group: number | null;
  /** Why the layer was left as it was (unprunable consumer, model output, excluded, ...), else null. */
  note: string | null;
}

/** Layers whose output channels must agree (a producer alone, or producers joined by Add/Concatenate/...). */
export interface StructuredGroupReport {
  /** Producer layers (Dense, Conv1D, Conv2D, SeparableConv2D) whose units are removed together. */
  layers: string[];
  unitsBefore: number;
  unitsAfter: number;
  /** Sparsity asked for (null when the group was left alone). */
  target: number | null;
  /** Why the group was left alone, or null. */
  note: string | null;
}

export interface StructuredReport {
  sparsity: number;
  scope: 'layer' | 'global';
  importance: StructuredImportance;
  roundTo: number;
  layers: StructuredLayerReport[];
  groups: StructuredGroupReport[];
  totals: {
    paramsBefore: number;
    paramsAfter: number;
    flopsBefore: number;
    flopsAfter: number;
    /** Units of the producer layers. */
    unitsBefore: number;
    unitsAfter: number;
  };
}
