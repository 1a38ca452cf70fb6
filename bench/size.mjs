// Size budget (issue 9): what each entry costs a consumer's bundle.
//
//   npm run bench:size            build, then measure dist/ and check the budgets
//   node bench/size.mjs           measure the current dist/ (no build)
//   node bench/size.mjs --modules  also list the largest source modules of each entry (bundled
//                                  from src/, each module minified alone: for finding what is big)
//
// Each entry's built ESM file (dist/<entry>.mjs) is bundled by rollup with the chunks it imports,
// as a consumer's bundler would; @tensorflow/* and fflate stay external (peer and runtime
// dependencies a consumer bundles once for the whole app). Code the library imports with
// `import()` only where it runs (the scalar and shared-memory Wasm builds, the pure-JS fallback,
// pruneStructured and sensitivityScan) stays in chunks of its own, as a bundler leaves it. Every
// chunk is minified by terser (compress + mangle, ES module) and gzipped with node:zlib at level 9,
// each alone; a row adds them up. Two figures per entry:
//   loaded at import   the entry chunk and the chunks it imports statically: what an app loads
//                      when it imports the entry (the tfjs budget is checked on this figure of a
//                      tiny app importing only registerPruneKernels, pruneMagnitude,
//                      magnitudeMask and applyMask, tree-shaken; the whole entry has no budget);
//   everything         plus every lazily imported chunk (the root entry's budget counts this:
//                      "with both embedded binaries").
// A further `tfjs` row resolves fflate too (its parts the entry uses), to show what fflate adds.
//
// Parts, for finding what is big: the embedded binaries (the base64 strings), and the pure-JS
// fallback kernels (src/wasm/purejs.ts bundled and minified alone).
import { readFileSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rollup } from 'rollup';
import { minify } from 'terser';
import typescript from '@rollup/plugin-typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const KB = 1024;
// The tfjs entry's budget applies to an app that imports only the ops from it, tree-shaken
// (issue 17's decision): <= 20 KB gzip at import. The whole entry (model API included) is
// reported beside it without a budget.
const BUDGETS = { index: 15 * KB, slim: 6 * KB, 'tfjs-ops': 20 * KB, load: 4 * KB };
const gz = (s) => gzipSync(Buffer.from(s), { level: 9 }).length;
const kb = (b) => `${(b / KB).toFixed(1)} KB`;

if (!existsSync(join(dist, 'index.mjs'))) {
  console.error('dist/ is missing: run `npm run build` (or `npm run bench:size`)');
  process.exit(1);
}

/** Resolves bare 'fflate' to its ESM build, for the row that counts it. */
const fflatePlugin = {
  name: 'fflate',
  resolveId: (id) => (id === 'fflate' ? join(root, 'node_modules/fflate/esm/browser.js') : null),
};

const TERSER = { module: true, compress: { passes: 2 }, mangle: true };

/**
 * Bundles `input` as a bundler would (lazy imports stay chunks), minifies each chunk, and sums
 * bytes over the chunks loaded at import and over all of them.
 */
async function bundle(input, { withFflate = false, plugins = [] } = {}) {
  const external = (id) => id.startsWith('@tensorflow/') || id.startsWith('node:') || (!withFflate && id === 'fflate');
  const b = await rollup({ input, external, plugins: withFflate ? [fflatePlugin, ...plugins] : plugins, onwarn: () => {} });
  const { output } = await b.generate({ format: 'es', chunkFileNames: '[name].mjs' });
  await b.close();
  const chunks = new Map();
  for (const c of output) {
    if (c.type !== 'chunk') continue;
    const min = (await minify(c.code, TERSER)).code;
    chunks.set(c.fileName, { chunk: c, raw: c.code.length, gzip: gz(c.code), min: min.length, minGzip: gz(min) });
  }
  const entry = output.find((c) => c.type === 'chunk' && c.isEntry);
  const initial = new Set();
  const visit = (name) => {
    if (initial.has(name)) return;
    initial.add(name);
    for (const i of chunks.get(name).chunk.imports) if (chunks.has(i)) visit(i);
  };
  visit(entry.fileName);
  const sum = (names) => {
    const t = { raw: 0, gzip: 0, min: 0, minGzip: 0 };
    for (const n of names) for (const k of Object.keys(t)) t[k] += chunks.get(n)[k];
    return t;
  };
  const lazy = [...chunks.keys()].filter((n) => !initial.has(n)).map((n) => ({ name: n.replace(/(-[\w-]{8})?\.mjs$/, ''), ...sum([n]) }));
  return { initial: sum(initial), all: sum(chunks.keys()), lazy };
}

const rows = [];
for (const [entry, label] of [['index', 'tfjs-prune (root)'], ['slim', 'tfjs-prune/slim'], ['tfjs', 'tfjs-prune/tfjs (tfjs, fflate external)'], ['load', 'tfjs-prune/load (container decoder)']]) {
  rows.push({ entry, label, ...(await bundle(join(dist, `${entry}.mjs`))) });
}
rows.push({ entry: null, label: 'tfjs-prune/tfjs, fflate counted', ...(await bundle(join(dist, 'tfjs.mjs'), { withFflate: true })) });
// What an app that uses only the ops ships: a module importing them from the tfjs entry, tree-shaken
// by rollup ("sideEffects": false), as a consumer's bundler would.
const OPS = 'registerPruneKernels, pruneMagnitude, magnitudeMask, applyMask';
const opsOnly = {
  name: 'ops-only',
  resolveId: (id) => (id === 'ops-only' ? id : null),
  load: (id) => (id === 'ops-only' ? `export { ${OPS} } from ${JSON.stringify(join(dist, 'tfjs.mjs'))};` : null),
};
rows.push({ entry: 'tfjs-ops', label: `an app importing only ${OPS} from tfjs-prune/tfjs, tree-shaken`, ...(await bundle('ops-only', { plugins: [opsOnly] })) });

