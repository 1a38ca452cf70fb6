// Validates a PruneConfig and turns it, with the default selection rule, into one decision per
// tensor. Every pattern that selects (include, overrides) must match something: a typo is an
// error, not a silently dense model.
import { ArgumentError } from '../errors.js';
import type { TensorLike, TensorRole } from './select.js';
import type { PruneConfig, PruneMethod, QuantizeDtype } from './types.js';

export interface NM {
  n: number;
  m: number;
}

interface Pattern {
  source: string;
  re: RegExp;
}

interface Override {
  pattern: Pattern;
  sparsity: number | undefined;
  method: PruneMethod | undefined;
  nm: NM | null;
  skip: boolean;
}

export interface NormalizedConfig {
  sparsity: number | null;
  scope: 'layer' | 'global';
  method: PruneMethod;
  nm: NM | null;
  include: Pattern[];
  exclude: Pattern[];
  includeClasses: Set<string>;
  excludeClasses: Set<string>;
  skipFirst: boolean;
  skipLast: boolean;
  overrides: Override[];
  quantize: QuantizeDtype | null;
}

export interface Decision {
  prune: boolean;
  /** Magnitude target (null for N:M or unpruned). */
  sparsity: number | null;
  method: PruneMethod | null;
  nm: NM | null;
  /** Member of the global threshold pool. */
  pool: boolean;
  reason: string;
}

const CONFIG_KEYS = new Set(['sparsity', 'scope', 'method', 'include', 'exclude', 'includeClasses', 'excludeClasses', 'skipFirst', 'skipLast', 'overrides', 'quantize']);
const OVERRIDE_KEYS = new Set(['match', 'sparsity', 'method', 'skip']);

export function normalizeConfig(fname: string, config: unknown, allowQuantize: boolean): NormalizedConfig {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new ArgumentError(`${fname}: config must be an object such as { sparsity: 0.5 }, got ${config === null ? 'null' : typeof config}`);
  }
  const c = config as PruneConfig & Record<string, unknown>;
  for (const key of Object.keys(c)) {
    if (!CONFIG_KEYS.has(key)) throw new ArgumentError(`${fname}: unknown config field '${key}' (known: ${[...CONFIG_KEYS].join(', ')})`);
  }
  const scope = c.scope ?? 'layer';
  if (scope !== 'layer' && scope !== 'global') throw new ArgumentError(`${fname}: scope must be 'layer' or 'global', got ${String(scope)}`);
  const method = c.method ?? 'magnitude';
  const nm = parseMethod(fname, 'method', method);
  const sparsity = c.sparsity === undefined ? null : checkSparsity(fname, 'sparsity', c.sparsity);
  if (nm !== null && sparsity !== null) {
    throw new ArgumentError(`${fname}: sparsity applies to magnitude pruning; method '${method}' fixes it (set per-tensor sparsities in overrides)`);
  }
  if (nm === null && sparsity === null) throw new ArgumentError(`${fname}: sparsity is required for magnitude pruning (a number in [0, 1])`);
  if (scope === 'global' && nm !== null) throw new ArgumentError(`${fname}: scope 'global' ranks magnitudes across tensors; it does not apply to method '${method}'`);
  const quantize = c.quantize ?? null;
  if (quantize !== null) {
    if (quantize !== 'uint8' && quantize !== 'uint16' && quantize !== 'float16') {
      throw new ArgumentError(`${fname}: quantize must be 'uint8', 'uint16' or 'float16', got ${String(quantize)}`);
    }
    if (!allowQuantize) throw new ArgumentError(`${fname}: quantize changes the stored weights' format; use pruneArtifacts for it`);
  }
  const overrides = (checkArray(fname, 'overrides', c.overrides) as unknown[]).map((o, i) => parseOverride(fname, o, i));
  return {
    sparsity,
    scope,
    method,
    nm,
    include: patterns(fname, 'include', c.include),
    exclude: patterns(fname, 'exclude', c.exclude),
    includeClasses: new Set(strings(fname, 'includeClasses', c.includeClasses)),
    excludeClasses: new Set(strings(fname, 'excludeClasses', c.excludeClasses)),
    skipFirst: bool(fname, 'skipFirst', c.skipFirst),
    skipLast: bool(fname, 'skipLast', c.skipLast),
    overrides,
    quantize,
  };
}

