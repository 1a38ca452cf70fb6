// The packed package in headless Chromium, and its custom tfjs ops in every runtime. Like
// runtimes.test.ts: `npm pack`, install the tarball into a scratch consumer — here with
// @tensorflow/tfjs-core, -backend-cpu, -backend-wasm and -layers 4.22.0 (the `tfjs` entry imports
// tfjs-layers for PruningCallback) — then
// - Chromium (Debian's, through playwright-core, never a downloaded browser): a page served from
//   127.0.0.1 runs test/runtimes/digest-core.js with a plain `<script type=module>` importing
//   node_modules/tfjs-prune/dist/index.mjs, and again with the slim entry and a module compiled
//   from a fetch of tfjs-prune/wasm/simd.wasm; both must equal Node's digest;
// - the tfjs ops (test/runtimes/digest-tfjs.js: pruneMagnitude, magnitudeMask, applyMask and the
//   gradient, after registerPruneKernels()) on the cpu and wasm backends in Node ESM and CJS,
//   Deno, Bun, workerd and Chromium. Every result must equal the typed-array API's in Node, bit
//   for bit, with the expected copy path (wasm: zero-copy, cpu: copy). In workerd, tfjs-prune's
//   kernels are passed precompiled (`registerPruneKernels({ module, tensorModule })`) and
//   tfjs-backend-wasm gets its own binary precompiled through the shim documented in docs/runtimes.md.
// Chromium and workerd run a bundle (rolldown) of the consumer's script, as an app would ship it.
// A runtime is skipped only when its binary is absent, and never in CI.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { rolldown } from 'rolldown';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, exec, here, lastJson, root, runJson, serveWorkerd, whenBinary } from './support.js';

const CI = process.env.CI === 'true';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// As in vitest.config.ts: headless, quiet on a closed network.
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
];
const whenChromium = existsSync(CHROMIUM) || CI ? it : it.skip;
const core = readFileSync(join(here, 'digest-core.js'), 'utf8');
const tfjsCore = readFileSync(join(here, 'digest-tfjs.js'), 'utf8');
const TFJS = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-layers'];
const TFJS_VERSION = '4.22.0';

interface Summary { shape: number[]; zeros: number; sum: number }
interface TfjsDigest {
  backend: string;
  paths: Record<string, string>;
  leaked: number;
  input: number;
  result: Record<string, Summary>;
}

// The consumer's scripts. Node, Deno and Bun import the packages as installed.
const esm = (backend: string) =>
  `import * as tf from '@tensorflow/tfjs-core';\nimport '@tensorflow/tfjs-backend-cpu';\nimport '@tensorflow/tfjs-backend-wasm';\n` +
  `import * as prune from 'tfjs-prune/tfjs';\n${tfjsCore}\n` +
  `console.log(JSON.stringify(await digestTfjs(tf, prune, '${backend}')));\n`;
const cjs = (backend: string) =>
  `const tf = require('@tensorflow/tfjs-core');\nrequire('@tensorflow/tfjs-backend-cpu');\nrequire('@tensorflow/tfjs-backend-wasm');\n` +
  `const prune = require('tfjs-prune/tfjs');\n${tfjsCore}\n` +
  `digestTfjs(tf, prune, '${backend}').then((d) => console.log(JSON.stringify(d)), (e) => { console.error(e); process.exitCode = 1; });\n`;

