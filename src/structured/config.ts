// pruneStructured's config, validated into one normalized object.
import type { Tensor } from '@tensorflow/tfjs-core';
import { ArgumentError } from '../errors.js';
import { compilePattern } from '../model/config.js';
import { FNAME } from './surface.js';
import type { StructuredConfig, StructuredImportance } from './types.js';

const CONFIG_KEYS = new Set(['sparsity', 'scope', 'importance', 'calibration', 'roundTo', 'layers', 'exclude', 'overrides']);

export interface Normalized {
  sparsity: number;
  scope: 'layer' | 'global';
  importance: StructuredImportance;
  calibration: Tensor[] | null;
  roundTo: number;
  layers: Set<string> | null;
  exclude: Set<string>;
  overrides: { re: RegExp; source: string; sparsity: number | undefined; skip: boolean }[];
}

function checkSparsity(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) throw new ArgumentError(`${FNAME}: ${field} must be a number in [0, 1], got ${String(v)}`);
  return v;
}

function names(field: string, v: unknown): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw new ArgumentError(`${FNAME}: ${field} must be an array of layer names`);
  return v as string[];
}

export function normalize(config: unknown): Normalized {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new ArgumentError(`${FNAME}: config must be an object such as { sparsity: 0.5 }, got ${config === null ? 'null' : typeof config}`);
  }
  const c = config as StructuredConfig & Record<string, unknown>;
  for (const key of Object.keys(c)) if (!CONFIG_KEYS.has(key)) throw new ArgumentError(`${FNAME}: unknown config field '${key}' (known: ${[...CONFIG_KEYS].join(', ')})`);
  const sparsity = checkSparsity('sparsity', c.sparsity);
  const scope = c.scope ?? 'layer';
  if (scope !== 'layer' && scope !== 'global') throw new ArgumentError(`${FNAME}: scope must be 'layer' or 'global', got ${String(scope)}`);
  const importance = c.importance ?? 'l1';
  if (importance !== 'l1' && importance !== 'l2' && importance !== 'activation') {
    throw new ArgumentError(`${FNAME}: importance must be 'l1', 'l2' or 'activation', got ${String(importance)}`);
  }
  const calibration = calibrationOf(c.calibration);
  if (importance === 'activation' && calibration === null) throw new ArgumentError(`${FNAME}: importance 'activation' needs a calibration batch (config.calibration)`);
  if (importance !== 'activation' && calibration !== null) throw new ArgumentError(`${FNAME}: calibration is only used by importance 'activation' (got importance '${importance}')`);
  const roundTo = c.roundTo ?? 1;
  if (typeof roundTo !== 'number' || !Number.isInteger(roundTo) || roundTo < 1) throw new ArgumentError(`${FNAME}: roundTo must be a positive integer, got ${String(roundTo)}`);
  const layers = c.layers === undefined ? null : new Set(names('layers', c.layers));
  const exclude = new Set(names('exclude', c.exclude));
  return { sparsity, scope, importance, calibration, roundTo, layers, exclude, overrides: overridesOf(c.overrides) };
}

function calibrationOf(value: StructuredConfig['calibration']): Tensor[] | null {
  if (value === undefined) return null;
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || list.some((t) => t === null || typeof t !== 'object' || !Array.isArray((t as Tensor).shape))) {
    throw new ArgumentError(`${FNAME}: calibration must be a tf.Tensor or an array of them (one per model input)`);
  }
  return list;
}

function overridesOf(value: StructuredConfig['overrides']): Normalized['overrides'] {
  if (value !== undefined && !Array.isArray(value)) throw new ArgumentError(`${FNAME}: overrides must be an array`);
  return (value ?? []).map((o, i) => {
    if (o === null || typeof o !== 'object') throw new ArgumentError(`${FNAME}: overrides[${i}] must be an object such as { match: 'conv*', sparsity: 0.3 }`);
    for (const key of Object.keys(o)) if (key !== 'match' && key !== 'sparsity' && key !== 'skip') throw new ArgumentError(`${FNAME}: overrides[${i}] has an unknown field '${key}' (known: match, sparsity, skip)`);
    if (typeof o.match !== 'string') throw new ArgumentError(`${FNAME}: overrides[${i}].match must be a string`);
    const p = compilePattern(FNAME, `overrides[${i}].match`, o.match);
    if (o.skip !== undefined && typeof o.skip !== 'boolean') throw new ArgumentError(`${FNAME}: overrides[${i}].skip must be a boolean`);
    if (o.sparsity === undefined && !o.skip) throw new ArgumentError(`${FNAME}: overrides[${i}] needs sparsity or skip: true`);
    return { re: p.re, source: p.source, sparsity: o.sparsity === undefined ? undefined : checkSparsity(`overrides[${i}].sparsity`, o.sparsity), skip: o.skip === true };
  });
}
