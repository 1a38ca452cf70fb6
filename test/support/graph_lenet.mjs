// A tfjs graph model (format 'graph-model', a GraphDef as tensorflowjs_converter writes it) built by
// hand from a Sequential of Dense layers, such as the bundled LeNet-300-100 (examples/mnist-mlp):
// the same weights, computing the same function, in the three shapes converted models use for a
// Dense layer, so that one-shot pruning of graph models can be checked against real MNIST:
//   layer 0: _FusedMatMul [BiasAdd, Relu]               (the converter's usual fusion)
//   layer 1: MatMul, then BiasAdd and Relu nodes         (unfused: the bias is a separate op)
//   layer 2: _FusedMatMul with transpose_b (the kernel stored [out, in]), fused BiasAdd
//   then Softmax. Layers beyond the third repeat the first shape.
// Used by test/oneshot/graph.test.ts and bench/oneshot-graph.mjs. No Python involved.

const b64 = (s) => Buffer.from(s).toString('base64');
const dims = (shape) => ({ dim: shape.map((d) => ({ size: String(d) })) });
const constNode = (name, shape) => ({ name, op: 'Const', attr: { dtype: { type: 'DT_FLOAT' }, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dims(shape) } } } });

/**
 * @param {{ modelTopology: any, weightSpecs: any[], weightData: ArrayBuffer }} layers artifacts of
 *   a Sequential of Dense layers (kernel, bias per layer; relu inside, softmax last)
 * @param {number[]} [styles] each layer's shape (0, 1, 2 above); default [0, 1, 0, 1, …, 2]
 * @returns tf.io.ModelArtifacts of a graph model with input 'x' and output 'probs'
 */
export function graphFromDense(layers, styles) {
  const specs = layers.weightSpecs;
  const data = new Uint8Array(layers.weightData);
  const values = new Map();
  let off = 0;
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    values.set(s.name, new Float32Array(data.slice(off, off + 4 * n).buffer));
    off += 4 * n;
  }
  const kernels = specs.filter((s) => s.name.endsWith('/kernel'));
  const nodes = [{ name: 'x', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: dims([-1, kernels[0].shape[0]]) } } }];
  const outSpecs = [];
  const outValues = [];
  let prev = 'x';
  kernels.forEach((k, i) => {
    const layer = k.name.slice(0, -'/kernel'.length);
    const [rows, cols] = k.shape;
    const last = i === kernels.length - 1;
    const style = styles?.[i] ?? (last ? 2 : i % 2);
    let kernel = values.get(k.name);
    let kshape = [rows, cols];
    if (style === 2) {
      const t = new Float32Array(kernel.length);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = kernel[r * cols + c];
      kernel = t;
      kshape = [cols, rows];
    }
    const kname = `${layer}/MatMul/ReadVariableOp`;
    const bname = `${layer}/BiasAdd/ReadVariableOp`;
    nodes.push(constNode(kname, kshape), constNode(bname, [cols]));
    outSpecs.push({ name: kname, shape: kshape, dtype: 'float32' }, { name: bname, shape: [cols], dtype: 'float32' });
    outValues.push(kernel, values.get(`${layer}/bias`));
    const act = last ? [] : ['Relu'];
    if (style === 1) {
      nodes.push({ name: `${layer}/MatMul`, op: 'MatMul', input: [prev, kname], attr: { T: { type: 'DT_FLOAT' }, transpose_a: { b: false }, transpose_b: { b: false } } });
      nodes.push({ name: `${layer}/BiasAdd`, op: 'BiasAdd', input: [`${layer}/MatMul`, bname], attr: { T: { type: 'DT_FLOAT' }, data_format: { s: b64('NHWC') } } });
      nodes.push({ name: `${layer}/Relu`, op: 'Relu', input: [`${layer}/BiasAdd`], attr: { T: { type: 'DT_FLOAT' } } });
      prev = `${layer}/Relu`;
    } else {
      const name = last ? `${layer}/BiasAdd` : `${layer}/Relu`;
      nodes.push({
        name,
        op: '_FusedMatMul',
        input: [prev, kname, bname],
        attr: { T: { type: 'DT_FLOAT' }, transpose_a: { b: false }, transpose_b: { b: style === 2 }, fused_ops: { list: { s: ['BiasAdd', ...act].map(b64) } }, num_args: { i: '1' }, epsilon: { f: 0 } },
      });
      prev = name;
    }
  });
  nodes.push({ name: 'probs', op: 'Softmax', input: [prev], attr: { T: { type: 'DT_FLOAT' } } });
  const total = outValues.reduce((a, v) => a + v.byteLength, 0);
  const weightData = new Uint8Array(total);
  off = 0;
  for (const v of outValues) {
    weightData.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), off);
    off += v.byteLength;
  }
  return {
    modelTopology: { node: nodes, library: {}, versions: { producer: 1 } },
    format: 'graph-model',
    generatedBy: 'tfjs-prune test/support/graph_lenet.mjs',
    convertedBy: null,
    weightSpecs: outSpecs,
    weightData: weightData.buffer,
  };
}
