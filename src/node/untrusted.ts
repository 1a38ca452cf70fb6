/// <reference types="node" />
// What keeps a model read by loadArtifacts or pruneDirectory inside itself and within bounds
// (docs/model.md, "Pruning untrusted models"): shard paths resolve, after symbolic links, inside
// the model's directory, each file listed once; shard URLs and every redirect stay on the model's
// origin; model JSON is capped in size, nesting and number of arrays and objects before it is
// parsed; weight bytes are checked against the files and capped before they are read.
import { closeSync, constants, openSync, readSync, realpathSync } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import path from 'node:path';
import { ArgumentError, ModelFormatError, ModelIOError } from '../errors.js';
import type { ByteSource } from '../format/index.js';
import type { FileSpan } from './stream_jobs.js';

export interface LoadArtifactsOptions {
  /**
   * Let shard paths leave the model's directory (absolute paths, `..`, symbolic links), and shard
   * URLs and redirects leave the model's origin. Default false. A `file:` shard of an http(s)
   * model is refused even so.
   */
  allowOutsidePaths?: boolean;
  /**
   * Most weight bytes read, checked before they are allocated. Default: for local files, the sum
   * of the shard files' sizes (no cap beyond the files themselves); for URLs, 2 GiB.
   */
  maxBytes?: number;
  /** Most bytes of model.json (or weights_manifest.json), refused before parsing. Default 32 MiB. */
  maxJsonBytes?: number;
}

export const DEFAULT_MAX_JSON_BYTES = 32 * 2 ** 20;
export const DEFAULT_MAX_URL_BYTES = 2 * 2 ** 30;
/** Deeper JSON is refused before parsing: JSON.stringify overflows V8's stack near 10^4 levels; real models nest about 10. */
export const MAX_JSON_DEPTH = 1000;
/**
 * More arrays and objects than this are refused before parsing: 32 MiB of `{},` parses into 11M
 * objects, 714 MB of heap and 13 s; real models hold 19 047 at most (facemesh-attention).
 */
export const MAX_JSON_CONTAINERS = 2 ** 20;
const MAX_REDIRECTS = 10;

export const LIMIT_KEYS = ['allowOutsidePaths', 'maxBytes', 'maxJsonBytes'];

export interface ReadLimits {
  allowOutsidePaths: boolean;
  /** null: the default of the source (the files' sizes, or DEFAULT_MAX_URL_BYTES). */
  maxBytes: number | null;
  maxJsonBytes: number;
}

export function checkLimits(fname: string, options: LoadArtifactsOptions, known: readonly string[] = LIMIT_KEYS): ReadLimits {
  if (options === null || typeof options !== 'object') throw new ArgumentError(`${fname}: options must be an object`);
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new ArgumentError(`${fname}: unknown option '${key}' (known: ${known.join(', ')})`);
  }
  const allowOutsidePaths = options.allowOutsidePaths ?? false;
  if (typeof allowOutsidePaths !== 'boolean') throw new ArgumentError(`${fname}: allowOutsidePaths must be a boolean, got ${String(allowOutsidePaths)}`);
  const { maxBytes, maxJsonBytes = DEFAULT_MAX_JSON_BYTES } = options;
  if (maxBytes !== undefined && (!Number.isSafeInteger(maxBytes) || maxBytes < 0)) throw new ArgumentError(`${fname}: maxBytes must be a non-negative integer, got ${String(maxBytes)}`);
  if (!Number.isSafeInteger(maxJsonBytes) || maxJsonBytes < 1) throw new ArgumentError(`${fname}: maxJsonBytes must be a positive integer, got ${String(maxJsonBytes)}`);
  return { allowOutsidePaths, maxBytes: maxBytes ?? null, maxJsonBytes };
}

/** The model JSON is larger than maxJsonBytes, or the weights than maxBytes. */
export function overCap(fname: string, label: string, what: string, bytes: number, cap: number, option: string): ModelFormatError {
  return new ModelFormatError('MALFORMED_MODEL', `${fname}: ${label}: ${what} ${bytes > Number.MAX_SAFE_INTEGER ? 'more than 2^53' : bytes} bytes, over the cap of ${cap} bytes (${option})`, { file: label });
}

// ---- local files -------------------------------------------------------------------------------

export function inside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/** Where a model file's shards may be: its directory, as written and after symbolic links. */
export interface ModelDir {
  file: string;
  dir: string;
  /** realpath of dir. */
  root: string;
}

export async function modelDir(file: string, fname: string): Promise<ModelDir> {
  const dir = path.dirname(file);
  const root = await realpath(dir).catch((e: NodeJS.ErrnoException) => {
    throw new ModelIOError('IO_ERROR', `${fname}: cannot read ${dir}: ${e.code ?? e.message}`, dir);
  });
  return { file, dir, root };
}

/**
 * The file a manifest path names: inside the model's directory, after symbolic links (the real
 * path is returned, and is what gets opened), unless outside paths are allowed. A path that does
 * not exist is returned as written, for the caller to report it missing.
 */
