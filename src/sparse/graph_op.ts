// The graph-model op: a node `PruneSparseMatMul` that toSparseGraphArtifacts writes in place of a
// MatMul, _FusedMatMul or Conv2D / _FusedConv2D (1×1 as a product over the channels, k×k through
// the PruneSparseConv2D kernel's im2col), registered with tfjs-converter
// (`registerOp`) by registerSparseGraphOps(). Its inputs are the activation, the packed weights
// (an int32 Const of format.ts' words), an optional float32 bias and, for a Prelu, its alpha; its
// attributes say how the activation becomes the [rows, k] operand of sparseMatMul, and which
// activation follows the product when the kernel cannot fuse it (prelu, leakyrelu).
import { leakyRelu, prelu, reshape, tidy, transpose, type Tensor } from '@tensorflow/tfjs-core';
import { convAxis, runSparseConvKernel } from './conv.js';
import { ArgumentError } from '../errors.js';
import { checkSparse, layoutOf, isWide } from './format.js';
import { ACTIVATIONS, PruneSparseMatMul, type Activation } from './kernel_names.js';
import { sparseMatMulPacked } from './op.js';
import { registerSparseKernels, sparseKernelsRegistered } from './register.js';

/** The graph op's name in a rewritten model.json (the same string as the kernel's name). */
export const SPARSE_GRAPH_OP = PruneSparseMatMul;

/** What a rewritten node does, from its attributes. */
export interface SparseNodeAttrs {
  k: number;
  n: number;
  nnz: number;
  wide: boolean;
  activation: Activation;
  /** MatMul's transpose_a: x is [k, rows]. */
  transposeA: boolean;
  /** A convolution's [strideH, strideW] on NHWC x (a 1×1 one: x's pixels taken every stride); [1, 1] for a MatMul. */
  strides: [number, number];
  /** A k×k convolution's filter [kh, kw]; [1, 1] for a MatMul or a 1×1 convolution. */
  kernel: [number, number];
  /** A k×k convolution's [dilationH, dilationW]; [1, 1] otherwise. */
  dilations: [number, number];
  /** A k×k convolution's padding, as TensorFlow's SAME / VALID / EXPLICIT (any stride). */
  padding: 'same' | 'valid' | 'explicit';
  /** EXPLICIT padding's [top, bottom, left, right] zeros; [0, 0, 0, 0] otherwise. */
  pads: [number, number, number, number];
  /**
   * An activation applied after the (linear) product, as tfjs-backend-wasm applies it after its
   * convolution: 'prelu' (alpha is the node's fourth input) or 'leakyrelu' (leakyreluAlpha).
   */
  post: 'none' | 'prelu' | 'leakyrelu';
  leakyreluAlpha: number;
}

export const POST_ACTIVATIONS: readonly SparseNodeAttrs['post'][] = ['none', 'prelu', 'leakyrelu'];

// Packed weight tensors already checked (checkSparse): the executor hands the same Const tensor to
// every call, so the check runs once per loaded model, as SparseDense checks once per build.
const checked = new WeakSet<Tensor>();

/**
 * y = act(x' · W + bias) where x' is x with its pixels subsampled by `strides` (rank 4) or
 * transposed (transposeA, rank 2), flattened to [rows, k]; y has x's leading shape and n last.
 * Trusts `packed` only after checkSparse has passed on it once.
 */
