// Iterative prune–retrain (Han et al. 2015, "Learning both Weights and Connections for Efficient
// Neural Networks", section 3.3): prune to a sparsity, retrain with the pruned weights held at zero
// (at a lower learning rate than the original training), and repeat at higher sparsities. Weights
// pruned in one round are zero when the next begins, so they stay pruned: the rounds only add.
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { ArgumentError } from '../errors.js';
import { ClusteringCallback, PruningCallback } from './callback.js';
import { checkClusteringOptions, Clusterer, type ClusteringReport } from './cluster.js';
import { Pruner, type PruningOptions, type PruningUpdateReport } from './pruner.js';
import { constantSparsity } from './schedules.js';

export interface RetrainRound {
  /** The model, pruned to `sparsity`. */
  model: LayersModel;
  /** 0-based. */
  round: number;
  sparsity: number;
  /** Pass to model.fit: keeps the pruned weights at zero after every batch. */
  callback: PruningCallback;
  /** For a custom loop: call pruner.apply() after every optimizer update. */
  pruner: Pruner;
}

/** What the clustering phase's fine-tuning function gets. */
export interface ClusterRound {
  /** The model: pruned to the last round's sparsity, its kernels snapped to their codebooks. */
  model: LayersModel;
  bits: number;
  /** The last round's sparsity. */
  sparsity: number;
  /** Pass to model.fit: keeps the sharing (and the zeros) after every batch. */
  callback: ClusteringCallback;
  /** For a custom loop: call clusterer.apply() after every optimizer update. */
  clusterer: Clusterer;
}

/** Deep Compression's weight sharing after the last pruning round. */
export interface PruneRetrainClusterOptions {
  /** At most 2^bits shared values per pruned tensor, bits an integer in [1, 16] (Han et al.: 5 for fc, 8 for conv). */
  bits: number;
  /** k-means' Lloyd iterations at most (default 30). */
  iterations?: number;
  /**
   * Fine-tunes the clustered model (your data, optimizer, epochs; pass `callback` to model.fit).
   * A number it returns is kept in the report. A function that does nothing measures the model
   * right after snapping.
   */
  retrain(round: ClusterRound): Promise<number | void> | number | void;
}

export interface PruneRetrainOptions extends Omit<PruningOptions, 'schedule'> {
  /** The sparsity of each round, non-decreasing, each in [0, 1): e.g. [0.5, 0.75, 0.9]. */
  sparsities: number[];
  /**
   * Retrains the pruned model (your data, optimizer and epochs). A number it returns, such as the
   * accuracy after retraining, is kept in the round's report.
   */
  retrain(round: RetrainRound): Promise<number | void> | number | void;
  /**
   * After the last round, a clustering phase: the tensors the last round pruned are clustered
   * (k-means over their nonzeros, at most 2^bits shared values each) and `cluster.retrain`
   * fine-tunes the shared values with the masks kept (Deep Compression's second stage).
   */
  cluster?: PruneRetrainClusterOptions;
}

export interface PruneRetrainReport {
  rounds: {
    round: number;
    sparsity: number;
    /** The pruning at the start of the round. */
    pruned: PruningUpdateReport;
    /** What retrain returned (null if not a number). */
    metric: number | null;
  }[];
  /** The clustering phase, when `cluster` was given: what snapping did, and what its retrain returned. */
  cluster: (ClusteringReport & { metric: number | null }) | null;
}

/**
 * Prunes `model` in place, round by round: for each sparsity, magnitude-prune the selected weights
 * (scope, overrides and N:M as in pruneModel), call `retrain`, and strip the masks. The model ends
 * as a plain tf.LayersModel at the last round's sparsity.
 *
 *     await pruneRetrain(model, {
 *       sparsities: [0.5, 0.75, 0.9],
 *       scope: 'global',
 *       async retrain({ model, callback }) {
 *         model.compile({ optimizer: tf.train.adam(1e-4), loss: 'categoricalCrossentropy' });
 *         await model.fit(x, y, { epochs: 1, batchSize: 128, callbacks: [callback] });
 *         return accuracy(model);
 *       },
 *     });
 */
