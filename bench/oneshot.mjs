// One-shot pruning of the bundled LeNet-300-100 (examples/mnist-mlp) without retraining (issue 23):
// magnitude, activation (Wanda) and reconstruct (OBS masks + exact least-squares refit) at several
// global sparsities, calibrated on the first --calib MNIST training images, accuracy on the 10 000
// test images.
//
//   npm run build && nice -n 5 node bench/oneshot.mjs [--calib=1024] [--sparsities=0.8,0.9,0.95,0.98]
//       [--methods=magnitude,activation,reconstruct] [--scope=global] [--damping=0.01] [--allocation=magnitude|error] [--backend=wasm]
//       [--curve=128,256,512,1024,2048,4096]   (reconstruct at 90% and 95% over calibration sizes)
//       [--nm=2:4]   (each method with that N:M pattern instead of the sparsities)
//       [--kernels=simd|scalar|js]   (one-shot kernels: Wasm SIMD (default), Wasm scalar, plain JS)
//
// Prints one table row per run (accuracy, seconds of pruneOneShot, per-layer sparsity and relative
// reconstruction error) and writes bench/.tmp/oneshot.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadArtifacts } from '../dist/node.mjs';
import { accuracy, args, mnistTensors, pct, setupTf } from '../scripts/mnist-common.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const opt = args();
const calibCount = Number(opt.calib ?? 1024);
const sparsities = String(opt.sparsities ?? '0.8,0.9,0.95,0.98').split(',').map(Number);
const methods = String(opt.methods ?? 'magnitude,activation,reconstruct').split(',');
const scope = opt.scope ?? 'global';
const damping = opt.damping === undefined ? undefined : Number(opt.damping);
const allocation = opt.allocation; // 'magnitude' (default) | 'error'
// --nm=2:4: one row per method with that N:M pattern instead of the sparsities (scope layer).
const nm = opt.nm;
const curve = opt.curve === undefined ? [] : String(opt.curve === true ? '128,256,512,1024,2048,4096' : opt.curve).split(',').map(Number);
// ONESHOT_TFJS: another build of the tfjs entry (a quick rolldown bundle while iterating).
const { pruneOneShot, loadOneShotKernels } = await import(process.env.ONESHOT_TFJS ? path.resolve(process.env.ONESHOT_TFJS) : '../dist/tfjs.mjs');
const kernels = await loadOneShotKernels(opt.kernels);
const tf = await setupTf(opt.backend ?? 'wasm');

const artifacts = await loadArtifacts(path.join(root, 'examples/mnist-mlp'));
const load = () => tf.loadLayersModel(tf.io.fromMemory(artifacts));
const test = await mnistTensors('test');
const calibAll = await mnistTensors('train', { limit: Math.max(calibCount, ...curve) });
const calib = (n) => calibAll.x.slice([0, 0], [n, 784]);

const dense = await load();
const denseAcc = accuracy(dense, test);
dense.dispose();
console.log(`LeNet-300-100 dense: ${pct(denseAcc)} on the ${test.count} MNIST test images; calibration: first ${calibCount} training images; scope ${scope}; kernels ${kernels}; load average ${(await import('node:os')).loadavg().map((v) => v.toFixed(1)).join(' ')}`);

const rows = [];
async function run(method, sparsity, n) {
  const model = await load();
  const x = calib(n);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const config = nm ? { nm, method } : { sparsity, scope, method, ...(allocation && method === 'reconstruct' ? { allocation } : {}) };
  const report = await pruneOneShot(model, method === 'magnitude' ? null : x, { ...config, ...(damping === undefined ? {} : { damping }) });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const acc = accuracy(model, test);
  model.dispose();
  x.dispose();
  const row = {
    method,
    sparsity,
    calibration: method === 'magnitude' ? 0 : n,
    accuracy: acc,
    seconds,
    cpuSeconds,
    kernelSparsity: report.totals.prunedSparsity,
    layers: report.layers.map((l) => ({ layer: l.layer, sparsity: l.sparsity, error: l.error, solver: l.solver })),
  };
  rows.push(row);
  const layers = row.layers.map((l) => `${l.layer} ${pct(l.sparsity, 1)}${l.error === null ? '' : ` e=${l.error.toFixed(3)}`}${l.solver === 'blocked' ? ' (blocked)' : ''}`).join(', ');
  console.log(`| ${method.padEnd(11)} | ${(nm ?? pct(sparsity, 0)).padStart(4)} | ${String(row.calibration).padStart(5)} | ${pct(acc)} | ${seconds.toFixed(2).padStart(6)} s | ${cpuSeconds.toFixed(2).padStart(6)} s | ${layers} |`);
  return row;
}

console.log('| method      | s    | calib | accuracy | wall     | cpu      | per layer (sparsity, relative error) |');
console.log('|---|---|---|---|---|---|---|');
if (nm) for (const m of methods) await run(m, null, calibCount);
else for (const s of sparsities) for (const m of methods) await run(m, s, calibCount);
for (const n of curve) for (const s of [0.9, 0.95]) await run('reconstruct', s, n);

mkdirSync(path.join(root, 'bench/.tmp'), { recursive: true });
writeFileSync(path.join(root, 'bench/.tmp/oneshot.json'), JSON.stringify({ denseAccuracy: denseAcc, scope, calibCount, rows }, null, 2));
