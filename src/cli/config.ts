// Command-line options to a PruneConfig. Values are checked here with messages that name the
// flag (the library's own checks, which name config fields, still run after).
import { ArgumentError } from '../node.js';
import type { PruneConfig, PruneMethod, PruneOverrideConfig, QuantizeDtype } from '../tfjs.js';

export interface PruneFlags {
  config?: string;
  sparsity?: string;
  scope?: string;
  method?: string;
  include: string[];
  exclude: string[];
  includeClass: string[];
  excludeClass: string[];
  skipFirst?: boolean;
  skipLast?: boolean;
  override: string[];
  quantize?: string;
}

/** '0.9', '.9' or '90%'. */
export function parseSparsity(flag: string, text: string): number {
  const t = text.trim();
  const pct = t.endsWith('%');
  const body = pct ? t.slice(0, -1).trim() : t;
  const n = /^[+]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i.test(body) ? Number(body) / (pct ? 100 : 1) : NaN;
  if (!(n >= 0 && n <= 1)) throw new ArgumentError(`${flag} must be a fraction in [0, 1] such as 0.9 (or a percentage such as 90%), got '${text}'`);
  return n;
}

/** 'magnitude', 'nm:2:4' or '2:4'. */
export function parseMethod(flag: string, text: string): PruneMethod {
  const t = text.trim().toLowerCase();
  if (t === 'magnitude') return 'magnitude';
  const m = /^(?:nm:)?(\d+):(\d+)$/.exec(t);
  if (m !== null) {
    const n = Number(m[1]);
    const mm = Number(m[2]);
    if (mm >= 1 && mm <= 1024 && n <= mm) return `${n}:${mm}`;
  }
  throw new ArgumentError(`${flag} must be 'magnitude' or 'nm:N:M' with 0 <= N <= M <= 1024 (e.g. nm:2:4), got '${text}'`);
}

/** 'pattern=0.95', 'pattern=95%', 'pattern=skip' or 'pattern=nm:2:4' (split at the last '='). */
export function parseOverride(text: string): PruneOverrideConfig {
  const at = text.lastIndexOf('=');
  const match = at > 0 ? text.slice(0, at) : '';
  const value = at > 0 ? text.slice(at + 1).trim() : '';
  if (match === '' || value === '') {
    throw new ArgumentError(`--override must be pattern=sparsity, pattern=skip or pattern=nm:N:M (e.g. 'fc3/*=0.5'), got '${text}'`);
  }
  if (value.toLowerCase() === 'skip') return { match, skip: true };
  if (/^(nm:)?\d+:\d+$/i.test(value) || value.toLowerCase() === 'magnitude') {
    return { match, method: parseMethod(`--override ${match}`, value) };
  }
  return { match, sparsity: parseSparsity(`--override ${match}`, value) };
}

const QUANTIZE = ['uint8', 'uint16', 'float16'] as const;

/**
 * The config: `base` (from --config), then every flag given on top of it. Lists (include,
 * exclude, overrides, classes) add to the file's.
 */
export function configFromFlags(flags: PruneFlags, base: PruneConfig = {}): PruneConfig {
  const c: PruneConfig = { ...base };
  if (flags.method !== undefined) c.method = parseMethod('--method', flags.method);
  if (flags.sparsity !== undefined) c.sparsity = parseSparsity('--sparsity', flags.sparsity);
  if (flags.scope !== undefined) {
    if (flags.scope !== 'layer' && flags.scope !== 'global') throw new ArgumentError(`--scope must be 'layer' or 'global', got '${flags.scope}'`);
    c.scope = flags.scope;
  }
  if (flags.quantize !== undefined) {
    if (!(QUANTIZE as readonly string[]).includes(flags.quantize)) throw new ArgumentError(`--quantize must be one of ${QUANTIZE.join(', ')}, got '${flags.quantize}'`);
    c.quantize = flags.quantize as QuantizeDtype;
  }
  const add = <K extends 'include' | 'exclude' | 'includeClasses' | 'excludeClasses'>(key: K, values: string[]) => {
    if (values.length > 0) c[key] = [...(c[key] ?? []), ...values];
  };
  add('include', flags.include);
  add('exclude', flags.exclude);
  add('includeClasses', flags.includeClass);
  add('excludeClasses', flags.excludeClass);
  if (flags.skipFirst) c.skipFirst = true;
  if (flags.skipLast) c.skipLast = true;
  if (flags.override.length > 0) c.overrides = [...(c.overrides ?? []), ...flags.override.map(parseOverride)];

  const nm = c.method !== undefined && c.method !== 'magnitude';
  if (nm && flags.sparsity !== undefined) {
    throw new ArgumentError(`--sparsity applies to --method magnitude; ${c.method} fixes the sparsity (set per-tensor sparsities with --override)`);
  }
  if (!nm && c.sparsity === undefined) throw new ArgumentError('--sparsity is required for magnitude pruning (e.g. --sparsity 0.9)');
  if (nm && c.scope === 'global') throw new ArgumentError(`--scope global ranks magnitudes across tensors; it does not apply to --method ${c.method}`);
  return c;
}

/** Parses the JSON text of a --config file into a PruneConfig (the library validates the fields). */
export function parseConfigFile(file: string, text: string): PruneConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ArgumentError(`--config ${file} is not valid JSON: ${(e as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new ArgumentError(`--config ${file} must hold a JSON object such as { "sparsity": 0.9 }`);
  return json as PruneConfig;
}
