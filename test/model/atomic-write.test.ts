// Atomic writes when the write itself fails, with real failures rather than mocks:
// - a file-size limit (RLIMIT_FSIZE, `ulimit -f` in a child process running the built package):
//   saveArtifacts' shard write fails part-way with EFBIG; pruneDirectory's fails when it sizes its
//   shards (ftruncate) in the temporary directory, run inline or with a worker pool;
// - an immutable directory (`chattr +i`, root on ext4; skipped where chattr cannot set it): the
//   old output cannot be moved aside, or the finished temporary directory cannot be renamed into
//   place after the old output was moved aside (swapInto, the swap both writers share).
// Each time: a ModelIOError, the old output (if any) byte for byte as it was, no temporary files.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelIOError } from '../../src/errors.js';
import { init } from '../../src/index.js';
import { loadArtifacts, saveArtifacts } from '../../src/node.js';
import { swapInto } from '../../src/node/save.js';
import { CLI, EXAMPLE, hashDir, ROOT } from '../cli/support.js';

let root: string;
let n = 0;
/** A fresh, empty parent directory: after a failure it must hold exactly what it held before. */
async function parent(): Promise<string> {
  const dir = path.join(root, `p${n++}`);
  await mkdir(dir);
  return dir;
}

const CHILD = `
const [root, mode, input, out, overwrite] = process.argv.slice(2);
const { init } = await import(root + '/dist/index.mjs');
const { loadArtifacts, saveArtifacts, pruneDirectory } = await import(root + '/dist/node.mjs');
await init();
try {
  const o = { overwrite: overwrite === '1', shardBytes: 262144 };
  if (mode === 'save') await saveArtifacts(out, await loadArtifacts(input), o);
  else await pruneDirectory(input, out, { sparsity: 0.5 }, { ...o, threads: Number(mode.slice('stream'.length)) });
  console.log('written');
} catch (e) {
  console.log(e.name + ' ' + e.code + ': ' + e.message);
}
`;

/** Runs the built writer on the example model with files limited to `limitKiB` (0: no limit). */
function write(mode: string, out: string, overwrite: boolean, limitKiB: number): string {
  const args = [ROOT, mode, EXAMPLE, out, overwrite ? '1' : '0'].map((a) => `'${a}'`).join(' ');
  const limit = limitKiB > 0 ? `ulimit -f ${limitKiB} && ` : '';
  const r = spawnSync('bash', ['-c', `${limit}exec '${process.execPath}' '${path.join(root, 'child.mjs')}' ${args}`], { encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
}

function chattr(flag: '+i' | '-i', target: string): boolean {
  return spawnSync('chattr', [flag, target]).status === 0;
}

beforeAll(async () => {
  // The child processes run the built package.
  expect(existsSync(CLI), 'dist/ is missing: npm run build').toBe(true);
  root = await mkdtemp(path.join(tmpdir(), 'atomic-write-'));
  // A file, not `node -e`: pruneDirectory's worker threads inherit the parent's execArgv.
  await writeFile(path.join(root, 'child.mjs'), CHILD);
  await init();
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe.each(['save', 'stream0', 'stream1'])('%s: a write that fails part-way (EFBIG)', (mode) => {
  const fname = mode === 'save' ? 'saveArtifacts' : 'pruneDirectory';

  it('leaves no output and no temporary files', async () => {
    const p = await parent();
    const out = path.join(p, 'out');
    // The example's weights are 1 MB in shards of 256 KiB; files are limited to 100 KiB.
    expect(write(mode, out, false, 100)).toBe(`ModelIOError IO_ERROR: ${fname}: cannot write ${out}: EFBIG`);
    expect(await readdir(p)).toEqual([]);
  });

  it('with overwrite, leaves the old output as it was and no temporary files', async () => {
    const p = await parent();
    const out = path.join(p, 'out');
    expect(write(mode, out, false, 0)).toBe('written');
    const before = await hashDir(out);
    expect(Object.keys(before)).toEqual(['group1-shard1of5.bin', 'group1-shard2of5.bin', 'group1-shard3of5.bin', 'group1-shard4of5.bin', 'group1-shard5of5.bin', 'model.json']);
    expect(write(mode, out, true, 100)).toBe(`ModelIOError IO_ERROR: ${fname}: cannot write ${out}: EFBIG`);
    expect(await hashDir(out)).toEqual(before);
    expect(await readdir(p)).toEqual(['out']);
  });
});

describe('the overwrite swap fails (an immutable directory)', () => {
  let canChattr = false;
  beforeAll(async () => {
    const probe = path.join(root, 'probe');
    await mkdir(probe);
    canChattr = chattr('+i', probe) && chattr('-i', probe);
  });

  it('saveArtifacts: the old output cannot be moved aside; it stays, the new files go', async (ctx) => {
    if (!canChattr) ctx.skip(true, 'chattr +i needs root on a filesystem that supports it');
    const p = await parent();
    const out = path.join(p, 'out');
    const artifacts = await loadArtifacts(EXAMPLE);
    await saveArtifacts(out, artifacts, { shardBytes: 262144 });
    await writeFile(path.join(out, 'old-marker'), 'old');
    const before = await hashDir(out);
    expect(chattr('+i', out)).toBe(true);
    try {
      const e = await saveArtifacts(out, artifacts, { overwrite: true }).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(ModelIOError);
      expect((e as ModelIOError).message).toBe(`saveArtifacts: cannot write ${out}: EPERM`);
    } finally {
      chattr('-i', out);
    }
    expect(await hashDir(out)).toEqual(before);
    expect(await readdir(p)).toEqual(['out']);
  });

  it('swapInto: the new directory cannot be renamed in after the old one moved aside; the old one is put back', async (ctx) => {
    if (!canChattr) ctx.skip(true, 'chattr +i needs root on a filesystem that supports it');
    const p = await parent();
    const out = path.join(p, 'out');
    const tmp = path.join(p, '.out.tmp-test');
    await mkdir(out);
    await writeFile(path.join(out, 'model.json'), 'old');
    await mkdir(tmp);
    await writeFile(path.join(tmp, 'model.json'), 'new');
    expect(chattr('+i', tmp)).toBe(true);
    try {
      await expect(swapInto(tmp, out, true)).rejects.toMatchObject({ code: 'EPERM', syscall: 'rename' });
    } finally {
      chattr('-i', tmp);
    }
    expect(await readdir(out)).toEqual(['model.json']);
    expect(await readFile(path.join(out, 'model.json'), 'utf8')).toBe('old');
    // The caller (saveArtifacts, pruneDirectory) removes tmp; no '.old' copy is left beside them.
    expect(await readdir(p)).toEqual(['.out.tmp-test', 'out']);
  });
});
