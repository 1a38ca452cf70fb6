/// <reference types="node" />
// Worker-thread entry of pruneDirectory (built as dist/stream-worker.mjs): initialises the Wasm
// kernels, then runs the jobs it is sent one at a time (stream_jobs.ts) and answers each.
import { parentPort, workerData } from 'node:worker_threads';
import { init } from '../index.js';
import { PruneError } from '../errors.js';
import { JobRunner, type Job, type RunnerSetup } from './stream_jobs.js';
import type { InitOptions } from '../wasm/index.js';

interface WorkerInput {
  setup: RunnerSetup;
  init: InitOptions;
}

const port = parentPort;
if (port !== null) {
  const input = workerData as WorkerInput;
  const runner = new JobRunner(input.setup);
  const ready = init(input.init);
  port.on('message', (msg: { id: number; job: Job } | { close: true }) => {
    if ('close' in msg) {
      runner.close();
      port.close();
      return;
    }
    ready.then(
      () => {
        try {
          const { result, transfer } = runner.run(msg.job);
          port.postMessage({ id: msg.id, result }, transfer);
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
