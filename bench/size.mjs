// Size budget (issue 9): what each entry costs a consumer's bundle.
//
//   npm run bench:size            build, then measure dist/ and check the budgets
//   node bench/size.mjs           measure the current dist/ (no build)
//   node bench/size.mjs --modules  also list the largest source modules of each entry (bundled
//                                  from src/, each module minified alone: for finding what is big)
//
// Each entry's built ESM file (dist/<entry>.mjs) is bundled by rollup with the chunks it imports,
// as a consumer's bundler would, into one file; @tensorflow/* and fflate stay external (peer and
// runtime dependencies a consumer bundles once for the whole app). The bundle is measured as is
// and minified by terser (compress + mangle, ES module), each raw and gzipped with node:zlib at
// level 9. Budgets apply to the minified, gzipped figure. A second `tfjs` row resolves fflate too
// (its parts the entry uses), to show what fflate adds.
//
// Parts, for finding what is big: the embedded binaries (the base64 strings: both kernel builds
// in the root entry; the tensor builds in the tfjs entry), and the pure-JS fallback kernels
// (src/wasm/purejs.ts bundled and minified alone).
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
const BUDGETS = { index: 15 * KB, slim: 6 * KB, tfjs: 25 * KB };
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

/** Bundles `input` into one ES file, as is and minified by terser. */
async function bundle(input, { withFflate = false, plugins = [] } = {}) {
  const external = (id) => id.startsWith('@tensorflow/') || id.startsWith('node:') || (!withFflate && id === 'fflate');
  const b = await rollup({ input, external, plugins: withFflate ? [fflatePlugin, ...plugins] : plugins, onwarn: () => {} });
  const code = (await b.generate({ format: 'es', inlineDynamicImports: true })).output[0].code;
  const min = (await minify(code, TERSER)).code;
  await b.close();
  return { raw: code.length, gzip: gz(code), min: min.length, minGzip: gz(min) };
}

const rows = [];
for (const [entry, label] of [['index', 'tfjs-prune (root, both Wasm builds embedded)'], ['slim', 'tfjs-prune/slim'], ['tfjs', 'tfjs-prune/tfjs (tfjs, fflate external)']]) {
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
rows.push({ entry: null, label: `tfjs-prune/tfjs, only the ops imported (${OPS}), tree-shaken`, ...(await bundle('ops-only', { plugins: [opsOnly] })) });

// Parts.
const generated = (f) => readFileSync(join(root, 'src/wasm', f), 'utf8');
const strings = (src) => [...src.matchAll(/=\s*(['"`])([A-Za-z0-9+/=]+)\1/g)].map((m) => m[2]);
const b64Core = strings(generated('binaries.generated.ts'));
const b64Tensor = strings(generated('tensor-binaries.generated.ts'));
const wasmBytes = (f) => readFileSync(join(root, 'build', f));
const pureJs = await bundle(join(root, 'src/wasm/purejs.ts'), {
  plugins: [typescript({ tsconfig: join(root, 'tsconfig.json'), compilerOptions: { noEmit: false, declaration: false }, include: ['src/wasm/purejs.ts'] })],
});

console.log('| entry | bundled | gzip | minified | minified + gzip | budget |');
console.log('|---|---:|---:|---:|---:|---|');
let failed = false;
for (const r of rows) {
  const budget = r.entry ? BUDGETS[r.entry] : undefined;
  const ok = budget === undefined || r.minGzip <= budget;
  if (!ok) failed = true;
  console.log(`| ${r.label} | ${kb(r.raw)} | ${kb(r.gzip)} | ${kb(r.min)} | **${kb(r.minGzip)}** (${r.minGzip} B) | ${budget ? `≤ ${kb(budget)} ${ok ? 'ok' : 'MISSED'}` : ''} |`);
}
console.log('\nparts (gzip level 9):');
console.log(`- kernel builds: simd.wasm ${wasmBytes('simd.wasm').length} B (gzip ${gz(wasmBytes('simd.wasm'))} B), scalar.wasm ${wasmBytes('scalar.wasm').length} B (gzip ${gz(wasmBytes('scalar.wasm'))} B); embedded as base64: ${kb(b64Core.join('').length)}, gzip ${kb(gz(b64Core.join('\n')))}`);
console.log(`- tensor builds (tfjs entry): ${b64Tensor.length} as base64: ${kb(b64Tensor.join('').length)}, gzip ${kb(gz(b64Tensor.join('\n')))}`);
console.log(`- pure-JS fallback kernels (src/wasm/purejs.ts alone): minified ${kb(pureJs.min)}, minified + gzip ${kb(pureJs.minGzip)}`);
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
