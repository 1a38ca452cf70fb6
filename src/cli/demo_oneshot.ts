/// <reference types="node" />
// The demo's one-shot rows (docs/oneshot.md): the demo's sparsities pruned again by pruneOneShot
// with the activation (Wanda) and reconstruct (OBS masks, least-squares refits) methods,
// calibrated on the first images of the MNIST training set (never on the test images), evaluated
// like the magnitude rows, their sizes measured by pruneArtifacts as the other rows' are.
import { loadMnist, type ModelArtifacts } from '../node.js';
import { tfjsEntry } from './tfjs_entry.js';
import { mnistInputShape, modelAccuracy, type Mnist, type Tf } from './evaluate.js';
import type { Evaluation } from './html.js';
import { pct } from './svg.js';

export const ONE_SHOT_METHODS = ['activation', 'reconstruct'] as const;

export interface OneShotDemo {
  sparsities: number[];
  scope: 'layer' | 'global';
  /** Calibration images: the first this many of the training set. */
  images: number;
  mnistDir?: string;
}

/** One row per method and sparsity, in that order; `step` is called after each. */
export async function oneShotRows(tf: Tf, artifacts: ModelArtifacts, test: Mnist, o: OneShotDemo, step: (done: number, total: number) => void): Promise<Evaluation['rows']> {
  const { compressArtifacts, pruneArtifacts, pruneOneShot } = await tfjsEntry();
  const train = await loadMnist({ split: 'train', limit: o.images, ...(o.mnistDir === undefined ? {} : { dir: o.mnistDir }) });
  const rows: Evaluation['rows'] = [];
  const total = ONE_SHOT_METHODS.length * o.sparsities.length;
  for (const method of ONE_SHOT_METHODS) {
    for (const sparsity of o.sparsities) {
      const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
      try {
        const x = tf.tensor(train.images.subarray(0, train.count * 784), [train.count, ...mnistInputShape(model)]);
        try {
          await pruneOneShot(model, x, { sparsity, scope: o.scope, method });
        } finally {
          x.dispose();
        }
        const value = modelAccuracy(tf, model, test);
        const saved = await savedArtifacts(tf, model);
        const { report } = await pruneArtifacts(saved, { sparsity: 0 });
        const b = report.bytes.before;
        const compact = compressArtifacts(saved).length;
        rows.push({ model: `one-shot ${method} ${pct(sparsity, 0)} ${o.scope}`, value, sparsity: report.totals.sparsity, raw: b.raw, gzip: b.gzip, method, target: sparsity, compact });
      } finally {
        model.dispose();
      }
      step(rows.length, total);
    }
  }
  return rows;
}

/** The model's artifacts as model.save() writes them, kept in memory. */
async function savedArtifacts(tf: Tf, model: import('@tensorflow/tfjs').LayersModel): Promise<ModelArtifacts> {
  let saved: ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return saved as unknown as ModelArtifacts;
}
