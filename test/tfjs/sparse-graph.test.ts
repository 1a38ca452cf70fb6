// The sparse graph path as a page uses it, in Node and in headless Chromium (the browser project
// runs test/tfjs/): a live tf.GraphModel converted by toSparseGraphModel on each backend that
// initialises, its outputs against the dense model's, then saved and loaded back through
// tf.loadGraphModel as a page would fetch it. On tfjs-backend-wasm the outputs are equal bit for
// bit; on cpu and webgl the dense kernels add the fused bias after the sum while the sparse kernel
// starts from it (docs/sparse.md), so there they agree within float rounding.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerSparseGraphOps, registerSparseKernels, toSparseGraphModel } from '../../src/sparse/index.js';
import { ALL_SPARSE, fixture, MAX_TERMS, OUTPUTS, SPARSE_NODES, values } from '../support/sparse-graph-fixture.js';
import { availableBackends, expectBits, inBrowser } from './support.js';

const backends = await availableBackends();

/** The fixture's inputs at a batch size; x in (-10, 10) so relu6 clamps some sums. */
function inputs(batch: number): Record<string, tf.Tensor> {
  return {
    x: tf.tensor(values(batch * 240, 40 + batch, 0.1).map((v) => 10 * v), [batch, 6, 5, 8]),
    y: tf.tensor(values(140, 7, 0.1), [7, 20]),
  };
}

function expectClose(got: tf.Tensor[], want: tf.Tensor[], bitExact: boolean): void {
  expect(got.map((t) => t.shape)).toEqual(want.map((t) => t.shape));
  got.forEach((g, i) => {
    const a = g.dataSync();
    const b = want[i].dataSync();
    if (bitExact) return expectBits(a, b);
    expect(a.length).toBe(b.length);
    // at most MAX_TERMS terms of |x·w| < 10 in float32 (webgl's shaders included).
    for (let j = 0; j < a.length; j++) expect(Math.abs(a[j] - b[j]), `${OUTPUTS[i]}[${j}]`).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(b[j])) * Math.sqrt(MAX_TERMS));
  });
}

async function saveToMemory(model: tf.GraphModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | null = null;
  await model.save(tf.io.withSaveHandler(async (a) => {
    saved = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  // Through JSON, as model.json and its .bin travel to a page.
  const a = saved as unknown as tf.io.ModelArtifacts;
  return { ...JSON.parse(JSON.stringify({ ...a, weightData: undefined })), weightData: (a.weightData as ArrayBuffer).slice(0) };
}

describe.each(backends)(`toSparseGraphModel in ${inBrowser ? 'Chromium' : 'Node'} (%s backend)`, (backend) => {
  let dense: tf.GraphModel;
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
    await registerSparseKernels();
    await registerSparseGraphOps();
    dense = await tf.loadGraphModel(tf.io.fromMemory(fixture()));
  });

  it('rewrites the supported nodes; outputs match the dense model, also after save and load', async () => {
    const { model, report } = await toSparseGraphModel(dense, { overrides: ALL_SPARSE });
    expect(report.nodes.filter((r) => r.decision === 'sparse').map((r) => r.name).sort()).toEqual([...SPARSE_NODES].sort());
    const reloaded = await tf.loadGraphModel(tf.io.fromMemory(await saveToMemory(model)));
    for (const batch of [1, 3]) {
      const x = inputs(batch);
      const want = dense.execute(x, OUTPUTS) as tf.Tensor[];
      for (const m of [model, reloaded]) {
        const got = m.execute(x, OUTPUTS) as tf.Tensor[];
        expectClose(got, want, backend === 'wasm');
        tf.dispose(got);
      }
      tf.dispose([...want, ...Object.values(x)]);
    }
    model.dispose();
    reloaded.dispose();
  });
});
