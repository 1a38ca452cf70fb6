// The hand-made graph model of the sparse graph tests (test/sparse/graph.test.ts in Node,
// test/tfjs/sparse-graph.test.ts in Node and headless Chromium): every case toSparseGraphArtifacts
// rewrites or declines. No Node built-ins, so the browser suite can build it too.
import type * as tf from '@tensorflow/tfjs';

export type Node = { name: string; op: string; input?: string[]; attr?: Record<string, unknown> };

const b64 = (s: string) => btoa(s);
const f32 = { type: 'DT_FLOAT' };

/** Deterministic values in (-1, 1), a fraction `zeros` of them exactly 0. */
export function values(n: number, seed: number, zeros: number): Float32Array {
  let s = seed;
  const r = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  return Float32Array.from({ length: n }, () => (r() < zeros ? 0 : r() * 2 - 1));
}

/** The fixture: two inputs, every case the rewrite handles or declines. */
export function fixture(): tf.io.ModelArtifacts {
  const nodes: Node[] = [];
  const specs: tf.io.WeightsManifestEntry[] = [];
  const data: Float32Array[] = [];
  let seed = 1;
  const konst = (name: string, shape: number[], zeros = 0.8) => {
    nodes.push({ name, op: 'Const', attr: { value: { tensor: { dtype: 'DT_FLOAT', tensorShape: { dim: shape.map((d) => ({ size: String(d) })) } } }, dtype: f32 } });
    specs.push({ name, shape, dtype: 'float32' });
    data.push(values(shape.reduce((a, b) => a * b, 1), seed++, zeros));
    return name;
  };
  const conv = (name: string, x: string, w: string, opts: { bias?: string; act?: string; strides?: number | [number, number]; padding?: string; alpha?: string; leaky?: number; dilation?: number | [number, number]; explicit?: number[] } = {}) => {
    const fusedOps = opts.bias === undefined ? [] : ['BiasAdd', ...(opts.act ? [opts.act] : [])];
    const [sh, sw] = typeof opts.strides === 'object' ? opts.strides : [opts.strides ?? 1, opts.strides ?? 1];
    const [dh, dw] = typeof opts.dilation === 'object' ? opts.dilation : [opts.dilation ?? 1, opts.dilation ?? 1];
    nodes.push({
      name,
      op: fusedOps.length ? '_FusedConv2D' : 'Conv2D',
      input: [x, w, ...(opts.bias ? [opts.bias] : []), ...(opts.alpha ? [opts.alpha] : [])],
      attr: {
        T: f32,
        strides: { list: { i: ['1', String(sh), String(sw), '1'] } },
        padding: { s: b64(opts.explicit ? 'EXPLICIT' : opts.padding ?? 'SAME') },
        ...(opts.explicit ? { explicit_paddings: { list: { i: opts.explicit.map(String) } } } : {}),
        data_format: { s: b64('NHWC') },
        dilations: { list: { i: ['1', String(dh), String(dw), '1'] } },
        ...(fusedOps.length ? { fused_ops: { list: { s: fusedOps.map(b64) } }, num_args: { i: opts.alpha ? '2' : '1' }, epsilon: { f: 0 } } : {}),
        ...(opts.leaky !== undefined ? { leakyrelu_alpha: { f: opts.leaky } } : {}),
      },
    });
    return name;
  };
  const matmul = (name: string, a: string, b: string, opts: { bias?: string; act?: string; ta?: boolean; tb?: boolean } = {}) => {
    const fusedOps = opts.bias === undefined ? [] : ['BiasAdd', ...(opts.act ? [opts.act] : [])];
    nodes.push({
      name,
      op: fusedOps.length ? '_FusedMatMul' : 'MatMul',
      input: [a, b, ...(opts.bias ? [opts.bias] : [])],
      attr: { T: f32, transpose_a: { b: opts.ta ?? false }, transpose_b: { b: opts.tb ?? false }, ...(fusedOps.length ? { fused_ops: { list: { s: fusedOps.map(b64) } }, num_args: { i: '1' }, epsilon: { f: 0 } } : {}) },
    });
    return name;
  };
  nodes.push({ name: 'x', op: 'Placeholder', attr: { dtype: f32, shape: { shape: { dim: [{ size: '-1' }, { size: '6' }, { size: '5' }, { size: '8' }] } } } });
  nodes.push({ name: 'y', op: 'Placeholder', attr: { dtype: f32, shape: { shape: { dim: [{ size: '7' }, { size: '20' }] } } } });
  const c1 = conv('conv1', 'x', konst('w1', [1, 1, 8, 16]), { bias: konst('b1', [16], 0), act: 'Relu' });
  const c2 = conv('conv2', c1, konst('w2', [1, 1, 16, 12]), { strides: 2, padding: 'VALID' });
  const c3 = conv('conv3', c2, konst('w3', [1, 1, 12, 12]), { bias: konst('b3', [12], 0), act: 'Relu6' });
  const c4 = conv('conv4', c3, konst('w4', [3, 3, 12, 8]), { bias: konst('b4', [8], 0) });
  const c5 = conv('conv5', c4, konst('w5', [1, 1, 8, 8]), { bias: konst('b5', [8], 0), act: 'Prelu', alpha: konst('a5', [8], 0) });
  const c6 = conv('conv6', c5, konst('w10', [1, 1, 8, 8]), { bias: konst('b10', [8], 0), act: 'LeakyRelu', leaky: 0.3 });
  // k×k side branches off conv1 ([b, 6, 5, 16]): stride 2 SAME (padding 0 rows on top, 1
  // column on the left), a 2×3 kernel dilated by [2, 1], stride 2 VALID + Prelu, a 3×2 kernel
  // with strides [2, 1].
  conv('conv8', c1, konst('w12', [3, 3, 16, 8], 0.9), { bias: konst('b12', [8], 0), act: 'Relu', strides: 2 });
  conv('conv9', c1, konst('w13', [2, 3, 16, 6], 0.9), { bias: konst('b13', [6], 0), act: 'Relu6', padding: 'VALID', dilation: [2, 1] });
  conv('conv10', c1, konst('w14', [3, 3, 16, 4], 0.9), { bias: konst('b14', [4], 0), act: 'Prelu', alpha: konst('a14', [4], 0), padding: 'VALID', strides: 2 });
  // EXPLICIT padding: 3×3 with 1 row on top, 2 below, 0 left, 1 right (→ [b, 7, 4, 5]); a 1×1
  // stride 2 with 1 row on top and 1 column on the right (its border pixels are the bias alone).
  conv('conv11', c1, konst('w15', [3, 3, 16, 5], 0.9), { bias: konst('b15', [5], 0), act: 'Relu', explicit: [0, 0, 1, 2, 0, 1, 0, 0] });
  conv('conv13', c1, konst('w17', [3, 2, 16, 4], 0.9), { strides: [2, 1] }); // 3×2 stride [2, 1] SAME, no bias
  conv('conv12', c1, konst('w16', [1, 1, 16, 3], 0.7), { bias: konst('b16', [3], 0), strides: 2, explicit: [0, 0, 1, 0, 0, 1, 0, 0] });
  const c7 = conv('conv7', c6, konst('w11', [1, 1, 8, 8]), { bias: konst('b11', [8], 0), act: 'Elu' });
  nodes.push({ name: 'flat_shape', op: 'Const', attr: { value: { tensor: { dtype: 'DT_INT32', tensorShape: { dim: [{ size: '2' }] } } }, dtype: { type: 'DT_INT32' } } });
  specs.push({ name: 'flat_shape', shape: [2], dtype: 'int32' });
  data.push(new Float32Array(new Int32Array([-1, 72]).buffer));
  nodes.push({ name: 'flat', op: 'Reshape', input: [c7, 'flat_shape'], attr: { T: f32 } });
  const m1 = matmul('mm1', 'flat', konst('w6', [72, 40], 0.9), { bias: konst('b6', [40], 0), act: 'Relu' });
  const m2 = matmul('mm2', m1, konst('w7', [30, 40]), { tb: true });
  const w8 = konst('w8', [30, 10]);
  matmul('mm3', m2, w8, { bias: konst('b8', [10], 0), act: 'Relu6' });
  matmul('mm4', m2, w8); // shares w8, kept dense by the tests' overrides
  matmul('mm5', 'y', konst('w9', [7, 9]), { ta: true });
  const bytes = new Uint8Array(data.reduce((a, d) => a + d.byteLength, 0));
  let off = 0;
  for (const d of data) {
    bytes.set(new Uint8Array(d.buffer), off);
    off += d.byteLength;
  }
  return { modelTopology: { node: nodes, versions: { producer: 1 } }, format: 'graph-model', weightSpecs: specs, weightData: bytes.buffer };
}

export const SPARSE_NODES = ['conv1', 'conv2', 'conv3', 'conv4', 'conv5', 'conv8', 'conv9', 'conv10', 'conv11', 'conv12', 'conv13', 'conv6', 'mm1', 'mm2', 'mm3', 'mm5'];
export const ALL_SPARSE = Object.fromEntries([...SPARSE_NODES.map((n) => [n, 'sparse']), ['mm4', 'dense']]) as Record<string, 'sparse' | 'dense'>;
export const OUTPUTS = ['conv5', 'conv6', 'conv7', 'conv8', 'conv9', 'conv10', 'conv11', 'conv12', 'conv13', 'mm3', 'mm4', 'mm5'];
/** The most terms of any output's sums (conv8: 3·3·16), for the cpu backend's rounding bound. */
export const MAX_TERMS = 144;
