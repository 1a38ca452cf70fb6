// What the runtime suites share: where the runtimes' binaries are, running a script in one and
// reading the JSON line it prints, and serving a workerd config on a free port.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

export const exec = promisify(execFile);
export const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, '../..');
export const bin = (name: string) => join(root, 'node_modules', '.bin', name);
const CI = process.env.CI === 'true';
/** A test that needs a runtime's binary: skipped only where it is absent, and never in CI. */
export const whenBinary = (name: string) => (existsSync(bin(name)) || CI ? it : it.skip);

/** The last line of a script's output, parsed as JSON. */
export const lastJson = (stdout: string): unknown => JSON.parse(stdout.trim().split('\n').at(-1) ?? '');

/** Runs `cmd args` in `dir` and parses the last line it prints as JSON. */
export async function runJson(dir: string, cmd: string, args: string[]): Promise<unknown> {
  const env = { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', DENO_DIR: join(dir, '.deno') };
  const { stdout } = await exec(cmd, args, { cwd: dir, env, timeout: 30_000 });
  return lastJson(stdout);
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });
}

/** GET `url` once the workerd `child` answers (20 s at most; its log in the error otherwise). */
async function fetchWhenUp(url: string, child: ChildProcess, log: () => string): Promise<Response> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`workerd exited with ${child.exitCode}:\n${log()}`);
    try {
      return await fetch(url);
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`workerd did not answer on ${url}:\n${log()}`, { cause: e });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * Serves a worker with workerd (from its npm package) on a free port of 127.0.0.1: `modules` are
 * the config's module lines (`(name = "worker.mjs", esModule = embed "worker.mjs")`, ...), paths
 * relative to `dir`. `get(path)` expects 200 and returns the body parsed as JSON.
 */
export async function serveWorkerd(dir: string, modules: string[]): Promise<{ get(path: string): Promise<unknown>; stop(): void }> {
  const port = await freePort();
  writeFileSync(join(dir, 'config.capnp'), [
    'using Workerd = import "/workerd/workerd.capnp";',
    'const config :Workerd.Config = (',
    '  services = [ (name = "main", worker = .w) ],',
    `  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],`,
    ');',
    'const w :Workerd.Worker = (',
    '  modules = [',
    ...modules.map((m) => `    ${m},`),
    '  ],',
    '  compatibilityDate = "2025-01-01",',
    ');',
  ].join('\n'));
  const child = spawn(bin('workerd'), ['serve', 'config.capnp'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  return {
    async get(path) {
      const res = await fetchWhenUp(`http://127.0.0.1:${port}${path}`, child, () => log);
      const body = await res.text();
      expect(res.status, body).toBe(200);
      return JSON.parse(body);
    },
    stop: () => child.kill('SIGTERM'),
  };
}
