/// <reference types="node" />
// What every command gets from main: where to print, whether to draw progress, and a place to
// register the cleanup of outputs it created (run when the command fails or is interrupted).
import type { Progress, Stage } from './progress.js';

export interface Ctx {
  /** --json: stdout carries one JSON document and nothing else. */
  json: boolean;
  /** Writes a line to stdout. */
  out(line: string): void;
  /** Writes a line to stderr (notes, warnings). */
  note(line: string): void;
  /** A progress bar over these stages (silent unless stderr is a TTY and --json is off). */
  progress(stages: Stage[]): Progress;
  /** Runs `fn` if the command fails or is interrupted after this point. */
  onFailure(fn: () => Promise<void>): void;
  /** "tfjs-prune 0.1.0". */
  generator: string;
}

export interface CommonFlags {
  json?: boolean;
  debug?: boolean;
  progress?: boolean;
}
