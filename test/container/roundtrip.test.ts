// The compact container round trip (docs/container.md): compressArtifacts then decompressArtifacts
// gives weights that stock tfjs decodes to the very bits it decodes from the original artifacts
// (float32, float16, uint8/uint16 codes, int32-quantized, raw dtypes), on synthetic edge cases and
// on real models; stock tfjs loads the result through compressedModel; inputs are untouched.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/index.js';
import { loadArtifacts } from '../../src/node.js';
import { compressArtifacts, pruneArtifacts, ArgumentError, PruneError } from '../../src/tfjs.js';
import { compressedModel, ContainerFormatError, decompressArtifacts } from '../../src/load.js';
import { concatBytes, firstDiff, makeArtifacts, packageDir, randn, serve, snapshot, stockDecode } from '../model/support.js';

const FACE_API = path.join(packageDir('@vladmandic/face-api'), 'model');
const HUMAN = path.join(packageDir('@vladmandic/human'), 'models');
const LENET = path.join(import.meta.dirname, '../../examples/mnist-mlp/model.json');

beforeAll(async () => {
  await init();
  await tf.setBackend('cpu');
});

const bits = (v: ArrayLike<number> & { buffer: ArrayBufferLike; byteOffset: number; length: number }) => new Uint32Array(v.buffer, v.byteOffset, v.length);

/** Every tensor stock tfjs decodes from `b` has the bits it decodes from `a`. */
function expectSameWeights(a: tf.io.ModelArtifacts, b: tf.io.ModelArtifacts): void {
  const x = stockDecode(a);
  const y = stockDecode(b);
  expect(Object.keys(y)).toEqual(Object.keys(x));
  for (const k of Object.keys(x)) {
    expect(y[k].length, k).toBe(x[k].length);
    if (x[k] instanceof Uint8Array) expect(firstDiff(y[k], x[k]), k).toBe(-1);
    else expect(firstDiff(bits(y[k] as Float32Array), bits(x[k] as Float32Array)), k).toBe(-1);
  }
}

async function roundTrip(a: tf.io.ModelArtifacts): Promise<{ bytes: Uint8Array; out: tf.io.ModelArtifacts }> {
  const before = snapshot(a);
  const bytes = compressArtifacts(a);
  const now = snapshot(a);
  expect(now.json).toBe(before.json);
  expect(firstDiff(now.bytes, before.bytes)).toBe(-1);
  const out = await decompressArtifacts(bytes);
  expect(out.weightData).toBeInstanceOf(ArrayBuffer);
  for (const s of out.weightSpecs!) expect(s.quantization).toBeUndefined();
  return { bytes, out };
}

/** Sparse float32 weights with whole zero rows and columns, -0, ±Infinity and denormals. */
function sparse(rows: number, cols: number, seed: number): Float32Array {
  const v = randn(rows * cols, seed);
  for (let i = 0; i < v.length; i++) {
    const r = Math.floor(i / cols);
    const c = i % cols;
    if (r % 7 === 3 || c % 5 === 1 || Math.abs(v[i]) < 0.12) v[i] = 0;
  }
  v[0] = -0;
  v[cols + 2] = Infinity;
  v[2 * cols + 3] = -Infinity;
  v[4 * cols + 4] = 1e-42;
  return v;
}