export async function pruneRetrain(model: LayersModel, options: PruneRetrainOptions): Promise<PruneRetrainReport> {
  const fname = 'pruneRetrain';
  if (options === null || typeof options !== 'object') throw new ArgumentError(`${fname}: options must be { sparsities, retrain, ...pruning config }`);
  const { sparsities, retrain, cluster, ...config } = options;
  if (!Array.isArray(sparsities) || sparsities.length === 0) throw new ArgumentError(`${fname}: sparsities must be a non-empty array of numbers in [0, 1)`);
  sparsities.forEach((s, i) => {
    if (typeof s !== 'number' || !(s >= 0 && s < 1)) throw new ArgumentError(`${fname}: sparsities[${i}] must be a number in [0, 1), got ${String(s)}`);
    if (i > 0 && s < sparsities[i - 1]) throw new ArgumentError(`${fname}: sparsities must not decrease (sparsities[${i}] = ${s} < ${sparsities[i - 1]}); pruned weights stay pruned`);
  });
  if (typeof retrain !== 'function') throw new ArgumentError(`${fname}: retrain must be a function ({ model, callback, pruner, round, sparsity }) => ...`);
  if (cluster !== undefined) checkCluster(fname, cluster);
  const rounds: PruneRetrainReport['rounds'] = [];
  let lastMasked: string[] = [];
  for (let round = 0; round < sparsities.length; round++) {
    const sparsity = sparsities[round];
    // One mask update at step 0, none after: the callback only holds the mask.
    const pruner = new Pruner(model, { ...config, schedule: constantSparsity({ targetSparsity: sparsity, beginStep: 0, endStep: 0 }) });
    const pruned = (await pruner.step(0)) as PruningUpdateReport;
    lastMasked = [...pruner.masks().keys()];
    let metric: unknown;
    try {
      metric = await retrain({ model, round, sparsity, callback: new PruningCallback(pruner), pruner });
    } finally {
      pruner.strip();
    }
    rounds.push({ round, sparsity, pruned, metric: typeof metric === 'number' ? metric : null });
  }
  if (cluster === undefined) return { rounds, cluster: null };
  return { rounds, cluster: await clusterPhase(model, cluster, lastMasked, sparsities[sparsities.length - 1]) };
}

function checkCluster(fname: string, cluster: unknown): void {
  if (cluster === null || typeof cluster !== 'object' || Array.isArray(cluster)) throw new ArgumentError(`${fname}: cluster must be { bits, retrain }, got ${cluster === null ? 'null' : typeof cluster}`);
  const { retrain, ...rest } = cluster as Record<string, unknown>;
  if ('tensors' in rest) throw new ArgumentError(`${fname}: cluster.tensors is not an option here: the tensors the last round pruned are clustered`);
  checkClusteringOptions(`${fname}: cluster`, rest);
  if (typeof retrain !== 'function') throw new ArgumentError(`${fname}: cluster.retrain must be a function ({ model, callback, clusterer, bits }) => ... (one that does nothing only snaps)`);
}

async function clusterPhase(model: LayersModel, cluster: PruneRetrainClusterOptions, tensors: string[], sparsity: number) {
  if (tensors.length === 0) throw new ArgumentError('pruneRetrain: cluster: the last round masked no tensor, so there is nothing to cluster');
  const clusterer = new Clusterer(model, { bits: cluster.bits, iterations: cluster.iterations, tensors });
  const report = await clusterer.start();
  let metric: unknown;
  try {
    metric = await cluster.retrain({ model, bits: cluster.bits, sparsity, callback: new ClusteringCallback(clusterer), clusterer });
  } finally {
    clusterer.strip();
  }
  return { ...report, metric: typeof metric === 'number' ? metric : null };
}
