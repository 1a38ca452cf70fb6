// The built bundle (dist/index.mjs, with the chunks it imports) inside a real QuickJS interpreter
// (quickjs-emscripten runs QuickJS compiled to Wasm; the guest's global has no WebAssembly). The
// library must fall back to its pure-JS kernels by itself and give the same digest
// (test/runtimes/digest-core.js) as Node running the Wasm SIMD build. The slim entry carries no
// pure-JS build and must say so.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getQuickJS, type QuickJSWASMModule } from 'quickjs-emscripten';
import { beforeAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const dist = resolve(here, '../../dist');
const core = readFileSync(join(here, 'digest-core.js'), 'utf8');

interface Digest { simd: boolean; result: Record<string, unknown> }
interface GuestRun { wasm: string; info: Record<string, unknown>; digest: Digest }

let QuickJS: QuickJSWASMModule;
let reference: Digest;

beforeAll(async () => {
  expect(existsSync(join(dist, 'index.mjs')), 'dist/ is missing: run `npm run build`').toBe(true);
  QuickJS = await getQuickJS();
  const lib = await import(pathToFileURL(join(dist, 'index.mjs')).href);
  const digest = new Function(`${core}\nreturn digest;`)() as (lib: unknown, o: object) => Promise<Digest>;
  reference = await digest(lib, {});
  expect(reference.simd).toBe(true); // Node 20: the Wasm SIMD build
});

/** Evaluates `main` as an ES module in a fresh QuickJS runtime that loads modules from dist/. */
function runInQuickJS(entry: string): GuestRun {
  const runtime = QuickJS.newRuntime();
  runtime.setMemoryLimit(256 << 20);
  // Module names arrive normalised against the importer ('dist/chunks/api-x.mjs'); only files
  // inside dist/ are served, so a stray import of a Node built-in or tfjs fails the test.
  runtime.setModuleLoader((name) => {
    const file = normalize(join(dist, '..', name));
    if (relative(dist, file).startsWith('..')) throw new Error(`QuickJS guest imported ${name}, outside dist/`);
    return readFileSync(file, 'utf8');
  });
  const ctx = runtime.newContext();
  try {
    const main =
      `import * as lib from './dist/${entry}';\n${core}\n` +
      // init is wrapped only to keep what it returns; the digest itself is the shared one.
      `const wrapped = { ...lib, init: async (o) => { const i = await lib.init(o); globalThis.info = JSON.stringify(i); return i; } };\n` +
      `globalThis.wasm = typeof WebAssembly;\n` +
      `digest(wrapped, {}).then((d) => { globalThis.out = JSON.stringify(d); }, (e) => { globalThis.err = String(e) + ' | ' + String(e && e.stack); });\n`;
    ctx.unwrapResult(ctx.evalCode(main, 'main.mjs', { type: 'module' })).dispose();
    const jobs = runtime.executePendingJobs(-1);
    if (jobs.error) {
      const e = ctx.dump(jobs.error);
      jobs.error.dispose();
      throw new Error(`QuickJS job failed: ${JSON.stringify(e)}`);
    }
    const read = (key: string) => ctx.getProp(ctx.global, key).consume(ctx.dump) as string | undefined;
    const err = read('err');
    if (err !== undefined) throw new Error(`digest failed inside QuickJS: ${err}`);
    const out = read('out');
    expect(out, 'the digest promise did not settle').toBeTypeOf('string');
    return { wasm: read('wasm') as string, info: JSON.parse(read('info') as string), digest: JSON.parse(out as string) };
  } finally {
    ctx.dispose();
    runtime.dispose();
  }
}

describe('QuickJS (no WebAssembly)', () => {
  it('index.mjs falls back to the pure-JS kernels with the Node digest', () => {
    const run = runInQuickJS('index.mjs');
    expect(run.wasm).toBe('undefined');
    expect(run.info).toMatchObject({ backend: 'js', simd: false });
    expect(run.digest.simd).toBe(false);
    expect(run.digest.result).toEqual(reference.result);
  });

  it('slim.mjs (no pure-JS build, to stay small) says to import the default entry', () => {
    expect(() => runInQuickJS('slim.mjs')).toThrow(
      "WasmError: init: this runtime has no WebAssembly, and the slim entry carries no pure-JS build; import 'tfjs-prune', which falls back to it",
    );
  });
});
