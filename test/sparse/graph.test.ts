// toSparseGraphArtifacts on a hand-made graph model (every rewritten case: _FusedConv2D with bias
// and relu / relu6 / prelu / leakyrelu, Conv2D 1×1 stride 2, k×k _FusedConv2D: 3×3 SAME, 3×3
// stride 2 SAME and VALID, 3×2 stride [2, 1], 2×3 dilated by [2, 1], 3×3 and 1×1 stride 2 with EXPLICIT padding; MatMul with transpose_a / transpose_b, _FusedMatMul,
// a weight shared with a node left dense, and the case left dense: fused Elu) and on real
// graph models of @vladmandic/human: the rewritten model's outputs equal the dense model's bit for
// bit on tfjs-backend-wasm, it saves and loads with tf.loadGraphModel, and bad input is named.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/index.js';
import { loadArtifacts, saveArtifacts } from '../../src/node.js';
import { pruneArtifacts } from '../../src/tfjs.js';
import { ArgumentError, NaNWeightsError } from '../../src/errors.js';
import { registerSparseGraphOps, registerSparseKernels, toSparseGraphArtifacts, toSparseGraphModel } from '../../src/sparse/index.js';
import { packageDir } from '../model/support.js';
import { ALL_SPARSE, fixture, MAX_TERMS, type Node, OUTPUTS, SPARSE_NODES, values } from '../support/sparse-graph-fixture.js';

function bits(t: tf.Tensor): Uint32Array {
  return new Uint32Array((t.dataSync() as Float32Array).slice().buffer);
}

function expectBitsEqual(a: tf.Tensor[], b: tf.Tensor[]): void {
  expect(a.map((t) => t.shape)).toEqual(b.map((t) => t.shape));
  a.forEach((t, i) => expect(bits(t)).toEqual(bits(b[i])));
}

async function roundTrip(a: tf.io.ModelArtifacts): Promise<tf.io.ModelArtifacts> {
  // Through JSON, as a model.json and a .bin would be.
  return { ...JSON.parse(JSON.stringify({ ...a, weightData: undefined })), weightData: (a.weightData as ArrayBuffer).slice(0) };
}

