// Schedules against TF Model Optimization's formula and step rule, values worked out by hand:
//   sparsity = final + (initial - final) * (1 - p)^power,  p = clamp((step - begin) / (end - begin), 0, 1)
//   prune when begin <= step <= end (end -1: no end) and (step - begin) % frequency == 0
import { describe, expect, it } from 'vitest';
import { ArgumentError, constantSparsity, polynomialDecay, scheduleFromConfig, type PruningSchedule } from '../../src/tfjs.js';

const at = (s: PruningSchedule, steps: number[]) => steps.map((n) => s.at(n));

describe('polynomialDecay', () => {
  // TF MOT's tutorial schedule with end 1000: 0.5 -> 0.8, cubic.
  const s = polynomialDecay({ initialSparsity: 0.5, finalSparsity: 0.8, beginStep: 0, endStep: 1000 });

  it('follows final + (initial - final)(1 - p)^3', () => {
    // p = 0, 0.1, 0.5, 0.9, 1 -> (1 - p)^3 = 1, 0.729, 0.125, 0.001, 0
    const expected = [0.5, 0.8 - 0.3 * 0.729, 0.8 - 0.3 * 0.125, 0.8 - 0.3 * 0.001, 0.8];
    const got = at(s, [0, 100, 500, 900, 1000]).map((r) => r.sparsity);
    expect(got[0]).toBe(0.5);
    expect(got[1]).toBeCloseTo(0.5813, 14);
    expect(got[2]).toBeCloseTo(0.7625, 14);
    expect(got[3]).toBeCloseTo(0.7997, 14);
    expect(got[4]).toBe(0.8);
    got.forEach((g, i) => expect(g).toBeCloseTo(expected[i], 14));
  });

  it('clamps p to [0, 1] outside [begin, end]', () => {
    expect(s.at(-50).sparsity).toBe(0.5);
    expect(s.at(1500).sparsity).toBe(0.8);
    expect(s.at(10 ** 9).sparsity).toBe(0.8);
  });

  it('prunes every frequency steps from begin to end inclusive', () => {
    const prunes = [];
    for (let n = -200; n <= 1300; n++) if (s.at(n).shouldPrune) prunes.push(n);
    expect(prunes).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
  });

  it('a late begin: p counts from begin, pruning steps too', () => {
    const late = polynomialDecay({ initialSparsity: 0.5, finalSparsity: 0.8, beginStep: 200, endStep: 1000, frequency: 100 });
    expect(late.at(150)).toEqual({ shouldPrune: false, sparsity: 0.5 });
    expect(late.at(200)).toEqual({ shouldPrune: true, sparsity: 0.5 });
    // p = 100/800 = 0.125, (0.875)^3 = 0.669921875
    expect(late.at(300).shouldPrune).toBe(true);
    expect(late.at(300).sparsity).toBeCloseTo(0.8 - 0.3 * 0.669921875, 14);
    expect(late.at(250).shouldPrune).toBe(false);
    expect(late.at(1000).shouldPrune).toBe(true);
    expect(late.at(1100).shouldPrune).toBe(false);
  });

  it('a frequency that does not divide the span never reaches final (as in TF MOT)', () => {
    const odd = polynomialDecay({ initialSparsity: 0, finalSparsity: 0.9, beginStep: 0, endStep: 250, power: 1, frequency: 100 });
    const prunes = at(odd, [0, 100, 200, 250, 300]).map((r) => r.shouldPrune);
    expect(prunes).toEqual([true, true, true, false, false]);
    // power 1 is linear: p = 0.8 at step 200 -> 0.72
    expect(odd.at(200).sparsity).toBeCloseTo(0.72, 14);
    expect(odd.at(125).sparsity).toBeCloseTo(0.45, 14);
  });

  it('other powers, frequency 1, and a decreasing schedule', () => {
    const sq = polynomialDecay({ initialSparsity: 0.2, finalSparsity: 0.6, beginStep: 10, endStep: 20, power: 2, frequency: 1 });
    // p = 0.3 at step 13: 0.6 - 0.4 * 0.49 = 0.404
    expect(sq.at(13)).toEqual({ shouldPrune: true, sparsity: expect.closeTo(0.404, 14) as unknown as number });
    expect(at(sq, [9, 10, 11, 20, 21]).map((r) => r.shouldPrune)).toEqual([false, true, true, true, false]);
    const down = polynomialDecay({ initialSparsity: 0.9, finalSparsity: 0.1, beginStep: 0, endStep: 10, power: 1, frequency: 5 });
    expect(down.at(5).sparsity).toBeCloseTo(0.5, 14);
  });

  it('begin == end is a step at begin', () => {
    const step = polynomialDecay({ initialSparsity: 0.3, finalSparsity: 0.7, beginStep: 5, endStep: 5, frequency: 1 });
    expect(at(step, [4, 5, 6])).toEqual([
      { shouldPrune: false, sparsity: 0.3 },
      { shouldPrune: true, sparsity: 0.7 },
      { shouldPrune: false, sparsity: 0.7 },
    ]);
  });
});

