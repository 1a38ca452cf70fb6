/// <reference types="node" />
// loadArtifacts: model.json (or a bare weights manifest) and its shards, from a directory, a file,
// a file: URL or an http(s) URL, into tf.io.ModelArtifacts with one ArrayBuffer per weight group.
// Everything is checked against the manifest before anything is returned, and the manifest against
// the shards' sizes and the caps before any weight is read (untrusted.ts).
import { open, stat, type FileHandle } from 'node:fs/promises';
import { constants as bufferConstants } from 'node:buffer';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArgumentError, ModelFormatError, ModelIOError } from '../errors.js';
import { declaredBytes, parseWeightSpecs, recordWeightFiles, type WeightFile, WeightStore } from '../format/index.js';
import type { ModelArtifacts, WeightSpec } from '../model/types.js';
import {
  checkJsonShape,
  checkLimits,
  checkModelFileInside,
  DEFAULT_MAX_URL_BYTES,
  fetchWithin,
  FileBytes,
  modelDir,
  noteShard,
  overCap,
  readModelText,
  shardPath,
  type LoadArtifactsOptions,
  type ReadLimits,
} from './untrusted.js';

const FNAME = 'loadArtifacts';
const MAX_LENGTH = bufferConstants.MAX_LENGTH;

/** Files tried, in order, when loadArtifacts is given a directory. */
export const MODEL_FILE_NAMES = ['model.json', 'weights_manifest.json'] as const;

interface Source {
  /** Shown in messages. */
  label: string;
  readText(): Promise<string>;
  /**
   * Reads the shards (paths relative to the model file) of one group into one buffer, after
   * checking `weights` against their sizes (files) or declared bytes against `budget` (URLs).
   */
  readGroup(paths: string[], weights: unknown[], budget: number): Promise<{ buffer: ArrayBuffer; files: { label: string; byteLength: number }[] }>;
  /** The cap on weight bytes: maxBytes, else the source's default. */
  maxBytes: number;
}

/**
 * Reads a model saved in the standard layout: model.json (layers or graph model) or a bare weights
 * manifest (an array of groups, as face-api and tf.io.loadWeights use), plus the shard files it
 * lists. `pathOrUrl` is a directory (model.json, else weights_manifest.json, inside it), a JSON
 * file, a file: URL or an http(s) URL. A model is untrusted input: its shards must lie in its
 * directory (or on its origin), and its sizes within the caps (LoadArtifactsOptions).
 */
export async function loadArtifacts(pathOrUrl: string | URL, options: LoadArtifactsOptions = {}): Promise<ModelArtifacts> {
  const source = await openSource(pathOrUrl, checkLimits(FNAME, options));
  const text = await source.readText();
  const { model, groups: manifest } = parseModelText(text, source.label, FNAME);
  const groups: ArrayBuffer[] = [];
  const specs: WeightSpec[] = [];
  const files: WeightFile[] = [];
  let base = 0;
  for (let g = 0; g < manifest.length; g++) {
    const { paths, weights } = manifest[g];
    const { buffer, files: shards } = await source.readGroup(paths, weights, source.maxBytes - base);
    const size = buffer.byteLength;
    const groupFiles: WeightFile[] = [];
    let off = 0;
    for (const s of shards) {
      groupFiles.push({ file: s.label, byteOffset: off, byteLength: s.byteLength });
      off += s.byteLength;
    }
    recordWeightFiles(buffer, groupFiles);
    parseWeightSpecs(weights, new WeightStore([buffer]), { fname: FNAME, file: source.label, weightData: buffer });
    for (const f of groupFiles) files.push({ ...f, byteOffset: f.byteOffset + base });
    groups.push(buffer);
    specs.push(...(weights as WeightSpec[]));
    base += size;
  }
  const names = new Set<string>();
  for (const s of specs) {
    if (names.has(s.name)) throw new ModelFormatError('MALFORMED_MODEL', `${FNAME}: ${source.label}: tensor '${s.name}' appears in two weight groups`, { file: source.label, tensor: s.name });
    names.add(s.name);
  }
  const weightData = groups.length === 1 ? groups[0] : groups;
  recordWeightFiles(weightData, files);
  const artifacts: ModelArtifacts = { weightSpecs: specs, weightData };
  copyModelFields(model, artifacts);
  return artifacts;
}

/** One group of a weights manifest, checked. */
export interface ManifestGroup {
  paths: string[];
  weights: unknown[];
}

/**
 * Parses model.json (or a bare weights manifest) and checks its shape down to the groups' paths
 * and weights arrays (the specs themselves are checked by parseWeightSpecs).
 */