describe.each(['simd', 'scalar', 'js'] as const)('toSparseGraphArtifacts, hand-made graph (%s build)', (build) => {
  let artifacts: tf.io.ModelArtifacts;
  let dense: tf.GraphModel;
  beforeAll(async () => {
    await tf.setBackend('wasm');
    await registerSparseKernels({ build });
    await registerSparseGraphOps();
    artifacts = fixture();
    dense = await tf.loadGraphModel(tf.io.fromMemory(artifacts));
  });

  it('rewrites the convolutions and matmuls it can, declines the rest, and leaves the input alone', async () => {
    const before = JSON.stringify(artifacts.modelTopology);
    const bytesBefore = new Uint8Array((artifacts.weightData as ArrayBuffer).slice(0));
    const { artifacts: out, report } = await toSparseGraphArtifacts(artifacts, { overrides: ALL_SPARSE });
    expect(JSON.stringify(artifacts.modelTopology)).toBe(before);
    expect(new Uint8Array(artifacts.weightData as ArrayBuffer)).toEqual(bytesBefore);
    const rows = Object.fromEntries(report.nodes.map((r) => [r.name, [r.decision, r.reason, r.shape]]));
    expect(rows).toEqual({
      conv1: ['sparse', 'override', [8, 16]],
      conv2: ['sparse', 'override', [16, 12]],
      conv3: ['sparse', 'override', [12, 12]],
      conv4: ['sparse', 'override', [108, 8]],
      conv5: ['sparse', 'override', [8, 8]],
      conv8: ['sparse', 'override', [144, 8]],
      conv9: ['sparse', 'override', [96, 6]],
      conv10: ['sparse', 'override', [144, 4]],
      conv11: ['sparse', 'override', [144, 5]],
      conv12: ['sparse', 'override', [16, 3]],
      conv13: ['sparse', 'override', [96, 4]],
      conv6: ['sparse', 'override', [8, 8]],
      conv7: ['dense', 'unsupported', [0, 0]],
      mm1: ['sparse', 'override', [72, 40]],
      mm2: ['sparse', 'override', [40, 30]],
      mm3: ['sparse', 'override', [30, 10]],
      mm4: ['dense', 'override', [30, 10]],
      mm5: ['sparse', 'override', [7, 9]],
    });
    expect(report.nodes.find((r) => r.name === 'conv7')?.detail).toBe('fused activation Elu');
    const ops = Object.fromEntries((out.modelTopology as { node: Node[] }).node.map((n) => [n.name, n.op]));
    for (const n of SPARSE_NODES) expect(ops[n]).toBe('PruneSparseMatMul');
    expect(ops.mm4).toBe('MatMul');
    // Dense weights of rewritten nodes are gone, except w8 (mm4 still reads it).
    const names = out.weightSpecs!.map((s) => s.name);
    for (const w of ['w1', 'w2', 'w3', 'w4', 'w5', 'w6', 'w7', 'w9', 'w10', 'w12', 'w13', 'w14', 'w15', 'w16', 'w17']) expect(names).not.toContain(w);
    for (const w of ['w11', 'w8', 'b1', 'a5', 'a14', 'flat_shape']) expect(names).toContain(w);
    expect(ops.w1).toBeUndefined();
    expect(report.afterBytes).toBeLessThan(report.denseBytes);
  });

  it('the rewritten model equals the dense one bit for bit (batch 1, 3, 17), after a JSON round trip', async () => {
    const { artifacts: out } = await toSparseGraphArtifacts(artifacts, { overrides: ALL_SPARSE });
    const sparse = await tf.loadGraphModel(tf.io.fromMemory(await roundTrip(out)));
    for (const batch of [1, 3, 17]) {
      // x in (-10, 10): conv3's relu6 clamps some sums at 6.
      const inputs = { x: tf.tensor(values(batch * 240, 100 + batch, 0.1).map((v) => 10 * v), [batch, 6, 5, 8]), y: tf.tensor(values(140, 7, 0.1), [7, 20]) };
      const want = dense.execute(inputs, OUTPUTS) as tf.Tensor[];
      const got = sparse.execute(inputs, OUTPUTS) as tf.Tensor[];
      expectBitsEqual(got, want);
      tf.dispose([...want, ...got, ...Object.values(inputs)]);
    }
    sparse.dispose();
  });

  it('reads sharded weights, saves as model.json + shards (saveArtifacts) and loads back with the same outputs', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tfjs-prune-sparse-graph-'));
    try {
      // The dense fixture's weights as 1000-byte ArrayBuffers (tensors straddle them), as tfjs hands sharded weights over.
      const all = artifacts.weightData as ArrayBuffer;
      const shards = Array.from({ length: Math.ceil(all.byteLength / 1000) }, (_, i) => all.slice(i * 1000, (i + 1) * 1000));
      const sharded = { ...artifacts, weightData: shards };
      const { artifacts: out } = await toSparseGraphArtifacts(sharded, { overrides: ALL_SPARSE });
      await saveArtifacts(path.join(dir, 'model'), out, { shardBytes: 1024 });
      const sparse = await tf.loadGraphModel(tf.io.fromMemory(await loadArtifacts(path.join(dir, 'model', 'model.json'))));
      const inputs = { x: tf.tensor(values(4 * 240, 11, 0.1).map((v) => 10 * v), [4, 6, 5, 8]), y: tf.tensor(values(140, 7, 0.1), [7, 20]) };
      const want = dense.execute(inputs, OUTPUTS) as tf.Tensor[];
      const got = sparse.execute(inputs, OUTPUTS) as tf.Tensor[];
      expectBitsEqual(got, want);
      tf.dispose([...want, ...got, ...Object.values(inputs)]);
      sparse.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('measures when not overridden: a decision with timings at each batch size', async () => {
    const { report } = await toSparseGraphArtifacts(artifacts, { batchSizes: [1, 4], reps: 3 });
    for (const r of report.nodes.filter((x) => x.reason !== 'unsupported')) {
      expect(r.reason).toBe('measured');
      expect(r.timings.map((t) => t.batch)).toEqual([1, 4]);
      expect(r.decision).toBe(r.timings.every((t) => t.sparseMs < t.denseMs) ? 'sparse' : 'dense');
    }
    const { report: r2 } = await toSparseGraphArtifacts(artifacts, { minSparsity: 0.95 });
    expect(r2.nodes.filter((x) => x.reason !== 'unsupported').every((x) => x.reason === 'below minSparsity' && x.decision === 'dense')).toBe(true);
  });

  it('toSparseGraphModel converts a live GraphModel', async () => {
    const { model, report } = await toSparseGraphModel(dense, { overrides: { conv1: 'sparse', mm1: 'sparse' }, minSparsity: 1 });
    expect(report.nodes.filter((r) => r.decision === 'sparse').map((r) => r.name)).toEqual(['conv1', 'mm1']);
    const inputs = { x: tf.tensor(values(2 * 240, 5, 0.1), [2, 6, 5, 8]), y: tf.tensor(values(140, 7, 0.1), [7, 20]) };
    const want = dense.execute(inputs, OUTPUTS) as tf.Tensor[];
    const got = model.execute(inputs, OUTPUTS) as tf.Tensor[];
    expectBitsEqual(got, want);
    tf.dispose([...want, ...got, ...Object.values(inputs)]);
    model.dispose();
  });
});

// tfjs-backend-cpu adds a fused bias after the sum, the sparse kernel starts from it
// (docs/sparse.md): there the rewritten model agrees within float rounding, 1e-5·(1+|y|)·√terms.
describe('toSparseGraphArtifacts on the cpu backend', () => {
  it('agrees with the dense model within rounding', async () => {
    await tf.setBackend('cpu');
    await registerSparseKernels();
    await registerSparseGraphOps();
    const artifacts = fixture();
    const dense = await tf.loadGraphModel(tf.io.fromMemory(artifacts));
    const { artifacts: out } = await toSparseGraphArtifacts(artifacts, { overrides: ALL_SPARSE });
    const sparse = await tf.loadGraphModel(tf.io.fromMemory(out));
    const inputs = { x: tf.tensor(values(5 * 240, 9, 0.1).map((v) => 10 * v), [5, 6, 5, 8]), y: tf.tensor(values(140, 7, 0.1), [7, 20]) };
    const want = dense.execute(inputs, OUTPUTS) as tf.Tensor[];
    const got = sparse.execute(inputs, OUTPUTS) as tf.Tensor[];
    want.forEach((w, i) => {
      const a = w.dataSync();
      const b = got[i].dataSync();
      expect(b.length).toBe(a.length);
      for (let j = 0; j < a.length; j++) expect(Math.abs(a[j] - b[j])).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(a[j])) * Math.sqrt(MAX_TERMS));
    });
    tf.dispose([...want, ...got, ...Object.values(inputs)]);
    dense.dispose();
    sparse.dispose();
    await tf.setBackend('wasm');
  });
});

