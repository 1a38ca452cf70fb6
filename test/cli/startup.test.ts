// The bin imports the tfjs entry (tfjs-core and tfjs-layers: the slowest part of its start) only
// in the commands that need a live model or the in-memory engine (pruneArtifacts, which `inspect`
// uses too): a streamed prune and `--version` never load tfjs-core. Seen from the child process itself: a preload
// reports on exit whether tfjs-core's engine global was created. Likewise cli-progress (drawn only
// on a terminal) and the container decoder (dist/load.mjs, for `inspect` of a container).
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, EXAMPLE } from './support.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'tfjs-prune-startup-'));
  await writeFile(
    path.join(root, 'probe.mjs'),
    [
      "import { createRequire } from 'node:module';",
      'const cache = createRequire(import.meta.url).cache;',
      "process.on('exit', () => process.stderr.write(`\\nTFJS-LOADED=${globalThis._tfengine !== undefined}\\nBAR-LOADED=${Object.keys(cache).some((k) => k.includes('cli-progress'))}\\n`));",
      '',
    ].join('\n'),
  );
});
afterAll(() => rm(root, { recursive: true, force: true }));

function probe(args: string[]): { code: number | null; tfjs: boolean; bar: boolean } {
  const r = spawnSync(process.execPath, ['--import', path.join(root, 'probe.mjs'), CLI, ...args], { cwd: root, encoding: 'utf8' });
  const m = /TFJS-LOADED=(true|false)\nBAR-LOADED=(true|false)/.exec(r.stderr);
  if (m === null) throw new Error(`no probe lines in stderr: ${r.stderr}`);
  return { code: r.status, tfjs: m[1] === 'true', bar: m[2] === 'true' };
}

function loaded(args: string[]): { code: number | null; tfjs: boolean } {
  const { code, tfjs } = probe(args);
  return { code, tfjs };
}

describe('the bin loads tfjs only where it is used', () => {
  it('a streamed prune and --version do not load tfjs-core', () => {
    expect(loaded(['--version'])).toEqual({ code: 0, tfjs: false });
    expect(loaded(['prune', EXAMPLE, '--out', path.join(root, 'streamed'), '--sparsity', '0.5', '--stream'])).toEqual({ code: 0, tfjs: false });
  });

  it('without a terminal (stderr is a pipe here), a prune does not load cli-progress, even with --progress lines', () => {
    expect(probe(['prune', EXAMPLE, '--out', path.join(root, 'piped'), '--sparsity', '0.5', '--progress'])).toEqual({ code: 0, tfjs: false, bar: false });
  });

  it('the in-memory prune does (the probe sees tfjs when it is loaded)', () => {
    expect(loaded(['prune', EXAMPLE, '--out', path.join(root, 'in-memory'), '--sparsity', '0.5', '--no-stream'])).toEqual({ code: 0, tfjs: true });
  });
});