// Parts.
const generated = (f) => readFileSync(join(root, 'src/wasm', f), 'utf8');
const strings = (src) => [...src.matchAll(/=\s*(['"`])([A-Za-z0-9+/=]+)\1/g)].map((m) => m[2]);
const b64Core = [...strings(generated('binaries.generated.ts')), ...strings(generated('binaries-scalar.generated.ts'))];
const b64Tensor = ['tensor-binaries', 'tensor-scalar', 'tensor-shared'].flatMap((m) => strings(generated(`${m}.generated.ts`)));
const wasmBytes = (f) => readFileSync(join(root, 'build', f));
const pureJs = await bundle(join(root, 'src/wasm/purejs.ts'), {
  plugins: [typescript({ tsconfig: join(root, 'tsconfig.json'), compilerOptions: { noEmit: false, declaration: false }, include: ['src/wasm/purejs.ts'] })],
});

// Which figure each budget applies to (see the header).
const BUDGET_ON = { index: 'all', slim: 'all', 'tfjs-ops': 'initial', load: 'all' };
console.log('| entry | loaded at import: minified | + gzip | everything: minified | + gzip | budget |');
console.log('|---|---:|---:|---:|---:|---|');
let failed = false;
for (const r of rows) {
  const budget = r.entry ? BUDGETS[r.entry] : undefined;
  const on = budget === undefined ? null : BUDGET_ON[r.entry];
  const ok = budget === undefined || r[on].minGzip <= budget;
  if (!ok) failed = true;
  const cell = (t, bold) => `${kb(t.min)} | ${bold ? `**${kb(t.minGzip)}**` : kb(t.minGzip)} (${t.minGzip} B)`;
  const verdict = budget ? `≤ ${kb(budget)} (${on === 'all' ? 'everything' : 'at import'}) ${ok ? 'ok' : 'MISSED'}` : r.entry === 'tfjs' ? 'none (reported beside the ops\' budget)' : '';
  console.log(`| ${r.label} | ${cell(r.initial, on === 'initial')} | ${cell(r.all, on === 'all')} | ${verdict} |`);
}
for (const r of rows.filter((r) => r.entry !== null && r.entry !== 'tfjs-ops' && r.lazy.length > 0)) {
  console.log(`\n${r.label}: chunks imported only where they run, minified + gzip: ${r.lazy.map((c) => `${c.name} ${kb(c.minGzip)}`).join(', ')}`);
}
console.log('\nparts (gzip level 9):');
console.log(`- kernel builds: simd.wasm ${wasmBytes('simd.wasm').length} B (gzip ${gz(wasmBytes('simd.wasm'))} B), scalar.wasm ${wasmBytes('scalar.wasm').length} B (gzip ${gz(wasmBytes('scalar.wasm'))} B); embedded as base64: ${kb(b64Core.join('').length)}, gzip ${kb(gz(b64Core.join('\n')))}`);
console.log(`- tensor builds (tfjs entry): ${b64Tensor.length} as base64: ${kb(b64Tensor.join('').length)}, gzip ${kb(gz(b64Tensor.join('\n')))}`);
console.log(`- pure-JS fallback kernels (src/wasm/purejs.ts alone): minified ${kb(pureJs.all.min)}, minified + gzip ${kb(pureJs.all.minGzip)}`);
console.log(`\nnode:zlib gzip level 9; terser ${JSON.parse(readFileSync(join(root, 'node_modules/terser/package.json'), 'utf8')).version}, rollup ${JSON.parse(readFileSync(join(root, 'node_modules/rollup/package.json'), 'utf8')).version}`);
if (process.argv.includes('--modules')) {
  for (const entry of ['slim', 'tfjs']) {
    const b = await rollup({
      input: join(root, 'src', `${entry}.ts`),
      external: (id) => id.startsWith('@tensorflow/') || id.startsWith('node:') || id === 'fflate',
      plugins: [typescript({ tsconfig: join(root, 'tsconfig.json'), compilerOptions: { noEmit: false, declaration: false } })],
      onwarn: () => {},
    });
    const { output } = await b.generate({ format: 'es', inlineDynamicImports: true });
    await b.close();
    const mods = [];
    for (const [id, m] of Object.entries(output[0].modules)) {
      if (!m.code) continue;
      const min = (await minify(m.code, { module: true, compress: false, mangle: false })).code ?? '';
      mods.push({ id: id.slice(root.length + 1), min: min.length, gzip: gz(min) });
    }
    mods.sort((x, y) => y.min - x.min);
    const total = mods.reduce((t, m) => t + m.min, 0);
    console.log(`\n${entry}: ${mods.length} modules, ${kb(total)} minified (each alone, whitespace and comments stripped, names kept); largest:`);
    for (const m of mods.slice(0, 15)) console.log(`  ${kb(m.min).padStart(9)}  gzip ${kb(m.gzip).padStart(8)}  ${m.id}`);
  }
}
if (failed) {
  console.error('\nsize budget missed');
  process.exitCode = 1;
}
