// Fuzzing what reads a model from disk (loadArtifacts, and pruneDirectory's streaming reader) with
// generated malformed models: bad JSON, wrong types, shapes that disagree with the bytes, missing,
// short, long or directory shards, unknown dtypes and quantizations, NaN weights. Every failure
// must be a PruneError with a message, never another exception, a hang or a partial output.
// Then hostile models (docs/model.md, "Pruning untrusted models"): paths escaping the model, huge
// declared sizes, deep or oversized JSON, duplicate names, shapes with zeros, negatives, NaN.
import { existsSync, mkdirSync, readdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EXIT, exitCodeOf } from '../../src/cli/exit.js';
import { init } from '../../src/index.js';
import { loadArtifacts, PruneError, pruneDirectory, type LoadArtifactsOptions } from '../../src/node.js';
import { cli } from '../cli/support.js';

// Every file the library opens in this thread, as named to open / readFile / openSync / readFileSync.
const opened = vi.hoisted(() => [] as string[]);
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const open = ((p: string, ...rest: never[]) => (opened.push(String(p)), real.open(p, ...rest))) as typeof real.open;
  const readFile = ((p: string, ...rest: never[]) => (opened.push(String(p)), real.readFile(p, ...rest))) as typeof real.readFile;
  return { ...real, default: { ...real, open, readFile }, open, readFile };
});
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const openSync = ((p: string, ...rest: never[]) => (opened.push(String(p)), real.openSync(p, ...rest))) as typeof real.openSync;
  const readFileSync = ((p: string, ...rest: never[]) => (opened.push(String(p)), real.readFileSync(p, ...rest))) as typeof real.readFileSync;
  return { ...real, default: { ...real, openSync, readFileSync }, openSync, readFileSync };
});

let root: string;
let n = 0;

beforeAll(async () => {
  await init();
  root = await mkdtemp(path.join(tmpdir(), 'tfjs-prune-fuzz-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const DTYPES = ['float32', 'int32', 'bool', 'string', 'complex64', 'float16', 'uint8', 'int64', '', 42, null];
const QUANT = [undefined, { dtype: 'uint8', scale: 0.01, min: -1 }, { dtype: 'uint16', scale: 1e-4, min: -2 }, { dtype: 'float16' }, { dtype: 'int4' }, { dtype: 'uint8', scale: 'x', min: 0 }, { dtype: 'uint8' }, null, 7];

/** A spec: mostly sensible, sometimes not at all. */
const spec = fc.record({
  name: fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom('dense/kernel', 'dense/bias', 'conv/kernel', 'emb/embeddings', 'x') },
    fc.string({ maxLength: 6 }),
    fc.constant(undefined),
    fc.integer(),
  ),
  shape: fc.oneof(
    { weight: 6, arbitrary: fc.array(fc.integer({ min: 0, max: 12 }), { maxLength: 3 }) },
    fc.array(fc.oneof(fc.integer({ min: -3, max: 5 }), fc.double({ min: -2, max: 1e30 }), fc.constant('3'), fc.constant(null)), { maxLength: 3 }),
    fc.constant('3x3'),
    fc.constant(undefined),
  ),
  dtype: fc.oneof({ weight: 4, arbitrary: fc.constant('float32') }, fc.constantFrom(...DTYPES)),
  quantization: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, fc.constantFrom(...QUANT)),
});

/** What the shards hold relative to what the specs describe. */
const shardPlan = fc.record({
  /** Bytes added (positive) or removed (negative) at the end. */
  delta: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, fc.integer({ min: -9, max: 9 })),
  /** Cut the bytes into this many files. */
  files: fc.integer({ min: 0, max: 3 }),
  /** Paths listed: the files, or broken lists. */
  paths: fc.oneof({ weight: 4, arbitrary: fc.constant('ok') }, fc.constantFrom('missing', 'dir', 'number', 'empty', 'notarray', 'extra')),
  nan: fc.boolean(),
  seed: fc.integer(),
});

const topLevel = fc.oneof(
  { weight: 6, arbitrary: fc.constant('model') },
  fc.constantFrom('manifest', 'badjson', 'nomanifest', 'manifestnotarray', 'groupnotobject', 'weightsnotarray', 'topologynull', 'empty'),
  fc.jsonValue({ maxDepth: 2 }).map((v) => ({ raw: v })),
);

