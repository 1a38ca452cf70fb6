// The tfjs-prune bin on real model directories (the bundled LeNet-300-100 and what the bin itself
// writes), run as a subprocess exactly as users run it: success paths, --json, help and version.
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadArtifacts } from '../../src/node.js';
import { cli, EXAMPLE, hashDir, ROOT } from './support.js';

let dir: string;
let exampleHash: Record<string, string>;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tfjs-prune-cli-'));
  exampleHash = await hashDir(EXAMPLE);
  tf.enableProdMode(); // no "install tfjs-node" banner from the cpu backend
  await tf.setBackend('cpu');
});
afterAll(async () => {
  // The bundled example is the input of most runs here: never modified.
  expect(await hashDir(EXAMPLE)).toEqual(exampleHash);
  await rm(dir, { recursive: true, force: true });
});

/** Zeros of each float32 tensor as stock tfjs decodes them. */
function stockZeros(a: tf.io.ModelArtifacts): Record<string, { zeros: number; size: number }> {
  const out: Record<string, { zeros: number; size: number }> = {};
  for (const [name, t] of Object.entries(tf.io.decodeWeights(a.weightData!, a.weightSpecs!))) {
    const v = t.dataSync();
    out[name] = { zeros: v.reduce((n, x) => n + (x === 0 ? 1 : 0), 0), size: v.length };
    t.dispose();
  }
  return out;
}