export async function shardPath(fname: string, m: ModelDir, name: string, allowOutside: boolean): Promise<string> {
  const refuse = (why: string) =>
    new ModelFormatError('MALFORMED_MODEL', `${fname}: weight path ${JSON.stringify(name)} in ${m.file} ${why}; pass allowOutsidePaths (--allow-outside-paths) to read it anyway`, { file: m.file });
  if (name.includes('\0')) throw new ModelFormatError('MALFORMED_MODEL', `${fname}: weight path ${JSON.stringify(name)} in ${m.file} holds a NUL character`, { file: m.file });
  const lexical = path.resolve(m.dir, name);
  if (allowOutside) return lexical;
  if (path.isAbsolute(name) || path.win32.isAbsolute(name)) throw refuse('is absolute, outside the model\'s directory');
  if (!inside(lexical, m.dir)) throw refuse('leaves the model\'s directory');
  const real = await realpath(lexical).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return null;
    throw new ModelIOError('IO_ERROR', `${fname}: cannot read ${lexical}: ${e.code ?? e.message}`, lexical);
  });
  if (real === null) return lexical;
  if (!inside(real, m.root)) throw refuse('leads, through a symbolic link, outside the model\'s directory');
  return real;
}

/**
 * Refuses a shard file listed a second time (by any name: the same device and inode), anywhere in
 * the manifest: legitimate models never do, and each listing would be read and allocated again, so
 * a small upload could make the reader allocate gigabytes.
 */
export function noteShard(seen: Map<string, string>, fname: string, modelFile: string, shard: string, st: { dev: number; ino: number }): void {
  const key = `${st.dev}:${st.ino}`;
  const first = seen.get(key);
  if (first !== undefined) {
    throw new ModelFormatError('MALFORMED_MODEL', `${fname}: ${modelFile} lists the weight shard ${shard} twice${first === shard ? '' : ` (also as ${first})`}`, { file: modelFile });
  }
  seen.set(key, shard);
}

/** A model file found in a directory must be in it, after symbolic links, too. */
export async function checkModelFileInside(fname: string, dir: string, file: string, allowOutside: boolean): Promise<void> {
  if (allowOutside) return;
  const [root, real] = await Promise.all([realpath(dir), realpath(file)]);
  if (!inside(real, root)) {
    throw new ModelFormatError('MALFORMED_MODEL', `${fname}: ${file} leads, through a symbolic link, outside ${dir}; pass allowOutsidePaths (--allow-outside-paths) to read it anyway`, { file });
  }
}

/** Opens a shard for reading in a worker: its real path must still be inside `root` (null: anywhere). */
export function openShardSync(fname: string, file: string, root: string | null): number {
  if (root !== null && !inside(realpathSync.native(file), root)) {
    throw new ModelFormatError('MALFORMED_MODEL', `${fname}: weight shard ${file} is outside the model's directory ${root}`, { file });
  }
  return openSync(file, root === null ? constants.O_RDONLY : constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
}

/** model.json's text: a regular file of at most maxJsonBytes, checked before reading. */
export async function readModelText(fname: string, file: string, maxJsonBytes: number): Promise<string> {
  const fail = (e: NodeJS.ErrnoException) => {
    throw new ModelIOError('IO_ERROR', `${fname}: cannot read ${file}: ${e.code ?? e.message}`, file);
  };
  const fh = await open(file, 'r').catch(fail);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new ModelIOError('IO_ERROR', `${fname}: ${file} is not a file`, file);
    if (st.size > maxJsonBytes) throw overCap(fname, file, 'the model JSON has', st.size, maxJsonBytes, 'maxJsonBytes');
    const text = await fh.readFile('utf8').catch(fail);
    if (Buffer.byteLength(text) > maxJsonBytes) throw overCap(fname, file, 'the model JSON grew to', Buffer.byteLength(text), maxJsonBytes, 'maxJsonBytes');
    return text;
  } finally {
    await fh.close();
  }
}

/** Refuses JSON nested deeper than MAX_JSON_DEPTH or holding more than MAX_JSON_CONTAINERS arrays and objects (one pass over the text, strings skipped). */
export function checkJsonShape(text: string, label: string, fname: string): void {
  let depth = 0;
  let containers = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++containers > MAX_JSON_CONTAINERS) {
        throw new ModelFormatError('MALFORMED_MODEL', `${fname}: ${label} holds more than ${MAX_JSON_CONTAINERS} arrays and objects (at character ${i})`, { file: label });
      }
      if (++depth > MAX_JSON_DEPTH) {
        throw new ModelFormatError('MALFORMED_MODEL', `${fname}: ${label} nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels (at character ${i})`, { file: label });
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
}

/**
 * Weight bytes in files, read on demand: the manifest is checked against them before any weight is
 * read. Small reads (a string tensor's element lengths, one after another) come from a 64 KiB
 * block read ahead, so a tensor of millions of strings costs a pass over its bytes, not a system
 * call per element.
 */