describe('constantSparsity', () => {
  it('the same sparsity at every step; prunes at begin + k * frequency up to end', () => {
    const s = constantSparsity({ targetSparsity: 0.6, beginStep: 10, endStep: 50, frequency: 20 });
    const prunes = [];
    for (let n = 0; n <= 100; n++) {
      expect(s.at(n).sparsity).toBe(0.6);
      if (s.at(n).shouldPrune) prunes.push(n);
    }
    expect(prunes).toEqual([10, 30, 50]);
  });

  it('end -1 (the default) prunes forever; defaults begin 0, frequency 100', () => {
    const s = constantSparsity({ targetSparsity: 0.5 });
    expect(s.toConfig?.()).toEqual({ className: 'ConstantSparsity', config: { targetSparsity: 0.5, beginStep: 0, endStep: -1, frequency: 100 } });
    expect(at(s, [0, 1, 99, 100, 200, 1_000_000_000, 1_000_000_001]).map((r) => r.shouldPrune)).toEqual([true, false, false, true, true, true, false]);
    expect(s.at(-100).shouldPrune).toBe(false);
  });

  it('end == begin prunes once', () => {
    const once = constantSparsity({ targetSparsity: 0.9, beginStep: 0, endStep: 0 });
    const prunes = [];
    for (let n = 0; n < 1000; n++) if (once.at(n).shouldPrune) prunes.push(n);
    expect(prunes).toEqual([0]);
  });
});

describe('serialization', () => {
  const schedules = [
    polynomialDecay({ initialSparsity: 0.5, finalSparsity: 0.8, beginStep: 0, endStep: 844 }),
    polynomialDecay({ initialSparsity: 0.1, finalSparsity: 0.95, beginStep: 7, endStep: 700, power: 1.5, frequency: 13 }),
    constantSparsity({ targetSparsity: 0.75, beginStep: 3, endStep: 400, frequency: 7 }),
  ];

  it.each(schedules.map((s, i) => [i, s] as const))('schedule %i round-trips through JSON and behaves the same', (_, s) => {
    const config = s.toConfig!();
    const back = scheduleFromConfig(JSON.parse(JSON.stringify(config)));
    expect(back.toConfig!()).toEqual(config);
    for (let n = -10; n <= 1000; n++) expect(back.at(n)).toEqual(s.at(n));
  });

  it('the polynomial config lists every field, defaults filled in', () => {
    expect(schedules[0].toConfig!()).toEqual({
      className: 'PolynomialDecay',
      config: { initialSparsity: 0.5, finalSparsity: 0.8, beginStep: 0, endStep: 844, power: 3, frequency: 100 },
    });
  });

  it("reads TF MOT's Keras get_config() as written by Python", () => {
    const py = { class_name: 'PolynomialDecay', config: { initial_sparsity: 0.5, final_sparsity: 0.8, begin_step: 0, end_step: 844, power: 3, frequency: 100 } };
    expect(scheduleFromConfig(py).toConfig!()).toEqual(schedules[0].toConfig!());
    const c = scheduleFromConfig({ class_name: 'ConstantSparsity', config: { target_sparsity: 0.5, begin_step: 0, end_step: -1, frequency: 100 } });
    expect(c.at(100)).toEqual({ shouldPrune: true, sparsity: 0.5 });
  });

  it('schedules are frozen', () => {
    expect(Object.isFrozen(schedules[0])).toBe(true);
  });
});

