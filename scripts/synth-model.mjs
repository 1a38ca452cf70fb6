#!/usr/bin/env node
// A deterministic, seeded synthetic model of a chosen size, in the layout tfjs-converter writes:
// model.json (a Sequential layers model of Dense layers) and weight shards of 4 MiB
// (group1-shardXofN.bin). For the streaming tests (small) and benches (gigabytes).
//
//   node scripts/synth-model.mjs --params 1.5e9 --out /tmp/synth-6g [--width 4096] [--seed 1]
//                                [--shard-bytes 4194304] [--force]
//   node scripts/synth-model.mjs --remove /tmp/synth-6g
//
// Weights: a triangular distribution on (-0.1, 0.1) (the sum of two 16-bit uniforms from one
// xorshift32 draw: cheap, and bell-shaped enough for magnitude pruning), with one weight in 4096 an
// exact 0 and a run of equal magnitudes every 65536 (ties across tensors and shards). Biases are
// small. The same arguments always give the same bytes. Written with 4 MiB buffers, one shard at a
// time; memory stays a few MiB whatever the size.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SYNTH_MARK = 'tfjs-prune scripts/synth-model.mjs';

/**
 * Writes the model; returns { dir, params, weightBytes, shards, layers }. `params` is a lower bound
 * on the weights (kernels and biases) written: whole Dense layers of width x width (the last one
 * narrower so the total lands close to it).
 */
export function synthModel({ params, out, width = 1024, seed = 1, shardBytes = 4 * 1024 * 1024, force = false }) {
  if (!(params > 0) || !Number.isFinite(params)) throw new Error(`synth-model: --params must be a positive number, got ${params}`);
  if (!Number.isInteger(width) || width < 1) throw new Error(`synth-model: --width must be a positive integer, got ${width}`);
  if (!Number.isInteger(shardBytes) || shardBytes < 1) throw new Error(`synth-model: --shard-bytes must be a positive integer, got ${shardBytes}`);
  const dir = path.resolve(out);
  if (existsSync(dir)) {
    if (!force) throw new Error(`synth-model: ${dir} exists (pass --force to replace it)`);
    removeModel(dir);
  }
  // Layers: Dense width -> width; the last one has fewer units so the total is close to params.
  const layers = [];
  let total = 0;
  while (total < params) {
    const left = params - total;
    const units = left >= width * width + width ? width : Math.max(1, Math.ceil((left - 0) / (width + 1)));
    layers.push({ name: `dense_${layers.length + 1}`, in: width, units });
    total += width * units + units;
  }
  const weights = [];
  for (const l of layers) {
    weights.push({ name: `${l.name}/kernel`, shape: [l.in, l.units], dtype: 'float32' });
    weights.push({ name: `${l.name}/bias`, shape: [l.units], dtype: 'float32' });
  }
  const weightBytes = total * 4;
  const nShards = Math.max(1, Math.ceil(weightBytes / shardBytes));
  const paths = Array.from({ length: nShards }, (_, i) => `group1-shard${i + 1}of${nShards}.bin`);

  mkdirSync(dir, { recursive: true });
  const gen = new Generator(seed);
  // Tensor boundaries in floats: biases come out small.
  const bounds = [];
  let at = 0;
  for (const l of layers) {
    at += l.in * l.units;
    bounds.push({ end: at, scale: 1 });
    at += l.units;
    bounds.push({ end: at, scale: 0.1 });
  }
  const buf = new Float32Array(1 << 20);
  const sink = new ShardSink(dir, paths, shardBytes);
  let float = 0; // floats generated so far
  let b = 0;
  try {
    while (float < total) {
      const n = Math.min(buf.length, total - float);
      let i = 0;
      while (i < n) {
        while (bounds[b].end <= float + i) b++;
        const m = Math.min(n, bounds[b].end - float);
        gen.fill(buf, i, m, bounds[b].scale, float + i);
        i = m;
      }
      sink.write(new Uint8Array(buf.buffer, 0, n * 4));
      float += n;
    }
  } finally {
    sink.close();
  }

  const model = {
    format: 'layers-model',
    generatedBy: SYNTH_MARK,
    convertedBy: null,
    modelTopology: {
      class_name: 'Sequential',
      config: {
        name: 'synthetic',
        layers: layers.map((l, i) => ({
          class_name: 'Dense',
          config: { name: l.name, units: l.units, activation: 'linear', use_bias: true, ...(i === 0 ? { batch_input_shape: [null, l.in] } : {}) },
        })),
      },
      keras_version: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js',
    },
    weightsManifest: [{ paths, weights }],
  };
  // Dense layers chain: each layer's input is the previous one's units.
  for (let i = 1; i < layers.length; i++) if (layers[i].in !== layers[i - 1].units) throw new Error('synth-model: internal error (layer chain)');
  writeFileSync(path.join(dir, 'model.json'), JSON.stringify(model));
  return { dir, params: total, weightBytes, shards: nShards, layers: layers.length };
}

