/// <reference types="node" />
// Worker-thread entry of pruneDirectory (built as dist/stream-worker.mjs): initialises the Wasm
// kernels, then runs the batches of jobs it is sent, in order (stream_jobs.ts), and answers each batch.
import { parentPort, workerData } from 'node:worker_threads';
import { init } from '../index.js';
import { PruneError } from '../errors.js';
import { JobRunner, type Job, type JobResult, type RunnerSetup } from './stream_jobs.js';
import type { InitOptions } from '../wasm/index.js';

interface WorkerInput {
  init: InitOptions;
}

/** The messages a worker takes: the model's layout (first, once), jobs, and the end. */
export type WorkerMessage = { setup: RunnerSetup } | { id: number; jobs: Job[] } | { close: true };

const port = parentPort;
if (port !== null) {
  const input = workerData as WorkerInput;
  // The Wasm kernels load while the calling thread still opens the model.
  const ready = init(input.init);
  let runner: JobRunner | null = null;
  port.on('message', (msg: WorkerMessage) => {
    if ('setup' in msg) {
      runner = new JobRunner(msg.setup);
      return;
    }
    if ('close' in msg) {
      runner?.close();
      port.close();
      return;
    }
    ready.then(
      () => {
        try {
          if (runner === null) throw new Error('tfjs-prune internal error: a job reached a worker before its setup');
          const results: JobResult[] = [];
          const transfers: ArrayBuffer[] = [];
          for (const job of msg.jobs) {
            const { result, transfer } = runner.run(job);
            results.push(result);
            transfers.push(...transfer);
          }
          port.postMessage({ id: msg.id, results }, transfers);
        } catch (e) {
          port.postMessage({ id: msg.id, error: serializeError(e) });
        }
      },
      (e: unknown) => port.postMessage({ id: msg.id, error: serializeError(e) }),
    );
  });
}

export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  fields: Record<string, unknown>;
  stack?: string;
}

function serializeError(e: unknown): SerializedError {
  if (e instanceof Error) {
    const fields: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(e)) if (typeof v !== 'function' && typeof v !== 'object') fields[k] = v;
    return { name: e.name, message: e.message, code: e instanceof PruneError ? e.code : undefined, fields, stack: e.stack };
  }
  return { name: 'Error', message: String(e), fields: {} };
}
