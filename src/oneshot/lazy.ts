// pruneOneShot's entry point: its code (and tfjs-layers' model loading) is imported on the first
// call, as the model API's other large functions are (src/model/lazy.ts).
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { Calibration, OneShotConfig, OneShotGraphModel, OneShotReport } from './types.js';
import type { OneShotBuild } from '../wasm/oneshot.js';

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
  // The Wasm kernels (src/wasm/oneshot.ts) load beside the code; without WebAssembly it runs in JS.
  const [impl, kernels] = await Promise.all([import('./prune_oneshot.js'), import('../wasm/oneshot.js')]);
  await kernels.loadOneShotKernels();
  return impl.pruneOneShot(model as never, calibration, config);
}

/**
 * Chooses the kernels pruneOneShot runs: `'simd'` or `'scalar'` (the Wasm builds of
 * assembly/oneshot.ts), `'js'` (plain float64 JavaScript), or a precompiled `WebAssembly.Module` of
 * `tfjs-prune/wasm/oneshot-simd.wasm` / `oneshot-scalar.wasm` (for runtimes that forbid compiling
 * bytes). Without an argument, or before any call: SIMD where the runtime has it, else scalar, else
 * JavaScript. The builds agree within a stated tolerance (docs/oneshot.md, "Speed"). Resolves to
 * the build in use.
 */
export async function loadOneShotKernels(build?: OneShotBuild | WebAssembly.Module): Promise<OneShotBuild> {
  return (await import('../wasm/oneshot.js')).loadOneShotKernels(build);
}