// What the entries import only where it runs (chunks of their own): the scalar build, the pure-JS
// build, and the code of pruneStructured and sensitivityScan. `load` is how the script imports.
const lazy = (load: (id: string) => string) =>
  `const tf = ${load('@tensorflow/tfjs-core')};\n${load('@tensorflow/tfjs-backend-cpu')};\nconst tfl = ${load('@tensorflow/tfjs-layers')};\n` +
  `const lib = ${load('tfjs-prune')};\nconst prune = ${load('tfjs-prune/tfjs')};\n` +
  `(async () => {\n` +
  `  await tf.setBackend('cpu');\n` +
  `  const scalar = await lib.init({ forceScalar: true });\n` +
  `  await lib.init();\n` +
  `  const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [8], units: 6 }), tfl.layers.dense({ units: 2 })] });\n` +
  `  const { model: small, report } = await prune.pruneStructured(model, { sparsity: 0.5 });\n` +
  `  const scan = await prune.sensitivityScan(model, () => 1, { sparsities: [0.5] });\n` +
  `  const js = await lib.init({ backend: 'js' });\n` +
  `  const w = new Float32Array([0.5, -0.1, 0.3, -0.4]);\n` +
  `  lib.pruneToSparsity(w, 0.5);\n` +
  `  console.log(JSON.stringify({ scalar: [scalar.backend, scalar.simd], units: small.layers[0].getConfig().units, groups: report.groups.length, evaluations: scan.evaluations, js: js.backend, pruned: Array.from(w) }));\n` +
  `})().catch((e) => { console.error(e); process.exitCode = 1; });\n`;

// Cloudflare workerd: the recipe in docs/runtimes.md. tfjs-prune's two builds come precompiled (workerd
// forbids compiling Wasm from bytes), and so does tfjs-backend-wasm's, through the shim.
const worker = `import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as prune from 'tfjs-prune/tfjs';
import module from 'tfjs-prune/wasm/simd.wasm';
import tensorModule from 'tfjs-prune/wasm/tensor-simd.wasm';
import tfjsWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm';
${readFileSync(join(here, 'wasm-backend-shim.js'), 'utf8')}
${tfjsCore}
export default {
  async fetch(request) {
    const { pathname } = new URL(request.url);
    try {
      if (pathname === '/no-tensor-module') {
        try {
          await prune.registerPruneKernels({ module });
          return Response.json({ registered: true });
        } catch (e) {
          return Response.json({ name: e.name, code: e.code, message: e.message });
        }
      }
      if (pathname === '/wasm' && !(await setWasmBackendModule(tf, setWasmPaths, tfjsWasm))) throw new Error('no wasm backend');
      return Response.json(await digestTfjs(tf, prune, pathname.slice(1), { module, tensorModule }));
    } catch (e) {
      return new Response(String((e && e.stack) || e), { status: 500 });
    }
  },
};
`;

// Chromium: the core digest from the package's files as they are, then the tfjs ops (a bundle).
const pageCore = `<!doctype html><meta charset="utf-8"><title>tfjs-prune core</title>
<script type="module">
import * as lib from './node_modules/tfjs-prune/dist/index.mjs';
import * as slim from './node_modules/tfjs-prune/dist/slim.mjs';
${core}
window.digests = (async () => {
  const embedded = await digest(lib, {});
  const module = await WebAssembly.compileStreaming(fetch('./node_modules/tfjs-prune/dist/wasm/simd.wasm'));
  return { embedded, slim: await digest(slim, { module }) };
})().then((d) => JSON.stringify(d), (e) => 'ERROR ' + ((e && e.stack) || e));
</script>
`;
const pageTfjsEntry = `import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as prune from 'tfjs-prune/tfjs';
${tfjsCore}
export { digestTfjs, tf, prune, setWasmPaths };
`;
const pageTfjs = `<!doctype html><meta charset="utf-8"><title>tfjs-prune tfjs</title>
<script type="module">
import { digestTfjs, tf, prune, setWasmPaths } from './page-tfjs.bundle.mjs';
// The bundle does not carry tfjs-backend-wasm's binaries: they are served from its package.
setWasmPaths('./node_modules/@tensorflow/tfjs-backend-wasm/dist/');
window.digests = (async () => {
  const cpu = await digestTfjs(tf, prune, 'cpu');
  return { cpu, wasm: await digestTfjs(tf, prune, 'wasm') };
})().then((d) => JSON.stringify(d), (e) => 'ERROR ' + ((e && e.stack) || e));
</script>
`;

let dir = '';
let reference: { input: number; result: Record<string, Summary> };

const run = async (cmd: string, args: string[]) => (await runJson(dir, cmd, args)) as TfjsDigest;

