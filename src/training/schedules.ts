// Pruning schedules: pure functions of the training step, as in TF Model Optimization's
// pruning_schedule.py (ConstantSparsity, PolynomialDecay): the same formula, the same step rule,
// the same argument checks, and a config that round-trips through JSON. No state, no tfjs.
import { ArgumentError } from '../errors.js';

/** What a schedule asks for at one step. */
export interface PruningStep {
  /** Whether the masks are recomputed at this step. */
  shouldPrune: boolean;
  /** Target sparsity at this step (what a mask update at this step prunes to). */
  sparsity: number;
}

export interface ConstantSparsityConfig {
  /** In [0, 1). */
  targetSparsity: number;
  /** First step that prunes; an integer >= 0. Default 0. */
  beginStep?: number;
  /** Last step that may prune, an integer >= beginStep, or -1 (default) to prune on forever. */
  endStep?: number;
  /** Steps between mask updates; an integer >= 1. Default 100. */
  frequency?: number;
}

export interface PolynomialDecayConfig {
  /** Sparsity at beginStep, in [0, 1). */
  initialSparsity: number;
  /** Sparsity from endStep on, in [0, 1). */
  finalSparsity: number;
  /** An integer >= 0. */
  beginStep: number;
  /** An integer >= beginStep (-1 is not allowed: the decay needs an end). */
  endStep: number;
  /** Exponent of the decay, a finite number > 0. Default 3. */
  power?: number;
  /** Steps between mask updates; an integer >= 1. Default 100. */
  frequency?: number;
}

/** A schedule as data: `scheduleFromConfig(s.toConfig())` behaves as `s`. */
export type PruningScheduleConfig =
  | { className: 'ConstantSparsity'; config: Required<ConstantSparsityConfig> }
  | { className: 'PolynomialDecay'; config: Required<PolynomialDecayConfig> };

/**
 * step -> { shouldPrune, sparsity }. Any object with an `at` method that returns that for every
 * integer step can drive a Pruner; the built-in ones also serialize.
 */
export interface PruningSchedule {
  at(step: number): PruningStep;
  toConfig?(): PruningScheduleConfig;
}

/**
 * The same sparsity from beginStep on, the masks recomputed every `frequency` steps between
 * beginStep and endStep (TF MOT's ConstantSparsity).
 */
export function constantSparsity(config: ConstantSparsityConfig): PruningSchedule {
  const fname = 'constantSparsity';
  const c = fields(fname, config, ['targetSparsity', 'beginStep', 'endStep', 'frequency']);
  const targetSparsity = sparsity(fname, 'targetSparsity', c.targetSparsity);
  const { beginStep, endStep, frequency } = steps(fname, c.beginStep ?? 0, c.endStep ?? -1, c.frequency ?? 100, true);
  return new ConstantSparsity({ targetSparsity, beginStep, endStep, frequency });
}

/**
 * Sparsity rising from initialSparsity at beginStep to finalSparsity at endStep as
 *   s(step) = final + (initial − final) · (1 − p)^power,  p = clamp((step − begin) / (end − begin), 0, 1)
 * (TF MOT's PolynomialDecay; power 3 prunes fast early, when the network still has redundancy,
 * and slowly near the end). Masks are recomputed every `frequency` steps from beginStep to endStep.
 */
export function polynomialDecay(config: PolynomialDecayConfig): PruningSchedule {
  const fname = 'polynomialDecay';
  const c = fields(fname, config, ['initialSparsity', 'finalSparsity', 'beginStep', 'endStep', 'power', 'frequency']);
  const initialSparsity = sparsity(fname, 'initialSparsity', c.initialSparsity);
  const finalSparsity = sparsity(fname, 'finalSparsity', c.finalSparsity);
  if (c.beginStep === undefined) throw new ArgumentError(`${fname}: beginStep is required (an integer >= 0)`);
  if (c.endStep === undefined) throw new ArgumentError(`${fname}: endStep is required (an integer >= beginStep)`);
  const { beginStep, endStep, frequency } = steps(fname, c.beginStep, c.endStep, c.frequency ?? 100, false);
  const power = c.power ?? 3;
  if (typeof power !== 'number' || !Number.isFinite(power) || power <= 0) {
    throw new ArgumentError(`${fname}: power must be a finite number > 0, got ${String(power)}`);
  }
  return new PolynomialDecay({ initialSparsity, finalSparsity, beginStep, endStep, power, frequency });
}

/**
 * A schedule from its config: `{ className, config }` as toConfig() returns it, or the
 * `{ class_name, config }` of TF MOT's Keras get_config() (snake_case fields), so a schedule
 * written by a Python pipeline can be read as is.
 */
export function scheduleFromConfig(config: PruningScheduleConfig | { class_name: string; config: Record<string, unknown> }): PruningSchedule {
  const fname = 'scheduleFromConfig';
  if (config === null || typeof config !== 'object') throw new ArgumentError(`${fname}: config must be { className, config }, got ${config === null ? 'null' : typeof config}`);
  const r = config as Record<string, unknown>;
  const className = r.className ?? r.class_name;
  const inner = r.config;
  if (inner === null || typeof inner !== 'object' || Array.isArray(inner)) throw new ArgumentError(`${fname}: config.config must be an object`);
  const camel = Object.fromEntries(Object.entries(inner).map(([k, v]) => [k.replace(/_([a-z])/g, (_, ch: string) => ch.toUpperCase()), v]));
  if (className === 'ConstantSparsity') return constantSparsity(camel as unknown as ConstantSparsityConfig);
  if (className === 'PolynomialDecay') return polynomialDecay(camel as unknown as PolynomialDecayConfig);
  throw new ArgumentError(`${fname}: className must be 'ConstantSparsity' or 'PolynomialDecay', got ${JSON.stringify(className)}`);
}

