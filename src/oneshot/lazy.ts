// pruneOneShot's entry point: its code (and tfjs-layers' model loading) is imported on the first
// call, as the model API's other large functions are (src/model/lazy.ts).
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { Calibration, OneShotConfig, OneShotGraphModel, OneShotReport } from './types.js';

/**
 * Prunes a live tf.LayersModel or tf.GraphModel in place without retraining, using example inputs: layers in
 * order, each fed the already-pruned model's activations; masks by the chosen method and, for
 * 'reconstruct', the kept weights refit to reproduce each layer's dense output. Exact counts
 * (round(s·n) per layer, or of the pool under scope 'global'). Everything is computed before the
 * model's first weight is written: an error leaves the model unchanged. Dense, Conv2D and
 * DepthwiseConv2D kernels of top-level layers; a graph's MatMul, _FusedMatMul, Conv2D,
 * _FusedConv2D, DepthwiseConv2dNative and FusedDepthwiseConv2dNative weights, whose new values
 * GraphModel.save() then writes too (docs/oneshot.md).
 */
export async function pruneOneShot(model: LayersModel | OneShotGraphModel, calibration: Calibration | null | undefined, config: OneShotConfig): Promise<OneShotReport> {
  return (await import('./prune_oneshot.js')).pruneOneShot(model as never, calibration, config);
}