interface Case {
  specs: Record<string, unknown>[];
  shards: { delta: number; files: number; paths: string; nan: boolean; seed: number };
  top: string | { raw: unknown };
}

const cases = fc.record({ specs: fc.array(spec, { maxLength: 4 }), shards: shardPlan, top: topLevel }) as fc.Arbitrary<Case>;

function bytesFor(s: Record<string, unknown>): number {
  const shape = Array.isArray(s.shape) ? (s.shape as unknown[]) : [];
  const size = shape.reduce<number>((a, d) => a * (typeof d === 'number' && d >= 0 && d < 64 ? Math.floor(d) : 1), 1);
  const q = s.quantization as { dtype?: string } | undefined | null;
  const per = q && typeof q === 'object' && q.dtype ? (q.dtype === 'uint8' ? 1 : 2) : s.dtype === 'bool' ? 1 : s.dtype === 'complex64' ? 8 : s.dtype === 'string' ? 5 : 4;
  return size * per;
}

/** Writes the case as a model directory. */
function writeCase(c: Case): string {
  const dir = path.join(root, `case-${n++}`);
  mkdirSync(dir);
  const total = Math.max(0, c.specs.reduce((a, s) => a + bytesFor(s), 0) + c.shards.delta);
  const bytes = new Uint8Array(total);
  let x = c.shards.seed | 1;
  for (let i = 0; i < total; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  // Float32 patterns mostly finite (exponent bytes tamed), one NaN if asked.
  for (let i = 3; i < total; i += 4) bytes[i] = bytes[i] & 0x3f;
  if (c.shards.nan && total >= 4) new DataView(bytes.buffer).setUint32(0, 0x7fc00000, true);
  const names: string[] = [];
  const k = c.shards.files;
  for (let f = 0; f < k; f++) {
    const name = `group1-shard${f + 1}of${k}.bin`;
    names.push(name);
    writeFileSync(path.join(dir, name), bytes.subarray(Math.floor((f * total) / k), Math.floor(((f + 1) * total) / k)));
  }
  mkdirSync(path.join(dir, 'sub'));
  let paths: unknown = names;
  switch (c.shards.paths) {
    case 'missing':
      paths = [...names, 'nope.bin'];
      break;
    case 'dir':
      paths = ['sub', ...names];
      break;
    case 'number':
      paths = [1, ...names];
      break;
    case 'empty':
      paths = [''];
      break;
    case 'notarray':
      paths = 'group1-shard1of1.bin';
      break;
    case 'extra':
      paths = [...names, ...names];
      break;
  }
  const manifest = [{ paths, weights: c.specs }];
  const model = { format: 'layers-model', modelTopology: { class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'Dense', config: { name: 'dense' } }] } }, weightsManifest: manifest };
  let text: string;
  if (typeof c.top === 'object') text = JSON.stringify(c.top.raw);
  else {
    switch (c.top) {
      case 'manifest':
        text = JSON.stringify(manifest);
        break;
      case 'badjson':
        text = JSON.stringify(model).slice(0, 40);
        break;
      case 'nomanifest':
        text = JSON.stringify({ ...model, weightsManifest: undefined });
        break;
      case 'manifestnotarray':
        text = JSON.stringify({ ...model, weightsManifest: { paths } });
        break;
      case 'groupnotobject':
        text = JSON.stringify({ ...model, weightsManifest: [null] });
        break;
      case 'weightsnotarray':
        text = JSON.stringify({ ...model, weightsManifest: [{ paths, weights: {} }] });
        break;
      case 'topologynull':
        text = JSON.stringify({ ...model, modelTopology: null });
        break;
      case 'empty':
        text = '';
        break;
      default:
        text = JSON.stringify(model);
    }
  }
  writeFileSync(path.join(dir, typeof c.top === 'string' && c.top === 'manifest' ? 'weights_manifest.json' : 'model.json'), text);
  return dir;
}

function expectPruneError(e: unknown): void {
  if (!(e instanceof PruneError)) throw new Error(`not a PruneError: ${(e as Error)?.stack ?? String(e)}`);
  expect(e.message.length).toBeGreaterThan(10);
  expect(e.message).toMatch(/^(loadArtifacts|pruneDirectory)[:]/);
}

