// Messages between the page (main.ts) and the worker (worker.ts). Everything is plain data, so it
// crosses postMessage by structured clone.
import type { WasmInfo } from '../src/index.js';
import type { ModelPruneReport, OneShotConfig, PruneConfig } from '../src/tfjs.js';
import { methodOf, type DemoMethod } from './methods.js';

export type { DemoMethod };

/**
 * Sizes of a model, what the page's sizes table reads: pruneArtifacts' report.bytes (weight bytes
 * raw, gzip, uint8 + gzip) and `compact`, the bytes of the whole model (topology and weights) as
 * one compact container (compressArtifacts, docs/container.md).
 */
export type Sizes = ModelPruneReport['bytes'] & { compact: number };

export interface PruneRequest {
  /** Increasing; a result carries the id of the request it answers. */
  id: number;
  method: DemoMethod;
  /** Target sparsity of the pruned kernels (ignored by methods with a fixedSparsity, such as 2:4). */
  sparsity: number;
}

export type ToWorker =
  | {
      type: 'init';
      modelUrl: string;
      imagesUrl: string;
      labelsUrl: string;
      /** The MNIST training slice the one-shot methods calibrate on (IDX images and labels). */
      calibrationImagesUrl: string;
      calibrationLabelsUrl: string;
      /** Prefix of tfjs-backend-wasm's .wasm files (setWasmPaths), ending in '/'. */
      tfjsWasmPaths: string;
      /** init({ forceScalar }): run tfjs-prune's scalar build even where SIMD works. */
      forceScalar: boolean;
    }
  | ({ type: 'prune' } & PruneRequest);

/** Whole-model inference time of the pruned model, dense (tfjs' own kernels) against sparse. */
export interface Timing {
  batch: number;
  /** Median milliseconds of one predict() of `batch` images. */
  denseMs: number;
  sparseMs: number;
}

export interface SparseRun {
  /** The sparse model's correct count on the test slice: its outputs equal the dense model's, so the same. */
  correct: number;
  timings: Timing[];
}

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
      /** The scalar build was asked for (?scalar), not picked for want of SIMD. */
      forcedScalar: boolean;
      /** The tfjs backend that runs the model. */
      backend: string;
      count: number;
      /** The original (dense) model: its accuracy, and its sizes (the report of pruning it at sparsity 0). */
      dense: Evaluation & { sizes: Sizes };
      ms: number;
    }
  | {
      type: 'result';
      request: PruneRequest;
      report: ModelPruneReport;
      /** The pruned model's sizes: report.bytes and its compact container's byte count. */
      sizes: Sizes;
      /** The pruned model run with sparse kernels (toSparseModel, every Dense layer sparse), or null when they could not start. */
      sparse: SparseRun | null;
      evaluation: Evaluation;
      ms: { prune: number; evaluate: number };
    }
  | { type: 'error'; id: number | null; message: string };

/** The PruneConfig of a request: the same object the test hands to pruneArtifacts in Node. */
export function configOf(r: Pick<PruneRequest, 'method' | 'sparsity'>): PruneConfig {
  return methodOf(r.method).config(r.sparsity);
}

/** The OneShotConfig of a one-shot request (pruneOneShot's), or null for a pruneArtifacts method. */
export function oneShotConfigOf(r: Pick<PruneRequest, 'method' | 'sparsity'>): OneShotConfig | null {
  const m = methodOf(r.method);
  if (m.oneShot === null) return null;
  const { sparsity, scope } = m.config(r.sparsity);
  return { sparsity, scope, method: m.oneShot };
}
