// Builds the in-browser demo (demo/) into a static directory (default demo-dist/, gitignored):
//   index.html + assets/     demo/main.ts and the worker (tfjs-core, -layers, -backend-cpu,
//                            -backend-wasm and tfjs-prune from src/), bundled by Vite
//   model/                   the bundled example model (examples/mnist-mlp), as is
//   data/                    the first --limit MNIST test images and labels, and the first 512
//                            training images and labels (one-shot calibration), as IDX files
//   tfjs-wasm/               tfjs-backend-wasm's .wasm files (the worker's setWasmPaths prefix)
// Needs `npm run build` first (the embedded Wasm binaries in src/wasm/*.generated.ts; and
// dist/node.mjs, whose IDX parser checks the MNIST files); runs it when they are missing.
//   node scripts/build-demo.mjs [--out dir] [--limit 2000]
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_OUT = path.join(ROOT, 'demo-dist');
/** Test images shipped with the page: enough for accuracy to 0.05 pp, small enough to load at once (1.5 MB). */
export const DEFAULT_LIMIT = 2000;
/** Training images the one-shot methods calibrate on: the first 512 of MNIST's training set (400 KB). */
export const CALIBRATION_IMAGES = 512;
const TFJS_WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

/** Files whose change calls for a rebuild (newest mtime wins). */
async function newestInput() {
  let newest = 0;
  const walk = async (p) => {
    const s = await stat(p);
    if (s.isDirectory()) for (const e of await readdir(p)) await walk(path.join(p, e));
    else newest = Math.max(newest, s.mtimeMs);
  };
  for (const p of ['demo', 'src', 'examples/mnist-mlp', 'scripts/build-demo.mjs', 'package-lock.json']) await walk(path.join(ROOT, p));
  return newest;
}

/** Whether `out` holds a build at least as new as every input. */
export async function demoIsFresh(out = DEFAULT_OUT) {
  try {
    return (await stat(path.join(out, 'index.html'))).mtimeMs >= (await newestInput());
  } catch {
    return false;
  }
}

function ensureLibraryBuild() {
  const needed = ['src/wasm/binaries.generated.ts', 'src/wasm/tensor-binaries.generated.ts', 'dist/node.mjs'];
  if (needed.every((f) => existsSync(path.join(ROOT, f)))) return;
  console.error('build-demo: running npm run build first');
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 2, 2] });
}

/** An IDX file (big-endian uint32 dimensions) of uint8 values. */
function idx(shape, values) {
  const head = new Uint8Array(4 + 4 * shape.length);
  const view = new DataView(head.buffer);
  head[2] = 0x08;
  head[3] = shape.length;
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  const out = new Uint8Array(head.length + values.length);
  out.set(head);
  out.set(values, head.length);
  return out;
}

/** The first `limit` images and labels of a split, read and checked with tfjs-prune's own IDX parser. */
async function mnistSlice(split, limit) {
  const { parseIdx, mnistFromIdx, mnistDataDir, MNIST_FILES } = await import(pathToFileURL(path.join(ROOT, 'dist/node.mjs')).href);
  const dir = mnistDataDir();
  const files = MNIST_FILES[split];
  const images = parseIdx(await readFile(path.join(dir, files.images)), files.images);
  const labels = parseIdx(await readFile(path.join(dir, files.labels)), files.labels);
  const [total, rows, cols] = images.shape;
  const n = Math.min(limit, total);
  const out = {
    images: idx([n, rows, cols], images.values.subarray(0, n * rows * cols)),
    labels: idx([n], labels.values.subarray(0, n)),
  };
  // The page reads them with mnistFromIdx; so does this check.
  const check = mnistFromIdx(out.images, out.labels);
  if (check.count !== n) throw new Error(`build-demo: wrote ${check.count} examples, expected ${n}`);
  return out;
}

export async function buildDemo({ out = DEFAULT_OUT, limit = DEFAULT_LIMIT, quiet = false } = {}) {
  ensureLibraryBuild();
  const { build } = await import('vite');
  out = path.resolve(out);
  await rm(out, { recursive: true, force: true });
  await build({
    configFile: false,
    root: path.join(ROOT, 'demo'),
    base: './',
    logLevel: quiet ? 'warn' : 'info',
    // tfjs makes a 1.2 MB worker bundle; on a busy machine Rolldown's slow-plugin notice is noise.
    build: { outDir: out, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 4096, reportCompressedSize: false, rolldownOptions: { checks: { bundlerTimings: false } } },
    worker: { format: 'es', rolldownOptions: { checks: { bundlerTimings: false } } },
  });
  await mkdir(path.join(out, 'model'), { recursive: true });
  for (const f of ['model.json', 'group1-shard1of1.bin']) await copyFile(path.join(ROOT, 'examples/mnist-mlp', f), path.join(out, 'model', f));
  await mkdir(path.join(out, 'data'), { recursive: true });
  const slice = await mnistSlice('test', limit);
  await writeFile(path.join(out, 'data/t10k-images-idx3-ubyte'), slice.images);
  await writeFile(path.join(out, 'data/t10k-labels-idx1-ubyte'), slice.labels);
  const calibration = await mnistSlice('train', CALIBRATION_IMAGES);
  await writeFile(path.join(out, 'data/train-images-idx3-ubyte'), calibration.images);
  await writeFile(path.join(out, 'data/train-labels-idx1-ubyte'), calibration.labels);
  const wasmDir = path.join(path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  await mkdir(path.join(out, 'tfjs-wasm'), { recursive: true });
  for (const f of TFJS_WASM_FILES) await copyFile(path.join(wasmDir, f), path.join(out, 'tfjs-wasm', f));
  // index.html last: its mtime marks the build as complete (demoIsFresh).
  const html = path.join(out, 'index.html');
  await writeFile(html, await readFile(html));
  return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name) => {
    const i = args.indexOf(name);
    return i < 0 ? undefined : args[i + 1];
  };
  const out = await buildDemo({ out: opt('--out') ?? DEFAULT_OUT, limit: opt('--limit') === undefined ? DEFAULT_LIMIT : Number(opt('--limit')) });
  console.log(`build-demo: ${path.relative(process.cwd(), out) || '.'}`);
}