describe('model readers on generated malformed models', () => {
  it('loadArtifacts: a model or a PruneError', async () => {
    await fc.assert(
      fc.asyncProperty(cases, async (c) => {
        const dir = writeCase(c);
        try {
          await loadArtifacts(dir);
        } catch (e) {
          expectPruneError(e);
        }
      }),
      { numRuns: 200, seed: 20261125 },
    );
  });

  it('pruneDirectory: the output or a PruneError, never a partial output', async () => {
    await fc.assert(
      fc.asyncProperty(cases, fc.constantFrom<[number, number | undefined]>([0, undefined], [0, 7], [0, 100]), fc.constantFrom('layer' as const, 'global' as const), async (c, [threads, chunkBytes], scope) => {
        const dir = writeCase(c);
        const out = `${dir}-out`;
        // The same verdict as the in-memory path: both succeed or both fail.
        const loaded = await loadArtifacts(dir).then(
          () => true,
          () => false,
        );
        let error: unknown = null;
        await pruneDirectory(dir, out, { sparsity: 0.5, scope }, { threads, chunkBytes }).catch((e: unknown) => (error = e));
        if (error === null) {
          expect(loaded).toBe(true);
          expect(readdirSync(out).filter((f) => f.endsWith('.json'))).toHaveLength(1);
          return;
        }
        expectPruneError(error);
        // A model that loads fails to prune only for NaN weights.
        if (loaded) expect((error as PruneError).code).toBe('NAN_WEIGHTS');
        expect(readdirSync(root).filter((f) => f.startsWith(path.basename(out)) || f.startsWith(`.${path.basename(out)}`))).toEqual([]);
      }),
      { numRuns: 200, seed: 20261126 },
    );
  });
});

// ---- hostile models ----------------------------------------------------------------------------

/** 16 finite float32 weights: what a path escaping the model would read. */
const SECRET = new Uint8Array(new Float32Array(Array.from({ length: 16 }, (_, i) => (i % 7) - 3.25)).buffer);
const ESCAPING = ['abs', 'dotdot', 'dotdot-sub', 'symlink', 'symlink-dir'] as const;
const HOSTILE_SHAPES: unknown[][] = [[0], [0, 4], [4, 0, 4], [-4, 4], [4, -1], [null], ['NaN'], [4.5], [2 ** 31, 2 ** 31, 2 ** 31], [2 ** 40], [2 ** 53], [1e300, 1e300, 0], [2 ** 26, 2 ** 26]];

interface Hostile {
  path: 'ok' | (typeof ESCAPING)[number] | 'nul';
  shape: unknown[];
  dup: 'none' | 'same-group' | 'other-group';
  depth: number;
  pad: number;
  maxJsonBytes: number | undefined;
  maxBytes: number | undefined;
}

const hostile = fc.record({
  path: fc.oneof({ weight: 3, arbitrary: fc.constant('ok' as const) }, fc.constantFrom(...ESCAPING, 'nul' as const)),
  shape: fc.oneof({ weight: 3, arbitrary: fc.constant([4, 4]) }, fc.constantFrom(...HOSTILE_SHAPES)),
  dup: fc.oneof({ weight: 3, arbitrary: fc.constant('none' as const) }, fc.constantFrom('same-group' as const, 'other-group' as const)),
  depth: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, fc.integer({ min: 900, max: 1100 }), fc.integer({ min: 1, max: 50000 })),
  pad: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, fc.integer({ min: 0, max: 20000 })),
  maxJsonBytes: fc.constantFrom(undefined, 4096, 16384),
  maxBytes: fc.constantFrom(undefined, undefined, 0, 63, 64, 127, 128, 2 ** 40),
}) as fc.Arbitrary<Hostile>;

/** Elements of a shape as the manifest reader counts them, or null for a shape it refuses. */
function elements(shape: unknown[]): number | null {
  if (!shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) return null;
  if (shape.includes(0)) return 0;
  const size = (shape as number[]).reduce((a, b) => a * b, 1);
  return Number.isSafeInteger(size) ? size : null;
}

let outside: string;
let h = 0;