export function runSparseNode(x: Tensor, packed: Tensor, bias: Tensor | null, a: SparseNodeAttrs, where = SPARSE_GRAPH_OP, alpha: Tensor | null = null): Tensor {
  if (a.post === 'prelu' && alpha === null) throw new ArgumentError(`${where}: a prelu node needs its alpha input`);
  if (!checked.has(packed)) {
    if (packed.dtype !== 'int32' || packed.rank !== 1) throw new ArgumentError(`${where}: packed weights must be int32 of rank 1, got ${packed.dtype} [${packed.shape.join(', ')}]`);
    const words = layoutOf(a.n, a.nnz, a.wide).words;
    if (packed.size !== words || a.wide !== isWide(a.k)) {
      throw new ArgumentError(`${where}: packed weights have ${packed.size} words, attributes k=${a.k} n=${a.n} nnz=${a.nnz} wide=${a.wide} need ${words}${a.wide !== isWide(a.k) ? ` and wide=${isWide(a.k)}` : ''}`);
    }
    checkSparse({ k: a.k, n: a.n, nnz: a.nnz, wide: a.wide, data: packed.dataSync() as Int32Array }, where);
    checked.add(packed);
  }
  return tidy(() => {
    // Any convolution that is not a plain product over the channels (k×k, padded or strided) goes
    // through the conv kernel's im2col, which takes strides and padding itself.
    const conv = a.kernel[0] * a.kernel[1] > 1 || a.padding === 'explicit' || a.strides[0] !== 1 || a.strides[1] !== 1;
    const y = conv ? convNode(x, packed, bias, a, where) : productNode(x, packed, bias, a, where);
    if (a.post === 'prelu') return prelu(y, alpha!);
    return a.post === 'leakyrelu' ? leakyRelu(y, a.leakyreluAlpha) : y;
  });
}

/** A MatMul or 1×1 convolution with stride 1: x (transposed for transpose_a) flattened to [rows, k], times W. */
function productNode(x: Tensor, packed: Tensor, bias: Tensor | null, a: SparseNodeAttrs, where: string): Tensor {
  let v = x;
  if (a.transposeA) {
    if (v.rank !== 2) throw new ArgumentError(`${where}: transpose_a needs x of rank 2, got [${v.shape.join(', ')}]`);
    v = transpose(v);
  }
  if (v.shape[v.rank - 1] !== a.k) throw new ArgumentError(`${where}: x [${v.shape.join(', ')}] has ${v.shape[v.rank - 1]} channels on its last axis, the weights expect ${a.k}`);
  const y = sparseMatMulPacked(v.rank === 2 ? v : reshape(v, [-1, a.k]), packed, a, { bias, activation: a.activation });
  return v.rank === 2 ? y : reshape(y, [...v.shape.slice(0, -1), a.n]);
}

/** A k×k, padded or strided convolution: the PruneSparseConv2D kernel (im2col at the node's strides and dilations). */
function convNode(x: Tensor, packed: Tensor, bias: Tensor | null, a: SparseNodeAttrs, where: string): Tensor {
  const [kh, kw] = a.kernel;
  const [dh, dw] = a.dilations;
  const shape: number[] = x.shape;
  if (x.dtype !== 'float32' || shape.length !== 4 || kh * kw * shape[3] !== a.k) {
    throw new ArgumentError(`${where}: x ${x.dtype} [${shape.join(', ')}] must be float32 NHWC whose ${kh}×${kw} patches have the weights' ${a.k} inputs`);
  }
  const [pt, pb, pl, pr] = a.pads;
  const ys = convAxis(shape[1], (kh - 1) * dh + 1, a.strides[0], a.padding, pt, pb);
  const xs = convAxis(shape[2], (kw - 1) * dw + 1, a.strides[1], a.padding, pl, pr);
  if (ys.out < 1 || xs.out < 1) throw new ArgumentError(`${where}: x [${shape.join(', ')}] is smaller than the ${kh}×${kw} kernel (padding ${a.padding})`);
  const attrs = {
    k: a.k, n: a.n, nnz: a.nnz, wide: a.wide, activation: a.activation, kh, kw,
    padT: ys.pad, padL: xs.pad, sh: a.strides[0], sw: a.strides[1], dh, dw, oh: ys.out, ow: xs.out,
  };
  return runSparseConvKernel(x, packed, bias, attrs, where);
}

/** The node as tfjs-converter's custom-op executor sees it. */
interface GraphNodeValue {
  inputs: Tensor[];
  attrs: Record<string, unknown>;
}

