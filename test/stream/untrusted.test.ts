// Untrusted models (docs/model.md, "Pruning untrusted models"): shard paths that leave the model's
// directory, shard URLs and redirects that leave its origin, and sizes past the caps are refused
// with a named error by loadArtifacts, pruneDirectory (its worker threads too) and the CLI (exit 3),
// before anything outside is read or anything large allocated; the opt-ins read them.
import { existsSync, linkSync, mkdirSync, readdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/index.js';
import { JobRunner } from '../../src/node/stream_jobs.js';
import { DEFAULT_MAX_JSON_BYTES, loadArtifacts, ModelFormatError, PruneError, pruneDirectory, type LoadArtifactsOptions } from '../../src/node.js';
import { cli, oneErrorLine } from '../cli/support.js';

let root: string;
let n = 0;
/** 16 float32 weights (64 bytes), all finite and distinct: a model that prunes if it is read. */
const SECRET = new Uint8Array(new Float32Array(Array.from({ length: 16 }, (_, i) => (i + 1) * 0.125 * (i % 2 ? -1 : 1))).buffer);
const SPEC = { name: 'dense/kernel', shape: [4, 4], dtype: 'float32' };
const TOPOLOGY = { class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'Dense', config: { name: 'dense' } }] } };

beforeAll(async () => {
  await init();
  root = await mkdtemp(path.join(tmpdir(), 'tfjs-prune-untrusted-'));
  mkdirSync(path.join(root, 'outside'));
  writeFileSync(path.join(root, 'outside', 'secret.bin'), SECRET);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A model directory whose one shard path is `shard` (written inside when `write`), with symlinks link.bin and linkdir/ to outside/. */
function modelDir(shard: string, o: { write?: boolean; specs?: unknown[]; extra?: Record<string, unknown>; tail?: string } = {}): string {
  const dir = path.join(root, `m${n++}`);
  mkdirSync(dir);
  if (o.write) writeFileSync(path.join(dir, shard), SECRET);
  symlinkSync(path.join(root, 'outside', 'secret.bin'), path.join(dir, 'link.bin'));
  symlinkSync(path.join(root, 'outside'), path.join(dir, 'linkdir'));
  const model = { format: 'layers-model', modelTopology: TOPOLOGY, weightsManifest: [{ paths: [shard], weights: o.specs ?? [SPEC] }], ...o.extra };
  const text = JSON.stringify(model);
  writeFileSync(path.join(dir, 'model.json'), o.tail === undefined ? text : `${text.slice(0, -1)},${o.tail}}`);
  return dir;
}

async function refusal(p: Promise<unknown>): Promise<PruneError> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  if (!(e instanceof PruneError)) throw new Error(`expected a PruneError, got ${e === null ? 'success' : String((e as Error)?.stack ?? e)}`);
  return e;
}

/** No output directory and no temporary sibling of it. */
function noOutput(out: string): void {
  expect(readdirSync(path.dirname(out)).filter((f) => f === path.basename(out) || f.startsWith(`.${path.basename(out)}.tmp-`))).toEqual([]);
}

const ESCAPES: [string, () => string][] = [
  ['an absolute path', () => path.join(root, 'outside', 'secret.bin')],
  ['a .. escape', () => '../outside/secret.bin'],
  ['a .. escape through a subdirectory', () => 'linkdir/../../outside/secret.bin'],
  ['a symbolic link to a file outside', () => 'link.bin'],
  ['a path through a symbolic link to a directory outside', () => 'linkdir/secret.bin'],
];

describe('shard paths stay inside the model', () => {
  it.each(ESCAPES)('%s: refused by loadArtifacts, read with allowOutsidePaths', async (_, shard) => {
    const dir = modelDir(shard());
    const e = await refusal(loadArtifacts(dir));
    expect(e).toBeInstanceOf(ModelFormatError);
    expect(e.code).toBe('MALFORMED_MODEL');
    expect(e.message).toContain(`weight path ${JSON.stringify(shard())} in ${path.join(dir, 'model.json')}`);
    expect(e.message).toMatch(/allowOutsidePaths/);
    expect((await refusal(loadArtifacts(pathToFileURL(path.join(dir, 'model.json'))))).message).toBe(e.message);
    const a = await loadArtifacts(dir, { allowOutsidePaths: true });
    expect(new Uint8Array(a.weightData as ArrayBuffer)).toEqual(SECRET);
  });

  it.each(ESCAPES)('%s: refused by pruneDirectory (0 and 2 threads), no output; pruned with allowOutsidePaths', async (_, shard) => {
    const dir = modelDir(shard());
    for (const threads of [0, 2]) {
      const out = `${dir}-out${threads}`;
      const e = await refusal(pruneDirectory(dir, out, { sparsity: 0.5 }, { threads }));
      expect(e.code).toBe('MALFORMED_MODEL');
      expect(e.message).toContain(JSON.stringify(shard()));
      noOutput(out);
      const r = await pruneDirectory(dir, out, { sparsity: 0.5 }, { threads, allowOutsidePaths: true });
      expect(r.report.totals.prunedSparsity).toBe(0.5);
    }
  });

  it('the same shard inside the model loads, and a NUL in a path is refused even when allowed', async () => {
    expect(new Uint8Array((await loadArtifacts(modelDir('inside.bin', { write: true }))).weightData as ArrayBuffer)).toEqual(SECRET);
    const e = await refusal(loadArtifacts(modelDir('a\0b.bin'), { allowOutsidePaths: true }));
    expect(e.message).toMatch(/NUL character/);
  });

  it('a model.json found in a directory must not lead outside it', async () => {
    const dir = path.join(root, `m${n++}`);
    mkdirSync(dir);
    writeFileSync(path.join(root, 'outside', 'model.json'), JSON.stringify({ modelTopology: TOPOLOGY, weightsManifest: [{ paths: ['../outside/secret.bin'], weights: [SPEC] }] }));
    symlinkSync(path.join(root, 'outside', 'model.json'), path.join(dir, 'model.json'));
    expect((await refusal(loadArtifacts(dir))).message).toMatch(/model\.json leads, through a symbolic link, outside/);
    expect((await refusal(pruneDirectory(dir, `${dir}-out`, { sparsity: 0.5 }))).code).toBe('MALFORMED_MODEL');
    // Allowed, its shards are found beside the path given (dir), as before.
    expect(new Uint8Array((await loadArtifacts(dir, { allowOutsidePaths: true })).weightData as ArrayBuffer)).toEqual(SECRET);
  });

  it('a worker thread refuses an input file outside the model even if handed one', () => {
    const inside = modelDir('inside.bin', { write: true });
    const entry = { index: 0, name: 'w', shape: [16], size: 16, dtype: 'float32' as const, quant: null, scale: 0, min: 0, byteOffset: 0, byteLength: 64, group: undefined, spec: { name: 'w', shape: [16], dtype: 'float32' as const } };
    const setup = (file: string) => ({ fname: 'pruneDirectory', entries: [entry], input: [{ path: file, start: 0, size: 64 }], inputRoot: inside, output: [], outOffsets: [0] });
    const outside = new JobRunner(setup(path.join(root, 'outside', 'secret.bin')));
    expect(() => outside.run({ op: 'count', t: 0, start: 0, end: 16, bits: 0 })).toThrow(/pruneDirectory: weight shard .*secret\.bin is outside the model's directory/);
    outside.close();
    const ok = new JobRunner(setup(path.join(inside, 'inside.bin')));
    expect(ok.run({ op: 'count', t: 0, start: 0, end: 16, bits: 0 }).result).toEqual({ lt: 0, eq: 0 });
    ok.close();
  });
});

describe('limits before allocation', () => {
  it('declared bytes beyond the shards: refused before the weights are read', async () => {
    const dir = modelDir('inside.bin', { write: true, specs: [{ ...SPEC, shape: [2 ** 20, 2 ** 20] }] });
    const e = await refusal(loadArtifacts(dir));
    expect(e.code).toBe('WEIGHTS_MISMATCH');
    expect(e.message).toMatch(/needs bytes 0\.\.4398046511104 of the weight data, but the weight data ends at byte 64/);
    expect((await refusal(pruneDirectory(dir, `${dir}-out`, { sparsity: 0.5 }))).code).toBe('WEIGHTS_MISMATCH');
  });

  it('a shard listed twice, under any name, is refused: a small file cannot be read (and allocated) many times', async () => {
    const dir = modelDir('inside.bin', { write: true });
    symlinkSync('inside.bin', path.join(dir, 'alias.bin'));
    linkSync(path.join(dir, 'inside.bin'), path.join(dir, 'hard.bin'));
    const half = SPEC; // two groups, one 64-byte file each
    for (const [paths, also] of [[['inside.bin', 'inside.bin'], ''], [['inside.bin', 'alias.bin'], ''], [['inside.bin', 'hard.bin'], ' (also as ']] as const) {
      const model = { modelTopology: TOPOLOGY, weightsManifest: [{ paths: [paths[0]], weights: [half] }, { paths: [paths[1]], weights: [{ ...half, name: 'other' }] }] };
      writeFileSync(path.join(dir, 'model.json'), JSON.stringify(model));
      for (const e of [await refusal(loadArtifacts(dir)), await refusal(pruneDirectory(dir, `${dir}-out`, { sparsity: 0.5 }))]) {
        expect(e.code).toBe('MALFORMED_MODEL');
        expect(e.message).toMatch(/lists the weight shard .* twice/);
        if (also !== '') expect(e.message).toContain(also);
      }
    }
  });

  it('shape products past 2^53 are malformed, whatever the order of the dimensions', async () => {
    for (const shape of [[2 ** 30, 2 ** 30, 2 ** 30], [2 ** 60], [1e300, 1e300, 0], [0, 2 ** 54]]) {
      const e = await refusal(loadArtifacts(modelDir('inside.bin', { write: true, specs: [{ ...SPEC, shape }] })));
      expect(e.code).toBe('MALFORMED_MODEL');
      expect(e.message).toMatch(/more elements than 2\^53|shape must be an array of non-negative integers/);
    }
  });

  it('maxBytes: a model with more weight bytes is refused before they are read (an 8 GiB sparse shard)', async () => {
    const dir = modelDir('big.bin', { specs: [{ ...SPEC, shape: [2 ** 31] }] });
    writeFileSync(path.join(dir, 'big.bin'), '');
    truncateSync(path.join(dir, 'big.bin'), 2 ** 33);
    const e = await refusal(loadArtifacts(dir, { maxBytes: 2 ** 20 }));
    expect(e.code).toBe('MALFORMED_MODEL');
    expect(e.message).toMatch(/the weight shards hold at least 8589934592 bytes, over the cap of 1048576 bytes \(maxBytes\)/);
    expect((await refusal(pruneDirectory(dir, `${dir}-out`, { sparsity: 0.5 }, { maxBytes: 2 ** 20 }))).message).toMatch(/over the cap of 1048576 bytes \(maxBytes\)/);
    noOutput(`${dir}-out`);
    // Under the cap, the same small model loads.
    expect((await loadArtifacts(modelDir('inside.bin', { write: true }), { maxBytes: 64 })).weightData).toBeDefined();
    expect((await refusal(loadArtifacts(modelDir('inside.bin', { write: true }), { maxBytes: 63 }))).message).toMatch(/64 bytes, over the cap of 63/);
  });

  it('model JSON over maxJsonBytes is refused before it is read (default 32 MiB)', async () => {
    const dir = modelDir('inside.bin', { write: true });
    truncateSync(path.join(dir, 'model.json'), DEFAULT_MAX_JSON_BYTES + 1);
    const e = await refusal(loadArtifacts(dir));
    expect(e.message).toMatch(/the model JSON has 33554433 bytes, over the cap of 33554432 bytes \(maxJsonBytes\)/);
    const small = modelDir('inside.bin', { write: true, extra: { userDefinedMetadata: { pad: 'x'.repeat(5000) } } });
    expect((await refusal(loadArtifacts(small, { maxJsonBytes: 4096 }))).message).toMatch(/over the cap of 4096 bytes \(maxJsonBytes\)/);
    expect((await refusal(pruneDirectory(small, `${small}-out`, { sparsity: 0.5 }, { maxJsonBytes: 4096 }))).message).toMatch(/maxJsonBytes/);
    expect((await loadArtifacts(small, { maxJsonBytes: 8192 })).userDefinedMetadata).toBeDefined();
  });

  it('JSON nested deeper than 1000 levels is refused before parsing; 900 levels load and prune', async () => {
    const deep = (d: number) => `"userDefinedMetadata":{"deep":${'['.repeat(d)}"[{"${']'.repeat(d)}}`;
    const dir = modelDir('inside.bin', { write: true, tail: deep(5000) });
    expect((await refusal(loadArtifacts(dir))).message).toMatch(/nests arrays or objects deeper than 1000 levels/);
    expect((await refusal(pruneDirectory(dir, `${dir}-out`, { sparsity: 0.5 }))).code).toBe('MALFORMED_MODEL');
    noOutput(`${dir}-out`);
    const ok = modelDir('inside.bin', { write: true, tail: deep(900) });
    await pruneDirectory(ok, `${ok}-out`, { sparsity: 0.5 });
    expect(existsSync(path.join(`${ok}-out`, 'model.json'))).toBe(true);
  });

  it('JSON holding more than 2^20 arrays and objects is refused before parsing; the 19 047 of the largest real model are far below', async () => {
    const many = (k: number) => `"userDefinedMetadata":[${'{},'.repeat(k)}{}]`;
    const dir = modelDir('inside.bin', { write: true, tail: many(2 ** 20) });
    expect((await refusal(loadArtifacts(dir))).message).toMatch(/holds more than 1048576 arrays and objects/);
    expect((await refusal(pruneDirectory(dir, `${dir}-out`, { sparsity: 0.5 }))).message).toMatch(/holds more than 1048576 arrays and objects/);
    expect((await loadArtifacts(modelDir('inside.bin', { write: true, tail: many(100_000) }))).userDefinedMetadata).toHaveLength(100_001);
  });

  it('rejects bad option values', async () => {
    const dir = modelDir('inside.bin', { write: true });
    for (const o of [{ maxBytes: -1 }, { maxBytes: 1.5 }, { maxJsonBytes: 0 }, { allowOutsidePaths: 'yes' }, { maxbytes: 3 }] as LoadArtifactsOptions[]) {
      expect((await refusal(loadArtifacts(dir, o))).code).toBe('BAD_ARGUMENT');
    }
  });
});

// ---- URLs --------------------------------------------------------------------------------------

interface Server {
  url: string;
  /** Paths requested, in order. */
  hits: string[];
  /** Bytes of bodies written, per path. */
  sent: Map<string, number>;
  close(): Promise<void>;
}

type Route = (req: http.IncomingMessage, res: http.ServerResponse, s: Server) => void;

async function serve(routes: Record<string, Route>): Promise<Server> {
  const s = { hits: [] as string[], sent: new Map<string, number>() } as Server;
  const server = http.createServer((req, res) => {
    const p = new URL(req.url ?? '/', 'http://x').pathname;
    s.hits.push(p);
    const route = routes[p];
    if (route === undefined) {
      res.writeHead(404).end();
      return;
    }
    route(req, res, s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  s.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  s.close = () => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  };
  return s;
}

const json = (body: unknown): Route => (_, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
const bytes = (b: Uint8Array): Route => (_, res) => res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(b);
const redirect = (to: () => string): Route => (_, res) => res.writeHead(302, { location: to() }).end();
const modelOf = (paths: string[]) => ({ format: 'layers-model', modelTopology: TOPOLOGY, weightsManifest: [{ paths, weights: [SPEC] }] });

/** A body of `total` bytes, chunked (no Content-Length), counting what was written until the client hangs up. */
const endless = (total: number): Route => (req, res, s) => {
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  const chunk = new Uint8Array(64 * 1024);
  let sent = 0;
  const pump = () => {
    while (sent < total) {
      sent += chunk.length;
      s.sent.set(req.url ?? '', sent);
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    res.end();
  };
  res.on('close', () => s.sent.set(req.url ?? '', sent));
  pump();
};

describe('URL loads stay on the model origin (two servers on 127.0.0.1: two origins)', () => {
  let a: Server;
  let b: Server;
  beforeAll(async () => {
    b = await serve({ '/secret.bin': bytes(SECRET) });
    a = await serve({
      '/cross/model.json': json(modelOf([`${b.url}/secret.bin`])),
      '/redirect/model.json': json(modelOf(['shard.bin'])),
      '/redirect/shard.bin': redirect(() => `${b.url}/secret.bin`),
      '/same/model.json': json(modelOf(['shard.bin'])),
      '/same/shard.bin': redirect(() => '/same/real.bin'),
      '/same/real.bin': bytes(SECRET),
      '/file/model.json': json(modelOf([`file://${path.join(root, 'outside', 'secret.bin')}`])),
      '/moved/model.json': redirect(() => `${b.url}/model.json`),
      '/big/model.json': json(modelOf(['big.bin'])),
      '/big/big.bin': endless(64 * 2 ** 20),
      '/announced/model.json': json(modelOf(['big.bin'])),
      '/announced/big.bin': (_, res) => void res.writeHead(200, { 'content-length': String(2 ** 30) }).write(new Uint8Array(1024)),
      '/hugejson/model.json': (_, res) => void res.writeHead(200, { 'content-length': String(DEFAULT_MAX_JSON_BYTES + 1) }).write('{'),
      '/declared/model.json': json({ ...modelOf(['shard.bin']), weightsManifest: [{ paths: ['shard.bin'], weights: [{ ...SPEC, shape: [2 ** 20, 2 ** 20] }] }] }),
      '/declared/shard.bin': bytes(SECRET),
      '/bomb/model.json': json(modelOf(['bomb.bin'])),
      '/bomb/bomb.bin': (_, res) => res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(new Uint8Array(64 * 2 ** 20))),
      '/loop/model.json': redirect(() => '/loop/model.json'),
    });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it('a shard URL on another origin is refused and never fetched; allowOutsidePaths fetches it', async () => {
    const before = b.hits.length;
    const e = await refusal(loadArtifacts(`${a.url}/cross/model.json`));
    expect(e.code).toBe('MALFORMED_MODEL');
    expect(e.message).toContain(`weight shard ${b.url}/secret.bin is on another origin than the model (${a.url})`);
    expect(b.hits.length).toBe(before);
    expect(new Uint8Array((await loadArtifacts(`${a.url}/cross/model.json`, { allowOutsidePaths: true })).weightData as ArrayBuffer)).toEqual(SECRET);
    expect(b.hits.length).toBe(before + 1);
  });

  it('a redirect to another origin is refused and never followed; allowOutsidePaths follows it', async () => {
    const before = b.hits.length;
    const e = await refusal(loadArtifacts(`${a.url}/redirect/model.json`));
    expect(e.message).toContain(`weight shard ${a.url}/redirect/shard.bin redirects to ${b.url}/secret.bin is on another origin`);
    expect(b.hits.length).toBe(before);
    await refusal(loadArtifacts(`${a.url}/moved/model.json`));
    expect(b.hits.length).toBe(before);
    expect(new Uint8Array((await loadArtifacts(`${a.url}/redirect/model.json`, { allowOutsidePaths: true })).weightData as ArrayBuffer)).toEqual(SECRET);
  });

  it('a redirect on the same origin is followed', async () => {
    expect(new Uint8Array((await loadArtifacts(`${a.url}/same/model.json`)).weightData as ArrayBuffer)).toEqual(SECRET);
  });

  it('a file: shard of an http model is refused, even with allowOutsidePaths', async () => {
    for (const o of [{}, { allowOutsidePaths: true }]) {
      const e = await refusal(loadArtifacts(`${a.url}/file/model.json`, o));
      expect(e.message).toMatch(/is a file: URL, which a model fetched from http:\/\/127\.0\.0\.1:\d+ may never read/);
    }
  });

  it('maxBytes: a body longer than the cap is cut off as soon as it passes it', async () => {
    const e = await refusal(loadArtifacts(`${a.url}/big/model.json`, { maxBytes: 2 ** 20 }));
    expect(e.message).toMatch(/the weight shard sent more than 1048576 bytes, over the cap of 1048576 bytes \(maxBytes\)/);
    await new Promise((r) => setTimeout(r, 50));
    // The server stopped when the client hung up: far less than the 64 MiB it would send.
    expect(a.sent.get('/big/big.bin')).toBeLessThan(16 * 2 ** 20);
  });

  it('a gzip body is capped by its decoded bytes (64 KiB that inflate to 64 MiB)', async () => {
    expect((await refusal(loadArtifacts(`${a.url}/bomb/model.json`, { maxBytes: 2 ** 20 }))).message).toMatch(/the weight shard sent more than 1048576 bytes/);
  });

  it('a redirect loop ends after 10 hops with an IO error', async () => {
    const e = await refusal(loadArtifacts(`${a.url}/loop/model.json`));
    expect(e.code).toBe('IO_ERROR');
    expect(e.message).toMatch(/more than 10 redirects/);
  });

  it('a Content-Length over maxBytes, a manifest declaring more than maxBytes, and model JSON announced over maxJsonBytes are refused before reading', async () => {
    expect((await refusal(loadArtifacts(`${a.url}/announced/model.json`, { maxBytes: 1000 }))).message).toMatch(/announces 1073741824 bytes, over the cap of 1000 bytes \(maxBytes\)/);
    const hits = a.hits.length;
    expect((await refusal(loadArtifacts(`${a.url}/declared/model.json`))).message).toMatch(/the manifest declares at least 4398046511104 bytes, over the cap of 2147483648 bytes \(maxBytes\)/);
    expect(a.hits.length).toBe(hits + 1); // model.json only: no shard fetched
    expect((await refusal(loadArtifacts(`${a.url}/hugejson/model.json`))).message).toMatch(/announces 33554433 bytes, over the cap of 33554432 bytes \(maxJsonBytes\)/);
  });

  it('the CLI: exit 3 and one error line for a cross-origin shard; --allow-outside-paths prunes', async () => {
    const cwd = path.join(root, `cli${n++}`);
    mkdirSync(cwd);
    const r = await cli(['prune', `${a.url}/redirect/model.json`, '--out', 'o', '--sparsity', '0.5'], cwd);
    expect(r.code).toBe(3);
    expect(oneErrorLine(r.stderr)).toMatch(/redirects to http:\/\/127\.0\.0\.1:\d+\/secret\.bin is on another origin/);
    expect(existsSync(path.join(cwd, 'o'))).toBe(false);
    const ok = await cli(['prune', `${a.url}/redirect/model.json`, '--out', 'o', '--sparsity', '0.5', '--allow-outside-paths', '--no-gzip'], cwd);
    expect(ok.code).toBe(0);
  });
});

describe('the CLI on untrusted local models', () => {
  it('exit 3, one line naming the path, no output, for prune (loaded and streamed) and inspect; the opt-in prunes', async () => {
    const dir = modelDir('../outside/secret.bin');
    const cwd = path.dirname(dir);
    for (const args of [['prune', dir, '--out', 'o1', '--sparsity', '0.5'], ['prune', dir, '--out', 'o2', '--sparsity', '0.5', '--stream', '--threads', '1'], ['inspect', dir]]) {
      const r = await cli(args, cwd);
      expect(r.code).toBe(3);
      expect(oneErrorLine(r.stderr)).toContain('weight path "../outside/secret.bin"');
    }
    expect(existsSync(path.join(cwd, 'o1')) || existsSync(path.join(cwd, 'o2'))).toBe(false);
    const ok = await cli(['prune', dir, '--out', 'o3', '--sparsity', '0.5', '--allow-outside-paths', '--stream', '--threads', '1'], cwd);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
  });

  it('--max-bytes: exit 3 over the cap, exit 2 for a value that is not a byte count', async () => {
    const dir = modelDir('inside.bin', { write: true });
    const cwd = path.dirname(dir);
    const r = await cli(['inspect', dir, '--max-bytes', '10'], cwd);
    expect(r.code).toBe(3);
    expect(oneErrorLine(r.stderr)).toMatch(/over the cap of 10 bytes \(maxBytes\)/);
    expect((await cli(['inspect', dir, '--max-bytes', '1e3'], cwd)).code).toBe(2);
    expect((await cli(['inspect', dir, '--max-bytes', '64', '--no-gzip'], cwd)).code).toBe(0);
  });
});
