import path from 'node:path';
import typescript from '@rollup/plugin-typescript';
import { dts } from 'rollup-plugin-dts';

const entries = { index: 'src/index.ts', slim: 'src/slim.ts', node: 'src/node.ts', tfjs: 'src/tfjs.ts', sparse: 'src/sparse.ts', load: 'src/load.ts' };
// pruneDirectory's worker threads load this file (dist/stream-worker.mjs) by its path.
const workerEntries = { 'stream-worker': 'src/node/stream_worker.ts' };
// Peer dependencies, runtime dependencies and Node built-ins stay imports, never bundled.
const external = (id) => id.startsWith('node:') || id.startsWith('@tensorflow/') || id === 'fflate';

export default [
  {
    input: { ...entries, ...workerEntries },
    external,
    output: [
      { dir: 'dist', format: 'es', entryFileNames: '[name].mjs', chunkFileNames: 'chunks/[name]-[hash].mjs' },
      { dir: 'dist', format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: 'chunks/[name]-[hash].cjs' },
    ],
    plugins: [typescript({ tsconfig: './tsconfig.json', compilerOptions: { noEmit: false, declaration: false } })],
  },
  {
    input: entries,
    external,
    output: { dir: 'dist', format: 'es', entryFileNames: '[name].d.ts', chunkFileNames: 'chunks/[name]-[hash].d.ts' },
    plugins: [dts()],
  },
  // The bin (package.json "bin"): its imports of the package's own entries stay imports of
  // dist/{index,node,tfjs}.mjs, so there is one copy of the code and of the Wasm runtime's state;
  // the CLI libraries are runtime dependencies.
  {
    input: { cli: 'src/cli/main.ts' },
    external: (id) => external(id) || id === 'commander' || id === 'cli-progress',
    output: {
      dir: 'dist',
      format: 'es',
      entryFileNames: '[name].mjs',
      banner: '#!/usr/bin/env node',
      paths: (id) => (id.startsWith(path.resolve('dist') + path.sep) ? `./${path.basename(id)}` : id),
    },
    plugins: [ownEntries(), typescript({ tsconfig: './tsconfig.json', compilerOptions: { noEmit: false, declaration: false } })],
  },
];

/** src/cli's imports of '../index.js', '../node.js', '../tfjs.js', '../load.js' become imports of the built entries. */
function ownEntries() {
  const cli = path.resolve('src/cli') + path.sep;
  return {
    name: 'own-entries',
    resolveId(source, importer) {
      const m = /^\.\.\/(index|node|tfjs|load)\.js$/.exec(source);
      if (m === null || importer === undefined || !importer.startsWith(cli)) return null;
      return { id: path.resolve('dist', `${m[1]}.mjs`), external: 'absolute' };
    },
  };
}
