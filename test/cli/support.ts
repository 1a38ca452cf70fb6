// Runs the built bin (dist/cli.mjs, built by `pretest`) as a subprocess, and makes model
// directories to run it on: copies of the bundled example, broken in the ways users meet.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mnistDataDir } from '../../src/node.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = path.join(ROOT, 'dist', 'cli.mjs');
export const EXAMPLE = path.join(ROOT, 'examples', 'mnist-mlp');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node dist/cli.mjs ...args` in `cwd`, stdin closed, stdout and stderr pipes (not a TTY). */
export function cli(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** sha256 of every file in a directory, by name: to show that inputs are never modified. */
export async function hashDir(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) out[name] = createHash('sha256').update(await readFile(path.join(dir, name))).digest('hex');
  return out;
}

/** A copy of the example model in `dir`, its shard changed by `edit` (bytes). */
export async function exampleCopy(dir: string, edit?: (shard: Buffer) => Buffer | void): Promise<string> {
  await cp(EXAMPLE, dir, { recursive: true });
  if (edit) {
    const file = path.join(dir, 'group1-shard1of1.bin');
    const bytes = await readFile(file);
    await writeFile(file, edit(bytes) ?? bytes);
  }
  return dir;
}

/** The error line contract: one line, names the error, no stack trace. */
export function oneErrorLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  if (lines.length !== 1) throw new Error(`expected one line on stderr, got ${lines.length}:\n${stderr}`);
  if (!lines[0].startsWith('tfjs-prune: ')) throw new Error(`expected 'tfjs-prune: ...', got ${lines[0]}`);
  return lines[0];
}

/** The first `count` MNIST training images as an IDX file of their own (uint8 [count, 28, 28]) in `dir`: a calibration file. */
export async function mnistCalibration(dir: string, count: number): Promise<string> {
  const images = await readFile(path.join(mnistDataDir(), 'train-images-idx3-ubyte'));
  const head = Buffer.alloc(16);
  head.writeUInt32BE(0x00000803, 0);
  head.writeUInt32BE(count, 4);
  head.writeUInt32BE(28, 8);
  head.writeUInt32BE(28, 12);
  const file = path.join(dir, 'calib-idx3-ubyte');
  await writeFile(file, Buffer.concat([head, images.subarray(16, 16 + count * 784)]));
  return file;
}
