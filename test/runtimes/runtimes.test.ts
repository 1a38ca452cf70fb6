// The packed package in real runtimes: `npm pack` the built package, install the tarball into a
// scratch consumer project, and run the same small pruning script (test/runtimes/digest-core.js)
// in Node (ESM, CJS, forced scalar, slim entry + bytes of tfjs-prune/wasm/simd.wasm), Deno, Bun
// and Cloudflare workerd (slim entry + a precompiled WebAssembly.Module bound by the config). Every
// digest must equal the Node ESM one. Deno, Bun and workerd come from their npm packages (devDependencies);
// a runtime is skipped only when its binary is absent, and never in CI.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, exec, here, root, runJson, serveWorkerd, whenBinary } from './support.js';

const core = readFileSync(join(here, 'digest-core.js'), 'utf8');

interface Digest { simd: boolean; result: Record<string, unknown> }

// Wrappers around the shared body: each gets the library's namespace and the init options.
const esm = (entry: string, init: string, prelude = '') =>
  `import * as lib from '${entry}';\n${prelude}\n${core}\nconsole.log(JSON.stringify(await digest(lib, ${init})));\n`;
const cjs = (entry: string, init: string) =>
  `const lib = require('${entry}');\n${core}\n` +
  `digest(lib, ${init}).then((d) => console.log(JSON.stringify(d)), (e) => { console.error(e); process.exitCode = 1; });\n`;
const slimPrelude =
  `import { readFileSync } from 'node:fs';\nimport { createRequire } from 'node:module';\n` +
  `const bytes = readFileSync(createRequire(import.meta.url).resolve('tfjs-prune/wasm/simd.wasm'));`;
const worker =
  `import * as lib from './node_modules/tfjs-prune/dist/slim.mjs';\nimport wasm from './simd.wasm';\n${core}\n` +
  `export default {\n  async fetch() {\n    try { return Response.json(await digest(lib, { module: wasm })); }\n` +
  `    catch (e) { return new Response(String((e && e.stack) || e), { status: 500 }); }\n  },\n};\n`;

let dir = '';
let reference: Digest;

const run = async (cmd: string, args: string[]) => (await runJson(dir, cmd, args)) as Digest;

beforeAll(async () => {
  expect(existsSync(join(root, 'dist', 'index.mjs')), 'dist/ is missing: run `npm run build`').toBe(true);
  dir = mkdtempSync(join(tmpdir(), 'tfjs-prune-runtimes-'));
  const packed = await exec('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: root });
  const tgz = join(dir, JSON.parse(packed.stdout)[0].filename as string);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  const install = (mode: string) =>
    exec('npm', ['install', tgz, mode, '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock'], { cwd: dir });
  // The runtime dependencies (fflate, commander, cli-progress) are in the npm cache after `npm ci`.
  await install('--offline').catch(() => install('--prefer-offline'));

  writeFileSync(join(dir, 'esm.mjs'), esm('tfjs-prune', '{}'));
  writeFileSync(join(dir, 'cjs.cjs'), cjs('tfjs-prune', '{}'));
  writeFileSync(join(dir, 'scalar.mjs'), esm('tfjs-prune', '{ forceScalar: true }'));
  writeFileSync(join(dir, 'slim.mjs'), esm('tfjs-prune/slim', '{ module: bytes }', slimPrelude));
  writeFileSync(join(dir, 'worker.mjs'), worker);

  reference = await run(process.execPath, ['esm.mjs']);
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('Node ESM (the reference) gives the expected counts', () => {
    expect(reference.simd).toBe(true);
    const r = reference.result as any;
    // n = 10007: k = round-half-even(0.9·n) = 9006 and round-half-even(0.5·n) = 5004.
    expect(r.prune).toMatchObject({ pruned: 9006, kept: 1001 });
    expect(r.threshold).toBe(r.prune.threshold);
    expect(r.mask.kept).toBe(10007 - 5004);
    expect(r.nm.kept).toBe(2501 * 2 + 2); // 2501 groups of 4, then one of 3
    expect(r.nm.zeros).toBe(10007 - r.nm.kept);
    expect(r.nmRows.kept).toBe(5000);
  });

  it('Node CJS (require)', async () => {
    expect(await run(process.execPath, ['cjs.cjs'])).toEqual(reference);
  });

  it('Node, init({ forceScalar: true })', async () => {
    expect(await run(process.execPath, ['scalar.mjs'])).toEqual({ ...reference, simd: false });
  });

  it('Node, slim entry + init({ module: bytes of tfjs-prune/wasm/simd.wasm })', async () => {
    expect(await run(process.execPath, ['slim.mjs'])).toEqual(reference);
  });

  whenBinary('deno')('Deno (ESM and CJS against node_modules)', async () => {
    expect(await run(bin('deno'), ['run', '--allow-read', '--allow-env', 'esm.mjs'])).toEqual(reference);
    expect(await run(bin('deno'), ['run', '--allow-read', '--allow-env', 'cjs.cjs'])).toEqual(reference);
  });

  whenBinary('bun')('Bun (ESM and CJS)', async () => {
    expect(await run(bin('bun'), ['--no-install', 'esm.mjs'])).toEqual(reference);
    expect(await run(bin('bun'), ['--no-install', 'cjs.cjs'])).toEqual(reference);
  });

  whenBinary('workerd')('Cloudflare workerd (slim entry + precompiled WebAssembly.Module)', async () => {
    // The worker's ES modules: the slim entry and the chunks it imports, under their paths.
    const modules: string[] = [];
    const walk = (file: string) => {
      if (modules.includes(file)) return;
      modules.push(file);
      for (const m of readFileSync(join(dir, file), 'utf8').matchAll(/(?:from|import)\s*['"](\.[^'"]+)['"]/g)) {
        walk(posix.join(posix.dirname(file), m[1]));
      }
    };
    walk('node_modules/tfjs-prune/dist/slim.mjs');
    const workerd = await serveWorkerd(dir, [
      '(name = "worker.mjs", esModule = embed "worker.mjs")',
      '(name = "simd.wasm", wasm = embed "node_modules/tfjs-prune/dist/wasm/simd.wasm")',
      ...modules.map((f) => `(name = "${f}", esModule = embed "${f}")`),
    ]);
    try {
      expect(await workerd.get('/')).toEqual(reference);
    } finally {
      workerd.stop();
    }
  });
});
