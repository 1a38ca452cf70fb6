/// <reference types="node" />
// saveArtifacts: the standard layout (model.json + group1-shardXofN.bin), written atomically: the
// files go to a temporary directory beside the target, which is renamed into place at the end. A
// failure leaves no output and an existing directory is only replaced when asked.
import { mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ArgumentError, ModelFormatError, ModelIOError, PruneError } from '../errors.js';
import { readArtifacts } from '../model/artifacts.js';
import type { ModelArtifacts } from '../model/types.js';

const FNAME = 'saveArtifacts';

/** tfjs-converter's default shard size (--weight_shard_size_bytes). */
export const DEFAULT_SHARD_BYTES = 4 * 1024 * 1024;

export interface SaveArtifactsOptions {
  /** Replace `dir` if it exists (default false: an existing directory is an error). */
  overwrite?: boolean;
  /** Bytes per weight shard; default 4 MiB as tfjs-converter. */
  shardBytes?: number;
  /**
   * Name of the JSON file. Default 'model.json'; artifacts without a modelTopology are written as a
   * bare weights manifest (an array of groups) named 'weights_manifest.json'.
   */
  fileName?: string;
}

export interface SaveArtifactsResult {
  /** Absolute path of the JSON file written. */
  modelPath: string;
  /** Absolute paths of the shards, in manifest order. */
  shardPaths: string[];
  weightBytes: number;
}

/**
 * Writes artifacts in the layout stock tfjs loads (tf.loadLayersModel / tf.loadGraphModel over
 * http or file system handlers, tf.io.loadWeights for bare manifests). The artifacts are checked
 * first (manifest against weight bytes); nothing is written when they are wrong.
 */
export async function saveArtifacts(dir: string, artifacts: ModelArtifacts, options: SaveArtifactsOptions = {}): Promise<SaveArtifactsResult> {
  if (typeof dir !== 'string' || dir === '') throw new ArgumentError(`${FNAME}: dir must be a non-empty path string`);
  const { overwrite, shardBytes, fileName } = checkOptions(options, artifacts);
  const { entries, store } = readArtifacts(artifacts, FNAME);
  if (artifacts.modelTopology instanceof ArrayBuffer) {
    throw new ModelFormatError('MALFORMED_MODEL', `${FNAME}: the topology is a binary GraphDef; model.json needs it as JSON`);
  }
  const target = path.resolve(dir);
  const existing = await stat(target).catch(() => null);
  if (existing !== null) {
    if (!existing.isDirectory()) throw new ModelIOError('OUTPUT_EXISTS', `${FNAME}: ${target} exists and is not a directory`, target);
    if (!overwrite) throw new ModelIOError('OUTPUT_EXISTS', `${FNAME}: ${target} exists; pass { overwrite: true } to replace it`, target);
  }
  const parent = path.dirname(target);
  const base = path.basename(target);
  let tmp: string | null = null;
  try {
    await mkdir(parent, { recursive: true });
    // mkdir, not mkdtemp: mkdtemp makes the directory 0700 and the rename would keep that; a
    // model directory should get the usual mode (0777 less the umask) like any other.
    tmp = path.join(parent, `.${base}.tmp-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`);
    await mkdir(tmp, { mode: 0o777 });
    const total = store.byteLength;
    const n = total === 0 ? 0 : Math.ceil(total / shardBytes);
    const names: string[] = [];
    for (let i = 0; i < n; i++) {
      const name = `group1-shard${i + 1}of${n}.bin`;
      names.push(name);
      const start = i * shardBytes;
      const len = Math.min(shardBytes, total - start);
      const fh = await open(path.join(tmp, name), 'w');
      try {
        const view = store.view(start, len);
        if (view !== null) await writeAll(fh, view);
        else {
          // A shard spanning input buffers: write it piece by piece.
          let done = 0;
          while (done < len) {
            const piece = Math.min(len - done, 1 << 24);
            await writeAll(fh, store.bytes(start + done, piece));
            done += piece;
          }
        }
      } finally {
        await fh.close();
      }
    }
    const specs = entries.map((e) => e.spec);
    const manifest = [{ paths: names, weights: specs }];
    const json = artifacts.modelTopology === undefined ? manifest : modelJSON(artifacts, manifest);
    await writeFile(path.join(tmp, fileName), JSON.stringify(json));
    await swapInto(tmp, target, overwrite);
    tmp = null;
    return { modelPath: path.join(target, fileName), shardPaths: names.map((s) => path.join(target, s)), weightBytes: total };
  } catch (e) {
    if (e instanceof PruneError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new ModelIOError('IO_ERROR', `${FNAME}: cannot write ${target}: ${err.code ?? err.message}`, target);
  } finally {
    if (tmp !== null) await rm(tmp, { recursive: true, force: true });
  }
}

async function writeAll(fh: import('node:fs/promises').FileHandle, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.length - done);
    done += bytesWritten;
  }
}

