// Fuzzing what reads a model from disk (loadArtifacts, and pruneDirectory's streaming reader) with
// generated malformed models: bad JSON, wrong types, shapes that disagree with the bytes, missing,
// short, long or directory shards, unknown dtypes and quantizations, NaN weights. Every failure
// must be a PruneError with a message, never another exception, a hang or a partial output.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/index.js';
import { loadArtifacts, PruneError, pruneDirectory } from '../../src/node.js';

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