export class FileBytes implements ByteSource {
  readonly byteLength: number;
  private block: Uint8Array = new Uint8Array(0);
  private blockStart = 0;
  constructor(
    private readonly files: FileSpan[],
    private readonly fname: string,
  ) {
    this.byteLength = files.reduce((a, f) => a + f.size, 0);
  }

  bytes(off: number, len: number): Uint8Array {
    if (len > FileBytes.BLOCK) return this.read(off, len);
    if (off < this.blockStart || off + len > this.blockStart + this.block.length) {
      this.block = this.read(off, Math.max(len, Math.min(FileBytes.BLOCK, this.byteLength - off)));
      this.blockStart = off;
    }
    // A view: the block is replaced, never written, so earlier views stay valid.
    return this.block.subarray(off - this.blockStart, off - this.blockStart + len);
  }

  private static readonly BLOCK = 64 * 1024;

  private read(off: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    let done = 0;
    for (const f of this.files) {
      if (done === len) break;
      const pos = off + done - f.start;
      if (pos < 0 || pos >= f.size) continue;
      const n = Math.min(f.size - pos, len - done);
      const fd = openSync(f.path, 'r');
      try {
        let got = 0;
        while (got < n) {
          const r = readSync(fd, out, done + got, n - got, pos + got);
          if (r === 0) throw new ModelIOError('IO_ERROR', `${this.fname}: ${f.path} ended early`, f.path);
          got += r;
        }
      } finally {
        closeSync(fd);
      }
      done += n;
    }
    return out;
  }
}

// ---- URLs --------------------------------------------------------------------------------------

/** A URL the model may fetch: http(s) only, on the model's origin unless allowed. */
export function checkUrl(fname: string, target: URL, model: URL, allowOutside: boolean, what: string): void {
  const refuse = (why: string) => new ModelFormatError('MALFORMED_MODEL', `${fname}: ${what} ${target.href} ${why}`, { file: target.href });
  if (target.protocol === 'file:') throw refuse(`is a file: URL, which a model fetched from ${model.origin} may never read`);
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw refuse(`has the scheme ${target.protocol} (only http: and https: are fetched)`);
  if (!allowOutside && target.origin !== model.origin) {
    throw refuse(`is on another origin than the model (${model.origin}); pass allowOutsidePaths (--allow-outside-paths) to fetch it anyway`);
  }
}

export interface Fetched {
  url: URL;
  status: number;
  statusText: string;
  /** The body, when the status is 2xx. */
  bytes: Uint8Array | null;
}

/**
 * GET `url`, following redirects one hop at a time through checkUrl, and reading at most `limit`
 * bytes of the body (a larger Content-Length is refused before reading, a longer body as soon as
 * it passes the limit).
 */
export async function fetchWithin(fname: string, url: URL, model: URL, allowOutside: boolean, what: string, limit: { bytes: number; option: string }): Promise<Fetched> {
  let u = url;
  for (let hop = 0; ; hop++) {
    checkUrl(fname, u, model, allowOutside, hop === 0 ? what : `${what} ${url.href} redirects to`);
    let res: Response;
    try {
      res = await fetch(u, { redirect: 'manual' });
    } catch (e) {
      throw new ModelIOError('IO_ERROR', `${fname}: cannot fetch ${what} ${u.href}: ${(e as Error).message}`, u.href);
    }
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location !== null) {
      await res.body?.cancel();
      if (hop === MAX_REDIRECTS) throw new ModelIOError('IO_ERROR', `${fname}: ${what} ${url.href}: more than ${MAX_REDIRECTS} redirects`, url.href);
      u = new URL(location, u);
      continue;
    }
    if (!res.ok) {
      await res.body?.cancel();
      return { url: u, status: res.status, statusText: res.statusText, bytes: null };
    }
    return { url: u, status: res.status, statusText: res.statusText, bytes: await readBody(fname, res, u, what, limit) };
  }
}

async function readBody(fname: string, res: Response, u: URL, what: string, limit: { bytes: number; option: string }): Promise<Uint8Array> {
  // Content-Length counts encoded bytes; the cap counts decoded ones (checked as they stream in).
  const encoded = (res.headers.get('content-encoding') ?? 'identity') !== 'identity';
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (!encoded && declared > limit.bytes) {
    await res.body?.cancel();
    throw overCap(fname, u.href, `the ${what} announces`, declared, limit.bytes, limit.option);
  }
  const parts: Uint8Array[] = [];
  let total = 0;
  if (res.body !== null) {
    const reader = res.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.length;
        if (total > limit.bytes) {
          await reader.cancel();
          throw overCap(fname, u.href, `the ${what} sent more than`, limit.bytes, limit.bytes, limit.option);
        }
        parts.push(value);
      }
    } catch (e) {
      if (e instanceof ModelFormatError) throw e;
      throw new ModelIOError('IO_ERROR', `${fname}: cannot read ${what} ${u.href}: ${(e as Error).message}`, u.href);
    }
  }
  const all = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    all.set(p, off);
    off += p.length;
  }
  return all;
}
