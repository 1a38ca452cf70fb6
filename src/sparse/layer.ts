// SparseDense and SparseConv2D: a Dense / Conv2D layer whose kernel is held in the packed sparse
// form (format.ts) and run by sparseMatMul / sparseConv2d. Inference only. Serializable (class
// names 'SparseDense', 'SparseConv2D', registered by registerSparseKernels), so a model holding
// them saves and loads wherever tfjs-prune/sparse is present: their weights are `packed` (int32,
// the packed words) and `bias` (float32). What both share (the weights, the activation applied
// after the product, the one-time check of loaded words) is SparseLayer's.
import { add, serialization, tidy, type Tensor } from '@tensorflow/tfjs-core';
import { initializers, layers, type LayerVariable } from '@tensorflow/tfjs-layers';
import { ArgumentError } from '../errors.js';
import { checkSparse, isWide, layoutOf } from './format.js';
import type { Activation } from './kernel_names.js';
import { sparseMatMulPacked, type PackedHeader } from './op.js';
import { convAxis, convStridesDilations, sparseConv2dPacked } from './conv.js';

/** The activations tfjs-layers' Dense fuses into its product (besides elu) and so do we. */
const FUSED: readonly string[] = ['relu', 'linear'];

/** What SparseDense and SparseConv2D take alike. */
interface SparseLayerArgs {
  /** Nonzero weights in the packed kernel. */
  nnz: number;
  /** Any tfjs activation name; relu and linear are fused into the product (as tfjs-layers' Dense and Conv2D fuse them). */
  activation?: string;
  useBias?: boolean;
  name?: string;
  trainable?: boolean;
  dtype?: 'float32';
  batchInputShape?: (number | null)[];
  inputShape?: (number | null)[];
}

export interface SparseDenseArgs extends SparseLayerArgs {
  units: number;
  /** Inputs (the dense kernel's rows). */
  inputUnits: number;
}

type LayerBase = InstanceType<typeof layers.Layer>;
const Base = layers.Layer as unknown as new (args: object) => LayerBase;

/** The packed matrix [k, n] with its weights, the activation and the one-time check of the words. */
abstract class SparseLayer extends Base {
  readonly nnz: number;
  readonly activationName: string;
  readonly useBias: boolean;
  protected biasVar: LayerVariable | null = null;
  /** The activation tfjs applies after the product, when the kernel does not fuse it. */
  protected after: LayerBase | null = null;
  private packed: LayerVariable | null = null;
  /** The packed tensor last checked (checkSparse), so loaded or set weights are checked once. */
  private checkedId: unknown = null;

  constructor(args: { nnz: number; activation?: string; useBias?: boolean }) {
    super(args);
    this.nnz = args.nnz;
    this.activationName = args.activation ?? 'linear';
    this.useBias = args.useBias ?? true;
    if (!FUSED.includes(this.activationName)) {
      this.after = layers.activation({ activation: this.activationName as 'softmax' }) as unknown as LayerBase;
    }
  }

  /** The packed matrix's shape: k inputs, n outputs. */
  protected abstract get matrix(): { k: number; n: number };

  override build(): void {
    const { k, n } = this.matrix;
    this.packed = this.addWeight('packed', [layoutOf(n, this.nnz, isWide(k)).words], 'int32', initializers.zeros(), undefined, false);
    if (this.useBias) this.biasVar = this.addWeight('bias', [n], 'float32', initializers.zeros(), undefined, false);
    this.built = true;
  }

  /**
   * The packed words and their header. The kernels trust the words (counts, index ranges):
   * weights that came in by loadLayersModel or setWeights are checked once, before their first use.
   */
  protected packedWeights(): { packed: Tensor; header: PackedHeader } {
    const { k, n } = this.matrix;
    const packed = (this.packed as LayerVariable).read();
    const header = { k, n, nnz: this.nnz, wide: isWide(k) };
    const id = (packed as unknown as { dataId: unknown }).dataId;
    if (id !== this.checkedId) {
      checkSparse({ ...header, data: packed.dataSync() as Int32Array }, `${this.getClassName()} "${this.name}"`);
      this.checkedId = id;
    }
    return { packed, header };
  }

  override getConfig(): serialization.ConfigDict {
    return { ...super.getConfig(), nnz: this.nnz, activation: this.activationName, useBias: this.useBias };
  }
}

export class SparseDense extends SparseLayer {
  static className = 'SparseDense';
  readonly units: number;
  readonly inputUnits: number;

  constructor(args: SparseDenseArgs) {
    super(args);
    for (const [what, v] of [['units', args.units], ['inputUnits', args.inputUnits]] as const) {
      if (!Number.isSafeInteger(v) || v < 1) throw new ArgumentError(`SparseDense: ${what} must be a positive integer, got ${v}`);
    }
    if (!Number.isSafeInteger(args.nnz) || args.nnz < 0 || args.nnz > args.units * args.inputUnits) {
      throw new ArgumentError(`SparseDense: nnz must be an integer in [0, ${args.units * args.inputUnits}], got ${args.nnz}`);
    }
    this.units = args.units;
    this.inputUnits = args.inputUnits;
  }

  protected get matrix(): { k: number; n: number } {
    return { k: this.inputUnits, n: this.units };
  }

  override computeOutputShape(inputShape: (number | null)[]): (number | null)[] {
    return [...inputShape.slice(0, -1), this.units];
  }

