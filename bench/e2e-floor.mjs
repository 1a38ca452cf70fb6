// The I/O floor of an exact global prune on disk (issue 17): what any such prune must do, and
// nothing else — read every weight byte twice (the threshold's pass, then the prune pass) and
// write it once, with pruneDirectory's I/O sizes (each tensor read in chunks of at most 16 MiB,
// straight from the input shards into a reused buffer; written at its final offset into output
// shards created at their final size), on `--threads` worker threads taking chunks from a shared
// counter. No weight is looked at. Prints the wall time of each pass, as JSON.
//
//   node bench/e2e-floor.mjs <model dir> <out dir> [--threads=2] [--chunk=16777216] [--passes=2] [--truncate=no] [--io=<bytes>]
//   (--truncate=no: the output files are created empty and grow as they are written; --io: the
//   largest read or write call, default 256 KiB as pruneDirectory's)
//
// bench/e2e.mjs runs it beside `cp -r`, `cat` and the CLI's prune (bench/README.md, "End to end").
import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const SHARD = 4 * 1024 * 1024;

/** Byte ranges [start, end) of the weight data: each tensor cut into chunks of at most `chunk` bytes. */
function plan(model, chunk) {
  const sizes = { float32: 4, int32: 4, float16: 2, uint8: 1, uint16: 2, bool: 1 };
  const out = [];
  let off = 0;
  for (const group of model.weightsManifest) {
    for (const w of group.weights) {
      const n = w.shape.reduce((a, b) => a * b, 1) * sizes[w.quantization?.dtype ?? w.dtype];
      for (let s = 0; s < n; s += chunk) out.push([off + s, off + Math.min(n, s + chunk)]);
      off += n;
    }
  }
  return { chunks: out, total: off };
}

/** Reads or writes [off, off + buf.length) of the concatenated files (fds kept open). */
function io(files, fds, off, buf, write, ioBytes) {
  let done = 0;
  let i = files.findIndex((f) => off < f.start + f.size);
  while (done < buf.length) {
    const f = files[i];
    const pos = off + done - f.start;
    const n = Math.min(f.size - pos, buf.length - done);
    for (let got = 0; got < n; ) {
      const len = Math.min(n - got, ioBytes);
      got += write ? writeSync(fds[i], buf, done + got, len, pos + got) : readSync(fds[i], buf, done + got, len, pos + got);
    }
    done += n;
    i++;
  }
}

if (isMainThread) {
  const [src, dst] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const args = Object.fromEntries(process.argv.slice(2).filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=')));
  const threads = Number(args.threads ?? 2);
  const chunk = Number(args.chunk ?? 16 * 1024 * 1024);
  const model = JSON.parse(readFileSync(join(src, 'model.json'), 'utf8'));
  const { chunks, total } = plan(model, chunk);
  let start = 0;
  const inFiles = [];
  for (const p of model.weightsManifest.flatMap((g) => g.paths)) {
    const size = statSync(join(src, p)).size;
    inFiles.push({ path: join(src, p), start, size });
    start += size;
  }
  rmSync(dst, { recursive: true, force: true });
  mkdirSync(dst, { recursive: true });
  const t0 = performance.now();
  const outFiles = [];
  for (let s = 0, i = 0; s < total; s += SHARD, i++) {
    const path = join(dst, `group1-shard${i + 1}.bin`);
    const fd = openSync(path, 'w');
    if (args.truncate !== 'no') ftruncateSync(fd, Math.min(SHARD, total - s));
    closeSync(fd);
    outFiles.push({ path, start: s, size: Math.min(SHARD, total - s) });
  }
  const times = {};
  let last = performance.now();
  for (const pass of Number(args.passes ?? 2) === 2 ? ['read', 'read+write'] : ['read+write']) {
    const counter = new Int32Array(new SharedArrayBuffer(4));
    await Promise.all(
      Array.from({ length: threads }, () => new Promise((resolve, reject) => {
        const w = new Worker(fileURLToPath(import.meta.url), { workerData: { inFiles, outFiles, chunks, counter, write: pass === 'read+write', chunk, ioBytes: Number(args.io ?? 256 * 1024) } });
        w.on('exit', resolve);
        w.on('error', reject);
      })),
    );
    const now = performance.now();
    times[pass] = +((now - last) / 1000).toFixed(2);
    last = now;
  }
  console.log(JSON.stringify({ threads, chunk, bytes: total, ...times, wall: +((performance.now() - t0) / 1000).toFixed(2) }));
} else {
  const { inFiles, outFiles, chunks, counter, write, chunk, ioBytes } = workerData;
  const inFds = inFiles.map((f) => openSync(f.path, 'r'));
  const outFds = write ? outFiles.map((f) => openSync(f.path, 'r+')) : [];
  const buf = Buffer.allocUnsafe(chunk);
  for (let c = Atomics.add(counter, 0, 1); c < chunks.length; c = Atomics.add(counter, 0, 1)) {
    const [s, e] = chunks[c];
    const view = buf.subarray(0, e - s);
    io(inFiles, inFds, s, view, false, ioBytes);
    if (write) io(outFiles, outFds, s, view, true, ioBytes);
  }
  for (const fd of [...inFds, ...outFds]) closeSync(fd);
  parentPort.close();
}