describe('synthetic artifacts', () => {
  it('every storage and dtype, empty and scalar tensors, shards: bit-exact, specs as stock tfjs needs them', async () => {
    const allHalves = new Uint16Array(65536).map((_, i) => i);
    const u8 = new Uint8Array(40 * 30).map((_, i) => (i % 9 === 0 ? (i * 37) % 256 : 128));
    const u16 = new Uint16Array(64).map((_, i) => (i % 3 === 0 ? i * 1000 : 5));
    const a = makeArtifacts(
      [
        { name: 'dense/kernel', shape: [60, 40], values: sparse(60, 40, 3) },
        { name: 'dense/bias', shape: [40], values: randn(40, 4) },
        { name: 'half', shape: [256, 256], quantization: { dtype: 'float16' }, bytes: new Uint8Array(allHalves.buffer) },
        { name: 'codes8', shape: [40, 30], quantization: { dtype: 'uint8', scale: 0.0123, min: -1.5744 }, bytes: u8 },
        { name: 'codes16', shape: [8, 8], quantization: { dtype: 'uint16', scale: 1.5e-5, min: -0.3 }, bytes: new Uint8Array(u16.buffer) },
        { name: 'int8', shape: [6], dtype: 'int32', quantization: { dtype: 'uint8', scale: 1, min: -3 }, bytes: Uint8Array.of(0, 3, 3, 3, 9, 255) },
        { name: 'ints', shape: [3], dtype: 'int32', values: Int32Array.of(-1, 0, 2 ** 31 - 1) },
        { name: 'flags', shape: [5], dtype: 'bool', values: Uint8Array.of(1, 0, 0, 1, 1) },
        { name: 'empty', shape: [0, 4], values: new Float32Array(0) },
        { name: 'scalar', shape: [], values: Float32Array.of(2.5) },
        { name: 'zeros', shape: [16, 16], values: new Float32Array(256) },
      ],
      { topology: { node: [{ name: 'x', op: 'Placeholder' }] }, format: 'graph-model', shards: [1000, 5000] },
    );
    a.signature = { inputs: { x: { name: 'x:0' } } };
    a.userDefinedMetadata = { note: 'é ✓' };
    const { out } = await roundTrip(a);
    expectSameWeights(a, out);
    expect(out.modelTopology).toEqual(a.modelTopology);
    expect(out.format).toBe('graph-model');
    expect(out.signature).toEqual(a.signature);
    expect(out.userDefinedMetadata).toEqual(a.userDefinedMetadata);
    expect(out.weightSpecs!.map((s) => s.dtype)).toEqual(['float32', 'float32', 'float32', 'float32', 'float32', 'int32', 'int32', 'bool', 'float32', 'float32', 'float32']);
  });

  it('float32 NaN payloads and -0 keep their bits', async () => {
    const v = new Uint32Array([0x7fc00001, 0xffc12345, 0x80000000, 0, 0x7f800001, 0x3f800000, 0, 0]);
    const a = makeArtifacts([{ name: 'w', shape: [2, 4], values: new Float32Array(v.buffer) }]);
    const { out } = await roundTrip(a);
    expect([...new Uint32Array(out.weightData as ArrayBuffer)]).toEqual([...v]);
  });

  it('JSON stored raw decodes the same', async () => {
    const a = makeArtifacts([{ name: 'w', shape: [30, 20], values: sparse(30, 20, 9) }], { topology: { a: 1 } });
    const raw = compressArtifacts(a, { json: 'raw' });
    expect(new TextDecoder().decode(raw)).toContain('"weightSpecs"');
    expectSameWeights(a, await decompressArtifacts(raw));
  });

  it('rejects bad options and non-containers with named errors', async () => {
    const a = makeArtifacts([{ name: 'w', shape: [2], values: Float32Array.of(1, 2) }]);
    expect(() => compressArtifacts(a, { json: 'zip' as 'raw' })).toThrow(ArgumentError);
    expect(() => compressArtifacts(a, { level: 3 } as object)).toThrow(/unknown option 'level'/);
    await expect(decompressArtifacts(new TextEncoder().encode('{"modelTopology":{}}'))).rejects.toThrow(ContainerFormatError);
    await expect(decompressArtifacts('x' as unknown as Uint8Array)).rejects.toThrow(/Uint8Array or an ArrayBuffer/);
  });
});

const gzip9 = (b: Uint8Array | string) => gzipSync(b, { level: 9 }).length;

