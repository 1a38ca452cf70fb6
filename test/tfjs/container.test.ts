// The compact container in Node and in headless Chromium (the browser project runs test/tfjs/):
// compressArtifacts then tfjs-prune/load's decoder on a live layers model's artifacts and on a
// float16 tensor holding every half, bit-exact against stock tfjs; tf.loadLayersModel through
// compressedModel; and the decode throughput printed beside a copy of the same bytes (a figure,
// not an assertion).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { compressedModel, decompressArtifacts } from '../../src/load.js';
import { compressArtifacts } from '../../src/tfjs.js';
import { inBrowser, rng } from './support.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** The bytes of every tensor stock tfjs decodes. */
function stock(a: tf.io.ModelArtifacts): Uint8Array[] {
  return Object.values(tf.io.decodeWeights(a.weightData!, a.weightSpecs!)).map((t) => {
    const d = t.dataSync();
    t.dispose();
    return new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice();
  });
}

async function artifactsOf(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | null = null;
  await model.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
  return saved!;
}

describe(`compact container (${inBrowser ? 'Chromium' : 'Node'})`, () => {
  it('a pruned layers model: bit-exact weights, and stock tfjs predicts the same through compressedModel', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [64], units: 48, activation: 'relu' }), tf.layers.dense({ units: 10 })] });
    const a = await artifactsOf(model);
    const w = new Float32Array(a.weightData as ArrayBuffer);
    for (let i = 0; i < w.length; i++) if (Math.abs(w[i]) < 0.15) w[i] = 0;
    const bytes = compressArtifacts(a);
    const out = await decompressArtifacts(bytes);
    expect(stock(out)).toEqual(stock(a));
    const ref = await tf.loadLayersModel(tf.io.fromMemory(a));
    const got = await tf.loadLayersModel(compressedModel(bytes));
    const x = tf.randomNormal([3, 64], 0, 1, 'float32', 7);
    expect(Array.from((got.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from((ref.predict(x) as tf.Tensor).dataSync()));
  });

  it('float16: every one of the 65536 halves decodes to what stock tfjs decodes', async () => {
    const halves = new Uint16Array(65536).map((_, i) => i);
    const a: tf.io.ModelArtifacts = { weightSpecs: [{ name: 'h', shape: [256, 256], dtype: 'float32', quantization: { dtype: 'float16' } }], weightData: halves.buffer };
    const out = await decompressArtifacts(compressArtifacts(a));
    expect(out.weightSpecs![0]).toEqual({ name: 'h', shape: [256, 256], dtype: 'float32' });
    // Bits, not values: NaN payloads included.
    const want = new Uint32Array(stock(a)[0].buffer);
    const got = new Uint32Array(out.weightData as ArrayBuffer);
    let diff = -1;
    for (let i = 0; i < want.length && diff < 0; i++) if (want[i] !== got[i]) diff = i;
    expect(diff).toBe(-1);
  });

  it('decode throughput (printed)', async () => {
    // 2^20 float16 weights, half of them pruned: 4 MB of float32 output.
    const next = rng(3);
    const h = new Uint16Array(1 << 20).map(() => (next() < 0.5 ? 0 : 0x2000 + Math.floor(next() * 0x2000)));
    const a: tf.io.ModelArtifacts = { weightSpecs: [{ name: 'w', shape: [1024, 1024], dtype: 'float32', quantization: { dtype: 'float16' } }], weightData: h.buffer };
    const bytes = compressArtifacts(a);
    await decompressArtifacts(bytes);
    const times: number[] = [];
    for (let i = 0; i < 7; i++) {
      const t0 = performance.now();
      await decompressArtifacts(bytes);
      times.push(performance.now() - t0);
    }
    const copies: number[] = [];
    const src = new Uint8Array(4 << 20).fill(1);
    for (let i = 0; i < 7; i++) {
      const t0 = performance.now();
      new Uint8Array(4 << 20).set(src);
      copies.push(performance.now() - t0);
    }
    const median = (v: number[]) => v.sort((x, y) => x - y)[v.length >> 1];
    console.info(`container decode (${inBrowser ? 'Chromium' : 'Node'}): ${(4.194304 / (median(times) / 1e3)).toFixed(0)} MB/s of float32, alloc+copy ${(4.194304 / (median(copies) / 1e3)).toFixed(0)} MB/s; container ${bytes.length} B for 2 MiB of float16`);
    expect(bytes.length).toBeLessThan(h.byteLength);
  });
});