  override call(inputs: Tensor | Tensor[]): Tensor {
    return tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      if (x.shape[x.rank - 1] !== this.inputUnits) {
        throw new ArgumentError(`SparseDense "${this.name}": input has ${x.shape[x.rank - 1]} features, expected ${this.inputUnits}`);
      }
      const { packed, header } = this.packedWeights();
      const x2 = x.rank === 2 ? x : x.reshape([-1, this.inputUnits]);
      const bias = this.biasVar?.read() ?? null;
      let y: Tensor;
      // As tfjs-layers' Dense, so that the outputs match it bit for bit on the wasm backend:
      // relu, linear and elu take the bias as the sums' start (fused); any other activation
      // gets the product, then the bias added, then the activation.
      if (this.after === null) y = sparseMatMulPacked(x2, packed, header, { bias, activation: this.activationName as Activation });
      else if (this.activationName === 'elu') y = sparseMatMulPacked(x2, packed, header, { bias });
      else {
        y = sparseMatMulPacked(x2, packed, header);
        if (bias !== null) y = add(y, bias);
      }
      if (x.rank !== 2) y = y.reshape([...x.shape.slice(0, -1), this.units]);
      return this.after === null ? y : (this.after.apply(y) as Tensor);
    });
  }

  override getConfig(): serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, inputUnits: this.inputUnits };
  }
}

/** `nnz`: nonzero weights in the packed [kh·kw·c, filters] matrix. */
export interface SparseConv2DArgs extends SparseLayerArgs {
  filters: number;
  kernelSize: [number, number];
  /** Input channels (the filter's third axis). */
  inputChannels: number;
  padding?: 'valid' | 'same';
  /** Strides [h, w] or one for both (Keras' strides). Default 1. */
  strides?: number | [number, number];
  /** Dilations [h, w] or one for both (Keras' dilationRate). Default 1; not above 1 with strides above 1. */
  dilationRate?: number | [number, number];
}

/**
 * SparseConv2D: a Conv2D layer (k×k, any strides or dilations but not both above 1, channels
 * last, padding 'valid' or 'same') whose filter is held packed as a [kh·kw·c, filters] matrix and run by sparseConv2d
 * (im2col patches × the sparse matrix). Weights `packed` (int32) and `bias`. Inference only.
 */
export class SparseConv2D extends SparseLayer {
  static className = 'SparseConv2D';
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly inputChannels: number;
  readonly padding: 'valid' | 'same';
  readonly strides: [number, number];
  readonly dilationRate: [number, number];

  constructor(args: SparseConv2DArgs) {
    super(args);
    const ks = args.kernelSize;
    for (const [what, v] of [['filters', args.filters], ['inputChannels', args.inputChannels], ['kernelSize[0]', ks?.[0]], ['kernelSize[1]', ks?.[1]]] as const) {
      if (!Number.isSafeInteger(v) || (v as number) < 1) throw new ArgumentError(`SparseConv2D: ${what} must be a positive integer, got ${v}`);
    }
    const k = ks[0] * ks[1] * args.inputChannels;
    if (!Number.isSafeInteger(args.nnz) || args.nnz < 0 || args.nnz > k * args.filters) {
      throw new ArgumentError(`SparseConv2D: nnz must be an integer in [0, ${k * args.filters}], got ${args.nnz}`);
    }
    if (args.padding !== undefined && args.padding !== 'valid' && args.padding !== 'same') throw new ArgumentError(`SparseConv2D: padding must be 'valid' or 'same', got ${String(args.padding)}`);
    this.filters = args.filters;
    this.kernelSize = [ks[0], ks[1]];
    this.inputChannels = args.inputChannels;
    this.padding = args.padding ?? 'valid';
    // A config saved before strides and dilations were exposed has neither: both 1.
    const { s, d } = convStridesDilations(args.strides, args.dilationRate, 'SparseConv2D');
    this.strides = s;
    this.dilationRate = d;
  }

  protected get matrix(): { k: number; n: number } {
    return { k: this.kernelSize[0] * this.kernelSize[1] * this.inputChannels, n: this.filters };
  }

  override computeOutputShape(inputShape: (number | null)[]): (number | null)[] {
    const [b, h, w] = inputShape;
    const out = (v: number | null, i: 0 | 1) => (v === null ? null : convAxis(v, (this.kernelSize[i] - 1) * this.dilationRate[i] + 1, this.strides[i], this.padding).out);
    return [b, out(h, 0), out(w, 1), this.filters];
  }

  override call(inputs: Tensor | Tensor[]): Tensor {
    return tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      if (x.rank !== 4 || x.shape[3] !== this.inputChannels) {
        throw new ArgumentError(`SparseConv2D "${this.name}": input shape [${x.shape}], expected [batch, h, w, ${this.inputChannels}]`);
      }
      const { packed, header } = this.packedWeights();
      const bias = this.biasVar?.read() ?? null;
      // As tfjs-layers' Conv2D: the bias is always fused into the convolution (the sums' start),
      // relu and linear too; any other activation is applied after.
      const activation = this.after === null ? (this.activationName as Activation) : 'linear';
      const y = sparseConv2dPacked(x, packed, header, {
        kernelSize: this.kernelSize, padding: this.padding, strides: this.strides, dilationRate: this.dilationRate, bias, activation,
      });
      return this.after === null ? y : (this.after.apply(y) as Tensor);
    });
  }

  override getConfig(): serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      inputChannels: this.inputChannels,
      padding: this.padding,
      strides: this.strides,
      dilationRate: this.dilationRate,
    };
  }
}

/** Registers SparseDense and SparseConv2D with tfjs' serialization (idempotent). */
export function registerSparseDense(): void {
  serialization.registerClass(SparseDense as unknown as serialization.SerializableConstructor<serialization.Serializable>);
  serialization.registerClass(SparseConv2D as unknown as serialization.SerializableConstructor<serialization.Serializable>);
}
