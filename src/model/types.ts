// The model-level API's serializable configuration and report, and its options.
import type { ModelArtifacts, QuantizeDtype } from '../format/index.js';

export type { ModelArtifacts, QuantizeDtype, WeightSpec } from '../format/index.js';

/** Unstructured magnitude pruning, or N:M ("2:4": keep 2 of every 4 along the input axis). */
export type PruneMethod = 'magnitude' | `${number}:${number}`;

/** A per-tensor or per-layer exception, matched against tensor names (first match wins). */
export interface PruneOverrideConfig {
  /**
   * Glob over the tensor name (`*` any run of characters, `/` included; `?` one character), or a
   * regular expression written `/source/flags`. `'dense_2/*'` matches every tensor of layer dense_2.
   */
  match: string;
  /** Sparsity for the matched tensors (they leave the global pool under scope 'global'). */
  sparsity?: number;
  method?: PruneMethod;
  /** Leave the matched tensors unpruned. */
  skip?: boolean;
}

/** What to prune and how; a plain object that round-trips through JSON. */
export interface PruneConfig {
  /** Target fraction of zeros in [0, 1]. Required unless `method` is N:M. */
  sparsity?: number;
  /**
   * 'layer' (default, as TF Model Optimization): every selected tensor gets `sparsity`.
   * 'global': one magnitude threshold across all selected tensors, pruning exactly
   * round-half-to-even(sparsity x their total size) weights.
   */
  scope?: 'layer' | 'global';
  /** Default 'magnitude'. */
  method?: PruneMethod;
  /** Tensor-name patterns to prune in addition to the default rule (float tensors only). */
  include?: string[];
  /** Tensor-name patterns never to prune (wins over include). */
  exclude?: string[];
  /** Layer classes (e.g. 'LSTM') whose float tensors of rank >= 2 are pruned too; graph models: op names. */
  includeClasses?: string[];
  /** Layer classes (e.g. 'Embedding') never pruned; graph models: op names such as 'MatMul'. */
  excludeClasses?: string[];
  /** Leave the first / last selected layer (in model order) dense. */
  skipFirst?: boolean;
  skipLast?: boolean;
  overrides?: PruneOverrideConfig[];
  /**
   * Store float32 tensors quantized (artifacts only), zero-preserving: every pruned weight
   * dequantizes to exactly 0 in stock tfjs. Tensors already quantized keep their dtype.
   */
  quantize?: QuantizeDtype;
}

export interface PruneArtifactsOptions {
  /**
   * Compute gzip sizes for the report (level 6, in pieces of at most 1 MiB; estimated from a sample
   * beyond 256 MiB of weights: docs/model.md, "Sizes"). Default true.
   */
  gzip?: boolean;
  /**
   * The compressor behind the gzip sizes: pieces in, their gzip sizes (level 6) out. Default:
   * fflate in the calling thread; tfjs-prune/node's `nodeGzipSizes` uses Node's native zlib on
   * its thread pool (several times faster).
   */
  gzipSizes?: (pieces: Uint8Array[]) => Promise<number[]>;
  /**
   * Overwrite the input's weight buffers instead of copying them (peak memory about 1x the weight
   * bytes instead of 2x). Only for artifacts you own, e.g. fresh from loadArtifacts. Everything
   * is validated before the first byte is changed. Default false: the input is never modified.
   */
  inPlace?: boolean;
}

export interface PruneModelOptions {
  /** Compute gzip sizes for the report. Default true. */
  gzip?: boolean;
}

export interface TensorPruneReport {
  name: string;
  shape: number[];
  /** Storage dtype after pruning: float32, uint8, uint16, float16, int32, ... */
  dtype: string;
  /** Layer (layers models) or op scope (graph models) the tensor belongs to, when known. */
  layer: string | null;
  /** Keras layer class, or the op consuming the tensor in a graph model, when known. */
  layerClass: string | null;
  params: number;
  /** Zeros, counted on the dequantized values (float32 tensors; others report their own zeros). */
  zerosBefore: number;
  zerosAfter: number;
  /** zerosAfter / params. */
  sparsity: number;
  /** Target sparsity for this tensor (null when not pruned). */
  target: number | null;
  /** Largest pruned magnitude (magnitude pruning; null for N:M and unpruned tensors). */
  threshold: number | null;
  /** 'activation' and 'reconstruct' come from pruneOneShot (docs/oneshot.md). */
  method: PruneMethod | 'activation' | 'reconstruct' | null;
  /** Why the tensor was or was not pruned: 'Dense kernel', 'bias', 'int32', 'override', ... */
  reason: string;
}

export interface SizeReport {
  raw: number;
  /** null when gzip sizes were not requested. */
  gzip: number | null;
  /** true when `gzip` is estimated from a sample of the bytes (large models), not measured on all of them. */
  estimated?: boolean;
}

export interface ModelPruneReport {
  format: string;
  scope: 'layer' | 'global';
  method: PruneMethod;
  /** The configured sparsity (null for N:M only). */
  sparsity: number | null;
  tensors: TensorPruneReport[];
  totals: {
    params: number;
    /** Parameters of the pruned tensors. */
    prunedParams: number;
    zerosBefore: number;
    zerosAfter: number;
    /** zerosAfter / params over the whole model. */
    sparsity: number;
    /** Zeros among the pruned tensors / prunedParams. */
    prunedSparsity: number;
  };
  bytes: {
    /** Weight bytes as given. */
    before: SizeReport;
    /** Weight bytes as produced. */
    after: SizeReport;
    /**
     * The produced weights once quantized: the output itself when `quantize` was set, else what
     * zero-preserving uint8 quantization of its float32 tensors would take.
     */
    quantized: SizeReport & { dtype: QuantizeDtype };
  };
}

export interface PruneArtifactsResult {
  artifacts: ModelArtifacts;
  report: ModelPruneReport;
}