export function parseModelText(text: string, label: string, fname: string): { model: Record<string, unknown> | null; groups: ManifestGroup[] } {
  checkJsonShape(text, label, fname);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ModelFormatError('MALFORMED_MODEL', `${fname}: ${label} is not valid JSON: ${(e as Error).message}`, { file: label });
  }
  const malformed = (msg: string) => new ModelFormatError('MALFORMED_MODEL', `${fname}: ${label}: ${msg}`, { file: label });
  let manifest: unknown;
  let model: Record<string, unknown> | null = null;
  if (Array.isArray(json)) manifest = json;
  else if (json !== null && typeof json === 'object') {
    model = json as Record<string, unknown>;
    manifest = model.weightsManifest;
    if (manifest === undefined) throw malformed('no weightsManifest (a model.json lists its weight shards there)');
    if (model.modelTopology !== undefined && (model.modelTopology === null || typeof model.modelTopology !== 'object')) {
      throw malformed(`modelTopology must be an object, got ${model.modelTopology === null ? 'null' : typeof model.modelTopology}`);
    }
  } else throw malformed('expected a model.json object or a weights manifest array');
  if (!Array.isArray(manifest)) throw malformed('weightsManifest must be an array of { paths, weights } groups');
  const groups: ManifestGroup[] = [];
  for (let g = 0; g < manifest.length; g++) {
    const group = manifest[g] as { paths?: unknown; weights?: unknown };
    if (group === null || typeof group !== 'object') throw malformed(`weightsManifest[${g}] is not an object`);
    const { paths, weights } = group;
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string' && p !== '')) {
      throw malformed(`weightsManifest[${g}].paths must be an array of file names`);
    }
    if (!Array.isArray(weights)) throw malformed(`weightsManifest[${g}].weights must be an array`);
    groups.push({ paths: paths as string[], weights });
  }
  return { model, groups };
}

/** The model.json fields that ModelArtifacts carries besides the weights. */
export function copyModelFields(model: Record<string, unknown> | null, artifacts: ModelArtifacts): void {
  if (model === null) return;
  for (const key of ['modelTopology', 'format', 'generatedBy', 'convertedBy', 'trainingConfig', 'signature', 'userDefinedMetadata', 'modelInitializer', 'initializerSignature'] as const) {
    if (model[key] !== undefined) (artifacts as Record<string, unknown>)[key] = model[key];
  }
}