// Renames the finished directory into place; an existing one is moved aside first and removed
// only once the new one is in place (put back if that fails).
export async function swapInto(tmp: string, target: string, overwrite: boolean, fname = FNAME): Promise<void> {
  const exists = await stat(target).then(() => true, () => false);
  if (!exists) {
    try {
      await rename(tmp, target);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') throw new ModelIOError('OUTPUT_EXISTS', `${fname}: ${target} appeared while writing`, target);
      throw e;
    }
    return;
  }
  if (!overwrite) throw new ModelIOError('OUTPUT_EXISTS', `${fname}: ${target} appeared while writing`, target);
  const aside = `${tmp}.old`;
  await rename(target, aside);
  try {
    await rename(tmp, target);
  } catch (e) {
    await rename(aside, target);
    throw e;
  }
  await rm(aside, { recursive: true, force: true });
}

export function modelJSON(artifacts: ModelArtifacts, manifest: unknown): Record<string, unknown> {
  // The fields and order of tfjs-core's getModelJSONForModelArtifacts.
  const out: Record<string, unknown> = {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    weightsManifest: manifest,
  };
  for (const key of ['signature', 'userDefinedMetadata', 'modelInitializer', 'initializerSignature', 'trainingConfig'] as const) {
    if (artifacts[key] != null) out[key] = artifacts[key];
  }
  return out;
}

function checkOptions(options: SaveArtifactsOptions, artifacts: ModelArtifacts): Required<SaveArtifactsOptions> {
  if (options === null || typeof options !== 'object') throw new ArgumentError(`${FNAME}: options must be an object`);
  for (const key of Object.keys(options)) {
    if (key !== 'overwrite' && key !== 'shardBytes' && key !== 'fileName') throw new ArgumentError(`${FNAME}: unknown option '${key}' (known: overwrite, shardBytes, fileName)`);
  }
  const overwrite = options.overwrite ?? false;
  if (typeof overwrite !== 'boolean') throw new ArgumentError(`${FNAME}: overwrite must be a boolean`);
  const shardBytes = options.shardBytes ?? DEFAULT_SHARD_BYTES;
  if (!Number.isInteger(shardBytes) || shardBytes < 1) throw new ArgumentError(`${FNAME}: shardBytes must be a positive integer, got ${String(shardBytes)}`);
  const weightsOnly = artifacts !== null && typeof artifacts === 'object' && artifacts.modelTopology === undefined;
  const fileName = options.fileName ?? (weightsOnly ? 'weights_manifest.json' : 'model.json');
  if (typeof fileName !== 'string' || fileName === '' || fileName !== path.basename(fileName) || !fileName.endsWith('.json')) {
    throw new ArgumentError(`${FNAME}: fileName must be a plain file name ending in .json, got ${String(fileName)}`);
  }
  return { overwrite, shardBytes, fileName };
}
