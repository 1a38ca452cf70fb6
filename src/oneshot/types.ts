// pruneOneShot's configuration and report (docs/oneshot.md).
import type { NamedTensorMap, Tensor } from '@tensorflow/tfjs-core';
import type { PruneConfig, TensorPruneReport, ModelPruneReport } from '../model/types.js';
import type { OneShotMethod } from './solver.js';

/**
 * Example inputs: a tensor (batch first), an array of tensors (one batch of a model with several
 * inputs, one tensor per input), or an (async) iterable of such batches. Batches of a
 * single-input model go in an iterable (`batches.values()`, a generator) or as an array of
 * one-element arrays.
 */
export type Calibration = Tensor | Tensor[] | Iterable<Tensor | Tensor[]> | AsyncIterable<Tensor | Tensor[]>;

/**
 * A loaded tf.GraphModel (tfjs-converter), by the public members pruneOneShot relies on; its graph
 * executor (weight map and nodes, tfjs-converter 4.22) is reached at run time.
 */
export interface OneShotGraphModel {
  execute(inputs: NamedTensorMap, outputs: string[]): Tensor | Tensor[];
  executeAsync(inputs: NamedTensorMap, outputs: string[]): Promise<Tensor | Tensor[]>;
  readonly inputs: { name: string; shape?: number[]; dtype: string }[];
  readonly weights: { [name: string]: Tensor[] };
}

/** The usual PruneConfig (sparsity, scope, include/exclude, overrides) with a one-shot method. */
export interface OneShotConfig extends Omit<PruneConfig, 'method' | 'quantize'> {
  /**
   * 'magnitude': |w| (no data needed); 'activation' (Wanda): |w|·‖x_i‖ over the calibration inputs;
   * 'reconstruct' (the default when calibration is given): OBS saliency masks and an exact
   * least-squares refit of the kept weights and the bias to the dense model's layer outputs.
   */
  method?: OneShotMethod;
  /**
   * An N:M pattern ('2:4') instead of `sparsity`: of every M consecutive weights along the input
   * axis each output keeps N (for 'reconstruct', the N most salient, then refit: SparseGPT's 2:4).
   */
  nm?: `${number}:${number}`;
  /** λ = damping · mean(diag H) added to H before it is factored. Default 0.01. */
  damping?: number;
  /**
   * How scope 'global' splits the pool's count between layers (method 'reconstruct'): 'magnitude'
   * (default) as pruneModel's one global magnitude threshold would; 'error' by each layer's
   * measured error curve, for the least sum of squared relative reconstruction errors (slower;
   * no better on LeNet-300-100, docs/oneshot.md).
   */
  allocation?: 'magnitude' | 'error';
  /** Calibration examples per forward pass. Default 256. */
  batchSize?: number;
}

export interface OneShotLayerReport {
  layer: string;
  layerClass: string;
  /** The kernel's tensor name. */
  tensor: string;
  params: number;
  /** Kernel weights set to zero (exactly round(s·n) under scope 'layer'). */
  pruned: number;
  sparsity: number;
  /**
   * ‖Y − X̂Ŵ‖ / ‖Y‖ on the calibration data: Y the dense model's output of this layer (before its
   * activation), X̂ the layer's input in the pruned model, Ŵ the pruned weights and bias. Null
   * when no calibration data was given.
   */
  error: number | null;
  /** 'mask': weights zeroed, others unchanged; 'exact': refit per output; 'blocked': SparseGPT's update. */
  solver: 'mask' | 'exact' | 'blocked';
  /** Bytes of the layer's float64 statistics (H and X̂ᵀY) held while it was solved. */
  statsBytes: number;
}

export interface OneShotReport {
  method: OneShotMethod;
  scope: 'layer' | 'global';
  sparsity: number | null;
  calibration: { examples: number; batches: number };
  /** Every weight of the model, as pruneModel reports them. */
  tensors: TensorPruneReport[];
  /** The pruned layers, in model order. */
  layers: OneShotLayerReport[];
  totals: ModelPruneReport['totals'];
}

export type { OneShotMethod };
