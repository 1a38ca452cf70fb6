// Streaming pruning (pruneDirectory) of synthetic models larger than is comfortable in memory:
//
//   big       a synthetic model of --params float32 weights (default 1.5e9, 6 GB) pruned to 90%
//             global sparsity: peak RSS of the pruning process (VmHWM, worker threads included)
//             and its time against reading + writing the same files once (a plain copy, in a
//             process of its own, run before and after the prune; their mean is the baseline)
//   speedup   a --speedup-params model (default 2.5e8, 1 GB): 1 worker thread against --threads
//             (default os.availableParallelism()), medians of --reps runs each, alternated
//
// Every model and output is written under --dir (default: the OS temp dir) and removed at the end.
// `npm run bench:stream` (builds first). Options: --only big|speedup, --params, --speedup-params,
// --threads, --reps, --dir, --width.
//
// A run is a child process (node bench/streaming.mjs --child ...) so that its VmHWM is its own.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { median } from './lib.mjs';
import { removeModel, synthModel } from '../scripts/synth-model.mjs';

const self = fileURLToPath(import.meta.url);
const args = parseArgs(process.argv.slice(2));

if (args.child) await child(args);
else await main(args);

async function child(a) {
  const t0 = performance.now();
  if (a.child === 'copy') copyDir(a.in, a.out);
  else {
    const { init } = await import('../dist/index.mjs');
    const { pruneDirectory } = await import('../dist/node.mjs');
    await init();
    await pruneDirectory(a.in, a.out, { sparsity: 0.9, scope: 'global' }, { threads: a.threads });
  }
  const seconds = (performance.now() - t0) / 1000;
  const status = readFileSync('/proc/self/status', 'utf8');
  const kib = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)[1]);
  console.log(JSON.stringify({ seconds, hwmMiB: kib('VmHWM') / 1024 }));
}

/** Reads every file of a directory and writes it to another, 4 MiB at a time. */
function copyDir(from, to) {
  mkdirSync(to);
  const buf = new Uint8Array(4 << 20);
  for (const name of readdirSync(from)) {
    const src = openSync(path.join(from, name), 'r');
    const dst = openSync(path.join(to, name), 'w');
    try {
      for (;;) {
        const n = readSync(src, buf, 0, buf.length, null);
        if (n === 0) break;
        let done = 0;
        while (done < n) done += writeSync(dst, buf, done, n - done);
      }
    } finally {
      closeSync(src);
      closeSync(dst);
    }
  }
}

function run(mode, input, out, threads) {
  rmSync(out, { recursive: true, force: true });
  const argv = [self, '--child', mode, '--in', input, '--out', out, ...(threads === undefined ? [] : ['--threads', String(threads)])];
  const r = JSON.parse(execFileSync(process.execPath, argv, { encoding: 'utf8' }).trim().split('\n').pop());
  rmSync(out, { recursive: true, force: true });
  return r;
}