/** Checks that `schedule` has an `at` method (any object will do; see PruningSchedule). */
export function checkSchedule(fname: string, schedule: unknown): PruningSchedule {
  if (schedule !== null && typeof schedule === 'object' && typeof (schedule as PruningSchedule).at === 'function') return schedule as PruningSchedule;
  if (schedule !== null && typeof schedule === 'object' && ('className' in schedule || 'class_name' in schedule)) {
    return scheduleFromConfig(schedule as PruningScheduleConfig);
  }
  throw new ArgumentError(`${fname}: schedule must be a pruning schedule (constantSparsity(...), polynomialDecay(...), an object with at(step), or a schedule config), got ${schedule === null ? 'null' : typeof schedule}`);
}

// ---------------------------------------------------------------------------------------------

class ConstantSparsity implements PruningSchedule {
  readonly className = 'ConstantSparsity';
  constructor(private readonly c: Required<ConstantSparsityConfig>) {
    Object.freeze(this);
  }
  at(step: number): PruningStep {
    checkStep('ConstantSparsity.at', step);
    return { shouldPrune: shouldPrune(step, this.c.beginStep, this.c.endStep, this.c.frequency), sparsity: this.c.targetSparsity };
  }
  toConfig(): PruningScheduleConfig {
    return { className: 'ConstantSparsity', config: { ...this.c } };
  }
}

class PolynomialDecay implements PruningSchedule {
  readonly className = 'PolynomialDecay';
  constructor(private readonly c: Required<PolynomialDecayConfig>) {
    Object.freeze(this);
  }
  at(step: number): PruningStep {
    checkStep('PolynomialDecay.at', step);
    const { initialSparsity: s0, finalSparsity: s1, beginStep: b, endStep: e, power } = this.c;
    // begin == end: TF MOT divides 0 by 0 there; the step function it tends to is used instead.
    const p = e === b ? (step >= b ? 1 : 0) : Math.min(1, Math.max(0, (step - b) / (e - b)));
    return { shouldPrune: shouldPrune(step, b, e, this.c.frequency), sparsity: s1 + (s0 - s1) * Math.pow(1 - p, power) };
  }
  toConfig(): PruningScheduleConfig {
    return { className: 'PolynomialDecay', config: { ...this.c } };
  }
}

// TF MOT's PruningSchedule._should_prune_in_step: begin <= step <= end (end -1: no end) and
// (step - begin) % frequency == 0.
function shouldPrune(step: number, begin: number, end: number, frequency: number): boolean {
  return step >= begin && (end < 0 || step <= end) && (step - begin) % frequency === 0;
}

function checkStep(fname: string, step: unknown): void {
  if (typeof step !== 'number' || !Number.isSafeInteger(step)) throw new ArgumentError(`${fname}: step must be an integer, got ${String(step)}`);
}

function fields<K extends string>(fname: string, config: unknown, known: K[]): Partial<Record<K, unknown>> {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new ArgumentError(`${fname}: config must be an object, got ${config === null ? 'null' : Array.isArray(config) ? 'an array' : typeof config}`);
  }
  for (const key of Object.keys(config)) {
    if (!(known as string[]).includes(key)) throw new ArgumentError(`${fname}: unknown field '${key}' (known: ${known.join(', ')})`);
  }
  return config as Partial<Record<K, unknown>>;
}

// TF MOT's _validate_sparsity: [0, 1). A schedule that reaches sparsity 1 would leave a layer
// with no weights at all.
function sparsity(fname: string, field: string, s: unknown): number {
  if (typeof s !== 'number' || !(s >= 0 && s < 1)) throw new ArgumentError(`${fname}: ${field} must be a number in [0, 1), got ${String(s)}`);
  return s;
}

// TF MOT's _validate_step, plus integrality (Python would fail later, in the modulo, on floats).
function steps(fname: string, beginStep: unknown, endStep: unknown, frequency: unknown, allowNoEnd: boolean) {
  const int = (field: string, v: unknown, what: string): number => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new ArgumentError(`${fname}: ${field} must be ${what}, got ${String(v)}`);
    return v;
  };
  const b = int('beginStep', beginStep, 'an integer >= 0');
  if (b < 0) throw new ArgumentError(`${fname}: beginStep must be an integer >= 0, got ${b}`);
  const endWhat = allowNoEnd ? 'an integer >= beginStep, or -1 for no end' : 'an integer >= beginStep';
  const e = int('endStep', endStep, endWhat);
  if (!(allowNoEnd && e === -1) && e < b) throw new ArgumentError(`${fname}: endStep must be ${endWhat} (beginStep is ${b}), got ${e}`);
  const f = int('frequency', frequency, 'an integer >= 1');
  if (f < 1) throw new ArgumentError(`${fname}: frequency must be an integer >= 1, got ${f}`);
  return { beginStep: b, endStep: e, frequency: f };
}