/** Removes a directory written by synthModel (refuses anything else). */
export function removeModel(dir) {
  const d = path.resolve(dir);
  if (!existsSync(d)) return;
  let mark = null;
  try {
    mark = JSON.parse(readFileSync(path.join(d, 'model.json'), 'utf8')).generatedBy;
  } catch {
    mark = null;
  }
  if (mark !== SYNTH_MARK) throw new Error(`synth-model: ${d} is not a synthetic model written by this script; not removing it`);
  rmSync(d, { recursive: true, force: true });
}

class Generator {
  constructor(seed) {
    this.x = (seed * 0x9e3779b1) >>> 0 || 0x2545f491;
  }

  /** out[from..to) = weights; `pos` is the global float index of out[from]. */
  fill(out, from, to, scale, pos) {
    let x = this.x;
    const k = (0.1 * scale) / 65536;
    for (let i = from; i < to; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      const g = pos + (i - from);
      if ((g & 4095) === 7) out[i] = 0;
      else if ((g & 65535) < 24) out[i] = (g & 1 ? -0.0123 : 0.0123) * scale; // ties
      else out[i] = ((x & 0xffff) + (x >>> 16) - 65535) * k;
    }
    this.x = x;
  }
}

function writeAll(fd, bytes) {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
}

/** Writes a byte stream into consecutive shard files of shardBytes each. */
class ShardSink {
  constructor(dir, paths, shardBytes) {
    this.dir = dir;
    this.paths = paths;
    this.shardBytes = shardBytes;
    this.index = -1;
    this.fd = null;
    this.left = 0;
  }

  write(bytes) {
    let off = 0;
    while (off < bytes.length) {
      if (this.left === 0) {
        this.close();
        this.fd = openSync(path.join(this.dir, this.paths[++this.index]), 'w');
        this.left = this.shardBytes;
      }
      const n = Math.min(this.left, bytes.length - off);
      writeAll(this.fd, bytes.subarray(off, off + n));
      off += n;
      this.left -= n;
    }
  }

  close() {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

function parseArgs(argv) {
  const a = {};
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`synth-model: ${k} needs a value`);
      return argv[++i];
    };
    if (k === '--params') a.params = Number(v());
    else if (k === '--out') a.out = v();
    else if (k === '--width') a.width = Number(v());
    else if (k === '--seed') a.seed = Number(v());
    else if (k === '--shard-bytes') a.shardBytes = Number(v());
    else if (k === '--force') a.force = true;
    else if (k === '--remove') a.remove = v();
    else throw new Error(`synth-model: unknown argument ${k}`);
  }
  return a;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const a = parseArgs(process.argv.slice(2));
    if (a.remove !== undefined) {
      removeModel(a.remove);
      console.log(`removed ${path.resolve(a.remove)}`);
    } else {
      if (a.out === undefined || a.params === undefined) throw new Error('synth-model: --params N --out DIR (or --remove DIR)');
      const t0 = performance.now();
      const r = synthModel(a);
      const s = (performance.now() - t0) / 1000;
      console.log(`${r.dir}: ${r.params} params in ${r.layers} Dense layers, ${r.weightBytes} bytes in ${r.shards} shards (${s.toFixed(1)} s)`);
    }
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