/** A model directory (and the JSON written, and the path listed); the shards hold what the specs describe when that is small. */
function writeHostile(c: Hostile): { dir: string; text: string; listed: string } {
  const dir = path.join(root, `hostile-${h++}`);
  mkdirSync(dir);
  symlinkSync(path.join(outside, 'secret.bin'), path.join(dir, 'link.bin'));
  symlinkSync(outside, path.join(dir, 'linkdir'));
  const listed = {
    ok: 'group1-shard1of1.bin',
    abs: path.join(outside, 'secret.bin'),
    dotdot: '../outside/secret.bin',
    'dotdot-sub': 'linkdir/../../outside/secret.bin',
    symlink: 'link.bin',
    'symlink-dir': 'linkdir/secret.bin',
    nul: 'a\0.bin',
  }[c.path];
  const size = elements(c.shape);
  const first = size !== null && size <= 64 ? size * 4 : 64;
  writeFileSync(path.join(dir, 'group1-shard1of1.bin'), SECRET.subarray(0, Math.min(64, first)));
  const kernel = { name: 'dense/kernel', shape: c.shape, dtype: 'float32' };
  const twin = { name: 'dense/kernel', shape: [4, 4], dtype: 'float32' };
  const groups: { paths: string[]; weights: unknown[] }[] = [{ paths: [listed], weights: c.dup === 'same-group' ? [kernel, twin] : [kernel] }];
  if (c.dup === 'same-group') writeFileSync(path.join(dir, 'group1-shard1of1.bin'), new Uint8Array([...SECRET.subarray(0, Math.min(64, first)), ...SECRET]));
  if (c.dup === 'other-group') {
    writeFileSync(path.join(dir, 'group2-shard1of1.bin'), SECRET);
    groups.push({ paths: ['group2-shard1of1.bin'], weights: [twin] });
  }
  const model = { format: 'layers-model', modelTopology: { class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'Dense', config: { name: 'dense' } }] } }, weightsManifest: groups };
  let text = JSON.stringify(model).slice(0, -1);
  if (c.depth > 0) text += `,"userDefinedMetadata":{"deep":${'['.repeat(c.depth)}"]}"${']'.repeat(c.depth)}}`;
  if (c.pad > 0) text += `,"generatedBy":"${'x'.repeat(c.pad)}"`;
  text += '}';
  writeFileSync(path.join(dir, 'model.json'), text);
  return { dir, text, listed };
}

/** What must happen, in the readers' order of checks: the error code and what its message says, or null (the model loads). */
function verdict(c: Hostile, text: string, listed: string): { code: string; message: RegExp } | null {
  const jsonCap = c.maxJsonBytes ?? 32 * 2 ** 20;
  if (Buffer.byteLength(text) > jsonCap) return { code: 'MALFORMED_MODEL', message: /over the cap of \d+ bytes \(maxJsonBytes\)/ };
  if (c.depth + 2 > 1000) return { code: 'MALFORMED_MODEL', message: /nests arrays or objects deeper than 1000 levels/ };
  if (c.path === 'nul') return { code: 'MALFORMED_MODEL', message: /holds a NUL character/ };
  if (c.path !== 'ok') return { code: 'MALFORMED_MODEL', message: new RegExp(`weight path ${JSON.stringify(listed).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} in .* (is absolute|leaves the model's directory|leads, through a symbolic link, outside)`) };
  const size = elements(c.shape);
  const first = size !== null && size <= 64 ? size * 4 : 64;
  const group1 = first + (c.dup === 'same-group' ? 64 : 0);
  if (c.maxBytes !== undefined && group1 > c.maxBytes) return { code: 'MALFORMED_MODEL', message: /over the cap of \d+ bytes \(maxBytes\)/ };
  if (size === null) return { code: 'MALFORMED_MODEL', message: /shape must be an array of non-negative integers|more elements than 2\^53/ };
  if (size > 64) return { code: 'WEIGHTS_MISMATCH', message: /needs bytes 0\.\.\d+ of the weight data, but the weight data ends at byte/ };
  if (c.dup === 'same-group') return { code: 'MALFORMED_MODEL', message: /the name appears twice in the manifest/ };
  if (c.dup === 'other-group' && c.maxBytes !== undefined && group1 + 64 > c.maxBytes) return { code: 'MALFORMED_MODEL', message: /over the cap of \d+ bytes \(maxBytes\)/ };
  if (c.dup === 'other-group') return { code: 'MALFORMED_MODEL', message: /appears in two weight groups/ };
  return null;
}

