// Model-level pruning runs the same in Node and in headless Chromium: the same zeros, the same
// report, the same gzip sizes (fflate), down to the byte. The expected figures are constants, so
// both runtimes are checked against one another.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/index.js';
import { pruneArtifacts, pruneModel, gzipSize } from '../../src/tfjs.js';
import { rng } from './support.js';

function artifacts(): tf.io.ModelArtifacts {
  const r = rng(7);
  const w = new Float32Array(64 * 32 + 32 + 32 * 10);
  for (let i = 0; i < w.length; i++) w[i] = (r() + r() + r() - 1.5) * 0.2;
  return {
    weightSpecs: [
      { name: 'd1/kernel', shape: [64, 32], dtype: 'float32' },
      { name: 'd1/bias', shape: [32], dtype: 'float32' },
      { name: 'd2/kernel', shape: [32, 10], dtype: 'float32' },
    ],
    weightData: w.buffer,
  };
}

beforeAll(async () => {
  await init();
  await tf.setBackend('cpu');
});

describe('model-level pruning, Node and browser alike', () => {
  it('global 80% + uint8: exact count, exact zeros in stock decoding, identical report and sizes', async () => {
    const { artifacts: out, report } = await pruneArtifacts(artifacts(), { sparsity: 0.8, scope: 'global', quantize: 'uint8' });
    const dec = tf.io.decodeWeights(out.weightData!, out.weightSpecs!);
    const zeros = (t: tf.Tensor) => Array.from(t.dataSync()).filter((v) => v === 0).length;
    expect(zeros(dec['d1/kernel']) + zeros(dec['d2/kernel'])).toBeGreaterThanOrEqual(Math.round(0.8 * (2048 + 320)));
    expect(report.tensors.map((t) => t.zerosAfter)).toEqual([zeros(dec['d1/kernel']), zeros(dec['d1/bias']), zeros(dec['d2/kernel'])]);
    expect(report.bytes.before).toEqual({ raw: 9600, gzip: 8944 });
    expect(report.bytes.after).toEqual({ raw: 2400, gzip: 1000 });
    expect(report.bytes.quantized).toEqual({ dtype: 'uint8', raw: 2400, gzip: 1000 });
    expect(report.tensors[0].threshold).toBe(0.12879543006420135);
    expect(gzipSize(new Uint8Array(1000).fill(7))).toBe(28);
  });

  it('pruneModel prunes a live LayersModel in place', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 8, inputShape: [16], kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) })] });
    const report = await pruneModel(model, { method: '2:4' }, { gzip: false });
    const k = model.getWeights()[0].dataSync();
    expect(Array.from(k).filter((v) => v === 0).length).toBe(64);
    expect(report.tensors[0].method).toBe('2:4');
  });
});
