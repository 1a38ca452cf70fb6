// Every bad input gets a PruneError that names the file, tensor and byte offset, and nothing is
// written: malformed model.json, missing or short shards, manifest/shape/byte-length mismatches,
// unknown dtypes or quantizations, NaN weights, sparsities outside [0, 1], patterns that match
// nothing.
import { mkdtemp, mkdir, readdir, readFile, rm, stat, truncate, unlink, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/index.js';
import { loadArtifacts, saveArtifacts } from '../../src/node.js';
import { ArgumentError, ModelFormatError, NaNWeightsError, PruneError, pruneArtifacts } from '../../src/tfjs.js';
import { ModelIOError } from '../../src/errors.js';
import { makeArtifacts, randn, snapshot, type TensorInit } from './support.js';

let root: string;
let n = 0;
const fresh = () => path.join(root, `m${n++}`);

const tensors = (): TensorInit[] => [
  { name: 'a/kernel', shape: [16, 8], values: randn(128, 1) },
  { name: 'a/bias', shape: [8], values: randn(8, 2) },
  { name: 'b/kernel', shape: [8, 4], values: randn(32, 3) },
];

/** A saved model (shards of 200 bytes) to break in various ways. */
async function saved(t = tensors()): Promise<string> {
  const dir = fresh();
  await saveArtifacts(dir, makeArtifacts(t, { topology: { node: [] }, format: 'graph-model' }), { shardBytes: 200 });
  return dir;
}

async function modelJson(dir: string, edit: (j: Record<string, any>) => void): Promise<void> {
  const p = path.join(dir, 'model.json');
  const j = JSON.parse(await (await import('node:fs/promises')).readFile(p, 'utf8'));
  edit(j);
  await writeFile(p, JSON.stringify(j));
}

async function caught(p: Promise<unknown>): Promise<PruneError> {
  const e = await p.then(
    () => null,
    (x) => x,
  );
  expect(e).toBeInstanceOf(PruneError);
  return e as PruneError;
}

it('asks for init() before any work', async () => {
  const e = await caught(pruneArtifacts(makeArtifacts(tensors()), { sparsity: 0.5 }));
  expect(e.code).toBe('WASM_NOT_INITIALIZED');
});

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'tfjs-prune-err-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('reading model files', () => {
  beforeAll(async () => {
    await init();
  });

  it('malformed model.json: invalid JSON, wrong shapes of fields', async () => {
    const dir = await saved();
    const file = path.join(dir, 'model.json');
    await writeFile(file, '{"modelTopology": {}, "weightsManifest": [');
    let e = await caught(loadArtifacts(dir));
    expect(e).toBeInstanceOf(ModelFormatError);
    expect(e.code).toBe('MALFORMED_MODEL');
    expect((e as ModelFormatError).file).toBe(file);
    expect(e.message).toContain('is not valid JSON');

    for (const [edit, text] of [
      [(j: any) => delete j.weightsManifest, /no weightsManifest/],
      [(j: any) => (j.weightsManifest = {}), /weightsManifest must be an array/],
      [(j: any) => (j.weightsManifest[0].paths = 'x.bin'), /weightsManifest\[0\]\.paths/],
      [(j: any) => (j.weightsManifest[0].weights[1].shape = [8, -1]), /tensor 'a\/bias' \(weight spec 1\): shape/],
      [(j: any) => delete j.weightsManifest[0].weights[2].name, /weight spec 2 has no name/],
      [(j: any) => (j.modelTopology = 'graph'), /modelTopology must be an object/],
    ] as const) {
      const d = await saved();
      await modelJson(d, edit);
      e = await caught(loadArtifacts(d));
      expect(e.code).toBe('MALFORMED_MODEL');
      expect(e.message).toMatch(text);
      expect(e.message).toContain(path.join(d, 'model.json'));
    }
  });

  it('unknown dtype or quantization names the tensor', async () => {
    for (const [edit, text] of [
      [(j: any) => (j.weightsManifest[0].weights[2].dtype = 'float64'), /tensor 'b\/kernel' \(weight spec 2\): unknown dtype "float64"/],
      [(j: any) => (j.weightsManifest[0].weights[0].quantization = { dtype: 'int4', scale: 1, min: 0 }), /tensor 'a\/kernel'.*unknown quantization dtype "int4"/],
      [(j: any) => (j.weightsManifest[0].weights[0].quantization = { dtype: 'uint8' }), /tensor 'a\/kernel'.*needs finite numbers scale and min/],
      [(j: any) => (j.weightsManifest[0].weights[0].dtype = 'bool') && (j.weightsManifest[0].weights[0].quantization = { dtype: 'float16' }), /float16 quantization applies to float32/],
    ] as const) {
      const d = await saved();
      await modelJson(d, edit);
      const e = (await caught(loadArtifacts(d))) as ModelFormatError;
      expect(e.code).toBe('MALFORMED_MODEL');
      expect(e.message).toMatch(text);
      expect(e.tensor).toMatch(/kernel/);
    }
  });

  it('a missing shard names the file', async () => {
    const dir = await saved();
    const shard = path.join(dir, 'group1-shard2of4.bin');
    await unlink(shard);
    const e = (await caught(loadArtifacts(dir))) as ModelFormatError;
    expect(e.code).toBe('WEIGHTS_MISMATCH');
    expect(e.file).toBe(shard);
    expect(e.message).toContain(`weight shard ${shard}, listed in ${path.join(dir, 'model.json')}, is missing`);
  });

  it('a short shard names the file, the tensor cut off and the byte offset', async () => {
    const dir = await saved(); // 672 bytes: shards of 200, 200, 200, 72
    const last = path.join(dir, 'group1-shard4of4.bin');
    await truncate(last, 50);
    const e = (await caught(loadArtifacts(dir))) as ModelFormatError;
    expect(e.code).toBe('WEIGHTS_MISMATCH');
    expect(e.tensor).toBe('b/kernel');
    expect(e.file).toBe(last);
    expect(e.byteOffset).toBe(49);
    expect(e.message).toMatch(/tensor 'b\/kernel' \(weight spec 2\), float32\[8,4\], needs bytes 544\.\.672 of the weight data, but the weight data ends at byte 650/);
  });

  it('extra bytes, or a manifest shape that does not match the weights, is a mismatch', async () => {
    let dir = await saved();
    await appendFile(path.join(dir, 'group1-shard4of4.bin'), new Uint8Array(8));
    let e = (await caught(loadArtifacts(dir))) as ModelFormatError;
    expect(e.code).toBe('WEIGHTS_MISMATCH');
    expect(e.file).toBe(path.join(dir, 'group1-shard4of4.bin'));
    expect(e.byteOffset).toBe(72);
    expect(e.message).toMatch(/the weight data has 680 bytes but the manifest describes 672/);

    dir = await saved();
    await modelJson(dir, (j) => (j.weightsManifest[0].weights[0].shape = [16, 9]));
    e = (await caught(loadArtifacts(dir))) as ModelFormatError;
    expect(e.code).toBe('WEIGHTS_MISMATCH');
    expect(e.tensor).toBe('b/kernel');
  });

  it('in-memory artifacts get the same checks, with offsets into the weight data', async () => {
    const a = makeArtifacts(tensors());
    a.weightData = (a.weightData as ArrayBuffer).slice(0, 600);
    const e = (await caught(pruneArtifacts(a, { sparsity: 0.5 }))) as ModelFormatError;
    expect(e.code).toBe('WEIGHTS_MISMATCH');
    expect(e.tensor).toBe('b/kernel');
    expect(e.byteOffset).toBe(544);
    const b = makeArtifacts(tensors());
    (b as any).weightData = new Float32Array(3);
    expect((await caught(pruneArtifacts(b, { sparsity: 0.5 }))).message).toMatch(/weightData must be an ArrayBuffer or an array of ArrayBuffers, got Float32Array/);
    const c = makeArtifacts(tensors());
    delete c.weightSpecs;
    expect((await caught(pruneArtifacts(c, { sparsity: 0.5 }))).code).toBe('MALFORMED_MODEL');
  });
});

