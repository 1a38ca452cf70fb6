// PruningCallback: a Pruner driven by model.fit, one step per batch. tfjs-layers' Callback is the
// base class (model.fit only passes the model to, and skips the per-batch yield of, real
// Callback instances), so this module needs @tensorflow/tfjs-layers at run time.
import { Callback } from '@tensorflow/tfjs-layers';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { ArgumentError } from '../errors.js';
import { normalizePruningOptions, Pruner, type PruningOptions, type PruningUpdateReport } from './pruner.js';
import { checkClusteringOptions, Clusterer, type ClusteringOptions, type ClusteringReport } from './cluster.js';

/**
 * Prunes a model while model.fit trains it:
 *
 *     const callback = new PruningCallback({ schedule: polynomialDecay({ initialSparsity: 0.5,
 *       finalSparsity: 0.8, beginStep: 0, endStep: 1000 }), scope: 'layer' });
 *     await model.fit(x, y, { epochs: 2, batchSize: 128, callbacks: [callback] });
 *     callback.strip();
 *
 * Before each batch it calls `pruner.step(n)` (n counts batches from 0, across fit calls: a second
 * fit continues the schedule), and after each batch `pruner.apply()`, so the pruned weights are
 * exactly zero after every optimizer update, when validation runs and when the model is saved.
 * Pass an existing Pruner instead of options to drive it from its next step.
 */
export class PruningCallback extends Callback {
  private readonly options: PruningOptions | null;
  private prunerOf: Pruner | null;
  private next: number;
  /** Mask updates made during the last fit, in order. */
  readonly updates: PruningUpdateReport[] = [];

  constructor(options: PruningOptions | Pruner) {
    super();
    if (options instanceof Pruner) {
      this.options = null;
      this.prunerOf = options;
      this.next = options.lastStep === null ? 0 : options.lastStep + 1;
    } else {
      normalizePruningOptions('PruningCallback', options);
      this.options = options;
      this.prunerOf = null;
      this.next = 0;
    }
  }

  /** The pruner, once model.fit has handed over the model (or the one given). */
  get pruner(): Pruner | null {
    return this.prunerOf;
  }

  /** The step the next batch will have. */
  get nextStep(): number {
    return this.next;
  }

  override setModel(model: unknown): void {
    super.setModel(model as Parameters<Callback['setModel']>[0]);
    if (this.prunerOf === null) this.prunerOf = new Pruner(model as LayersModel, this.options as PruningOptions);
    else if (!sameWeights(this.prunerOf.model, model as LayersModel)) {
      throw new ArgumentError('PruningCallback: this callback already prunes another model; use one callback per model');
    }
  }

  override async onTrainBegin(): Promise<void> {
    this.updates.length = 0;
  }

  override async onBatchBegin(): Promise<void> {
    const report = await (this.prunerOf as Pruner).step(this.next);
    if (report !== null) this.updates.push(report);
  }

  override async onBatchEnd(): Promise<void> {
    (this.prunerOf as Pruner).apply();
    this.next++;
  }

  /** The pruner's strip(): masks applied a last time and freed; the model is left plain. */
  strip(): void {
    if (this.prunerOf === null) throw new ArgumentError('PruningCallback.strip: no model yet (pass the callback to model.fit first)');
    this.prunerOf.strip();
  }
}

/**
 * Weight sharing while model.fit fine-tunes a (pruned) model, as Deep Compression does:
 *
 *     const callback = new ClusteringCallback({ bits: 5 });
 *     await model.fit(x, y, { epochs: 2, batchSize: 128, callbacks: [callback] });
 *     callback.strip();
 *
 * When the first fit begins, each selected kernel's nonzeros are clustered into at most 2^bits
 * shared values (`callback.report` says how); after every batch the centroids are updated from the
 * optimizer's step and the weights snapped back (Clusterer.apply), so between batches every kernel
 * holds at most 2^bits distinct nonzero values and its zeros are +0. Later fits continue with the
 * same clusters. Pass an existing Clusterer (started or not) instead of options to drive it.
 */
export class ClusteringCallback extends Callback {
  private readonly options: ClusteringOptions | null;
  private clustererOf: Clusterer | null;
  private begun: boolean;
  /** What start() did, once the first fit has begun (null before, or if the clusterer was started elsewhere). */
  report: ClusteringReport | null = null;

  constructor(options: ClusteringOptions | Clusterer) {
    super();
    if (options instanceof Clusterer) {
      this.options = null;
      this.clustererOf = options;
    } else {
      this.options = checkClusteringOptions('ClusteringCallback', options);
      this.clustererOf = null;
    }
    this.begun = false;
  }

  /** The clusterer, once model.fit has handed over the model (or the one given). */
  get clusterer(): Clusterer | null {
    return this.clustererOf;
  }

  override setModel(model: unknown): void {
    super.setModel(model as Parameters<Callback['setModel']>[0]);
    if (this.clustererOf === null) this.clustererOf = new Clusterer(model as LayersModel, this.options as ClusteringOptions);
    else if (!sameWeights(this.clustererOf.model, model as LayersModel)) {
      throw new ArgumentError('ClusteringCallback: this callback already clusters another model; use one callback per model');
    }
  }

  override async onTrainBegin(): Promise<void> {
    const c = this.clustererOf as Clusterer;
    if (!this.begun && !c.isStarted) this.report = await c.start();
    this.begun = true;
  }

  override async onBatchEnd(): Promise<void> {
    (this.clustererOf as Clusterer).apply();
  }

  /** The clusterer's strip(): the model keeps its shared values and is left plain. */
  strip(): void {
    if (this.clustererOf === null) throw new ArgumentError('ClusteringCallback.strip: no model yet (pass the callback to model.fit first)');
    this.clustererOf.strip();
  }
}

// model.fit on a tf.Sequential hands callbacks its inner LayersModel, which holds the same
// variables: a model is known by its weights.
function sameWeights(a: LayersModel, b: LayersModel): boolean {
  if (a === b) return true;
  const wa = a.weights;
  const wb = b.weights;
  return wa.length === wb.length && wa.every((w, i) => w === wb[i]);
}
