// Every failure the library reports is a PruneError with a stable `code`; subclasses exist where a
// caller may want to catch one kind. This file imports nothing so every layer can use it.

export type PruneErrorCode =
  | 'BAD_ARGUMENT'
  | 'NAN_WEIGHTS'
  | 'WASM_NOT_INITIALIZED'
  | 'WASM_UNSUPPORTED'
  | 'MALFORMED_MODEL'
  | 'WEIGHTS_MISMATCH';

export class PruneError extends Error {
  readonly code: PruneErrorCode;
  constructor(code: PruneErrorCode, message: string) {
    super(message);
    this.name = 'PruneError';
    this.code = code;
  }
}

/** An argument out of range or of the wrong type. */
export class ArgumentError extends PruneError {
  constructor(message: string) {
    super('BAD_ARGUMENT', message);
    this.name = 'ArgumentError';
  }
}

/** Weights hold NaN where a magnitude has to be compared. */
export class NaNWeightsError extends PruneError {
  readonly count: number;
  readonly firstIndex: number;
  constructor(message: string, count: number, firstIndex: number) {
    super('NAN_WEIGHTS', message);
    this.name = 'NaNWeightsError';
    this.count = count;
    this.firstIndex = firstIndex;
  }
}

/** WebAssembly missing, not initialised, or a module that is not ours. */
export class WasmError extends PruneError {
  constructor(code: 'WASM_NOT_INITIALIZED' | 'WASM_UNSUPPORTED', message: string) {
    super(code, message);
    this.name = 'WasmError';
  }
}