describe('validation', () => {
  const poly = { initialSparsity: 0.5, finalSparsity: 0.8, beginStep: 0, endStep: 100 };
  const bad: [string, () => unknown, RegExp][] = [
    ['target 1', () => constantSparsity({ targetSparsity: 1 }), /constantSparsity: targetSparsity must be a number in \[0, 1\), got 1/],
    ['target < 0', () => constantSparsity({ targetSparsity: -0.1 }), /targetSparsity must be a number in \[0, 1\), got -0.1/],
    ['target NaN', () => constantSparsity({ targetSparsity: NaN }), /got NaN/],
    ['target a string', () => constantSparsity({ targetSparsity: '0.5' as unknown as number }), /targetSparsity must be a number/],
    ['target missing', () => constantSparsity({} as never), /targetSparsity must be a number in \[0, 1\), got undefined/],
    ['begin < 0', () => constantSparsity({ targetSparsity: 0.5, beginStep: -1 }), /beginStep must be an integer >= 0, got -1/],
    ['begin not an integer', () => constantSparsity({ targetSparsity: 0.5, beginStep: 1.5 }), /beginStep must be an integer >= 0, got 1.5/],
    ['end < begin', () => constantSparsity({ targetSparsity: 0.5, beginStep: 10, endStep: 5 }), /endStep must be an integer >= beginStep, or -1 for no end \(beginStep is 10\), got 5/],
    ['end -2', () => constantSparsity({ targetSparsity: 0.5, endStep: -2 }), /endStep must be .* got -2/],
    ['frequency 0', () => constantSparsity({ targetSparsity: 0.5, frequency: 0 }), /frequency must be an integer >= 1, got 0/],
    ['frequency 2.5', () => constantSparsity({ targetSparsity: 0.5, frequency: 2.5 }), /frequency must be an integer >= 1, got 2.5/],
    ['unknown field', () => constantSparsity({ targetSparsity: 0.5, sparsity: 0.5 } as never), /constantSparsity: unknown field 'sparsity'/],
    ['not an object', () => constantSparsity(null as never), /config must be an object, got null/],
    ['initial 1', () => polynomialDecay({ ...poly, initialSparsity: 1 }), /polynomialDecay: initialSparsity must be a number in \[0, 1\), got 1/],
    ['final 1.5', () => polynomialDecay({ ...poly, finalSparsity: 1.5 }), /finalSparsity must be a number in \[0, 1\), got 1.5/],
    ['begin missing', () => polynomialDecay({ ...poly, beginStep: undefined as never }), /beginStep is required/],
    ['end missing', () => polynomialDecay({ ...poly, endStep: undefined as never }), /endStep is required/],
    ['end -1', () => polynomialDecay({ ...poly, endStep: -1 }), /polynomialDecay: endStep must be an integer >= beginStep \(beginStep is 0\), got -1/],
    ['power 0', () => polynomialDecay({ ...poly, power: 0 }), /power must be a finite number > 0, got 0/],
    ['power Infinity', () => polynomialDecay({ ...poly, power: Infinity }), /power must be a finite number > 0, got Infinity/],
    ['frequency -1', () => polynomialDecay({ ...poly, frequency: -1 }), /frequency must be an integer >= 1, got -1/],
    ['unknown class', () => scheduleFromConfig({ className: 'Cosine', config: {} } as never), /className must be 'ConstantSparsity' or 'PolynomialDecay', got "Cosine"/],
    ['config not an object', () => scheduleFromConfig({ className: 'ConstantSparsity' } as never), /config.config must be an object/],
    ['bad field through fromConfig', () => scheduleFromConfig({ className: 'PolynomialDecay', config: { ...poly, power: 3, frequency: 0 } }), /polynomialDecay: frequency must be/],
  ];
  it.each(bad)('%s', (_, f, message) => {
    expect(f).toThrow(ArgumentError);
    expect(f).toThrow(message);
  });

  it('at() wants an integer step', () => {
    const s = polynomialDecay(poly);
    expect(() => s.at(1.5)).toThrow(/PolynomialDecay.at: step must be an integer, got 1.5/);
    expect(() => s.at(NaN)).toThrow(ArgumentError);
    expect(() => constantSparsity({ targetSparsity: 0.5 }).at('3' as unknown as number)).toThrow(/ConstantSparsity.at: step must be an integer/);
  });
});
