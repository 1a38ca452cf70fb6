// The bin imports the tfjs entry (tfjs-core and tfjs-layers: the slowest part of its start) only
// in the commands that need a live model or the in-memory engine (pruneArtifacts, which `inspect`
// uses too): a streamed prune and `--version` never load tfjs-core. Seen from the child process itself: a preload
// reports on exit whether tfjs-core's engine global was created.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, EXAMPLE } from './support.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'tfjs-prune-startup-'));
  await writeFile(path.join(root, 'probe.mjs'), "process.on('exit', () => process.stderr.write(`\\nTFJS-LOADED=${globalThis._tfengine !== undefined}\\n`));\n");
});
afterAll(() => rm(root, { recursive: true, force: true }));

function loaded(args: string[]): { code: number | null; tfjs: boolean } {
  const r = spawnSync(process.execPath, ['--import', path.join(root, 'probe.mjs'), CLI, ...args], { cwd: root, encoding: 'utf8' });
  const m = /TFJS-LOADED=(true|false)/.exec(r.stderr);
  if (m === null) throw new Error(`no probe line in stderr: ${r.stderr}`);
  return { code: r.status, tfjs: m[1] === 'true' };
}

describe('the bin loads tfjs only where it is used', () => {
  it('a streamed prune and --version do not load tfjs-core', () => {
    expect(loaded(['--version'])).toEqual({ code: 0, tfjs: false });
    expect(loaded(['prune', EXAMPLE, '--out', path.join(root, 'streamed'), '--sparsity', '0.5', '--stream'])).toEqual({ code: 0, tfjs: false });
  });

  it('the in-memory prune does (the probe sees tfjs when it is loaded)', () => {
    expect(loaded(['prune', EXAMPLE, '--out', path.join(root, 'in-memory'), '--sparsity', '0.5', '--no-stream'])).toEqual({ code: 0, tfjs: true });
  });
});