/** Attributes of a node as parsed by tfjs-converter (numbers, booleans, lower-cased strings). */
export function nodeAttrs(attrs: Record<string, unknown>, where: string): SparseNodeAttrs {
  const int = (key: string) => {
    const v = Number(attrs[key]);
    if (!Number.isSafeInteger(v) || v < 0) throw new ArgumentError(`${where}: attribute ${key} must be a non-negative integer, got ${String(attrs[key])}`);
    return v;
  };
  const activation = (attrs.activation ?? 'linear') as Activation;
  if (!ACTIVATIONS.includes(activation)) throw new ArgumentError(`${where}: attribute activation must be one of ${ACTIVATIONS.join(', ')}, got ${String(attrs.activation)}`);
  const post = (attrs.post ?? 'none') as SparseNodeAttrs['post'];
  if (!POST_ACTIVATIONS.includes(post)) throw new ArgumentError(`${where}: attribute post must be one of ${POST_ACTIVATIONS.join(', ')}, got ${String(attrs.post)}`);
  const leakyreluAlpha = Number(attrs.leakyrelu_alpha ?? 0.2);
  if (!Number.isFinite(leakyreluAlpha)) throw new ArgumentError(`${where}: attribute leakyrelu_alpha must be a finite number, got ${String(attrs.leakyrelu_alpha)}`);
  if (post !== 'none' && activation !== 'linear') throw new ArgumentError(`${where}: activation ${activation} and post ${post} cannot both be set`);
  const kernel = pair(attrs.kernel, 'kernel', where);
  const padding = (attrs.padding ?? 'valid') as SparseNodeAttrs['padding'];
  if (padding !== 'same' && padding !== 'valid' && padding !== 'explicit') throw new ArgumentError(`${where}: attribute padding must be same, valid or explicit, got ${String(attrs.padding)}`);
  const p = attrs.pads === undefined ? [0, 0, 0, 0] : Array.isArray(attrs.pads) ? attrs.pads.map(Number) : [];
  if (p.length !== 4 || !p.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new ArgumentError(`${where}: attribute pads must be four non-negative integers, got ${JSON.stringify(attrs.pads)}`);
  return { k: int('k'), n: int('n'), nnz: int('nnz'), wide: attrs.wide === true, activation, transposeA: attrs.transpose_a === true, strides: pair(attrs.strides, 'strides', where), kernel, dilations: pair(attrs.dilations, 'dilations', where), padding, pads: [p[0], p[1], p[2], p[3]], post, leakyreluAlpha };
}

/** A list attribute of two positive integers ([1, 1] when absent, as in models written before it). */
function pair(v: unknown, key: string, where: string): [number, number] {
  const s = v === undefined ? [1, 1] : Array.isArray(v) ? v.map(Number) : [];
  if (s.length !== 2 || !s.every((d) => Number.isSafeInteger(d) && d >= 1)) throw new ArgumentError(`${where}: attribute ${key} must be two positive integers, got ${JSON.stringify(v)}`);
  return [s[0], s[1]];
}

/** tfjs-converter's registerOp, or a function of the same shape (e.g. `tf.registerOp` from a script tag). */
export type RegisterOp = (name: string, opFunc: (node: GraphNodeValue) => Tensor | Tensor[]) => void;

export interface RegisterSparseGraphOptions {
  /** Default: `registerOp` of '@tensorflow/tfjs-converter', imported on first call. */
  registerOp?: RegisterOp;
}

/**
 * Registers the `PruneSparseMatMul` graph op with tfjs-converter, so that tf.loadGraphModel runs
 * the models toSparseGraphArtifacts writes; registers the sparse kernels first if
 * registerSparseKernels() has not run. Idempotent. Inference only.
 */
export async function registerSparseGraphOps(options: RegisterSparseGraphOptions = {}): Promise<void> {
  if (!sparseKernelsRegistered()) await registerSparseKernels();
  const register = options.registerOp ?? ((await import('@tensorflow/tfjs-converter')).registerOp as unknown as RegisterOp);
  if (typeof register !== 'function') throw new ArgumentError('registerSparseGraphOps: registerOp must be a function (tfjs-converter\'s registerOp)');
  register(SPARSE_GRAPH_OP, (node) => {
    const where = `${SPARSE_GRAPH_OP} node`;
    const [x, packed, bias, alpha] = node.inputs;
    if (x === undefined || packed === undefined) throw new ArgumentError(`${where}: needs the inputs x and the packed weights, got ${node.inputs.length} inputs`);
    return runSparseNode(x, packed, bias ?? null, nodeAttrs(node.attrs, where), where, alpha ?? null);
  });
}
