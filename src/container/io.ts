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
      const f = options.fetch ?? globalThis.fetch;
      if (typeof f !== 'function') throw new PruneError('IO_ERROR', `compressedModel: no fetch in this runtime to load ${source}; pass the bytes or options.fetch`);
      let res: Response;
      try {
        res = await f(source, options.requestInit);
      } catch (e) {
        throw new PruneError('IO_ERROR', `compressedModel: fetching ${source} failed: ${(e as Error).message}`);
      }
      if (!res.ok) throw new PruneError('IO_ERROR', `compressedModel: fetching ${source} failed: HTTP ${res.status}`);
      return decompressArtifacts(new Uint8Array(await res.arrayBuffer()), options);
    },
  };
}
