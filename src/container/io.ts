// compressedModel: an IOHandler that reads a container from a URL or from bytes, for
// tf.loadLayersModel and tf.loadGraphModel.
import type { io } from '@tensorflow/tfjs-core';
import { PruneError } from '../errors.js';
import { decompressArtifacts, type DecompressOptions } from './decode.js';

export interface CompressedModelOptions extends DecompressOptions {
  /** The fetch to use for a URL (default: globalThis.fetch). */
  fetch?: (url: string, init?: RequestInit) => Promise<Response>;
  /** Passed to fetch (credentials, headers, signal). */
  requestInit?: RequestInit;
}

/**
 * `tf.loadGraphModel(compressedModel('model.tpz'))`: fetches (or takes) the container and
 * decodes it when tfjs asks for the artifacts.
 */
export function compressedModel(source: string | Uint8Array | ArrayBuffer, options: CompressedModelOptions = {}): io.IOHandler {
  return {
    load: async () => {
      if (typeof source !== 'string') return decompressArtifacts(source, options);
      const fail = (why: unknown): never => {
        throw new PruneError('IO_ERROR', `compressedModel: fetching ${source} failed: ${why}`);
      };
      const res = await (options.fetch ?? fetch)(source, options.requestInit).catch(fail);
      if (!res.ok) fail(`HTTP ${res.status}`);
      return decompressArtifacts(new Uint8Array(await res.arrayBuffer()), options);
    },
  };
}
