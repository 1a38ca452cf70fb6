// Shared body of the tfjs-op runtime scripts (test/runtimes/runtimes-tfjs.test.ts). Plain JS, no
// imports: the test pastes it into ESM, CJS, worker and page wrappers, which pass in tfjs-core
// (with tfjs-backend-cpu, and tfjs-backend-wasm where it loads), the namespace of
// 'tfjs-prune/tfjs', the backend and the options for registerPruneKernels, and print (or serve)
// the JSON digest. `expectedTfjs` computes the same results with the typed-array API of the root
// entry, for the Node reference.

// Deterministic weights (the LCG of digest-core.js, another seed), with exact zeros and repeated
// magnitudes so that ties are exercised; 10007 is prime.
function tfjsWeights() {
  const n = 10007;
  let s = 4242;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const base = new Float32Array(n);
  for (let i = 0; i < n; i++) base[i] = i % 97 === 0 ? 0 : i % 89 === 0 ? -0.25 : next() * 2 - 1;
  return base;
}

// FNV-1a over the bytes of a typed array (the float bits of a result), and its count of zeros.
function tfjsSummary(shape, v) {
  let h = 0x811c9dc5;
  const b = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 16777619) >>> 0;
  let zeros = 0;
  for (let i = 0; i < v.length; i++) zeros += v[i] === 0 ? 1 : 0;
  return { shape, zeros, sum: h };
}

async function digestTfjs(tf, prune, backend, registerOptions) {
  await prune.registerPruneKernels(registerOptions);
  if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend('${backend}') failed`);
  await tf.ready();
  const base = tfjsWeights();
  const paths = {};
  const summary = (t) => {
    const last = prune.copyReport().last; // the op's own kernel call
    if (last) paths[last.kernelName] = last.path;
    const r = tfjsSummary(t.shape, t.dataSync());
    t.dispose();
    return r;
  };
  const before = tf.memory().numTensors;
  const x = tf.tensor1d(base);
  const x2 = tf.tensor2d(base.subarray(0, 10000), [100, 100]);
  const result = {
    sparsity: summary(prune.pruneMagnitude(x, { sparsity: 0.9 })),
    threshold: summary(prune.pruneMagnitude(x2, { threshold: 0.5 })),
    mask: summary(prune.magnitudeMask(x, { sparsity: 0.5 })),
    applyMask: summary(tf.tidy(() => prune.applyMask(x2, prune.magnitudeMask(x2, { sparsity: 0.75 })))),
    // The registered gradient (straight-through on the survivors) with dy = x: tfjs-core alone
    // registers no gradients of its own ops, so the script uses none.
    grad: summary(tf.tidy(() => tf.grad((t) => prune.pruneMagnitude(t, { sparsity: 0.5 }))(x, x))),
  };
  const input = tfjsSummary(x.shape, x.dataSync()).sum;
  x.dispose();
  x2.dispose();
  return { backend: tf.getBackend(), paths, leaked: tf.memory().numTensors - before, input, result };
}

async function expectedTfjs(lib) {
  await lib.init({});
  const base = tfjsWeights();
  const w2 = () => base.slice(0, 10000);
  const sparsity = base.slice();
  lib.pruneToSparsity(sparsity, 0.9);
  const threshold = w2();
  lib.pruneByThreshold(threshold, 0.5);
  const mask = Float32Array.from(lib.magnitudeMask(base, { sparsity: 0.5 }));
  const applied = w2();
  lib.applyMask(applied, lib.magnitudeMask(w2(), { sparsity: 0.75 }));
  // dy = x passed where pruneMagnitude keeps a weight: the prune at 0.5 itself.
  const grad = base.slice();
  lib.pruneToSparsity(grad, 0.5);
  return {
    input: tfjsSummary([10007], base).sum,
    result: {
      sparsity: tfjsSummary([10007], sparsity),
      threshold: tfjsSummary([100, 100], threshold),
      mask: tfjsSummary([10007], mask),
      applyMask: tfjsSummary([100, 100], applied),
      grad: tfjsSummary([10007], grad),
    },
  };
}
