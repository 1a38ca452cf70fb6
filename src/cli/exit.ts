// Exit statuses of the tfjs-prune bin, one per kind of failure, mapped from PruneError codes.
// docs/cli.md documents the same table; test/cli checks every row.
import { PruneError, type PruneErrorCode } from '../node.js';

export const EXIT = {
  OK: 0,
  /** A bug or anything that is not a PruneError. */
  UNEXPECTED: 1,
  /** Bad arguments: unknown option, sparsity out of range, a pattern matching nothing... */
  USAGE: 2,
  /** The model cannot be read as described: malformed model.json, weights not matching the manifest. */
  MODEL: 3,
  /** NaN weights in a tensor to prune. */
  NAN: 4,
  /** A file or URL that cannot be read or written. */
  IO: 5,
  /** The output directory (or report file) exists and --force was not given. */
  EXISTS: 6,
  /** WebAssembly missing or unusable in this runtime. */
  WASM: 7,
  /** Interrupted (Ctrl-C). */
  INTERRUPTED: 130,
} as const;

const BY_CODE: Record<PruneErrorCode, number> = {
  BAD_ARGUMENT: EXIT.USAGE,
  MALFORMED_MODEL: EXIT.MODEL,
  WEIGHTS_MISMATCH: EXIT.MODEL,
  MALFORMED_DATA: EXIT.MODEL,
  MALFORMED_CONTAINER: EXIT.MODEL,
  NAN_WEIGHTS: EXIT.NAN,
  IO_ERROR: EXIT.IO,
  OUTPUT_EXISTS: EXIT.EXISTS,
  WASM_NOT_INITIALIZED: EXIT.WASM,
  WASM_UNSUPPORTED: EXIT.WASM,
};

export function exitCodeOf(e: unknown): number {
  if (e instanceof PruneError) return BY_CODE[e.code] ?? EXIT.UNEXPECTED;
  return EXIT.UNEXPECTED;
}

/** The error's code for --json output ('UNEXPECTED' for anything that is not a PruneError). */
export function errorCodeOf(e: unknown): string {
  return e instanceof PruneError ? e.code : 'UNEXPECTED';
}
