// Every error path of the bin: its exit status (docs/cli.md), one line on stderr naming
// what and where, no stack trace unless --debug, --json error documents, inputs untouched, and no
// output directory (or temporary directory, or report) left behind.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, EXAMPLE, exampleCopy, hashDir, oneErrorLine } from './support.js';

let dir: string;
const inputs: Record<string, string> = {};
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tfjs-prune-cli-err-'));
  inputs.example = EXAMPLE;
  // NaN at element 1234 of fc1/kernel (the first tensor, at byte 0 of the shard).
  inputs.nan = await exampleCopy(path.join(dir, 'nan'), (b) => void b.writeFloatLE(NaN, 1234 * 4));
  inputs.short = await exampleCopy(path.join(dir, 'short'), (b) => b.subarray(0, 1_000_000));
  inputs.long = await exampleCopy(path.join(dir, 'long'), (b) => Buffer.concat([b, Buffer.alloc(8)]));
  inputs.noshard = await exampleCopy(path.join(dir, 'noshard'));
  await rm(path.join(inputs.noshard, 'group1-shard1of1.bin'));
  inputs.badjson = path.join(dir, 'badjson');
  await mkdir(inputs.badjson);
  await writeFile(path.join(inputs.badjson, 'model.json'), '{"modelTopology": ');
  inputs.badspec = await exampleCopy(path.join(dir, 'badspec'));
  const m = JSON.parse(await readFile(path.join(inputs.badspec, 'model.json'), 'utf8'));
  m.weightsManifest[0].weights[2].dtype = 'float64';
  await writeFile(path.join(inputs.badspec, 'model.json'), JSON.stringify(m));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs a failing command and checks the contract every failure keeps. */
async function fails(args: string[], code: number, out = 'out'): Promise<string> {
  const before = await Promise.all(Object.values(inputs).map(hashDir));
  const r = await cli(args, dir);
  expect(r.code, r.stderr).toBe(code);
  expect(r.stdout).toBe('');
  const line = oneErrorLine(r.stderr);
  expect(line).not.toMatch(/^\s+at /m);
  // No output and no temporary directory beside it.
  expect((await readdir(dir)).filter((n) => n === out || n.startsWith(`.${out}.tmp-`) || n.endsWith('.html') || n.endsWith('.json'))).toEqual([]);
  expect(await Promise.all(Object.values(inputs).map(hashDir))).toEqual(before);
  return line;
}

