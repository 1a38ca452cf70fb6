// How the one-shot solver scales with a Dense layer's width (issue 23: "seconds per million weights
// for a 4096-wide Dense layer"): one Dense d -> d layer with seeded random weights, fed --rows
// random ReLU-like inputs (half zeros), pruned with method 'reconstruct' at --sparsities; prints
// wall and cpu seconds, the solver path taken and the relative error, against magnitude's error.
//
//   npm run build && nice -n 5 node bench/oneshot-wide.mjs [--widths=256,512,1024] [--rows=2048] [--sparsities=0.5,0.9]
import { pruneOneShot } from '../dist/tfjs.mjs';
import { args, setupTf } from '../scripts/mnist-common.mjs';

const opt = args();
const widths = String(opt.widths ?? '256,512,1024').split(',').map(Number);
const rows = Number(opt.rows ?? 2048);
const sparsities = String(opt.sparsities ?? '0.5,0.9').split(',').map(Number);
const tf = await setupTf(opt.backend ?? 'wasm');

console.log('| width | weights | sparsity | solver | wall | cpu | cpu s per million weights | error (reconstruct / magnitude) |');
console.log('|---|--:|--:|---|--:|--:|--:|---|');
for (const d of widths) {
  const build = () => tf.sequential({ layers: [tf.layers.dense({ units: d, inputShape: [d], kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }) })] });
  const x = tf.tidy(() => tf.relu(tf.randomNormal([rows, d], 0, 1, 'float32', 11)));
  for (const s of sparsities) {
    const model = build();
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const rec = await pruneOneShot(model, x, { sparsity: s });
    const wall = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / 1e6;
    const mag = await pruneOneShot(build(), x, { sparsity: s, method: 'magnitude' });
    const l = rec.layers[0];
    console.log(`| ${d} | ${(d * d).toLocaleString('en-US')} | ${s} | ${l.solver} | ${wall.toFixed(2)} s | ${cpu.toFixed(2)} s | ${(cpu / ((d * d) / 1e6)).toFixed(2)} | ${l.error.toFixed(4)} / ${mag.layers[0].error.toFixed(4)} |`);
    model.dispose();
  }
  x.dispose();
}
