/// <reference types="node" />
// File-system helpers of the bin: atomic file writes, checks that outputs never touch inputs, and
// cleanup of whatever a failed or interrupted run created.
import { readdir, rename, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArgumentError, ModelIOError } from '../node.js';

export const exists = (p: string) => stat(p).then(() => true, () => false);

/** A local input path (null for http(s) URLs); file: URLs become paths. */
export function localInput(input: string): string | null {
  if (/^https?:\/\//i.test(input)) return null;
  if (/^file:\/\//i.test(input)) return fileURLToPath(input);
  return path.resolve(input);
}

/** The directory holding the input model (the path itself if it is a directory). */
export async function inputDir(local: string): Promise<string> {
  const st = await stat(local).catch(() => null);
  return st?.isDirectory() ? local : path.dirname(local);
}

function inside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Refuses an output directory that would replace or contain the input (--force would delete it)
 * and an output that exists without --force.
 */
export async function checkOutputDir(out: string, input: string | null, force: boolean): Promise<void> {
  if (input !== null) {
    const dir = await inputDir(input);
    if (inside(dir, out)) throw new ArgumentError(`--out ${out} would replace the input model in ${dir}; choose another directory`);
  }
  const st = await stat(out).catch(() => null);
  if (st !== null && !force) throw new ModelIOError('OUTPUT_EXISTS', `output ${out} exists; pass --force to replace it`, out);
  if (st !== null && !st.isDirectory()) throw new ModelIOError('OUTPUT_EXISTS', `output ${out} exists and is not a directory`, out);
}

export type ReportKind = 'html' | 'json';

export function reportKind(file: string): ReportKind {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.html' || ext === '.htm') return 'html';
  if (ext === '.json') return 'json';
  throw new ArgumentError(`--report ${file}: the name must end in .html or .json`);
}

/** A report file may exist only with --force, and never be one of the input's files. */
export async function checkReportFile(file: string, input: string | null, force: boolean): Promise<void> {
  reportKind(file);
  if (input !== null && (await exists(file))) {
    const dir = await inputDir(input);
    if (path.dirname(file) === dir) throw new ArgumentError(`--report ${file} is in the input model's directory, where it could replace one of its files`);
  }
  const st = await stat(file).catch(() => null);
  if (st === null) return;
  if (st.isDirectory()) throw new ModelIOError('OUTPUT_EXISTS', `report ${file} is a directory`, file);
  if (!force) throw new ModelIOError('OUTPUT_EXISTS', `report ${file} exists; pass --force to replace it`, file);
}

/** Writes through a temporary file in the same directory, renamed into place. */
export async function writeFileAtomic(file: string, text: string | Uint8Array): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}`);
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(tmp, text);
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    const err = e as NodeJS.ErrnoException;
    throw new ModelIOError('IO_ERROR', `cannot write ${file}: ${err.code ?? err.message}`, file);
  }
}

/**
 * saveArtifacts writes into `.<name>.tmp-*` beside the output and renames at the end; an
 * interrupted run can leave that behind. Lists them so the ones this run created can be removed.
 */
export async function tempSiblings(out: string): Promise<Set<string>> {
  const parent = path.dirname(out);
  const prefix = `.${path.basename(out)}.tmp-`;
  const names = await readdir(parent).catch(() => [] as string[]);
  return new Set(names.filter((n) => n.startsWith(prefix)).map((n) => path.join(parent, n)));
}

export async function removeNewTempSiblings(out: string, before: Set<string>): Promise<void> {
  // Retried: pruneDirectory's thread pool may still be creating shards in the temporary directory
  // (ENOTEMPTY when a file appears between the listing and the rmdir); once it is gone, they fail.
  for (const p of await tempSiblings(out)) if (!before.has(p)) await rm(p, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
}

/**
 * Runs `write`, an atomic writer of the directory `out`, so that a later failure of the command
 * removes what it left: the temporary siblings while it runs, the finished directory after.
 */
export async function writeOutputDir<T>(out: string, onFailure: (fn: () => Promise<void>) => void, write: () => Promise<T>): Promise<T> {
  const temps = await tempSiblings(out);
  onFailure(() => removeNewTempSiblings(out, temps));
  const result = await write();
  onFailure(() => rm(out, { recursive: true, force: true }));
  return result;
}
