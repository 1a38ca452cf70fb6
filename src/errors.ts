// Every failure the library reports is a PruneError with a stable `code`; subclasses exist where a
// caller may want to catch one kind. This file imports nothing so every layer can use it.

export type PruneErrorCode =
  | 'BAD_ARGUMENT'
  | 'NAN_WEIGHTS'
  | 'WASM_NOT_INITIALIZED'
  | 'WASM_UNSUPPORTED'
  | 'MALFORMED_MODEL'
  | 'WEIGHTS_MISMATCH'
  | 'IO_ERROR'
  | 'OUTPUT_EXISTS'
  | 'MALFORMED_DATA'
  | 'MALFORMED_CONTAINER';

export class PruneError extends Error {
  // `declare`: assigned in the constructor, no class-field definition emitted (bytes in tfjs-prune/load).
  declare readonly code: PruneErrorCode;
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

/** Where in a model something is wrong; every field that is known is set. */
export interface ModelLocation {
  /** File (model.json or a weight shard) or URL. */
  file?: string;
  /** Tensor name from the weights manifest. */
  tensor?: string;
  /** Byte offset in `file` when given, else in the artifacts' concatenated weight data. */
  byteOffset?: number;
}

/** A model that cannot be read as described: malformed model.json, weights not matching the manifest. */
export class ModelFormatError extends PruneError {
  readonly file: string | undefined;
  readonly tensor: string | undefined;
  readonly byteOffset: number | undefined;
  constructor(code: 'MALFORMED_MODEL' | 'WEIGHTS_MISMATCH', message: string, where: ModelLocation = {}) {
    super(code, message);
    this.name = 'ModelFormatError';
    this.file = where.file;
    this.tensor = where.tensor;
    this.byteOffset = where.byteOffset;
  }
}

/** A file-system or network failure, or an output directory that exists and may not be replaced. */
export class ModelIOError extends PruneError {
  readonly file: string;
  constructor(code: 'IO_ERROR' | 'OUTPUT_EXISTS', message: string, file: string) {
    super(code, message);
    this.name = 'ModelIOError';
    this.file = file;
  }
}

/** A data file (an IDX file of MNIST, say) that is not what its header or its name says. */
export class DataFormatError extends PruneError {
  readonly file: string | undefined;
  readonly byteOffset: number | undefined;
  constructor(message: string, where: { file?: string; byteOffset?: number } = {}) {
    super('MALFORMED_DATA', message);
    this.name = 'DataFormatError';
    this.file = where.file;
    this.byteOffset = where.byteOffset;
  }
}

/**
 * A compact container (docs/container.md) that cannot be read: wrong magic or version, a checksum
 * that does not match, a length or count that runs past its section, a coded stream that does not
 * decode to what its header declares. `section` names the part ('header', 'model', or
 * 'tensor 3 (dense/kernel)'); `byteOffset` is the offset in the container where reading failed.
 */
export class ContainerFormatError extends PruneError {
  declare readonly section: string;
  declare readonly byteOffset: number;
  constructor(message: string, section: string, byteOffset: number) {
    super('MALFORMED_CONTAINER', `${message} (${section}, byte ${byteOffset})`);
    this.name = 'ContainerFormatError';
    this.section = section;
    this.byteOffset = byteOffset;
  }
}