/** Files under outside/ that were opened since `from`. */
function openedOutside(from: number): string[] {
  return opened.slice(from).filter((p) => {
    try {
      return realpathSync(p).startsWith(`${realpathSync(outside)}${path.sep}`);
    } catch {
      return false;
    }
  });
}

const options = (c: Hostile, extra: LoadArtifactsOptions = {}): LoadArtifactsOptions => ({
  ...(c.maxBytes === undefined ? {} : { maxBytes: c.maxBytes }),
  ...(c.maxJsonBytes === undefined ? {} : { maxJsonBytes: c.maxJsonBytes }),
  ...extra,
});

describe('hostile models: refused with a named error, nothing read outside, nothing allocated past the cap, no output', () => {
  beforeAll(() => {
    outside = path.join(root, 'outside');
    mkdirSync(outside);
    writeFileSync(path.join(outside, 'secret.bin'), SECRET);
  });

  it('loadArtifacts and pruneDirectory (0 and 2 threads) reach the same verdict, the expected one', async () => {
    let escapesRead = 0;
    await fc.assert(
      fc.asyncProperty(hostile, fc.constantFrom(0, 2), async (c, threads) => {
        const { dir, text, listed } = writeHostile(c);
        const want = verdict(c, text, listed);
        const from = opened.length;
        const loaded = await loadArtifacts(dir, options(c)).then(
          () => null,
          (e: unknown) => e,
        );
        const out = `${dir}-out`;
        const pruned = await pruneDirectory(dir, out, { sparsity: 0.5 }, { ...options(c), threads }).then(
          () => null,
          (e: unknown) => e,
        );
        expect(openedOutside(from)).toEqual([]);
        if (want === null) {
          expect(loaded).toBeNull();
          expect(pruned).toBeNull();
          expect(existsSync(path.join(out, 'model.json'))).toBe(true);
          return;
        }
        for (const [fname, e] of [['loadArtifacts', loaded], ['pruneDirectory', pruned]] as const) {
          if (!(e instanceof PruneError)) throw new Error(`${fname}: expected a PruneError, got ${e === null ? 'success' : (e as Error)?.stack}`);
          expect(e.code).toBe(want.code);
          expect(e.message).toMatch(new RegExp(`^${fname}: `));
          expect(e.message).toMatch(want.message);
        }
        expect((pruned as Error).message.replace(/^pruneDirectory/, '')).toBe((loaded as Error).message.replace(/^loadArtifacts/, ''));
        expect(readdirSync(root).filter((f) => f === path.basename(out) || f.startsWith(`.${path.basename(out)}.tmp-`))).toEqual([]);
        // The opt-in reads what the path names: the spy sees it, so it would see a read above.
        if (ESCAPING.includes(c.path as (typeof ESCAPING)[number]) && want.message.source.startsWith('weight path')) {
          const again = opened.length;
          const allowed = await loadArtifacts(dir, options(c, { allowOutsidePaths: true })).then(
            (a) => a,
            () => null,
          );
          expect(openedOutside(again).length).toBeGreaterThan(0);
          if (allowed !== null) escapesRead++;
        }
      }),
      { numRuns: 150, seed: 20261207 },
    );
    expect(escapesRead).toBeGreaterThan(0);
  });

  it('the CLI: the exit status of the error kind, one error line, no output', async () => {
    await fc.assert(
      fc.asyncProperty(hostile, fc.boolean(), async (c, stream) => {
        const { dir, text, listed } = writeHostile({ ...c, maxJsonBytes: undefined });
        const want = verdict({ ...c, maxJsonBytes: undefined }, text, listed);
        const args = ['prune', dir, '--out', 'cli-out', '--sparsity', '0.5', '--no-gzip', ...(stream ? ['--stream', '--threads', '1'] : [])];
        if (c.maxBytes !== undefined) args.push('--max-bytes', String(c.maxBytes));
        const r = await cli(args, dir);
        if (want === null) {
          expect(r.code).toBe(EXIT.OK);
          return;
        }
        expect(r.code).toBe(exitCodeOf(new PruneError(want.code as 'MALFORMED_MODEL', '')));
        expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
        expect(r.stderr).toMatch(want.message);
        expect(existsSync(path.join(dir, 'cli-out'))).toBe(false);
      }),
      { numRuns: 16, seed: 20261208 },
    );
  }, 120_000);
});
