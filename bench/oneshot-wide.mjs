// How the one-shot solver scales with a Dense layer's width (issue 23: "seconds per million weights
// for a 4096-wide Dense layer"): one Dense d -> d layer with seeded random weights, fed --rows
// random ReLU-like inputs (half zeros), pruned with method 'reconstruct' at --sparsities; prints
// wall and cpu seconds, the solver path taken, the size of the layer's statistics (H and R,
// float64) and the relative error, against magnitude's error; once per --kernels build (the Wasm
// SIMD and scalar builds of assembly/oneshot.ts, or plain JavaScript), in the same run.
//
//   npm run build && nice -n 5 node bench/oneshot-wide.mjs [--widths=256,512,1024] [--rows=2048] [--sparsities=0.5,0.9]
//       [--kernels=simd,js] [--no-magnitude]
import { loadOneShotKernels, pruneOneShot } from '../dist/tfjs.mjs';
import { args, setupTf } from '../scripts/mnist-common.mjs';

const opt = args();
const widths = String(opt.widths ?? '256,512,1024').split(',').map(Number);
const rows = Number(opt.rows ?? 2048);
const sparsities = String(opt.sparsities ?? '0.5,0.9').split(',').map(Number);
const builds = String(opt.kernels ?? 'simd').split(',');
const withMagnitude = opt['no-magnitude'] === undefined;
const tf = await setupTf(opt.backend ?? 'wasm');

console.log(`rows ${rows}; load average ${(await import('node:os')).loadavg().map((v) => v.toFixed(1)).join(' ')}`);
console.log('| kernels | width | weights | sparsity | solver | H + R | wall | cpu | cpu s per million weights | error (reconstruct / magnitude) |');
console.log('|---|--:|--:|--:|---|--:|--:|--:|--:|---|');
for (const d of widths) {
  const build = () => tf.sequential({ layers: [tf.layers.dense({ units: d, inputShape: [d], kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }) })] });
  const x = tf.tidy(() => tf.relu(tf.randomNormal([rows, d], 0, 1, 'float32', 11)));
  for (const s of sparsities) for (const kernels of builds) {
    await loadOneShotKernels(kernels);
    const model = build();
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const rec = await pruneOneShot(model, x, { sparsity: s });
    const wall = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / 1e6;
    const mag = withMagnitude ? (await pruneOneShot(build(), x, { sparsity: s, method: 'magnitude' })).layers[0].error.toFixed(4) : '–';
    const l = rec.layers[0];
    const mib = l.statsBytes / 2 ** 20;
    console.log(`| ${kernels} | ${d} | ${(d * d).toLocaleString('en-US')} | ${s} | ${l.solver} | ${mib.toFixed(0)} MiB | ${wall.toFixed(2)} s | ${cpu.toFixed(2)} s | ${(cpu / ((d * d) / 1e6)).toFixed(2)} | ${l.error.toFixed(4)} / ${mag} |`);
    model.dispose();
  }
  x.dispose();
}
