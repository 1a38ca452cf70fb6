/// <reference types="node" />
// A progress bar on stderr for the stages of a run (loading shards, pruning, sizes, writing), drawn
// only on a terminal: never under --json, never when stderr is a pipe or a file. There, `lines`
// (--progress, or TFJS_PRUNE_PROGRESS=1) writes one line per stage instead, with the time the
// previous stage took, so a CI log shows where the time went.
//
// The library calls (loadArtifacts, pruneArtifacts, saveArtifacts) report no progress of their
// own, so the bar advances by stage, weighted by a rough cost, and names the stage it is in; the
// elapsed time keeps ticking during a long stage.
import { createRequire } from 'node:module';
import type CliProgress from 'cli-progress';

/**
 * cli-progress, loaded where a bar is drawn (a terminal): ~10 ms of every other run's start
 * (a pipe, a CI log, --json, --progress lines) went to importing it.
 */
function cliProgress(): typeof CliProgress {
  return createRequire(import.meta.url)('cli-progress') as typeof CliProgress;
}

export interface Stage {
  /** Shown beside the bar: "loading shards". */
  label: string;
  /** Relative cost (default 1). */
  weight?: number;
}

export interface Progress {
  /** Starts the next stage (the previous one is complete). */
  next(detail?: string): void;
  /** Within the current stage: `done` of `total` units (tensors, say). */
  update(done: number, total: number): void;
  /** Completes and removes the bar. */
  stop(): void;
}

const SILENT: Progress = { next() {}, update() {}, stop() {} };

export function createProgress(stages: Stage[], options: { enabled: boolean; lines?: boolean; stream?: NodeJS.WriteStream }): Progress {
  const stream = options.stream ?? process.stderr;
  if (stages.length === 0) return SILENT;
  if (!stream.isTTY) return options.lines ? lineProgress(stages, stream) : SILENT;
  if (!options.enabled) return SILENT;
  const weights = stages.map((s) => s.weight ?? 1);
  const total = weights.reduce((a, b) => a + b, 0);
  const bars = cliProgress();
  const bar = new bars.SingleBar(
    {
      stream,
      format: '{bar} {percentage}% | {stage} | {duration_formatted}',
      barsize: 30,
      hideCursor: true,
      clearOnComplete: true,
      fps: 10,
    },
    bars.Presets.shades_classic,
  );
  let index = -1;
  let stopped = false;
  let base = 0;
  const stageText = (i: number, detail?: string) => `${i + 1}/${stages.length} ${stages[i].label}${detail ? ` ${detail}` : ''}`;
  bar.start(total, 0, { stage: '' });
  return {
    next(detail) {
      if (index >= 0) base += weights[index];
      index = Math.min(index + 1, stages.length - 1);
      bar.update(base, { stage: stageText(index, detail) });
    },
    update(done, of) {
      if (index < 0 || of <= 0) return;
      bar.update(base + (weights[index] * Math.min(done, of)) / of, { stage: `${stageText(index)} (${done}/${of})` });
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bar.update(total);
      bar.stop();
    },
  };
}

/** One line per stage: `tfjs-prune: 2/3 pruning (previous stage 0.84 s, 1.20 s in all)`, then `done`. */
function lineProgress(stages: Stage[], stream: NodeJS.WritableStream): Progress {
  const start = performance.now();
  let last = start;
  let index = -1;
  let stopped = false;
  const line = (what: string) => {
    const now = performance.now();
    const took = index < 0 ? '' : `previous stage ${((now - last) / 1000).toFixed(2)} s, `;
    stream.write(`tfjs-prune: ${what} (${took}${((now - start) / 1000).toFixed(2)} s in all)\n`);
    last = now;
  };
  return {
    next(detail) {
      if (index >= stages.length - 1 || stopped) return;
      const i = index + 1;
      line(`${i + 1}/${stages.length} ${stages[i].label}${detail ? ` ${detail}` : ''}`);
      index = i;
    },
    update() {},
    stop() {
      if (stopped || index < 0) return;
      stopped = true;
      line('done');
    },
  };
}