describe('toSparseGraphArtifacts: bad input', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    await registerSparseKernels();
    await registerSparseGraphOps();
  });

  it('names what is wrong', async () => {
    const a = fixture();
    await expect(toSparseGraphArtifacts({ modelTopology: { class_name: 'Sequential' }, weightSpecs: [], weightData: new ArrayBuffer(0) })).rejects.toThrow(/graph model/);
    const nchw = fixture();
    const conv4 = (nchw.modelTopology as { node: Node[] }).node.find((n) => n.name === 'conv4')!;
    (conv4.attr as Record<string, unknown>).data_format = { s: btoa('NCHW') };
    await expect(toSparseGraphArtifacts(nchw, { overrides: { conv4: 'sparse' } })).rejects.toThrow(ArgumentError);
    await expect(toSparseGraphArtifacts(nchw, { overrides: { conv4: 'sparse' } })).rejects.toThrow(/conv4.*data format NCHW/);
    await expect(toSparseGraphArtifacts(a, { overrides: { conv7: 'sparse' } })).rejects.toThrow(/Elu/);
    await expect(toSparseGraphArtifacts(a, { overrides: { nope: 'dense' } })).rejects.toThrow(/'nope'/);
    await expect(toSparseGraphArtifacts(a, { batchSizes: [0] })).rejects.toThrow(/batchSizes/);
    const nan = fixture();
    new Float32Array(nan.weightData as ArrayBuffer, 0, 1)[0] = NaN; // w1[0]
    await expect(toSparseGraphArtifacts(nan, { overrides: ALL_SPARSE })).rejects.toThrow(NaNWeightsError);
    await expect(toSparseGraphArtifacts(nan, { overrides: ALL_SPARSE })).rejects.toThrow(/conv1/);
  });

  it('asks for inputShapes where model.json leaves more than the batch axis open', async () => {
    const a = fixture();
    const x = (a.modelTopology as { node: Node[] }).node.find((n) => n.name === 'x')!;
    (x.attr as { shape: { shape: { dim: { size: string }[] } } }).shape.shape.dim = [{ size: '-1' }, { size: '-1' }, { size: '-1' }, { size: '8' }];
    await expect(toSparseGraphArtifacts(a, { reps: 1 })).rejects.toThrow(/input 'x' has shape \[-1, -1, -1, 8\].*inputShapes/);
    const { report } = await toSparseGraphArtifacts(a, { reps: 1, inputShapes: { x: [-1, 6, 5, 8] } });
    expect(report.nodes.filter((r) => r.reason === 'measured').length).toBe(SPARSE_NODES.length + 1); // + mm4
  });

  it('without the graph op registered, tfjs-converter refuses the rewritten model', async () => {
    const { artifacts: out } = await toSparseGraphArtifacts(fixture(), { overrides: { conv1: 'sparse' } });
    tf.deregisterOp('PruneSparseMatMul');
    try {
      const model = await tf.loadGraphModel(tf.io.fromMemory(out));
      expect(() => model.execute({ x: tf.zeros([1, 6, 5, 8]), y: tf.zeros([7, 20]) }, 'conv1')).toThrow(/PruneSparseMatMul/);
    } finally {
      await registerSparseGraphOps();
    }
  });

  it('a k×k node with a bad kernel, dilations or padding attribute, or an input of other channels, is named', async () => {
    const { artifacts: out } = await toSparseGraphArtifacts(fixture(), { overrides: { conv8: 'sparse' } });
    const node = (a: tf.io.ModelArtifacts) => (a.modelTopology as { node: Node[] }).node.find((n) => n.name === 'conv8')!;
    expect(node(out).attr).toMatchObject({ kernel: { list: { i: ['3', '3'] } }, strides: { list: { i: ['2', '2'] } }, dilations: { list: { i: ['1', '1'] } } });
    /** The error of running conv8 with its attributes edited (null if it runs). */
    const run = async (edit: (attr: Record<string, unknown>) => void): Promise<string | null> => {
      const a = structuredClone({ ...out, weightData: undefined }) as tf.io.ModelArtifacts;
      edit(node(a).attr!);
      const model = await tf.loadGraphModel(tf.io.fromMemory({ ...a, weightData: out.weightData }));
      const inputs = { x: tf.zeros([1, 6, 5, 8]), y: tf.zeros([7, 20]) };
      try {
        tf.dispose(model.execute(inputs, 'conv8'));
        return null;
      } catch (e) {
        return (e as Error).message;
      } finally {
        tf.dispose(Object.values(inputs));
        model.dispose();
      }
    };
    expect(await run(() => {})).toBeNull();
    expect(await run((t) => (t.kernel = { list: { i: ['3'] } }))).toMatch(/attribute kernel must be two positive integers/);
    expect(await run((t) => (t.dilations = { list: { i: ['0', '1'] } }))).toMatch(/attribute dilations must be two positive integers/);
    expect(await run((t) => (t.padding = { s: btoa('full') }))).toMatch(/attribute padding must be same, valid or explicit/);
    expect(await run((t) => (t.pads = { list: { i: ['1', '1'] } }))).toMatch(/attribute pads must be four non-negative integers/);
    expect(await run((t) => (t.kernel = { list: { i: ['2', '2'] } }))).toMatch(/2×2 patches have the weights' 144 inputs/);
  });

  it('a tampered packed weight is refused when the model runs', async () => {
    const { artifacts: out } = await toSparseGraphArtifacts(fixture(), { overrides: { conv1: 'sparse' } });
    const spec = out.weightSpecs!.findIndex((s) => s.name === 'conv1/sparse_weights');
    // Every tensor of the fixture is float32 or int32: 4 bytes an element.
    const offset = out.weightSpecs!.slice(0, spec).reduce((a, s) => a + 4 * s.shape.reduce((p, q) => p * q, 1), 0);
    const words = new Int32Array(out.weightData as ArrayBuffer, offset, out.weightSpecs![spec].shape[0]);
    words[0] += 1; // unit 0's count: the counts no longer sum to nnz
    const model = await tf.loadGraphModel(tf.io.fromMemory(out));
    const x = tf.zeros([1, 6, 5, 8]);
    expect(() => model.execute({ x, y: tf.zeros([7, 20]) }, 'conv1')).toThrow(/counts/);
    x.dispose();
  });
});