async function main(a) {
  const dir = path.resolve(a.dir ?? path.join(os.tmpdir(), 'tfjs-prune-bench-stream'));
  mkdirSync(dir, { recursive: true });
  const threads = a.threads ?? os.availableParallelism();
  const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
  console.log(`# bench/streaming.mjs, ${date} UTC, Node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0].model}), load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  const out = path.join(dir, 'out');
  const model = path.join(dir, 'model');
  try {
    if (a.only !== 'speedup') {
      const params = a.params ?? 1.5e9;
      let t0 = performance.now();
      const m = synthModel({ params, width: a.width ?? 4096, out: model, force: true });
      console.log(`\nbig: ${m.params.toExponential(3)} weights, ${(m.weightBytes / 2 ** 30).toFixed(2)} GiB in ${m.shards} shards (written in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      const c1 = run('copy', model, out);
      const p = run('prune', model, out, threads);
      const c2 = run('copy', model, out);
      const copy = (c1.seconds + c2.seconds) / 2;
      console.log('| run | time (s) | peak RSS (MiB) |');
      console.log('| --- | ---: | ---: |');
      console.log(`| read + write once (copy), before | ${c1.seconds.toFixed(1)} | ${c1.hwmMiB.toFixed(0)} |`);
      console.log(`| pruneDirectory, 90% global, ${threads} threads | ${p.seconds.toFixed(1)} | ${p.hwmMiB.toFixed(0)} |`);
      console.log(`| read + write once (copy), after | ${c2.seconds.toFixed(1)} | ${c2.hwmMiB.toFixed(0)} |`);
      console.log(`prune / copy: ${(p.seconds / copy).toFixed(2)}x (target <= 2x); peak RSS ${p.hwmMiB.toFixed(0)} MiB (target <= 1024 MiB)`);
      removeModel(model);
      t0 = performance.now();
    }
    if (a.only !== 'big') {
      const params = a.speedupParams ?? 2.5e8;
      const m = synthModel({ params, width: a.width ?? 4096, out: model, force: true });
      console.log(`\nspeedup: ${m.params.toExponential(3)} weights, ${(m.weightBytes / 2 ** 30).toFixed(2)} GiB in ${m.shards} shards, ${a.reps ?? 3} runs each`);
      const one = [];
      const many = [];
      for (let r = 0; r < (a.reps ?? 3); r++) {
        one.push(run('prune', model, out, 1).seconds);
        many.push(run('prune', model, out, threads).seconds);
      }
      console.log(`| threads | median time (s) | runs |`);
      console.log('| ---: | ---: | --- |');
      console.log(`| 1 | ${median(one).toFixed(2)} | ${one.map((x) => x.toFixed(2)).join(', ')} |`);
      console.log(`| ${threads} | ${median(many).toFixed(2)} | ${many.map((x) => x.toFixed(2)).join(', ')} |`);
      console.log(`speed-up: ${(median(one) / median(many)).toFixed(2)}x (target >= 1.6x on 2 cores)`);
      const c = await cpuControl(threads);
      console.log(`control, a CPU-bound JS loop in worker threads: ${threads} threads do ${c.toFixed(2)}x the work of 1 in the same time (the most any speed-up can be on this machine now)`);
      removeModel(model);
    }
  } finally {
    try {
      removeModel(model);
    } catch (e) {
      console.error(e.message);
    }
    rmSync(out, { recursive: true, force: true });
    if (statSync(dir, { throwIfNoEntry: false }) && readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
  }
}

/** Work per second of `n` worker threads spinning on a JS loop, relative to 1 thread (medians of 3). */
async function cpuControl(n) {
  const code = `let x = 0; for (let i = 0; i < 3e8; i++) x = (x + i * 7) | 0; require('node:worker_threads').parentPort.postMessage(x);`;
  const time = async (k) => {
    const t0 = performance.now();
    await Promise.all(Array.from({ length: k }, () => new Promise((resolve) => new Worker(code, { eval: true }).once('message', resolve))));
    return (performance.now() - t0) / 1000;
  };
  const one = [];
  const many = [];
  for (let r = 0; r < 3; r++) {
    one.push(await time(1));
    many.push(await time(n));
  }
  return (n * median(one)) / median(many);
}

function parseArgs(argv) {
  const a = {};
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => argv[++i];
    if (k === '--child') a.child = v();
    else if (k === '--in') a.in = v();
    else if (k === '--out') a.out = v();
    else if (k === '--threads') a.threads = Number(v());
    else if (k === '--only') a.only = v();
    else if (k === '--params') a.params = Number(v());
    else if (k === '--speedup-params') a.speedupParams = Number(v());
    else if (k === '--reps') a.reps = Number(v());
    else if (k === '--width') a.width = Number(v());
    else if (k === '--dir') a.dir = v();
    else throw new Error(`bench/streaming.mjs: unknown argument ${k}`);
  }
  return a;
}