function parseOverride(fname: string, o: unknown, i: number): Override {
  const field = `overrides[${i}]`;
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new ArgumentError(`${fname}: ${field} must be an object { match, sparsity?, method?, skip? }`);
  const r = o as Record<string, unknown>;
  for (const key of Object.keys(r)) {
    if (!OVERRIDE_KEYS.has(key)) throw new ArgumentError(`${fname}: unknown field '${key}' in ${field} (known: match, sparsity, method, skip)`);
  }
  if (typeof r.match !== 'string') throw new ArgumentError(`${fname}: ${field}.match must be a string pattern, got ${typeof r.match}`);
  const sparsity = r.sparsity === undefined ? undefined : checkSparsity(fname, `${field}.sparsity`, r.sparsity);
  const method = r.method as PruneMethod | undefined;
  const nm = method === undefined ? null : parseMethod(fname, `${field}.method`, method);
  const skip = bool(fname, `${field}.skip`, r.skip);
  if (!skip && sparsity === undefined && method === undefined) throw new ArgumentError(`${fname}: ${field} sets none of sparsity, method, skip`);
  if (nm !== null && sparsity !== undefined) throw new ArgumentError(`${fname}: ${field}: sparsity applies to magnitude pruning, not method '${method}'`);
  return { pattern: compilePattern(fname, `${field}.match`, r.match), sparsity, method, nm, skip };
}

function parseMethod(fname: string, field: string, m: unknown): NM | null {
  if (m === 'magnitude') return null;
  const match = typeof m === 'string' ? /^(\d+):(\d+)$/.exec(m) : null;
  if (match) {
    const n = Number(match[1]);
    const mm = Number(match[2]);
    if (mm >= 1 && mm <= 1024 && n <= mm) return { n, m: mm };
  }
  throw new ArgumentError(`${fname}: ${field} must be 'magnitude' or 'N:M' with 0 <= N <= M <= 1024 (e.g. '2:4'), got ${JSON.stringify(m)}`);
}

function checkSparsity(fname: string, field: string, s: unknown): number {
  if (typeof s !== 'number' || !(s >= 0 && s <= 1)) throw new ArgumentError(`${fname}: ${field} must be a number in [0, 1], got ${String(s)}`);
  return s;
}

function checkArray(fname: string, field: string, v: unknown): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new ArgumentError(`${fname}: ${field} must be an array, got ${typeof v}`);
  return v;
}

function strings(fname: string, field: string, v: unknown): string[] {
  const a = checkArray(fname, field, v);
  a.forEach((s, i) => {
    if (typeof s !== 'string') throw new ArgumentError(`${fname}: ${field}[${i}] must be a string, got ${typeof s}`);
  });
  return a as string[];
}

function bool(fname: string, field: string, v: unknown): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new ArgumentError(`${fname}: ${field} must be a boolean, got ${typeof v}`);
  return v;
}

function patterns(fname: string, field: string, v: unknown): Pattern[] {
  return strings(fname, field, v).map((p, i) => compilePattern(fname, `${field}[${i}]`, p));
}

/** A glob ('*' any run, '?' one character) or '/regex/flags', matched against the whole name. */
export function compilePattern(fname: string, field: string, p: string): Pattern {
  const rx = /^\/(.+)\/([a-z]*)$/s.exec(p);
  if (rx) {
    try {
      return { source: p, re: new RegExp(rx[1], rx[2]) };
    } catch (e) {
      throw new ArgumentError(`${fname}: ${field} is not a valid regular expression: ${(e as Error).message}`);
    }
  }
  if (p === '') throw new ArgumentError(`${fname}: ${field} is an empty pattern`);
  const body = p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return { source: p, re: new RegExp(`^${body}$`, 's') };
}

