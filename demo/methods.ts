// The methods the page offers, in menu order: the one list that the menu, the chart's series, the
// worker's PruneConfig and the test all read. A new method is a new entry here (and, if it is not
// a pruneArtifacts config — one-shot methods need calibration data — a branch in worker.ts prune()).
import type { OneShotConfig, PruneConfig } from '../src/tfjs.js';

export interface MethodSpec {
  /** Value of the menu's <option>, and of requests and chart points. */
  id: string;
  /** Menu and legend text. */
  label: string;
  /** Series colour on the accuracy chart. */
  color: string;
  /** Sparsity the method always reaches (N:M), or null when the slider sets it. */
  fixedSparsity: number | null;
  /** One or two sentences shown beside the per-tensor bars: how to read them under this method. */
  note: string;
  /**
   * Null: pruneArtifacts with `config`. 'activation' or 'reconstruct': pruneOneShot on the live
   * model, calibrated on the page's MNIST training slice, with `config` plus this method.
   */
  oneShot: OneShotConfig['method'] | null;
  config(sparsity: number): PruneConfig;
}

export const METHODS = [
  {
    id: 'layer',
    label: 'magnitude, per layer',
    color: '#1f6fd1',
    fixedSparsity: null,
    note: 'Per layer: every kernel loses its own smallest weights until it reaches the target (red tick); biases are kept.',
    oneShot: null,
    config: (sparsity: number): PruneConfig => ({ sparsity, scope: 'layer' }),
  },
  {
    id: 'global',
    label: 'magnitude, global',
    color: '#d1661f',
    fixedSparsity: null,
    note:
      'Global: one magnitude threshold across all kernels, so the target applies to the whole model (the red tick on “all kernels”); ' +
      'a layer with larger weights keeps more of them and one with smaller weights loses more.',
    oneShot: null,
    config: (sparsity: number): PruneConfig => ({ sparsity, scope: 'global' }),
  },
  {
    id: '2:4',
    label: 'N:M 2:4',
    color: '#2a9d4b',
    fixedSparsity: 0.5,
    note: 'N:M 2:4: in every group of 4 consecutive weights along a kernel’s input axis the 2 smallest are zeroed, 50% by construction; the slider does not apply.',
    oneShot: null,
    config: (): PruneConfig => ({ method: '2:4' }),
  },
  {
    id: 'activation',
    label: 'one-shot: activation',
    color: '#8e44ad',
    fixedSparsity: null,
    note:
      'One-shot activation (Wanda), global: each layer loses as many weights as one global magnitude threshold would take, ' +
      'but the ones with the smallest |w|·‖x‖, x the layer’s inputs over 512 MNIST training images; the target applies to the whole model.',
    oneShot: 'activation',
    config: (sparsity: number): PruneConfig => ({ sparsity, scope: 'global' }),
  },
  {
    id: 'reconstruct',
    label: 'one-shot: reconstruct',
    color: '#c2185b',
    fixedSparsity: null,
    note:
      'One-shot reconstruct, global: layer by layer, the weights whose removal costs least on 512 MNIST training images go, ' +
      'and the kept weights and biases are refit by least squares to reproduce the dense layer’s output (docs/oneshot.md); no retraining.',
    oneShot: 'reconstruct',
    config: (sparsity: number): PruneConfig => ({ sparsity, scope: 'global' }),
  },
] as const satisfies readonly MethodSpec[];

export type DemoMethod = (typeof METHODS)[number]['id'];

const byId = new Map<string, MethodSpec>(METHODS.map((m) => [m.id, m]));

/** The spec of a method id; throws on an id not in METHODS. */
export function methodOf(id: string): MethodSpec {
  const m = byId.get(id);
  if (m === undefined) throw new Error(`demo: unknown method ${JSON.stringify(id)}`);
  return m;
}