describe('help and version', () => {
  it('--version prints the package version', async () => {
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8'));
    const r = await cli(['--version'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('--help lists the commands, examples and exit statuses; each command has examples', async () => {
    const r = await cli(['--help'], dir);
    expect(r.code).toBe(0);
    for (const s of ['prune', 'inspect', 'compress', 'demo', 'Examples:', 'Exit status:', 'NaN weights']) expect(r.stdout).toContain(s);
    for (const cmd of ['prune', 'inspect', 'compress', 'demo']) {
      const h = await cli([cmd, '--help'], dir);
      expect(h.code).toBe(0);
      expect(h.stdout).toContain('Examples:');
      expect(h.stdout).toContain(`$ tfjs-prune ${cmd}`);
    }
    const p = await cli(['prune', '--help'], dir);
    for (const flag of ['--out', '--sparsity', '--scope', '--method', '--include', '--exclude', '--override', '--quantize', '--report', '--force', '--json']) {
      expect(p.stdout).toContain(flag);
    }
  });

  it('no arguments: usage on stderr, exit 2', async () => {
    const r = await cli([], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Usage: tfjs-prune');
    expect(r.stdout).toBe('');
  });
});

describe('prune', () => {
  it('prunes the example 90% globally, prints the summary, writes the model and both reports', async () => {
    const out = path.join(dir, 'global');
    const r = await cli(['prune', EXAMPLE, '--out', 'global', '--sparsity', '0.9', '--scope', 'global', '--report', 'global.html', '--report', 'global.json'], dir);
    expect(r.stderr).toBe(''); // no progress bar in a pipe
    expect(r.code).toBe(0);
    for (const s of ['fc1', 'fc2', 'fc3', 'kernel', 'totals', 'whole model', 'before', 'after', 'gzip', 'uint8', 'wrote global/', 'wrote global.html', 'wrote global.json']) {
      expect(r.stdout).toContain(s);
    }
    expect((await readdir(out)).sort()).toEqual(['group1-shard1of1.bin', 'model.json']);
    expect((await stat(out)).mode & 0o777).toBe(0o777 & ~process.umask()); // not mkdtemp's 0700
    // Written for stock tfjs: it loads, and its kernels hold exactly 90% zeros in all.
    const artifacts = await loadArtifacts(out);
    const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    expect(model.countParams()).toBe(266_610);
    model.dispose();
    const z = stockZeros(artifacts);
    const kernels = ['fc1/kernel', 'fc2/kernel', 'fc3/kernel'];
    const kz = kernels.reduce((n, k) => n + z[k].zeros, 0);
    expect(kz).toBe(Math.round(0.9 * 266_200));
    expect(z['fc1/bias'].zeros).toBe(0);
    const json = JSON.parse(await readFile(path.join(dir, 'global.json'), 'utf8'));
    expect(json.kind).toBe('prune');
    expect(json.config).toEqual({ sparsity: 0.9, scope: 'global' });
    expect(json.report.totals.zerosAfter).toBe(kz);
    expect(json.report.bytes.after.gzip).toBeLessThan(json.report.bytes.before.gzip / 4);
    const html = await readFile(path.join(dir, 'global.html'), 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//); // self-contained
  });

  it('--json prints one JSON document and nothing else', async () => {
    const r = await cli(['prune', EXAMPLE, '--out', 'json-out', '--sparsity', '80%', '--json'], dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout);
    expect(doc.command).toBe('prune');
    expect(doc.output.dir).toBe(path.join(dir, 'json-out'));
    expect(doc.output.shardPaths).toHaveLength(1);
    expect(doc.config).toEqual({ sparsity: 0.8 });
    const kernels = doc.report.tensors.filter((t: { method: string | null }) => t.method !== null);
    expect(kernels.map((t: { name: string }) => t.name)).toEqual(['fc1/kernel', 'fc2/kernel', 'fc3/kernel']);
    for (const t of kernels) expect(t.zerosAfter).toBe(Math.round(0.8 * t.params));
  });

  it('N:M with an override that skips a layer, include / exclude patterns, per-tensor overrides', async () => {
    const nm = JSON.parse((await cli(['prune', EXAMPLE, '-o', 'nm', '--method', 'nm:2:4', '--override', 'fc3/*=skip', '--json'], dir)).stdout);
    const by = (doc: { report: { tensors: { name: string }[] } }, name: string) => doc.report.tensors.find((t) => t.name === name) as { sparsity: number; method: string | null; reason: string };
    expect(by(nm, 'fc1/kernel').sparsity).toBe(0.5);
    expect(by(nm, 'fc1/kernel').method).toBe('2:4');
    expect(by(nm, 'fc3/kernel').method).toBeNull();
    // Stock decoding: in every group of 4 inputs per output, at most 2 are nonzero.
    const a = await loadArtifacts(path.join(dir, 'nm'));
    const w = tf.io.decodeWeights(a.weightData!, a.weightSpecs!)['fc2/kernel'];
    const v = w.dataSync();
    for (let o = 0; o < 100; o++) {
      for (let g = 0; g < 300; g += 4) {
        let nz = 0;
        for (let i = g; i < g + 4; i++) nz += v[i * 100 + o] !== 0 ? 1 : 0;
        expect(nz).toBeLessThanOrEqual(2);
      }
    }
    w.dispose();

    const r = await cli(['prune', EXAMPLE, '-o', 'patterns', '-s', '0.9', '--exclude', 'fc2/*', '--include', 'fc1/bias', '--override', 'fc3/*=0.5', '--json'], dir);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(by(doc, 'fc1/kernel').sparsity).toBeCloseTo(0.9, 6);
    expect(by(doc, 'fc1/bias').sparsity).toBeCloseTo(0.9, 2);
    expect(by(doc, 'fc2/kernel').method).toBeNull();
    expect(by(doc, 'fc2/kernel').reason).toBe('excluded by pattern');
    expect(by(doc, 'fc3/kernel').sparsity).toBe(0.5);
  });

  it('--quantize uint8 with small shards; inspect reads it back; --config with flags on top; --force replaces', async () => {
    await writeFile(path.join(dir, 'cfg.json'), JSON.stringify({ sparsity: 0.5, scope: 'global', overrides: [{ match: 'fc3/*', sparsity: 0 }] }));
    const r = await cli(['prune', EXAMPLE, '-o', 'q8', '--config', 'cfg.json', '--sparsity', '0.9', '--quantize', 'uint8', '--shard-bytes', '100000'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('after (uint8)');
    const files = (await readdir(path.join(dir, 'q8'))).sort();
    const model = JSON.parse(await readFile(path.join(dir, 'q8', 'model.json'), 'utf8'));
    const n = model.weightsManifest[0].paths.length;
    expect(n).toBe(Math.ceil(266_610 / 100_000));
    expect(files).toHaveLength(n + 1);
    expect(model.weightsManifest[0].weights.every((w: { quantization?: { dtype: string } }) => w.quantization?.dtype === 'uint8')).toBe(true);

    const i = await cli(['inspect', 'q8', '--json'], dir);
    expect(i.code).toBe(0);
    const doc = JSON.parse(i.stdout);
    expect(doc.command).toBe('inspect');
    const t = Object.fromEntries(doc.report.tensors.map((x: { name: string }) => [x.name, x]));
    expect(t['fc1/kernel'].dtype).toBe('uint8');
    // The file's override: fc3 unpruned (a few of its tiniest weights round to 0 in uint8).
    expect(t['fc3/kernel'].sparsity).toBeLessThan(0.02);
    const fc12 = t['fc1/kernel'].zeros + t['fc2/kernel'].zeros;
    expect(fc12).toBe(Math.round(0.9 * 265_200)); // the flag's sparsity, global over fc1 and fc2
    expect(doc.report.bytes.stored.raw).toBe(266_610);

    const again = await cli(['prune', EXAMPLE, '-o', 'q8', '-s', '0.5'], dir);
    expect(again.code).toBe(6);
    const forced = await cli(['prune', EXAMPLE, '-o', 'q8', '-s', '0.5', '--force'], dir);
    expect(forced.code).toBe(0);
    expect((await readdir(path.join(dir, 'q8'))).sort()).toEqual(['group1-shard1of1.bin', 'model.json']);
    expect(stockZeros(await loadArtifacts(path.join(dir, 'q8')))['fc2/kernel'].zeros).toBe(15_000);
  });

  it('reads a model over http', async () => {
    const server = createServer(async (req, res) => {
      try {
        const body = await readFile(path.join(EXAMPLE, path.basename(req.url ?? '')));
        res.writeHead(200).end(body);
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mnist-mlp/model.json`;
      const r = await cli(['prune', url, '-o', 'from-http', '-s', '0.5', '--json'], dir);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).input).toBe(url);
      const missing = await cli(['inspect', url.replace('model.json', 'nothing.json')], dir);
      expect(missing.code).toBe(5);
      expect(missing.stderr).toContain('404');
    } finally {
      await new Promise((ok) => server.close(ok));
    }
  });
});

describe('other formats: pretrained models shipped in npm packages', () => {
  const pkg = (name: string) => path.join(ROOT, 'node_modules', name);
  it('a graph model (@vladmandic/human blazeface) and a face-api weights manifest (uint8)', async () => {
    const graph = path.join(pkg('@vladmandic/human'), 'models', 'blazeface.json');
    const g = await cli(['prune', graph, '-o', 'blazeface', '-s', '0.5', '--json'], dir);
    expect(g.code, g.stderr).toBe(0);
    const gd = JSON.parse(g.stdout);
    expect(gd.report.format).toBe('graph-model');
    expect(gd.report.totals.prunedSparsity).toBeCloseTo(0.5, 3);
    expect(JSON.parse(await readFile(path.join(dir, 'blazeface', 'model.json'), 'utf8')).format).toBe('graph-model');

    const manifest = path.join(pkg('@vladmandic/face-api'), 'model', 'age_gender_model-weights_manifest.json');
    const f = await cli(['prune', manifest, '-o', 'age-gender', '-s', '0.5', '--scope', 'global', '--json'], dir);
    expect(f.code, f.stderr).toBe(0);
    expect(JSON.parse(f.stdout).report.format).toBe('weights');
    expect((await readdir(path.join(dir, 'age-gender'))).sort()).toEqual(['group1-shard1of1.bin', 'weights_manifest.json']);
    const i = JSON.parse((await cli(['inspect', 'age-gender', '--json'], dir)).stdout);
    expect(i.report.totals.prunableSparsity).toBeGreaterThanOrEqual(0.5);
  });
});

describe('inspect', () => {
  it('reports a dense model: no zeros, the tensors the default rule prunes, sizes', async () => {
    const r = await cli(['inspect', path.join(EXAMPLE, 'model.json'), '--all'], dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    for (const s of ['fc1', 'kernel', 'bias', 'Dense', 'prune', 'keep (bias)', 'sparsity 0.00%', 'as stored', 'as uint8']) expect(r.stdout).toContain(s);
    const doc = JSON.parse((await cli(['inspect', EXAMPLE, '--json', '--no-gzip'], dir)).stdout);
    expect(doc.report.totals).toMatchObject({ params: 266_610, zeros: 0, sparsity: 0, prunableParams: 266_200 });
    expect(doc.report.bytes.stored).toEqual({ raw: 266_610 * 4, gzip: null });
  });
});

describe('demo (npm start)', () => {
  it('evaluates the example on MNIST before and after pruning and prints accuracy, sparsity and sizes', async () => {
    const r = await cli(['demo', '--limit', '1000', '--sensitivity-limit', '200', '--sparsity', '0.5,0.9', '--calibration-images', '256', '--json', '--report', 'demo.json'], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.testImages).toBe(1000);
    expect(doc.results.map((x: { model: string }) => x.model)).toEqual([
      'original',
      'pruned 50% global',
      'pruned 90% global',
      'pruned 90% global + uint8',
      'one-shot activation 50% global',
      'one-shot activation 90% global',
      'one-shot reconstruct 50% global',
      'one-shot reconstruct 90% global',
    ]);
    const [orig, p50, p90, q8, , a90, , r90] = doc.results;
    expect(doc.results.map((x: { method: string | null; target: number | null }) => `${x.method}@${x.target}`)).toEqual([
      'null@null', 'magnitude@0.5', 'magnitude@0.9', 'null@null', 'activation@0.5', 'activation@0.9', 'reconstruct@0.5', 'reconstruct@0.9',
    ]);
    // One-shot rows hold exactly the magnitude rows' count of pruned kernel weights (the sparsity of
    // the whole model may be higher: a refit can zero weights of inputs that are always 0), and
    // reconstruct (256 calibration images) keeps far more accuracy at 90% than magnitude alone.
    expect(a90.sparsity).toBeCloseTo(p90.sparsity, 6);
    expect(r90.sparsity).toBeGreaterThanOrEqual(p90.sparsity);
    expect(r90.accuracy).toBeGreaterThan(p90.accuracy + 0.05);
    expect(orig.accuracy).toBeGreaterThan(0.97);
    expect(p50.accuracy).toBeGreaterThan(0.96);
    expect(p90.sparsity).toBeCloseTo(0.9, 2);
    expect(q8.bytes.raw).toBeLessThan(orig.bytes.raw / 3.9);
    // The compact container column: every row measured, each below its gzip, 90% + uint8 at most 0.8x.
    for (const row of doc.results) expect(row.bytes.compact).toBeLessThan(row.bytes.gzip);
    expect(q8.bytes.compact).toBeLessThan(0.8 * q8.bytes.gzip);
    expect(doc.sensitivity.curves.map((c: { name: string }) => c.name)).toEqual(['fc1/kernel', 'fc2/kernel', 'fc3/kernel']);
    const text = await cli(['demo', '--limit', '500', '--no-sensitivity', '--no-oneshot', '--sparsity', '0.8', '--quantize', 'none'], dir);
    expect(text.code).toBe(0);
    for (const s of ['accuracy', 'original', 'pruned 80% global', 'sparsity', 'gzip', 'compact', '500 MNIST test images']) expect(text.stdout).toContain(s);
    expect(text.stdout).not.toContain('one-shot reconstruct'); // --no-oneshot
  });

  it('from an installed package (no examples/ next to dist/), without a model: says to pass one', async () => {
    // The package's layout: dist/ and its dependencies, and no examples/.
    const pkg = path.join(dir, 'installed');
    await cp(path.join(ROOT, 'dist'), path.join(pkg, 'dist'), { recursive: true });
    await symlink(path.join(ROOT, 'node_modules'), path.join(pkg, 'node_modules'), 'dir');
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(pkg, 'dist', 'cli.mjs'), 'demo', '--limit', '100'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tfjs-prune: error: demo: the bundled example model \(examples\/mnist-mlp\) is part of the tfjs-prune repository, not of the npm package .*tfjs-prune demo <model>\n$/);
  });
});