/** One decision per tensor, from the default rule, the config and the overrides. */
export function decide(fname: string, tensors: readonly TensorLike[], roles: readonly TensorRole[], cfg: NormalizedConfig): Decision[] {
  const none = (reason: string): Decision => ({ prune: false, sparsity: null, method: null, nm: null, pool: false, reason });
  for (const p of cfg.include) {
    if (!tensors.some((t) => p.re.test(t.name))) throw new ArgumentError(`${fname}: include pattern '${p.source}' matches no tensor`);
  }
  const selected = tensors.map((t, i) => {
    const role = roles[i];
    if (role.reason === 'optimizer state' || t.dtype !== 'float32') return { on: false, reason: role.reason };
    const cls = role.layerClass;
    if (cfg.exclude.some((p) => p.re.test(t.name))) return { on: false, reason: 'excluded by pattern' };
    if (cls !== null && cfg.excludeClasses.has(cls)) return { on: false, reason: `excluded class ${cls}` };
    if (role.prunable) return { on: true, reason: role.reason };
    if (cfg.include.some((p) => p.re.test(t.name))) return { on: true, reason: 'included by pattern' };
    if (cls !== null && cfg.includeClasses.has(cls) && t.shape.length >= 2) return { on: true, reason: `included class ${cls}` };
    return { on: false, reason: role.reason };
  });
  if (cfg.skipFirst || cfg.skipLast) {
    // Layers in model order; a layer is the unit skipped (a SeparableConv's two kernels together).
    const layerOrder = new Map<string, number>();
    tensors.forEach((t, i) => {
      if (!selected[i].on) return;
      const key = roles[i].layer ?? t.name;
      layerOrder.set(key, Math.min(layerOrder.get(key) ?? Infinity, roles[i].order));
    });
    const sorted = [...layerOrder].sort((a, b) => a[1] - b[1]).map(([k]) => k);
    const skip = new Map<string, string>();
    if (cfg.skipFirst && sorted.length > 0) skip.set(sorted[0], 'first layer skipped');
    if (cfg.skipLast && sorted.length > 0) skip.set(sorted[sorted.length - 1], 'last layer skipped');
    tensors.forEach((t, i) => {
      const why = selected[i].on ? skip.get(roles[i].layer ?? t.name) : undefined;
      if (why !== undefined) selected[i] = { on: false, reason: why };
    });
  }
  const used = cfg.overrides.map(() => false);
  const decisions = tensors.map((t, i) => {
    if (!selected[i].on) return none(selected[i].reason);
    const oi = cfg.overrides.findIndex((o) => o.pattern.re.test(t.name));
    const o = oi >= 0 ? cfg.overrides[oi] : undefined;
    if (o) used[oi] = true;
    if (o?.skip) return none(`override '${o.pattern.source}': skip`);
    const method = o?.method ?? (o?.sparsity !== undefined ? 'magnitude' : cfg.method);
    const nm = o?.method !== undefined ? o.nm : o?.sparsity !== undefined ? null : cfg.nm;
    const sparsity = nm !== null ? null : (o?.sparsity ?? cfg.sparsity);
    if (nm === null && sparsity === null) {
      throw new ArgumentError(`${fname}: tensor '${t.name}' is pruned by magnitude but no sparsity is given (config.sparsity or an override's)`);
    }
    const pool = cfg.scope === 'global' && nm === null && o?.sparsity === undefined;
    const reason = o ? `${selected[i].reason}; override '${o.pattern.source}'` : selected[i].reason;
    return { prune: true, sparsity, method, nm, pool, reason };
  });
  cfg.overrides.forEach((o, i) => {
    if (used[i]) return;
    const elsewhere = tensors.filter((t) => o.pattern.re.test(t.name));
    const hint =
      elsewhere.length === 0
        ? 'matches no tensor'
        : `matches no tensor selected for pruning (it matches ${elsewhere.length} unselected, e.g. '${elsewhere[0].name}'; add them with include, or an earlier override took them)`;
    throw new ArgumentError(`${fname}: override pattern '${o.pattern.source}' ${hint}`);
  });
  return decisions;
}
