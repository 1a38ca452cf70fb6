// Sensitivity analysis on a small MLP trained for a few steps on real MNIST: the scan prunes one
// layer at a time (exactly that layer, to exactly the sparsity), calls evaluate once per trial and
// puts every weight back bit for bit (also when evaluate throws); the proposal meets its target
// exactly when applied with pruneModel and keeps within maxMetricDrop; the chart is well-formed
// SVG with one curve per layer; bad arguments are PruneErrors naming what is wrong.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init, prunedCount } from '../../src/index.js';
import { ArgumentError, PruneError, proposeSparsities, pruneModel, pruneStructured, sensitivityChart, sensitivityScan, type SensitivityScan } from '../../src/tfjs.js';
import { accuracy, mlp, mnist, type Data } from '../training/support.js';

let train: Data;
let val: Data;
let model: tf.Sequential;

/** Every weight's bytes, by name. */
function snapshot(m: tf.LayersModel): Map<string, Uint8Array> {
  return new Map(m.weights.map((w) => [w.originalName, new Uint8Array((w.read().dataSync() as Float32Array).slice().buffer)]));
}

function sameBytes(a: Map<string, Uint8Array>, b: Map<string, Uint8Array>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (w === undefined || w.length !== v.length || !v.every((x, i) => x === w[i])) return false;
  }
  return true;
}

const zerosOf = (a: Uint8Array) => {
  const f = new Float32Array(a.buffer);
  let z = 0;
  for (let i = 0; i < f.length; i++) if (f[i] === 0) z++;
  return z;
};

beforeAll(async () => {
  await init();
  await tf.setBackend('cpu');
  train = await mnist('train', 1000);
  // A validation slice of the training set, not the test set.
  val = await mnist('train', 400, 1000);
  model = mlp([32, 16]);
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  await model.fit(train.x, train.y, { epochs: 5, batchSize: 100, shuffle: false, verbose: 0 });
});
afterAll(() => tf.dispose([train.x, train.y, val.x, val.y]));