async function openSource(pathOrUrl: string | URL, limits: ReadLimits): Promise<Source> {
  let url: URL | null = null;
  if (pathOrUrl instanceof URL) url = pathOrUrl;
  else if (typeof pathOrUrl === 'string' && /^[a-z][a-z0-9+.-]+:\/\//i.test(pathOrUrl)) url = new URL(pathOrUrl);
  else if (typeof pathOrUrl !== 'string' || pathOrUrl === '') {
    throw new ArgumentError(`${FNAME}: expected a path or URL string, got ${typeof pathOrUrl}`);
  }
  if (url !== null && url.protocol !== 'file:') {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ArgumentError(`${FNAME}: unsupported URL scheme '${url.protocol}' (file:, http: and https: are)`);
    return httpSource(url, limits);
  }
  return fileSource(url !== null ? fileURLToPath(url) : (pathOrUrl as string), limits);
}

/** The model file a local path names: the path itself, or model.json / weights_manifest.json in a directory. */
export async function findModelFile(p: string, fname: string = FNAME, allowOutside = false): Promise<string> {
  const file = path.resolve(p);
  const st = await stat(file).catch((e: NodeJS.ErrnoException) => {
    throw new ModelIOError('IO_ERROR', `${fname}: cannot read ${file}: ${e.code ?? e.message}`, file);
  });
  if (!st.isDirectory()) return file;
  for (const name of MODEL_FILE_NAMES) {
    const candidate = path.join(file, name);
    if (await stat(candidate).then((s) => s.isFile(), () => false)) {
      await checkModelFileInside(fname, file, candidate, allowOutside);
      return candidate;
    }
  }
  throw new ModelIOError('IO_ERROR', `${fname}: ${file} holds no ${MODEL_FILE_NAMES.join(' or ')}`, file);
}

async function fileSource(p: string, limits: ReadLimits): Promise<Source> {
  const file = await findModelFile(p, FNAME, limits.allowOutsidePaths);
  const where = await modelDir(file, FNAME);
  const seen = new Map<string, string>();
  return {
    label: file,
    maxBytes: limits.maxBytes ?? Infinity,
    readText: () => readModelText(FNAME, file, limits.maxJsonBytes),
    async readGroup(paths, weights, budget) {
      // Sizes first, the manifest checked against them, then every shard read straight into its
      // place in one buffer: no second copy, and nothing allocated that the files do not hold.
      const handles: { label: string; fh: FileHandle; size: number }[] = [];
      try {
        for (const name of paths) {
          const shard = await shardPath(FNAME, where, name, limits.allowOutsidePaths);
          const st = await stat(shard).catch(() => null);
          if (st !== null && !st.isFile()) throw new ModelIOError('IO_ERROR', `${FNAME}: weight shard ${shard}, listed in ${file}, is not a file`, shard);
          let fh: FileHandle;
          try {
            fh = await open(shard, 'r');
          } catch (e) {
            const code = (e as NodeJS.ErrnoException).code;
            if (code === 'ENOENT') {
              throw new ModelFormatError('WEIGHTS_MISMATCH', `${FNAME}: weight shard ${shard}, listed in ${file}, is missing`, { file: shard, byteOffset: 0 });
            }
            throw new ModelIOError('IO_ERROR', `${FNAME}: cannot read ${shard}: ${code ?? (e as Error).message}`, shard);
          }
          handles.push({ label: shard, fh, size: 0 });
          const fst = await fh.stat();
          if (!fst.isFile()) throw new ModelIOError('IO_ERROR', `${FNAME}: weight shard ${shard}, listed in ${file}, is not a file`, shard);
          handles[handles.length - 1].size = fst.size;
          noteShard(seen, FNAME, file, shard, fst);
        }
        const total = handles.reduce((a, h) => a + h.size, 0);
        if (total > budget) throw overCap(FNAME, file, 'the weight shards hold at least', total + (limits.maxBytes ?? 0) - budget, limits.maxBytes ?? 0, 'maxBytes');
        if (total > MAX_LENGTH) {
          throw new ModelIOError('IO_ERROR', `${FNAME}: ${file}: a weight group of ${total} bytes does not fit in one ArrayBuffer (at most ${MAX_LENGTH}); prune it with pruneDirectory (the CLI's --stream)`, file);
        }
        let start = 0;
        const spans = handles.map((h) => ({ path: h.label, start: (start += h.size) - h.size, size: h.size }));
        const token = {};
        recordWeightFiles(token, spans.map((f) => ({ file: f.path, byteOffset: f.start, byteLength: f.size })));
        parseWeightSpecs(weights, new FileBytes(spans, FNAME), { fname: FNAME, file, weightData: token });
        const all = new Uint8Array(total);
        let off = 0;
        for (const h of handles) {
          let done = 0;
          while (done < h.size) {
            const { bytesRead } = await h.fh.read(all, off + done, h.size - done, done).catch((e: NodeJS.ErrnoException) => {
              throw new ModelIOError('IO_ERROR', `${FNAME}: cannot read ${h.label}: ${e.code ?? e.message}`, h.label);
            });
            if (bytesRead === 0) throw new ModelIOError('IO_ERROR', `${FNAME}: ${h.label} shrank while being read`, h.label);
            done += bytesRead;
          }
          off += h.size;
        }
        return { buffer: all.buffer, files: handles.map((h) => ({ label: h.label, byteLength: h.size })) };
      } finally {
        await Promise.all(handles.map((h) => h.fh.close()));
      }
    },
  };
}

function httpSource(url: URL, limits: ReadLimits): Source {
  const label = url.href;
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_URL_BYTES;
  return {
    label,
    maxBytes,
    async readText() {
      const r = await fetchWithin(FNAME, url, url, limits.allowOutsidePaths, 'model', { bytes: limits.maxJsonBytes, option: 'maxJsonBytes' });
      if (r.bytes === null) throw new ModelIOError('IO_ERROR', `${FNAME}: ${label} answered ${r.status} ${r.statusText}`, label);
      return new TextDecoder().decode(r.bytes);
    },
    async readGroup(paths, weights, budget) {
      const declared = declaredBytes(weights);
      if (declared > budget) throw overCap(FNAME, label, 'the manifest declares at least', declared + maxBytes - budget, maxBytes, 'maxBytes');
      const parts: { label: string; bytes: Uint8Array }[] = [];
      let fetched = 0;
      for (const name of paths) {
        const u = new URL(name, url);
        const r = await fetchWithin(FNAME, u, url, limits.allowOutsidePaths, 'weight shard', { bytes: budget - fetched, option: 'maxBytes' });
        if (r.status === 404) {
          throw new ModelFormatError('WEIGHTS_MISMATCH', `${FNAME}: weight shard ${u.href}, listed in ${label}, is missing (404)`, { file: u.href, byteOffset: 0 });
        }
        if (r.bytes === null) throw new ModelIOError('IO_ERROR', `${FNAME}: ${u.href} answered ${r.status} ${r.statusText}`, u.href);
        parts.push({ label: u.href, bytes: r.bytes });
        fetched += r.bytes.length;
      }
      const all = new Uint8Array(fetched);
      let off = 0;
      for (const p of parts) {
        all.set(p.bytes, off);
        off += p.bytes.length;
      }
      return { buffer: all.buffer, files: parts.map((p) => ({ label: p.label, byteLength: p.bytes.length })) };
    },
  };
}