// None of these gets as far as creating anything, so they can run side by side.
describe('exit 2: bad arguments', () => {
  it.concurrent.each([
    [['prune', EXAMPLE, '-o', 'out', '-s', '1.5'], /--sparsity must be a fraction in \[0, 1\].*'1\.5'/],
    [['prune', EXAMPLE, '-o', 'out', '-s', 'lots'], /--sparsity .*'lots'/],
    [['prune', EXAMPLE, '-s', '0.5'], /required option '-o, --out <dir>'/],
    [['prune', EXAMPLE, '-o', 'out'], /--sparsity is required/],
    [['prune', EXAMPLE, '-o', 'out', '-s', '0.5', '--bogus'], /unknown option '--bogus'/],
    [['prune', EXAMPLE, '-o', 'out', '--scope', 'model', '-s', '0.5'], /--scope.*'model' is invalid/],
    [['prune', EXAMPLE, '-o', 'out', '--method', 'nm:5:4'], /--method must be .*'nm:5:4'/],
    [['prune', EXAMPLE, '-o', 'out', '--method', 'nm:2:4', '-s', '0.5'], /--sparsity applies to --method magnitude/],
    [['prune', EXAMPLE, '-o', 'out', '-s', '0.5', '--quantize', 'int4'], /--quantize.*'int4' is invalid/],
    [['prune', EXAMPLE, '-o', 'out', '-s', '0.5', '--include', 'conv*'], /include pattern 'conv\*' matches no tensor/],
    [['prune', EXAMPLE, '-o', 'out', '-s', '0.5', '--override', 'fc1/*'], /--override must be pattern=sparsity/],
    [['prune', EXAMPLE, '-o', 'out', '-s', '0.5', '--override', 'fc9/*=0.1'], /override pattern 'fc9\/\*' matches no tensor/],
    [['prune', EXAMPLE, '-o', 'out', '-s', '0.5', '--report', 'report.pdf'], /--report .*report\.pdf: the name must end in \.html or \.json/],
    [['prune', EXAMPLE, '-o', EXAMPLE, '-s', '0.5', '--force'], /would replace the input model/],
    [['prune', EXAMPLE, '-o', 'out', '-s', '0.5', '--shard-bytes', '0'], /--shard-bytes must be a positive integer/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ])('%j', async (args, message) => {
    expect(await fails(args as string[], 2)).toMatch(message as RegExp);
  });
});

describe('exit 3: malformed model, weights not matching the manifest', () => {
  it('model.json that is not JSON names the file', async () => {
    expect(await fails(['prune', inputs.badjson, '-o', 'out', '-s', '0.5'], 3)).toContain(`${path.join(inputs.badjson, 'model.json')} is not valid JSON`);
  });
  it('an unknown dtype names the tensor', async () => {
    expect(await fails(['inspect', inputs.badspec], 3)).toMatch(/fc2\/kernel.*float64|float64.*fc2\/kernel/);
  });
  it('a short shard names the tensor cut off and the shard', async () => {
    const line = await fails(['prune', inputs.short, '-o', 'out', '-s', '0.5'], 3);
    expect(line).toContain("tensor 'fc2/kernel'");
    expect(line).toContain(path.join(inputs.short, 'group1-shard1of1.bin'));
  });
  it('bytes left over after the last tensor name the shard and the offset', async () => {
    expect(await fails(['prune', inputs.long, '-o', 'out', '-s', '0.5'], 3)).toContain('1066440');
  });
  it('a missing shard names it', async () => {
    expect(await fails(['prune', inputs.noshard, '-o', 'out', '-s', '0.5'], 3)).toContain(`${path.join(inputs.noshard, 'group1-shard1of1.bin')}, listed in`);
  });
});

describe('exit 4: NaN weights', () => {
  it('names the tensor, the element, the shard and the byte offset; --debug adds the stack; --json adds a document', async () => {
    const line = await fails(['prune', inputs.nan, '-o', 'out', '-s', '0.5', '--report', 'r.html'], 4);
    expect(line).toContain("tensor 'fc1/kernel'");
    expect(line).toContain('element 1234');
    expect(line).toContain(`byte 4936 of ${path.join(inputs.nan, 'group1-shard1of1.bin')}`);

    const debug = await cli(['prune', inputs.nan, '-o', 'out', '-s', '0.5', '--debug'], dir);
    expect(debug.code).toBe(4);
    expect(debug.stderr).toMatch(/^\s+at /m);

    const json = await cli(['prune', inputs.nan, '-o', 'out', '-s', '0.5', '--json'], dir);
    expect(json.code).toBe(4);
    expect(JSON.parse(json.stdout)).toEqual({ error: { code: 'NAN_WEIGHTS', exitCode: 4, message: expect.stringContaining('fc1/kernel') } });
  });
});

describe('exit 5: I/O', () => {
  it('a model that is not there', async () => {
    expect(await fails(['prune', 'no-such-model', '-o', 'out', '-s', '0.5'], 5)).toContain(path.join(dir, 'no-such-model'));
    expect(await fails(['inspect', path.join(dir, 'nothing', 'model.json')], 5)).toContain('nothing');
  });
  it('a report that cannot be written after the model was: the model directory is removed again', async () => {
    await writeFile(path.join(dir, 'a-file'), 'x');
    const line = await fails(['prune', EXAMPLE, '-o', 'out', '-s', '0.5', '--report', 'a-file/report.html'], 5);
    expect(line).toContain(path.join(dir, 'a-file', 'report.html'));
    await rm(path.join(dir, 'a-file'));
  });
  it('--json on a usage error gives a document too', async () => {
    const r = await cli(['prune', EXAMPLE, '-s', '0.5', '--json'], dir);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error.code).toBe('BAD_ARGUMENT');
  });
});

describe('exit 6: the output exists', () => {
  it('an existing output directory or report file is left as it was', async () => {
    const out = path.join(dir, 'taken');
    await mkdir(out);
    await writeFile(path.join(out, 'mine.txt'), 'keep me');
    expect(await fails(['prune', EXAMPLE, '-o', 'taken', '-s', '0.5'], 6, 'none')).toContain(`${out} exists; pass --force`);
    expect(await readdir(out)).toEqual(['mine.txt']);
    await writeFile(path.join(dir, 'taken.html'), 'mine');
    const r = await cli(['prune', EXAMPLE, '-o', 'new', '-s', '0.5', '--report', 'taken.html'], dir);
    expect(r.code).toBe(6);
    expect(await readFile(path.join(dir, 'taken.html'), 'utf8')).toBe('mine');
    expect(await readdir(dir)).not.toContain('new');
    await rm(path.join(dir, 'taken.html'));
    await rm(out, { recursive: true });
  });
});
