// The decoder entry (dist/load.mjs, tfjs-prune/load) in real runtimes: Node (through the package's
// own "exports"), Deno, Bun, Cloudflare workerd (the container bound as a data module) and QuickJS
// (quickjs-emscripten: no TextDecoder, no DecompressionStream, so the container's JSON is raw).
// Each decodes the same containers of LeNet-300-100 pruned 90% global + uint8 and must print the
// digest (test/runtimes/digest-load.js) that Node computes, whose weights are checked here against
// what stock tfjs decodes from the source artifacts.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, posix, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { getQuickJS } from 'quickjs-emscripten';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/index.js';
import { loadArtifacts } from '../../src/node.js';
import { compressArtifacts, pruneArtifacts } from '../../src/tfjs.js';
import { bin, here, root, runJson, serveWorkerd, whenBinary } from './support.js';

const dist = join(root, 'dist');
const body = readFileSync(join(here, 'digest-load.js'), 'utf8');
type Digest = Record<string, unknown>;

let dir = '';
let reference: Digest;
let deflated: Uint8Array;
let raw: Uint8Array;

/** The entry and the chunks it imports, as paths relative to the package root. */
function moduleFiles(entry: string): string[] {
  const files: string[] = [];
  const walk = (file: string) => {
    if (files.includes(file)) return;
    files.push(file);
    for (const m of readFileSync(join(root, file), 'utf8').matchAll(/(?:from|import)\s*['"](\.[^'"]+)['"]/g)) walk(posix.join(posix.dirname(file), m[1]));
  };
  walk(entry);
  return files;
}

const script = (entry: string, file: string) =>
  `import * as lib from '${entry}';\nimport { readFileSync } from 'node:fs';\n${body}\n` +
  `console.log(JSON.stringify(await digestLoad(lib, new Uint8Array(readFileSync('${file}')))));\n`;

beforeAll(async () => {
  expect(existsSync(join(dist, 'load.mjs')), 'dist/ is missing: run `npm run build`').toBe(true);
  await init();
  await tf.setBackend('cpu');
  const dense = await loadArtifacts(join(root, 'examples/mnist-mlp'));
  const { artifacts } = await pruneArtifacts(dense, { sparsity: 0.9, scope: 'global', quantize: 'uint8' }, { gzip: false });
  deflated = compressArtifacts(artifacts);
  raw = compressArtifacts(artifacts, { json: 'raw' });
  dir = mkdtempSync(join(tmpdir(), 'tfjs-prune-load-'));
  writeFileSync(join(dir, 'lenet.tpz'), deflated);
  writeFileSync(join(dir, 'lenet-raw.tpz'), raw);
  // A copy of the entry and its chunks: what a consumer's runtime loads, and nothing else of dist/.
  for (const f of moduleFiles('dist/load.mjs')) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    copyFileSync(join(root, f), join(dir, f));
  }
  writeFileSync(join(dir, 'main.mjs'), script('./dist/load.mjs', 'lenet.tpz'));
  writeFileSync(join(dir, 'main-raw.mjs'), script('./dist/load.mjs', 'lenet-raw.tpz'));

  // The reference: Node, through the package's own exports map ('tfjs-prune/load').
  const lib = await import('tfjs-prune/load');
  const digest = new Function(`${body}\nreturn digestLoad;`)() as (lib: unknown, b: Uint8Array) => Promise<Digest>;
  reference = await digest(lib, deflated);
  expect(await digest(lib, raw)).toEqual(reference);
  // The reference's weights are stock tfjs' decoding of the source: hash them the same way.
  const stock = tf.io.decodeWeights(artifacts.weightData!, artifacts.weightSpecs!);
  let hash = 0x811c9dc5;
  for (const t of Object.values(stock)) {
    const d = t.dataSync() as Float32Array;
    for (const x of new Uint8Array(d.buffer, d.byteOffset, d.byteLength)) hash = Math.imul(hash ^ x, 16777619) >>> 0;
  }
  expect(reference.hash).toBe(hash);
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('tfjs-prune/load in runtimes', () => {
  it('Node: plain float32 specs, and a truncated container is a named ContainerFormatError', () => {
    expect(reference.specs).toEqual([
      ['fc1/kernel', 'float32', '784x300', false],
      ['fc1/bias', 'float32', '300', false],
      ['fc2/kernel', 'float32', '300x100', false],
      ['fc2/bias', 'float32', '100', false],
      ['fc3/kernel', 'float32', '100x10', false],
      ['fc3/bias', 'float32', '10', false],
    ]);
    expect(reference.error).toEqual(['ContainerFormatError', 'MALFORMED_CONTAINER', 'header', true]);
  });

  whenBinary('deno')('Deno', async () => {
    expect(await runJson(dir, bin('deno'), ['run', '--allow-read', 'main.mjs'])).toEqual(reference);
  });

  whenBinary('bun')('Bun', async () => {
    expect(await runJson(dir, bin('bun'), ['--no-install', 'main.mjs'])).toEqual(reference);
  });

  whenBinary('workerd')('Cloudflare workerd (the container as a data module)', async () => {
    writeFileSync(
      join(dir, 'worker.mjs'),
      `import * as lib from './dist/load.mjs';\nimport bytes from './lenet.tpz';\n${body}\n` +
        `export default { async fetch() { try { return Response.json(await digestLoad(lib, new Uint8Array(bytes))); } ` +
        `catch (e) { return new Response(String((e && e.stack) || e), { status: 500 }); } } };\n`,
    );
    const workerd = await serveWorkerd(dir, [
      '(name = "worker.mjs", esModule = embed "worker.mjs")',
      '(name = "lenet.tpz", data = embed "lenet.tpz")',
      ...moduleFiles('dist/load.mjs').map((f) => `(name = "${f}", esModule = embed "${f}")`),
    ]);
    try {
      expect(await workerd.get('/')).toEqual(reference);
    } finally {
      workerd.stop();
    }
  });

  it('QuickJS (container with raw JSON: no DecompressionStream there)', async () => {
    const QuickJS = await getQuickJS();
    const runtime = QuickJS.newRuntime();
    runtime.setMemoryLimit(256 << 20);
    runtime.setModuleLoader((name) => {
      const file = normalize(join(dir, name));
      if (relative(join(dir, 'dist'), file).startsWith('..')) throw new Error(`QuickJS guest imported ${name}, outside dist/`);
      return readFileSync(file, 'utf8');
    });
    const ctx = runtime.newContext();
    try {
      const main =
        `import * as lib from './dist/load.mjs';\n${body}\n` +
        `const bytes = new Uint8Array([${raw.join(',')}]);\n` +
        `globalThis.hasTextDecoder = typeof TextDecoder;\n` +
        `digestLoad(lib, bytes).then((d) => { globalThis.out = JSON.stringify(d); }, (e) => { globalThis.err = String(e); });\n`;
      ctx.unwrapResult(ctx.evalCode(main, 'main.mjs', { type: 'module' })).dispose();
      runtime.executePendingJobs(-1);
      const read = (key: string) => ctx.getProp(ctx.global, key).consume(ctx.dump) as string | undefined;
      expect(read('err')).toBeUndefined();
      expect(read('hasTextDecoder')).toBe('undefined');
      expect(JSON.parse(read('out') as string)).toEqual(reference);
    } finally {
      ctx.dispose();
      runtime.dispose();
    }
  });
});