describe('sensitivityScan', () => {
  let scan: SensitivityScan;
  const sparsities = [1, 0.3, 0.9];
  const trials: { pruned: string[]; zeros: Map<string, number>; same: string[] }[] = [];
  let before: Map<string, Uint8Array>;

  beforeAll(async () => {
    before = snapshot(model);
    scan = await sensitivityScan(
      model,
      (m) => {
        // What the model looks like while evaluated: which tensors differ from the original.
        const now = snapshot(m);
        const changed = [...now].filter(([k, v]) => !sameBytes(new Map([[k, v]]), new Map([[k, before.get(k)!]]))).map(([k]) => k);
        trials.push({ pruned: changed, zeros: new Map([...now].map(([k, v]) => [k, zerosOf(v)])), same: [...now.keys()].filter((k) => !changed.includes(k)) });
        return accuracy(m, val);
      },
      { sparsities, metric: 'accuracy' },
    );
  });

  it('evaluates the model once, then once per layer and sparsity, pruning exactly that layer to exactly that sparsity', () => {
    expect(scan.evaluations).toBe(1 + 3 * 3);
    expect(trials).toHaveLength(10);
    expect(trials[0].pruned).toEqual([]);
    expect(scan.sparsities).toEqual([0.3, 0.9, 1]);
    expect(scan.layers.map((l) => [l.name, l.className, l.params, l.tensors.map((t) => t.name)])).toEqual([
      ['fc1', 'Dense', 784 * 32, ['fc1/kernel']],
      ['fc2', 'Dense', 32 * 16, ['fc2/kernel']],
      ['fc3', 'Dense', 16 * 10, ['fc3/kernel']],
    ]);
    let t = 1;
    for (const l of scan.layers) {
      for (const s of scan.sparsities) {
        const trial = trials[t++];
        const kernel = l.tensors[0].name;
        expect(trial.pruned).toEqual([kernel]);
        expect(trial.zeros.get(kernel)).toBe(prunedCount(s, l.params));
      }
    }
  });

  it('restores every weight bit for bit', () => {
    expect(sameBytes(snapshot(model), before)).toBe(true);
  });

  it('measures what pruning does: the baseline is the dense model, a layer pruned to 100% is much worse than at 30%', () => {
    expect(scan.baseline).toBe(accuracy(model, val));
    expect(scan.baseline).toBeGreaterThan(0.7);
    for (const l of scan.layers) {
      expect(l.metrics).toHaveLength(3);
      expect(l.metrics[2]).toBeLessThan(l.metrics[0] - 0.3);
      expect(l.metrics[2]).toBeLessThan(scan.baseline - 0.3);
    }
    expect(JSON.parse(JSON.stringify(scan))).toEqual(scan);
  });

  it('puts the weights back when evaluate throws, and passes the error on', async () => {
    const snap = snapshot(model);
    let calls = 0;
    const boom = new Error('evaluate failed');
    await expect(
      sensitivityScan(model, async () => {
        if (++calls === 3) throw boom;
        return 1;
      }),
    ).rejects.toBe(boom);
    expect(calls).toBe(3);
    expect(sameBytes(snapshot(model), snap)).toBe(true);
  });

  it('scans the layers named, in order, and reports progress', async () => {
    const progress: [string, number, number, number][] = [];
    const s = await sensitivityScan(model, () => accuracy(model, val), { layers: ['fc3', 'fc1'], sparsities: [0.5], onProgress: (p) => progress.push([p.layer, p.sparsity, p.done, p.total]) });
    expect(s.layers.map((l) => l.name)).toEqual(['fc3', 'fc1']);
    expect(progress).toEqual([
      ['fc3', 0.5, 1, 2],
      ['fc1', 0.5, 2, 2],
    ]);
  });

  it('follows the selection of pruneModel: exclude and skipLast leave layers out', async () => {
    const s = await sensitivityScan(model, () => 0, { sparsities: [0.5], exclude: ['fc2/*'], skipLast: true });
    expect(s.layers.map((l) => l.name)).toEqual(['fc1']);
  });

  it('rejects bad arguments with PruneErrors naming the problem', async () => {
    const ev = () => 1;
    const cases: [unknown, RegExp][] = [
      [{ sparsities: [0] }, /sparsities\[0\] must be a number in \(0, 1\]/],
      [{ sparsities: [0.5, 1.5] }, /sparsities\[1\] must be a number in \(0, 1\] .*got 1\.5/],
      [{ sparsities: [] }, /non-empty array/],
      [{ sparsities: [0.5, 0.5] }, /0\.5 is listed twice/],
      [{ sparsities: 0.5 }, /sparsities must be a non-empty array/],
      [{ layers: ['nope'] }, /unknown layer 'nope' \(the model's layers: fc1, fc2, fc3\)/],
      [{ layers: ['fc1', 'fc1'] }, /'fc1' is listed twice/],
      [{ layers: ['fc1'], exclude: ['fc1/kernel'] }, /layer 'fc1' \(Dense\) has no tensor selected for pruning \(fc1\/kernel: excluded by pattern; fc1\/bias: bias\)/],
      [{ method: 'random' }, /method must be 'magnitude' or 'structured'/],
      [{ sparsity: 0.5 }, /unknown option 'sparsity'/],
      [{ exclude: ['*'] }, /no layer of the model is selected/],
    ];
    for (const [options, message] of cases) {
      const e = await sensitivityScan(model, ev, options as never).catch((x) => x);
      expect(e, JSON.stringify(options)).toBeInstanceOf(ArgumentError);
      expect(e.message, JSON.stringify(options)).toMatch(message);
    }
    await expect(sensitivityScan(model, 'x' as never)).rejects.toThrow(/evaluate must be a function/);
    await expect(sensitivityScan(null as never, ev)).rejects.toThrow(/model must be a tf.LayersModel/);
    const snap = snapshot(model);
    const nan = await sensitivityScan(model, () => NaN, { sparsities: [0.5] }).catch((x) => x);
    expect(nan).toBeInstanceOf(PruneError);
    expect(nan.message).toMatch(/evaluate must return a finite number \(higher is better\), got NaN for the model as given/);
    let n = 0;
    const late = await sensitivityScan(model, () => (++n === 2 ? ('0.5' as never) : 1), { sparsities: [0.5] }).catch((x) => x);
    expect(late.message).toMatch(/got string for layer 'fc1' pruned to sparsity 0\.5/);
    expect(sameBytes(snapshot(model), snap)).toBe(true);
    // A layer without prunable weights, named.
    const withBn = tf.sequential({ layers: [tf.layers.dense({ name: 'd', units: 4, inputShape: [3] }), tf.layers.batchNormalization({ name: 'bn' })] });
    await expect(sensitivityScan(withBn, ev, { layers: ['bn'] })).rejects.toThrow(/layer 'bn' \(BatchNormalization\) has no tensor selected for pruning \(bn\/gamma: normalization/);
    withBn.dispose();
  });

  describe('proposeSparsities', () => {
    it('targetSparsity: pruneModel with the proposal reaches the target exactly', async () => {
      for (const target of [0.8, 0.5, 0.73]) {
        const p = proposeSparsities(scan, { targetSparsity: target });
        const params = scan.layers.reduce((a, l) => a + l.params, 0);
        const copy = mlp([32, 16], 9);
        copy.setWeights(model.getWeights());
        const report = await pruneModel(copy, p.config, { gzip: false });
        const kernels = report.tensors.filter((t) => t.method !== null);
        expect(kernels.map((t) => t.name)).toEqual(['fc1/kernel', 'fc2/kernel', 'fc3/kernel']);
        const zeros = kernels.reduce((a, t) => a + t.zerosAfter, 0);
        // The fewest zeros that make the target: not one more.
        expect(zeros / params).toBeGreaterThanOrEqual(target);
        expect((zeros - 1) / params).toBeLessThan(target);
        expect(p.sparsity).toBe(zeros / params);
        kernels.forEach((t, i) => {
          expect(t.zerosAfter).toBe(p.layers[i].pruned);
          expect(p.sparsities[scan.layers[i].name]).toBe(p.layers[i].pruned / scan.layers[i].params);
          expect(p.layers[i].sparsity).toBeLessThanOrEqual(1);
        });
        expect(p.predictedMetric).toBeCloseTo(scan.baseline - p.predictedDrop, 12);
        copy.dispose();
      }
    });

    it('maxMetricDrop: the most sparsity whose predicted drop stays within it', () => {
      for (const maxDrop of [0, 0.01, 0.05, 0.2]) {
        const p = proposeSparsities(scan, { maxMetricDrop: maxDrop });
        expect(p.predictedDrop).toBeLessThanOrEqual(maxDrop);
        expect(p.predictedDrop).toBeGreaterThanOrEqual(0);
      }
      const big = proposeSparsities(scan, { maxMetricDrop: 10 });
      expect(big.layers.map((l) => l.sparsity)).toEqual([1, 1, 1]);
      // More budget, never less sparsity.
      const s = [0, 0.01, 0.05, 0.2, 1].map((d) => proposeSparsities(scan, { maxMetricDrop: d }).sparsity);
      for (let i = 1; i < s.length; i++) expect(s[i]).toBeGreaterThanOrEqual(s[i - 1]);
    });

    it('puts the sparsity where it costs least (hand-made scan) and interpolates between scanned points', () => {
      const hand: SensitivityScan = {
        method: 'magnitude',
        metric: 'accuracy',
        baseline: 0.9,
        sparsities: [0.5, 1],
        layers: [
          { name: 'a', className: 'Dense', params: 1000, tensors: [{ name: 'a/kernel', params: 1000 }], metrics: [0.6, 0.1] },
          { name: 'b', className: 'Dense', params: 1000, tensors: [{ name: 'b/kernel', params: 1000 }], metrics: [0.9, 0.85] },
          // Noise: better at 50% than dense; a split layer of two tensors.
          { name: 'c', className: 'SeparableConv2D', params: 301, tensors: [{ name: 'c/depthwise_kernel', params: 101 }, { name: 'c/pointwise_kernel', params: 200 }], metrics: [0.91, 0.7] },
        ],
        evaluations: 7,
      };
      const p = proposeSparsities(hand, { targetSparsity: 0.5 });
      // 1151 weights: b and c are free up to 50% (c's 50% prunes 50 + 100: each tensor rounds),
      // then b's second half (0.05 / 500 weights) is cheapest, then one weight of a (0.3 / 500).
      expect(p.layers.map((l) => l.pruned)).toEqual([1, 1000, 150]);
      expect(p.layers.reduce((a, l) => a + l.pruned, 0)).toBe(Math.ceil(0.5 * 2301));
      expect(p.predictedDrop).toBeCloseTo(0.05 + 0.3 / 500, 12);
      expect(p.overrides).toEqual([
        { match: 'a/kernel', sparsity: 1 / 1000 },
        { match: 'b/kernel', sparsity: 1 },
        { match: 'c/depthwise_kernel', sparsity: 50 / 101 },
        { match: 'c/pointwise_kernel', sparsity: 100 / 200 },
      ]);
      expect(p.config).toEqual({ sparsity: 0, overrides: p.overrides });
      // Halfway between b's 50% (drop 0) and 100% (drop 0.9 - 0.85): half that drop.
      const half = (0.9 - 0.85) / 2;
      const q = proposeSparsities(hand, { maxMetricDrop: half });
      expect(q.layers.map((l) => l.pruned)).toEqual([0, 750, 150]);
      expect(q.predictedDrop).toBe(half);
      // A hair less: one weight less.
      expect(proposeSparsities(hand, { maxMetricDrop: half * (1 - 1e-9) }).layers[1].pruned).toBe(749);
      expect(() => proposeSparsities({ ...hand, sparsities: [0.5, 0.9] }, { targetSparsity: 0.95 })).toThrow(/needs 2186 of 2301 weights pruned, but the scan reaches at most 2071/);
    });

    it('rejects bad arguments', () => {
      expect(() => proposeSparsities(scan, {} as never)).toThrow(/exactly one of targetSparsity and maxMetricDrop/);
      expect(() => proposeSparsities(scan, { targetSparsity: 0.5, maxMetricDrop: 0.1 } as never)).toThrow(/exactly one/);
      expect(() => proposeSparsities(scan, { targetSparsity: 1.2 })).toThrow(/targetSparsity must be a number in \[0, 1\], got 1.2/);
      expect(() => proposeSparsities(scan, { maxMetricDrop: -1 })).toThrow(/maxMetricDrop must be a finite number >= 0, got -1/);
      expect(() => proposeSparsities({ ...scan, layers: [] }, { targetSparsity: 0.5 })).toThrow(ArgumentError);
      expect(() => proposeSparsities({ ...scan, baseline: NaN }, { targetSparsity: 0.5 })).toThrow(/baseline is not a finite number/);
    });
  });

  describe('method structured', () => {
    let st: SensitivityScan;
    const seen: number[][] = [];
    let before: Map<string, Uint8Array>;
    let tensorsBefore: number;
    beforeAll(async () => {
      before = snapshot(model);
      tensorsBefore = tf.memory().numTensors;
      st = await sensitivityScan(
        model,
        (m) => {
          seen.push(m.layers.map((l) => (l.getConfig().units as number) ?? 0));
          return accuracy(m, val);
        },
        { method: 'structured', sparsities: [1, 0.3, 0.9], metric: 'accuracy' },
      );
    });

    it('removes units of one layer per trial, on a new model disposed after; the model itself is untouched', () => {
      expect(st.method).toBe('structured');
      expect(st.evaluations).toBe(1 + 2 * 3);
      // fc3 is the model's output: its units stay.
      expect(st.layers.map((l) => [l.name, l.className, l.units, l.unitsRemoved, l.group, l.params])).toEqual([
        ['fc1', 'Dense', 32, [10, 29, 31], ['fc1'], 784 * 32 + 32],
        ['fc2', 'Dense', 16, [5, 14, 15], ['fc2'], 32 * 16 + 16],
      ]);
      expect(seen).toEqual([
        [32, 16, 10],
        [22, 16, 10],
        [3, 16, 10],
        [1, 16, 10],
        [32, 11, 10],
        [32, 2, 10],
        [32, 1, 10],
      ]);
      // Parameters the whole model lost include the next layer's input rows.
      expect(st.layers[0].paramsRemoved![0]).toBe(10 * (784 + 1) + 10 * 16);
      expect(sameBytes(snapshot(model), before)).toBe(true);
      expect(tf.memory().numTensors).toBe(tensorsBefore);
      expect(st.baseline).toBe(scan.baseline);
      expect(st.layers[0].metrics[2]).toBeLessThan(st.layers[0].metrics[0]);
    });

    it('the proposal, given to pruneStructured, removes those units and meets the target', async () => {
      for (const target of [0.5, 0.8]) {
        const p = proposeSparsities(st, { targetSparsity: target });
        expect(p.method).toBe('structured');
        expect(p.overrides.map((o) => o.match)).toEqual(['fc1', 'fc2']);
        const r = await pruneStructured(model, p.config);
        const removed = r.report.groups.filter((g) => g.note === null).map((g) => g.unitsBefore - g.unitsAfter);
        expect(removed).toEqual(p.layers.map((l) => l.pruned));
        const params = st.layers.reduce((a, l) => a + l.params, 0);
        const achieved = st.layers.reduce((a, l, i) => a + (removed[i] / l.units!) * l.params, 0) / params;
        expect(achieved).toBeGreaterThanOrEqual(target - 1e-12);
        expect(p.sparsity).toBeCloseTo(achieved, 12);
        // Within one unit of the layer that took the remainder.
        expect(achieved - target).toBeLessThan(Math.max(...st.layers.map((l) => l.params / l.units!)) / params);
        r.model.dispose();
      }
      const q = proposeSparsities(st, { maxMetricDrop: 0.02 });
      expect(q.predictedDrop).toBeLessThanOrEqual(0.02);
    });

    it('rejects layers it cannot prune, and options of the other method', async () => {
      await expect(sensitivityScan(model, () => 1, { method: 'structured', layers: ['fc3'] })).rejects.toThrow(/layer 'fc3' \(Dense\) cannot be structurally pruned: .*output/);
      await expect(sensitivityScan(model, () => 1, { method: 'structured', exclude: ['fc1/*'] })).rejects.toThrow(/exclude selects tensors for magnitude pruning; with method 'structured' use layers, or structured.exclude/);
      await expect(sensitivityScan(model, () => 1, { structured: { roundTo: 4 } })).rejects.toThrow(/structured options apply to method 'structured'/);
      await expect(sensitivityScan(model, () => 1, { method: 'structured', structured: { exclude: ['fc1', 'fc2'] } })).rejects.toThrow(/no layer of the model can be structurally pruned/);
      const s = await sensitivityScan(model, () => 1, { method: 'structured', sparsities: [0.5], structured: { exclude: ['fc1'] } });
      expect(s.layers.map((l) => l.name)).toEqual(['fc2']);
    });
  });

  it('sensitivityChart: well-formed SVG, one curve per layer through the baseline and each scanned point', () => {
    const svg = sensitivityChart(scan);
    expect(svg.startsWith('<svg ')).toBe(true);
    expect(svg.endsWith('</svg>')).toBe(true);
    expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
    // Tags balance (self-closing ones aside) and nest properly.
    const stack: string[] = [];
    for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
      if (m[3] === '/') continue;
      if (m[1] === '/') expect(stack.pop()).toBe(m[2]);
      else stack.push(m[2]);
    }
    expect(stack).toEqual([]);
    expect(svg).not.toMatch(/NaN|undefined|<script/);
    const curves = [...svg.matchAll(/<polyline [^>]*points="([^"]+)"/g)].map((m) => m[1].split(' ').length);
    expect(curves).toEqual([4, 4, 4]);
    for (const l of scan.layers) expect(svg).toContain(`>${l.name}</text>`);
  });
});