// Real graph models (float32 and float16 weights): their Conv2D filters (1×1 and k×k: emotion's,
// antispoof's and liveness' 3×3 stride 1, iris' 2×2 stride 2, facemesh's 3×3 stride 3 VALID, every
// model's stride-2 stem) pruned to 90% by pruneArtifacts, every one rewritten; outputs equal the
// dense pruned model's bit for bit.
describe('real graph models of @vladmandic/human', () => {
  const HUMAN = path.join(packageDir('@vladmandic/human'), 'models');
  beforeAll(async () => {
    await init();
    await tf.setBackend('wasm');
    await registerSparseKernels();
    await registerSparseGraphOps();
  });

  it.each(['emotion', 'blazeface', 'iris', 'movenet-lightning', 'antispoof', 'liveness', 'facemesh'])('%s', async (name) => {
    const a = await loadArtifacts(path.join(HUMAN, `${name}.json`));
    const nodes = (a.modelTopology as { node: Node[] }).node;
    const convs = nodes.filter((n) => /^(_Fused)?Conv2D$/.test(n.op));
    const filters = [...new Set(convs.map((n) => n.input![1]))];
    const { artifacts: pruned } = await pruneArtifacts(a, { sparsity: 0.9, overrides: [...filters.map((f) => ({ match: f, sparsity: 0.9 })), { match: '*', skip: true }] }, { gzip: false });
    const { report: scan } = await toSparseGraphArtifacts(pruned, { minSparsity: 1 });
    const supported = scan.nodes.filter((r) => r.reason !== 'unsupported').map((r) => r.name);
    const { artifacts: out, report } = await toSparseGraphArtifacts(pruned, { overrides: Object.fromEntries(supported.map((n) => [n, 'sparse'])) });
    // Every convolution is either rewritten (at the 90% pruneArtifacts gave it) or declined with a reason.
    for (const n of convs) {
      const r = report.nodes.find((x) => x.name === n.name)!;
      expect(r.decision === 'sparse' ? Math.abs(r.sparsity - 0.9) < 0.01 : r.reason === 'unsupported').toBe(true);
    }
    const rewritten = new Map((out.modelTopology as { node: Node[] }).node.map((n) => [n.name, n]));
    for (const n of convs) if (supported.includes(n.name)) expect(rewritten.get(n.name)!.op).toBe('PruneSparseMatMul');
    // The k×k ones among them run through the im2col kernel (their node has a kernel attribute).
    const shapes = new Map(a.weightSpecs!.map((s) => [s.name, s.shape]));
    const kxk = convs.filter((n) => shapes.get(n.input![1])!.slice(0, 2).join() !== '1,1');
    expect(kxk.length).toBeGreaterThan(0);
    for (const n of kxk) expect(rewritten.get(n.name)!.attr!.kernel).toBeDefined();
    const denseModel = await tf.loadGraphModel(tf.io.fromMemory(pruned));
    const sparseModel = await tf.loadGraphModel(tf.io.fromMemory(out));
    const inputs: Record<string, tf.Tensor> = {};
    for (const i of denseModel.inputs) {
      const shape = i.shape!.map((d) => (d < 0 ? 1 : d));
      const v = values(shape.reduce((p, q) => p * q, 1), 3, 0).map(Math.abs);
      inputs[i.name] = i.dtype === 'int32' ? tf.tensor(Int32Array.from(v, (e) => Math.floor(e * 255)), shape, 'int32') : tf.tensor(v, shape);
    }
    const outNames = denseModel.outputs.map((o) => o.name);
    const want = (await denseModel.executeAsync(inputs, outNames)) as tf.Tensor[];
    const got = (await sparseModel.executeAsync(inputs, outNames)) as tf.Tensor[];
    expectBitsEqual([got].flat(), [want].flat());
    tf.dispose([...[want].flat(), ...[got].flat(), ...Object.values(inputs)]);
    denseModel.dispose();
    sparseModel.dispose();
  }, 60_000);
});
