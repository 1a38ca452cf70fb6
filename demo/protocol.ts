// Messages between the page (main.ts) and the worker (worker.ts). Everything is plain data, so it
// crosses postMessage by structured clone.
import type { WasmInfo } from '../src/index.js';
import type { ModelPruneReport, PruneConfig } from '../src/tfjs.js';

/** The methods the page offers: magnitude per layer or global, and 2:4 structured. */
export type DemoMethod = 'layer' | 'global' | '2:4';

export interface PruneRequest {
  /** Increasing; a result carries the id of the request it answers. */
  id: number;
  method: DemoMethod;
  /** Target sparsity of the pruned kernels (ignored for 2:4, which is 0.5 by construction). */
  sparsity: number;
}

export type ToWorker =
  | {
      type: 'init';
      modelUrl: string;
      imagesUrl: string;
      labelsUrl: string;
      /** Prefix of tfjs-backend-wasm's .wasm files (setWasmPaths), ending in '/'. */
      tfjsWasmPaths: string;
      /** init({ forceScalar }): run tfjs-prune's scalar build even where SIMD works. */
      forceScalar: boolean;
    }
  | ({ type: 'prune' } & PruneRequest);

export interface Evaluation {
  correct: number;
  count: number;
  accuracy: number;
}

export type FromWorker =
  | {
      type: 'ready';
      wasm: WasmInfo;
      simdSupported: boolean;
      /** The tfjs backend that runs the model. */
      backend: string;
      count: number;
      /** The original (dense) model. */
      dense: Evaluation & { raw: number; gzip: number | null };
      ms: number;
    }
  | { type: 'result'; request: PruneRequest; report: ModelPruneReport; evaluation: Evaluation; ms: { prune: number; evaluate: number } }
  | { type: 'error'; id: number | null; message: string };

/** The PruneConfig of a request: the same object the test hands to pruneArtifacts in Node. */
export function configOf(r: Pick<PruneRequest, 'method' | 'sparsity'>): PruneConfig {
  return r.method === '2:4' ? { method: '2:4' } : { sparsity: r.sparsity, scope: r.method };
}