describe('NaN weights', () => {
  beforeAll(async () => {
    await init();
  });

  it.each(['layer', 'global'] as const)('name the tensor, the shard file and the byte offset (scope %s)', async (scope) => {
    const t = tensors();
    (t[2].values as Float32Array)[5] = NaN; // b/kernel starts at byte 544: the NaN is at 564, in shard 3 at 164
    (t[2].values as Float32Array)[9] = NaN;
    const dir = await saved(t);
    const a = await loadArtifacts(dir);
    const before = snapshot(a);
    const e = await caught(pruneArtifacts(a, { sparsity: 0.5, scope }, { inPlace: true }));
    expect(e).toBeInstanceOf(NaNWeightsError);
    expect(e.code).toBe('NAN_WEIGHTS');
    expect(e.message).toBe(
      `pruneArtifacts: tensor 'b/kernel' (float32[8,4]) holds 2 NaN values, the first at element 5 (byte 164 of ${path.join(dir, 'group1-shard3of4.bin')}); a NaN has no magnitude to rank`,
    );
    expect((e as NaNWeightsError).count).toBe(2);
    // Even in place, nothing was changed: every tensor is checked before the first is pruned.
    expect(snapshot(a)).toEqual(before);
  });

  it('NaN in an unpruned tensor is an error only when it must be quantized', async () => {
    const t = tensors();
    (t[1].values as Float32Array)[3] = NaN; // a/bias
    const a = makeArtifacts(t);
    await expect(pruneArtifacts(a, { sparsity: 0.5 })).resolves.toBeDefined();
    const e = await caught(pruneArtifacts(a, { sparsity: 0.5, quantize: 'uint8' }));
    expect(e.message).toMatch(/tensor 'a\/bias' \(float32\[8\]\) holds 1 NaN value, the first at element 3 \(byte 524 of the weight data\)/);
  });

  // float16 codes can decode to NaN; uint8 / uint16 ones cannot. Large tensors are pruned through
  // a histogram of their codes, small ones code by code: both check, in every mode.
  it.each([
    ['layer', false],
    ['layer', true],
    ['global', false],
  ] as const)('float16 tensors holding NaN (scope %s, inPlace %s) name the tensor', async (scope, inPlace) => {
    for (const size of [40_000, 300]) {
      const codes = new Uint16Array(size);
      for (let i = 0; i < size; i++) codes[i] = 0x3c00 + (i % 977); // 1.0 and up
      codes[77] = 0x7e00; // NaN
      codes[size - 1] = 0xfc01; // NaN with the sign set
      const a = makeArtifacts([{ name: 'h/kernel', shape: [size / 4, 4], quantization: { dtype: 'float16' }, bytes: new Uint8Array(codes.buffer) }]);
      const e = await caught(pruneArtifacts(a, { sparsity: 0.5, scope }, { inPlace }));
      expect(e).toBeInstanceOf(NaNWeightsError);
      expect(e.message).toMatch(new RegExp(`tensor 'h/kernel' \\(float32\\[${size / 4},4\\]\\) holds 2 NaN values, the first at element 77`));
    }
  });

  // In place, every tensor is checked before any is written: float16 ones pick their thresholds
  // first (the select's pass finds the NaN), so the tensors before the bad one keep their codes.
  it.each(['float16', 'uint8'] as const)('inPlace, layer scope: NaN in a later float16 tensor leaves an earlier %s one unwritten', async (first) => {
    const size = 40_000;
    const good = first === 'float16' ? new Uint8Array(new Uint16Array(size).map((_, i) => 0x3c00 + (i % 977)).buffer) : new Uint8Array(size).map((_, i) => i % 251);
    const bad = new Uint16Array(size).map((_, i) => 0x3c00 + (i % 977));
    bad[size - 5] = 0x7e00;
    const a = makeArtifacts([
      { name: 'g/kernel', shape: [size / 4, 4], quantization: first === 'float16' ? { dtype: 'float16' } : { dtype: 'uint8', scale: 0.01, min: -1 }, bytes: good },
      { name: 'h/kernel', shape: [size / 4, 4], quantization: { dtype: 'float16' }, bytes: new Uint8Array(bad.buffer) },
    ]);
    const before = new Uint8Array(a.weightData as ArrayBuffer).slice();
    const e = await caught(pruneArtifacts(a, { sparsity: 0.5, scope: 'layer' }, { inPlace: true }));
    expect(e).toBeInstanceOf(NaNWeightsError);
    expect(e.message).toMatch(/tensor 'h\/kernel' .* holds 1 NaN value, the first at element 39995/);
    expect(new Uint8Array(a.weightData as ArrayBuffer)).toEqual(before);
  });

  // The write itself fails here (a file stands where the output's parent directory must go);
  // atomic-write.test.ts fails it part-way through a shard and in the overwrite swap.
  it('a pipeline whose write fails writes no output', async () => {
    const a = await loadArtifacts(await saved());
    const { artifacts } = await pruneArtifacts(a, { sparsity: 0.5 });
    const blocker = fresh();
    await writeFile(blocker, 'a file, not a directory');
    const out = path.join(blocker, 'pruned');
    const e = await caught(saveArtifacts(out, artifacts));
    expect(e).toBeInstanceOf(ModelIOError);
    expect(e).toMatchObject({ code: 'IO_ERROR', file: out });
    expect(e.message).toBe(`saveArtifacts: cannot write ${out}: EEXIST` /* mkdir -p of the file */);
    expect(await readFile(blocker, 'utf8')).toBe('a file, not a directory');
    expect((await readdir(root)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});

describe('config', () => {
  beforeAll(async () => {
    await init();
  });
  const a = () => makeArtifacts(tensors());

  it.each([-0.1, 1.5, NaN, '0.5', null])('sparsity %s is outside [0, 1]', async (s) => {
    const e = await caught(pruneArtifacts(a(), { sparsity: s as number }));
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.message).toBe(`pruneArtifacts: sparsity must be a number in [0, 1], got ${String(s)}`);
  });

  it('an override pattern that matches nothing, or only unselected tensors', async () => {
    let e = await caught(pruneArtifacts(a(), { sparsity: 0.5, overrides: [{ match: 'c/*', sparsity: 0.9 }] }));
    expect(e.message).toBe("pruneArtifacts: override pattern 'c/*' matches no tensor");
    e = await caught(pruneArtifacts(a(), { sparsity: 0.5, overrides: [{ match: '*/bias', sparsity: 0.9 }] }));
    expect(e.message).toMatch(/override pattern '\*\/bias' matches no tensor selected for pruning \(it matches 1 unselected, e\.g\. 'a\/bias'/);
    e = await caught(pruneArtifacts(a(), { sparsity: 0.5, overrides: [{ match: 'a/*', sparsity: 0.9 }, { match: 'a/kernel', skip: true }] }));
    expect(e.message).toMatch(/override pattern 'a\/kernel' .*an earlier override took them/);
    e = await caught(pruneArtifacts(a(), { sparsity: 0.5, include: ['/^z/'] }));
    expect(e.message).toBe("pruneArtifacts: include pattern '/^z/' matches no tensor");
  });

  it('rejects unknown fields, bad methods, global N:M, bad patterns, bad options', async () => {
    const cases: [unknown, RegExp][] = [
      [{ sparsity: 0.5, scop: 'global' }, /unknown config field 'scop'/],
      [{ sparsity: 0.5, scope: 'model' }, /scope must be 'layer' or 'global'/],
      [{ method: '5:4' }, /method must be 'magnitude' or 'N:M'/],
      [{ method: '2:4', scope: 'global' }, /does not apply to method '2:4'/],
      [{ method: '2:4', sparsity: 0.5 }, /method '2:4' fixes it/],
      [{}, /sparsity is required/],
      [{ sparsity: 0.5, exclude: ['/(/'] }, /exclude\[0\] is not a valid regular expression/],
      [{ sparsity: 0.5, overrides: [{ match: 'a/*' }] }, /overrides\[0\] sets none of sparsity, method, skip/],
      [{ sparsity: 0.5, quantize: 'int8' }, /quantize must be 'uint8', 'uint16' or 'float16'/],
      [null, /config must be an object/],
    ];
    for (const [config, text] of cases) {
      const e = await caught(pruneArtifacts(a(), config as never));
      expect(e.code).toBe('BAD_ARGUMENT');
      expect(e.message).toMatch(text);
    }
    const e = await caught(pruneArtifacts(a(), { sparsity: 0.5 }, { inplace: true } as never));
    expect(e.message).toMatch(/unknown option 'inplace'/);
  });
});

describe('node I/O arguments', () => {
  it('missing model file, bad scheme, binary topology', async () => {
    const dir = fresh();
    await mkdir(dir);
    let e = await caught(loadArtifacts(dir));
    expect(e.code).toBe('IO_ERROR');
    expect(e.message).toContain('holds no model.json or weights_manifest.json');
    e = await caught(loadArtifacts(path.join(dir, 'nope.json')));
    expect(e.code).toBe('IO_ERROR');
    expect(e.message).toContain('ENOENT');
    e = await caught(loadArtifacts('ftp://example.invalid/model.json'));
    expect(e.code).toBe('BAD_ARGUMENT');
    const a = makeArtifacts(tensors());
    a.modelTopology = new ArrayBuffer(8);
    e = await caught(saveArtifacts(fresh(), a));
    expect(e.message).toMatch(/binary GraphDef/);
    expect((await readdir(root)).filter((f) => f.startsWith('.'))).toEqual([]);
  });
});