// The same results as the typed-array API, on the backend asked for, by the expected path, with
// no tensor leaked.
function expectMatches(d: TfjsDigest, backend: 'cpu' | 'wasm') {
  expect(d).toEqual({
    backend,
    paths: Object.fromEntries(['PruneMagnitude', 'PruneMagnitudeMask', 'PruneApplyMask'].map((k) => [k, backend === 'wasm' ? 'zero-copy' : 'copy'])),
    leaked: 0,
    ...reference,
  });
}

async function bundle(input: string, file: string): Promise<void> {
  const b = await rolldown({ input: join(dir, input), cwd: dir, platform: 'browser', logLevel: 'warn', external: [/\.wasm$/] });
  try {
    await b.write({ file: join(dir, file), format: 'esm', codeSplitting: false });
  } finally {
    await b.close();
  }
}

beforeAll(async () => {
  expect(existsSync(join(root, 'dist', 'tfjs.mjs')), 'dist/ is missing: run `npm run build`').toBe(true);
  dir = mkdtempSync(join(tmpdir(), 'tfjs-prune-runtimes-tfjs-'));
  const packed = await exec('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: root });
  const tgz = join(dir, JSON.parse(packed.stdout)[0].filename as string);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  const install = (mode: string) =>
    exec('npm', ['install', tgz, ...TFJS.map((p) => `${p}@${TFJS_VERSION}`), mode, '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock'], { cwd: dir });
  // tfjs and the runtime dependencies are in the npm cache after `npm ci`.
  await install('--offline').catch(() => install('--prefer-offline'));

  for (const backend of ['cpu', 'wasm']) {
    writeFileSync(join(dir, `${backend}.mjs`), esm(backend));
    writeFileSync(join(dir, `${backend}.cjs`), cjs(backend));
  }
  writeFileSync(join(dir, 'lazy.mjs'), lazy((id) => `await import('${id}')`));
  writeFileSync(join(dir, 'lazy.cjs'), lazy((id) => `require('${id}')`));
  writeFileSync(join(dir, 'expected.mjs'), `import * as lib from 'tfjs-prune';\n${tfjsCore}\nconsole.log(JSON.stringify(await expectedTfjs(lib)));\n`);
  writeFileSync(join(dir, 'core.mjs'), `import * as lib from 'tfjs-prune';\n${core}\nconsole.log(JSON.stringify(await digest(lib, {})));\n`);
  reference = lastJson((await exec(process.execPath, ['expected.mjs'], { cwd: dir })).stdout) as typeof reference;
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('tfjs ops from the packed package', () => {
  it('the typed-array reference is the expected one', () => {
    const r = reference.result;
    // n = 10007: round-half-even(0.9·n) = 9006 and round-half-even(0.5·n) = 5004 pruned.
    expect(r.sparsity.zeros).toBe(9006);
    expect(r.mask.zeros).toBe(5004);
    expect(r.grad.zeros).toBe(5004);
    expect(r.applyMask.zeros).toBe(7500);
    expect(r.threshold.zeros).toBeGreaterThan(4000); // |w| ≤ 0.5 of roughly uniform [-1, 1)
    expect(r.threshold.zeros).toBeLessThan(6000);
  });

  it('Node ESM, cpu and wasm backends', async () => {
    expectMatches(await run(process.execPath, ['cpu.mjs']), 'cpu');
    expectMatches(await run(process.execPath, ['wasm.mjs']), 'wasm');
  });

  it('Node ESM and CJS: the lazily imported chunks (scalar and pure-JS builds, pruneStructured, sensitivityScan) ship and load', async () => {
    for (const file of ['lazy.mjs', 'lazy.cjs']) {
      expect(await runJson(dir, process.execPath, [file]), file).toEqual({ scalar: ['wasm', false], units: 3, groups: 2, evaluations: 3, js: 'js', pruned: [0.5, 0, 0, Math.fround(-0.4)] });
    }
  });

  it('Node CJS (require), cpu and wasm backends', async () => {
    expectMatches(await run(process.execPath, ['cpu.cjs']), 'cpu');
    expectMatches(await run(process.execPath, ['wasm.cjs']), 'wasm');
  });

  whenBinary('deno')('Deno (ESM and CJS), cpu and wasm backends', async () => {
    for (const file of ['cpu.mjs', 'wasm.mjs', 'cpu.cjs', 'wasm.cjs']) {
      expectMatches(await run(bin('deno'), ['run', '--allow-read', '--allow-env', file]), file.startsWith('cpu') ? 'cpu' : 'wasm');
    }
  });

  whenBinary('bun')('Bun (ESM and CJS), cpu and wasm backends', async () => {
    for (const file of ['cpu.mjs', 'wasm.mjs', 'cpu.cjs', 'wasm.cjs']) {
      expectMatches(await run(bin('bun'), ['--no-install', file]), file.startsWith('cpu') ? 'cpu' : 'wasm');
    }
  });

  whenBinary('workerd')('Cloudflare workerd (precompiled modules), cpu and wasm backends', async () => {
    writeFileSync(join(dir, 'worker-entry.mjs'), worker);
    await bundle('worker-entry.mjs', 'worker.mjs');
    const workerd = await serveWorkerd(dir, [
      '(name = "worker.mjs", esModule = embed "worker.mjs")',
      '(name = "tfjs-prune/wasm/simd.wasm", wasm = embed "node_modules/tfjs-prune/dist/wasm/simd.wasm")',
      '(name = "tfjs-prune/wasm/tensor-simd.wasm", wasm = embed "node_modules/tfjs-prune/dist/wasm/tensor-simd.wasm")',
      '(name = "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm",\n      wasm = embed "node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm")',
    ]);
    const get = (path: string) => workerd.get(path) as Promise<TfjsDigest & { name: string; code: string; message: string }>;
    try {
      // Without tensorModule, registration says what to pass instead of failing obscurely.
      const refused = await get('/no-tensor-module');
      expect(refused).toMatchObject({ name: 'WasmError', code: 'WASM_UNSUPPORTED' });
      expect(refused.message).toMatch(/tensorModule/);
      expectMatches(await get('/cpu'), 'cpu');
      expectMatches(await get('/wasm'), 'wasm');
    } finally {
      workerd.stop();
    }
  });
});

describe('headless Chromium', () => {
  let browser: Browser | null = null;
  let server: Server | null = null;
  let origin = '';

  async function open(page: string): Promise<string> {
    if (browser === null) {
      server = await serve(dir);
      origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    }
    const tab = await browser.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(String(e)));
    try {
      await tab.goto(`${origin}/${page}`);
      await tab.waitForFunction(() => (window as unknown as { digests?: unknown }).digests !== undefined);
      const text = await tab.evaluate(() => (window as unknown as { digests: Promise<string> }).digests);
      expect(text.startsWith('ERROR'), `${text}\n${errors.join('\n')}`).toBe(false);
      return text;
    } finally {
      await tab.close();
    }
  }

  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  whenChromium('the core digest with <script type=module>: default entry, and slim + compileStreaming', async () => {
    writeFileSync(join(dir, 'core.html'), pageCore);
    const node = lastJson((await exec(process.execPath, ['core.mjs'], { cwd: dir })).stdout) as { simd: boolean };
    expect(node.simd).toBe(true);
    const d = JSON.parse(await open('core.html'));
    expect(d.embedded).toEqual(node);
    expect(d.slim).toEqual(node);
  });

  whenChromium('the tfjs ops (a rolldown bundle), cpu and wasm backends', async () => {
    writeFileSync(join(dir, 'page-tfjs.mjs'), pageTfjsEntry);
    await bundle('page-tfjs.mjs', 'page-tfjs.bundle.mjs');
    writeFileSync(join(dir, 'tfjs.html'), pageTfjs);
    const d = JSON.parse(await open('tfjs.html'));
    expectMatches(d.cpu, 'cpu');
    expectMatches(d.wasm, 'wasm');
  });
});

// A static server for the consumer directory on 127.0.0.1 (Wasm with its MIME type, which
// compileStreaming requires).
async function serve(base: string): Promise<Server> {
  const types: Record<string, string> = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm' };
  const srv = createHttpServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    try {
      const body = await readFile(join(base, path));
      res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
  return srv;
}
