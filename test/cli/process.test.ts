// The bin as a process, where the library cannot see it: Ctrl-C mid-run (exit 130, partial output
// removed), a bug (exit 1), a runtime without WebAssembly (the pure-JS fallback; exit 7 is not
// reachable from the bin), the automatic switch to streaming on a machine whose memory is small
// next to the model, --out inside the input's directory, and the progress bar on a terminal.
// Failures and small machines are made with a preload (`node --import`) that replaces one
// node:os function in the child; nothing in tfjs-prune is mocked.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, watch } from 'node:fs';
import { mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { synthModel } from '../../scripts/synth-model.mjs';
import { CLI, EXAMPLE, exampleCopy, hashDir, type Run } from './support.js';

let root: string;
let big: string;
const preload = (name: string) => path.join(root, `${name}.mjs`);

/** `node [nodeArgs] dist/cli.mjs ...args` in root; `onSpawn` may signal the child. */
function node(nodeArgs: string[], args: string[], onSpawn?: (pid: number) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, CLI, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    onSpawn?.(child.pid as number);
  });
}

beforeAll(async () => {
  expect(existsSync(CLI), 'dist/ is missing: npm run build').toBe(true);
  root = await mkdtemp(path.join(tmpdir(), 'tfjs-prune-cli-proc-'));
  // 8M weights (32 MB) in 4 MiB shards: a streamed run takes long enough to be interrupted.
  big = synthModel({ params: 8_000_000, width: 1000, seed: 5, out: path.join(root, 'big') }).dir;
  // A bug: the node:zlib call behind the report's gzip sizes throws a plain TypeError.
  await writeFile(preload('bug'), "import zlib from 'node:zlib';\nimport { syncBuiltinESMExports } from 'node:module';\nzlib.gzip = () => { throw new TypeError('injected: gzip is broken'); };\nsyncBuiltinESMExports();\n");
}, 60_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const leftovers = async (out: string) => (await readdir(root)).filter((n) => n === out || n.startsWith(`.${out}.tmp-`));

describe('exit 130: interrupted', () => {
  it('SIGINT while the output is being written: exit 130, the temporary directory removed, no output', async () => {
    const before = await hashDir(big);
    let signalled = false;
    const r = await node([], ['prune', big, '-o', 'out', '-s', '0.5', '--stream', '--threads', '1'], (pid) => {
      // As soon as the temporary directory appears beside the output, the run is mid-write.
      const watcher = watch(root, (_event, name) => {
        if (signalled || name === null || !String(name).startsWith('.out.tmp-')) return;
        signalled = true;
        watcher.close();
        process.kill(pid, 'SIGINT');
      });
    });
    expect(signalled).toBe(true);
    expect(r.stderr).toContain('tfjs-prune: interrupted (SIGINT), removing partial output');
    expect(r.code, r.stderr).toBe(130);
    expect(await leftovers('out')).toEqual([]);
    expect(await hashDir(big)).toEqual(before);
  });
});

describe('exit 1: a bug', () => {
  it('a non-PruneError: "unexpected error", the hint to use --debug, no output; --debug prints the stack', async () => {
    const r = await node(['--import', preload('bug')], ['prune', EXAMPLE, '-o', 'out', '-s', '0.5']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('tfjs-prune: unexpected error: injected: gzip is broken\n(run again with --debug for the stack trace)\n');
    expect(await leftovers('out')).toEqual([]);
    const d = await node(['--import', preload('bug')], ['prune', EXAMPLE, '-o', 'out', '-s', '0.5', '--debug']);
    expect(d.code).toBe(1);
    expect(d.stderr).toMatch(/^tfjs-prune: unexpected error: injected: gzip is broken\nTypeError: injected: gzip is broken\n\s+at /);
  });
});

describe('no WebAssembly (node --jitless)', () => {
  it('the bin runs the pure-JS build and writes the same bytes: exit 0, never 7', async () => {
    expect(spawnSync(process.execPath, ['--jitless', '-p', 'typeof WebAssembly'], { encoding: 'utf8' }).stdout.trim()).toBe('undefined');
    const a = await node([], ['prune', EXAMPLE, '-o', 'wasm', '-s', '0.7', '--no-gzip']);
    expect(a.code, a.stderr).toBe(0);
    const b = await node(['--jitless'], ['prune', EXAMPLE, '-o', 'nowasm', '-s', '0.7', '--no-gzip']);
    expect(b.code, b.stderr).toBe(0);
    expect(await hashDir(path.join(root, 'nowasm'))).toEqual(await hashDir(path.join(root, 'wasm')));
  }, 60_000);
});

describe('streaming by default', () => {
  it('streams a local model, loads it with --no-stream or for an HTML report; same bytes, and says which', async () => {
    const streamed = await node([], ['prune', EXAMPLE, '-o', 'auto', '-s', '0.6', '--no-gzip', '--report', 'auto.json']);
    expect(streamed.code, streamed.stderr).toBe(0);
    expect(streamed.stdout).toMatch(/streamed/);
    const loaded = await node([], ['prune', EXAMPLE, '-o', 'forced', '-s', '0.6', '--no-gzip', '--no-stream']);
    expect(loaded.code, loaded.stderr).toBe(0);
    expect(loaded.stdout).not.toMatch(/streamed/);
    expect(loaded.stdout).toMatch(/--no-stream/);
    const html = await node([], ['prune', EXAMPLE, '-o', 'html', '-s', '0.6', '--no-gzip', '--report', 'r.html']);
    expect(html.code, html.stderr).toBe(0);
    expect(html.stdout).not.toMatch(/streamed/);
    expect(await hashDir(path.join(root, 'auto'))).toEqual(await hashDir(path.join(root, 'forced')));
    expect(await hashDir(path.join(root, 'html'))).toEqual(await hashDir(path.join(root, 'forced')));
    // --stream with an HTML report is a usage error: the report needs the model in memory.
    const both = await node([], ['prune', EXAMPLE, '-o', 'both', '-s', '0.6', '--stream', '--report', 'b.html']);
    expect(both.code).toBe(2);
    expect(await leftovers('both')).toEqual([]);
  }, 60_000);
});

describe('--out and the input directory', () => {
  it('--out inside the input directory is allowed and leaves the input files as they were', async () => {
    const input = await exampleCopy(path.join(root, 'in'));
    const before = await hashDir(input);
    const r = await node([], ['prune', input, '-o', path.join(input, 'pruned'), '-s', '0.5', '--no-gzip']);
    expect(r.code, r.stderr).toBe(0);
    expect((await readdir(input)).sort()).toEqual([...Object.keys(before), 'pruned'].sort());
    await rename(path.join(input, 'pruned'), path.join(root, 'pruned-from-in'));
    expect(await hashDir(input)).toEqual(before);
    expect((await readdir(path.join(root, 'pruned-from-in'))).sort()).toEqual(['group1-shard1of1.bin', 'model.json']);
  });

  it('--out that contains the input directory is refused even with --force (exit 2)', async () => {
    const input = await exampleCopy(path.join(root, 'nested', 'in'));
    const before = await hashDir(input);
    const r = await node([], ['prune', input, '-o', path.join(root, 'nested'), '-s', '0.5', '--force']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/would replace the input model/);
    expect(await hashDir(input)).toEqual(before);
  });
});

describe('the progress bar', () => {
  const bar = /[\u2588\u2591]{5,}.*\d+% \| \d\/\d /;
  /** The command on a pseudo-terminal (util-linux `script`): stdout and stderr are a TTY. */
  function onTerminal(args: string[]): { status: number | null; output: string } {
    const cmd = [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(' ');
    const r = spawnSync('script', ['-qefc', cmd, '/dev/null'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, output: r.stdout };
  }

  it('is drawn on a terminal, and not with --no-progress', () => {
    const drawn = onTerminal(['prune', EXAMPLE, '-o', 'tty', '-s', '0.5']);
    expect(drawn.status, drawn.output).toBe(0);
    expect(drawn.output).toMatch(bar);
    const quiet = onTerminal(['prune', EXAMPLE, '-o', 'tty2', '-s', '0.5', '--no-progress']);
    expect(quiet.status, quiet.output).toBe(0);
    expect(quiet.output).toMatch(/wrote tty2\//);
    expect(quiet.output).not.toMatch(/[\u2588\u2591]/);
  });

  it('is not drawn when stderr is a pipe', async () => {
    const r = await node([], ['prune', EXAMPLE, '-o', 'piped', '-s', '0.5']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });
});
