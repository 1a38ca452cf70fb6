// The sparseMatMul op and the weights it takes: a packed matrix (format.ts) held as one int32
// tensor on whatever backend is current, so the wasm backend keeps it in its own memory.
import { engine, tensor1d, Tensor, type NamedTensorMap } from '@tensorflow/tfjs-core';
import { ArgumentError, WasmError } from '../errors.js';
import { describeTensor } from '../tfjs/validate.js';
import { checkSparse, type SparseMatrix } from './format.js';
import { ACTIVATIONS, PruneSparseMatMul, type Activation, type PruneSparseMatMulAttrs } from './kernel_names.js';
import { kernelBuild } from './kernels.js';
import { registerSparseKernelFor } from './register.js';

/**
 * A packed sparse weight matrix placed in a tfjs tensor (int32, one element per word of the
 * packed form). Holds the header the kernels need. `dispose()` frees the tensor.
 */
export class SparseWeights {
  readonly k: number;
  readonly n: number;
  readonly nnz: number;
  readonly wide: boolean;
  readonly tensor: Tensor;

  /** Checks `m` (checkSparse) and copies its words into a new int32 tensor on the current backend. */
  constructor(m: SparseMatrix) {
    checkSparse(m, 'SparseWeights');
    this.k = m.k;
    this.n = m.n;
    this.nnz = m.nnz;
    this.wide = m.wide;
    // tensor1d copies the Int32Array: the tensor never aliases the caller's array.
    this.tensor = tensor1d(m.data, 'int32');
  }

  /** The packed form back, read from the tensor (a copy). */
  matrix(): SparseMatrix {
    return { k: this.k, n: this.n, nnz: this.nnz, wide: this.wide, data: Int32Array.from(this.tensor.dataSync() as Int32Array) };
  }

  get bytes(): number {
    return this.tensor.size * 4;
  }

  dispose(): void {
    this.tensor.dispose();
  }
}

export interface SparseMatMulOptions {
  /** float32 [n], added before the activation (as the accumulator's start, like XNNPACK's GEMM). */
  bias?: Tensor | null;
  /** Fused activation; default 'linear'. */
  activation?: Activation;
}

/**
 * y = act(x · W + bias) with W sparse: x float32 [rows, k], returns float32 [rows, n]. On the wasm
 * backend the result equals tf.fused.matMul({ a: x, b: denseW, bias, activation }) bit for bit
 * where x is finite (docs/sparse.md); elsewhere it is the same float32 sums in the same order.
 * Inference only: no gradient is registered, so tf.grad through it throws.
 */
export function sparseMatMul(x: Tensor, weights: SparseWeights, options: SparseMatMulOptions = {}): Tensor {
  if (!(weights instanceof SparseWeights)) throw new ArgumentError('sparseMatMul: weights must be a SparseWeights (packSparse, then new SparseWeights)');
  if (weights.tensor.isDisposed) throw new ArgumentError('sparseMatMul: weights have been disposed');
  return sparseMatMulPacked(x, weights.tensor, weights, options);
}

/** The header of a packed matrix held in an int32 tensor. */
export interface PackedHeader {
  k: number;
  n: number;
  nnz: number;
  wide: boolean;
}

/** sparseMatMul on a packed int32 tensor the caller has checked (SparseWeights, SparseDense). */
export function sparseMatMulPacked(x: Tensor, packed: Tensor, h: PackedHeader, options: SparseMatMulOptions = {}): Tensor {
  const fname = 'sparseMatMul';
  if (!(x instanceof Tensor)) throw new ArgumentError(`${fname}: x must be a Tensor`);
  if (x.dtype !== 'float32' || x.rank !== 2) throw new ArgumentError(`${fname}: ${describeTensor('x', x)} must be float32 of rank 2`);
  if (x.shape[1] !== h.k) {
    throw new ArgumentError(`${fname}: ${describeTensor('x', x)} has ${x.shape[1]} inputs, the weights expect ${h.k} ([${h.k}, ${h.n}])`);
  }
  const { bias = null, activation = 'linear' } = options;
  if (!ACTIVATIONS.includes(activation)) throw new ArgumentError(`${fname}: activation must be one of ${ACTIVATIONS.join(', ')}, got ${String(activation)}`);
  const attrs: PruneSparseMatMulAttrs = { k: h.k, n: h.n, nnz: h.nnz, wide: h.wide, activation };
  return runSparseKernel(PruneSparseMatMul, x, packed, bias, attrs, fname);
}

/**
 * Runs a sparse kernel (PruneSparseMatMul or PruneSparseConv2D) on x and the packed weights, with
 * a bias of attrs.n values when given (checked here); registers the kernels for the current
 * backend on first use.
 */
export function runSparseKernel(kernelName: string, x: Tensor, packed: Tensor, bias: Tensor | null, attrs: { n: number }, fname: string): Tensor {
  const inputs: Record<string, Tensor> = { x, weights: packed };
  if (bias !== null) {
    if (!(bias instanceof Tensor) || bias.dtype !== 'float32' || bias.rank !== 1 || bias.shape[0] !== attrs.n) {
      throw new ArgumentError(`${fname}: bias must be a float32 tensor of shape [${attrs.n}], got ${bias instanceof Tensor ? describeTensor('bias', bias) : typeof bias}`);
    }
    inputs.bias = bias;
  }
  if (kernelBuild() === null) throw new WasmError('WASM_NOT_INITIALIZED', `${fname}: the sparse kernels are not registered; await registerSparseKernels() first`);
  registerSparseKernelFor(engine().backendName);
  return engine().runKernel(kernelName, inputs as NamedTensorMap, attrs as unknown as Record<string, never>) as Tensor;
}
