// Decode speed alone (issue 22), over containers written once and cached in bench/.tmp/tpz:
// LeNet-300-100 90% global + uint8 (by the CLI, as bench/container.mjs) and every human-models
// graph model pruned 50% (layer scope, storage kept), compressed with the defaults.
//
//   node bench/container-decode.mjs            decode every cached container (writes them first)
//     --human=DIR   as bench/container.mjs ($HUMAN_MODELS_DIR, else fetched once)
//     --rewrite     write the containers again (after a change of the encoder)
//     --only=a,b    only these models
//     --ms=N        time per model (default 600 ms of runs after a warm-up)
//
// Figures: MB/s of float32 output in CPU time of the process (user + system around each decode,
// median of the runs), over all models (total bytes / total median time) and per model (median).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { humanModelsDir } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const cache = join(here, '.tmp', 'tpz');
const args = Object.fromEntries(process.argv.slice(2).map((a) => { const [k, v] = a.replace(/^--/, '').split('='); return [k, v ?? true]; }));
const { decompressArtifacts } = await import('../dist/load.mjs');

async function writeAll() {
  const { init } = await import('../dist/index.mjs');
  const { pruneArtifacts, compressArtifacts } = await import('../dist/tfjs.mjs');
  const { loadArtifacts } = await import('../dist/node.mjs');
  await init();
  rmSync(cache, { recursive: true, force: true });
  mkdirSync(cache, { recursive: true });
  const lenet = join(here, '.tmp', 'lenet-90-uint8');
  execFileSync(process.execPath, [join(root, 'dist/cli.mjs'), 'prune', join(root, 'examples/mnist-mlp'), '--out', lenet, '--sparsity', '0.9', '--scope', 'global', '--quantize', 'uint8', '--force'], { stdio: 'ignore' });
  writeFileSync(join(cache, '_lenet.tpz'), compressArtifacts(await loadArtifacts(lenet)));
  rmSync(lenet, { recursive: true, force: true });
  const hdir = humanModelsDir(args.human);
  for (const f of readdirSync(hdir).filter((f) => f.endsWith('.json')).sort()) {
    const { artifacts } = await pruneArtifacts(await loadArtifacts(join(hdir, f)), { sparsity: 0.5 }, { gzip: false });
    writeFileSync(join(cache, f.replace(/\.json$/, '.tpz')), compressArtifacts(artifacts));
    process.stderr.write('.');
  }
  process.stderr.write('\n');
}

if (args.rewrite || !existsSync(cache)) await writeAll();
const only = args.only ? new Set(String(args.only).split(',')) : null;
const budget = Number(args.ms ?? 600);
const rows = [];
for (const f of readdirSync(cache).sort()) {
  const name = f.replace(/\.tpz$/, '');
  if (only && !only.has(name)) continue;
  const bytes = new Uint8Array(readFileSync(join(cache, f)));
  const out = (await decompressArtifacts(bytes)).weightData.byteLength;
  const cpu = [];
  const deadline = performance.now() + budget;
  do {
    const c0 = process.cpuUsage();
    await decompressArtifacts(bytes);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e3);
  } while (cpu.length < 5 || (performance.now() < deadline && cpu.length < 200));
  cpu.sort((a, b) => a - b);
  const ms = cpu[cpu.length >> 1];
  rows.push({ name, mb: out / 1e6, ms, mbps: out / 1e6 / (ms / 1e3) });
  console.log(`${name.padEnd(26)} ${(out / 1e6).toFixed(2).padStart(7)} MB ${ms.toFixed(2).padStart(8)} ms CPU ${(out / 1e6 / (ms / 1e3)).toFixed(0).padStart(5)} MB/s`);
}
const human = rows.filter((r) => r.name !== '_lenet');
if (human.length > 0) {
  const mb = human.reduce((t, r) => t + r.mb, 0);
  const ms = human.reduce((t, r) => t + r.ms, 0);
  const speeds = human.map((r) => r.mbps).sort((a, b) => a - b);
  const median = speeds.length % 2 ? speeds[speeds.length >> 1] : (speeds[speeds.length / 2 - 1] + speeds[speeds.length / 2]) / 2;
  console.log(`\nhuman-models, ${human.length} models: ${(mb / (ms / 1e3)).toFixed(0)} MB/s of CPU time over all (${mb.toFixed(1)} MB in ${ms.toFixed(0)} ms), per model median ${median.toFixed(0)} MB/s, slowest ${speeds[0].toFixed(0)}, under 200: ${speeds.filter((s) => s < 200).length}`);
}
const os = await import('node:os');
console.log(`Node ${process.version}; load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} on ${os.cpus().length} cores`);