describe('real models', () => {
  it('LeNet-300-100: dense float32, and 90% global + uint8 at most 0.8x its tfjs files gzipped; stock tfjs loads it', async () => {
    const dense = await loadArtifacts(LENET);
    expectSameWeights(dense, (await roundTrip(dense)).out);
    const { artifacts } = await pruneArtifacts(dense, { sparsity: 0.9, scope: 'global', quantize: 'uint8' }, { gzip: false });
    const { bytes, out } = await roundTrip(artifacts);
    expectSameWeights(artifacts, out);
    const json = JSON.stringify({ modelTopology: artifacts.modelTopology, format: artifacts.format, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: artifacts.weightSpecs }] });
    expect(bytes.length).toBeLessThan(0.8 * (gzip9(concatBytes(artifacts.weightData!)) + gzip9(json)));

    const model = await tf.loadLayersModel(compressedModel(bytes));
    const ref = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    const x = tf.tensor2d(randn(4 * 784, 5, 1), [4, 784]);
    expect(firstDiff(bits((model.predict(x) as tf.Tensor).dataSync() as Float32Array), bits((ref.predict(x) as tf.Tensor).dataSync() as Float32Array))).toBe(-1);
  });

  it.each(['tiny_face_detector_model', 'ssd_mobilenetv1_model'])('face-api %s (uint8, uint8-quantized int32) pruned to sparsity 0.5: bit-exact', async (name) => {
    const a = await loadArtifacts(path.join(FACE_API, `${name}-weights_manifest.json`));
    const { artifacts } = await pruneArtifacts(a, { sparsity: 0.5 }, { gzip: false });
    const { bytes, out } = await roundTrip(artifacts);
    expectSameWeights(artifacts, out);
    expect(bytes.length).toBeLessThan(gzip9(concatBytes(artifacts.weightData!)));
  });

  it.each(['blazeface', 'emotion', 'facemesh', 'handtrack'])('human %s pruned to sparsity 0.5: bit-exact, and stock tfjs runs it through compressedModel', async (name) => {
    const a = await loadArtifacts(path.join(HUMAN, `${name}.json`));
    const { artifacts } = await pruneArtifacts(a, { sparsity: 0.5 }, { gzip: false });
    const { bytes, out } = await roundTrip(artifacts);
    expectSameWeights(artifacts, out);
    const text = await readFile(path.join(HUMAN, `${name}.json`), 'utf8');
    expect(bytes.length).toBeLessThan(gzip9(concatBytes(artifacts.weightData!)) + gzip9(text));
    if (name !== 'blazeface') return;
    const model = await tf.loadGraphModel(compressedModel(bytes));
    const ref = await tf.loadGraphModel(tf.io.fromMemory(artifacts));
    const shape = model.inputs[0].shape!.map((d) => (d === -1 ? 1 : d));
    const x = tf.tensor(randn(shape.reduce((p, d) => p * d, 1), 6, 1), shape);
    const y = [model.execute(x)].flat();
    const yRef = [ref.execute(x)].flat();
    expect(y.length).toBe(yRef.length);
    y.forEach((t, i) => expect(firstDiff(bits(t.dataSync() as Float32Array), bits(yRef[i].dataSync() as Float32Array))).toBe(-1));
  });
});

describe('compressedModel over HTTP', () => {
  it('fetches a container by URL for tf.loadLayersModel; a missing one is an IO_ERROR PruneError', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'tfjs-prune-tpz-'));
    const server = await serve(root);
    try {
      const a = await loadArtifacts(LENET);
      await writeFile(path.join(root, 'lenet.tpz'), compressArtifacts(a));
      const model = await tf.loadLayersModel(compressedModel(`${server.url}/lenet.tpz`));
      const ref = await tf.loadLayersModel(tf.io.fromMemory(a));
      const x = tf.tensor2d(randn(2 * 784, 8, 1), [2, 784]);
      expect(firstDiff(bits((model.predict(x) as tf.Tensor).dataSync() as Float32Array), bits((ref.predict(x) as tf.Tensor).dataSync() as Float32Array))).toBe(-1);
      const missing = compressedModel(`${server.url}/nope.tpz`).load!();
      await expect(missing).rejects.toThrow(PruneError);
      await expect(compressedModel(`${server.url}/nope.tpz`).load!()).rejects.toMatchObject({ code: 'IO_ERROR', message: expect.stringContaining('HTTP 404') });
    } finally {
      await server.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});

