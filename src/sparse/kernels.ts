// PruneSparseMatMul's kernels: the wasm backend's (zero copy: the Wasm kernels are instantiated
// on tfjs-backend-wasm's own memory and read x, the packed weights and the bias where the backend
// keeps them, writing into an output it allocated) and the cpu backend's (the pure-JS kernel on the
// tensors' own arrays: no copy either). Any other backend, or a wasm backend whose internals are
// not the expected ones, reads its inputs (readSync) and runs the pure-JS kernel.
//
// tfjs-backend-wasm internals: those of the tensor kernels (src/tfjs/kernels/backend_access.ts),
// detected once per backend and confirmed by a self-test product.
import { type DataId, type DataType, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { backendAccess, type BackendAccess } from '../tfjs/kernels/backend_access.js';
import { putWords, sparseKernelsOn, type SparseKernelExports } from '../wasm/sparse.js';
import { layoutOf, packSparse, viewsOf } from './format.js';
import { im2colJs } from './conv.js';
import type { Activation, PruneSparseConv2DAttrs, PruneSparseMatMulAttrs } from './kernel_names.js';
import { spmmJs } from './spmm_js.js';

/** Which implementation the kernels run: a Wasm build, or the pure-JS one. */
export type SparseKernelBuild = 'simd' | 'scalar' | 'js';

let build: SparseKernelBuild | null = null;

export function setKernelBuild(b: SparseKernelBuild): void {
  build = b;
}

export function kernelBuild(): SparseKernelBuild | null {
  return build;
}

let lastPath: 'zero-copy' | 'arrays' | 'readSync' | null = null;

/** How the last kernel call ran (tests check the zero-copy claim with it). */
export function lastKernelPath(): 'zero-copy' | 'arrays' | 'readSync' | null {
  return lastPath;
}

interface WasmSide extends BackendAccess {
  ex: SparseKernelExports | null;
}

const detected = new WeakMap<object, Map<SparseKernelBuild, WasmSide | null>>();

function wasmSide(backend: object): WasmSide | null {
  if (build === null) return null;
  let byBuild = detected.get(backend);
  if (byBuild === undefined) detected.set(backend, (byBuild = new Map()));
  let side = byBuild.get(build);
  if (side === undefined) {
    try {
      side = detect(backend, build);
    } catch {
      side = null; // a LinkError (the threaded backend's shared memory): no shared build yet
    }
    byBuild.set(build, side);
  }
  return side;
}

function detect(backend: object, which: SparseKernelBuild): WasmSide | null {
  const access = backendAccess(backend);
  if (access === null) return null;
  const side: WasmSide = { ...access, ex: which === 'js' ? null : sparseKernelsOn(access.memory, 'sparseMatMul') };
  return selfTest(side) ? side : null;
}

// [1, 2, -1, 0.5] · [[2, 0], [0, 3], [1, 0], [4, -2]] + [0.25, 0] through relu = [3.25, 5].
function selfTest(side: WasmSide): boolean {
  const m = packSparse(new Float32Array([2, 0, 0, 3, 1, 0, 4, -2]), 4, 2);
  const infos = [side.makeOutput([1, 4], 'float32'), side.makeOutput([m.data.length], 'int32'), side.makeOutput([2], 'float32')];
  const y = side.makeOutput([1, 2], 'float32');
  try {
    const [x, w, bias] = infos.map((t) => side.offset(t.dataId));
    const yOff = side.offset(y.dataId);
    if (x === null || w === null || bias === null || yOff === null) return false;
    putWords(side.memory, x, new Float32Array([1, 2, -1, 0.5]));
    putWords(side.memory, w, m.data);
    putWords(side.memory, bias, new Float32Array([0.25, 0]));
    runOnMemory(side, { x, rows: 1, k: 4, n: 2, w, nnz: m.nnz, wide: false, bias, y: yOff, act: 'relu' });
    const back = side.read(y.dataId);
    return back instanceof Float32Array && back.length === 2 && back[0] === 3.25 && back[1] === 5;
  } finally {
    for (const t of [...infos, y]) side.dispose(t.dataId);
  }
}

interface Operands {
  x: number;
  rows: number;
  k: number;
  n: number;
  w: number;
  nnz: number;
  wide: boolean;
  bias: number | null;
  y: number;
  act: Activation;
}

const ACT_CODE: Record<Activation, number> = { linear: 0, relu: 1, relu6: 2 };

/** Runs the product on Wasm memory, all operands given as byte offsets into it. */
function runOnMemory(side: WasmSide, o: Operands): void {
  const lay = layoutOf(o.n, o.nnz, o.wide);
  const counts = o.w + lay.countsByte;
  const idx = o.w + lay.indicesByte;
  const vals = o.w + lay.valuesByte;
  const ex = side.ex;
  if (ex === null) {
    const buf = side.memory.buffer;
    const { counts, indices, values } = viewsOf({ ...o, data: new Int32Array(buf, o.w, lay.words) });
    const heap = new Float32Array(buf);
    spmmJs({
      x: heap, xOff: o.x >>> 2, rows: o.rows, k: o.k, n: o.n, counts, indices, values,
      bias: o.bias === null ? null : new Float32Array(buf, o.bias, o.n),
      y: heap, yOff: o.y >>> 2, act: o.act,
    });
    return;
  }
  const wide = o.wide ? 1 : 0;
  const hasBias = o.bias === null ? 0 : 1;
  const bias = o.bias ?? 0;
  const act = ACT_CODE[o.act];
  // Batch 1-2: row by row. From 3 rows on, the transposed panels are faster (measured at 90%:
  // 1024x1024 batch 3 0.080 ms against 0.090 row by row; batch 2 0.079 against 0.059).
  if (o.rows < 3) {
    ex.spmmRows(o.x, o.rows, o.k, o.n, counts, idx, wide, vals, bias, hasBias, o.y, act);
    return;
  }
  // Panel by panel (assembly/sparse.ts, spmmPanelsFused): one panel of the input and one of the
  // output in scratch, panels of 32 lanes (at batch 64, 90%: 3-5% faster than 16 lanes at
  // 784x300, 1024x1024, 2048x2048 and 4096x4096, 1-2% slower at 4096x1024; with the aligned
  // scratch 0-4% faster there, 8% slower at 4096x1024 in one run; bench/README.md).
  // The scratch on a cache-line boundary (malloc gives 8 or 16 bytes): a panel's rows then span
  // whole lines (at 1024x1024 batch 64, 90%: 0.49 against 0.57 ms 16 bytes past a boundary).
  const width = 32;
  const block = side.heap.malloc(Math.min(width, (o.rows + 3) & ~3) * (o.k + o.n) * 4 + 128);
  try {
    ex.spmmPanelsFused(o.x, o.rows, o.k, o.n, counts, idx, wide, vals, bias, hasBias, o.y, act, lineUp(block), width);
  } finally {
    side.heap.free(block);
  }
}

/** The first 64-byte boundary (a cache line) at or after byte offset p (also past 2 GiB). */
function lineUp(p: number): number {
  return Math.ceil(p / 64) * 64;
}

export function wasmSparseKernel(): KernelFunc {
  const fallback = readSyncKernel();
  return (args) => {
    const side = wasmSide(args.backend);
    if (side === null) return fallback(args);
    const { x, weights, bias } = args.inputs as { x: TensorInfo; weights: TensorInfo; bias?: TensorInfo };
    const a = args.attrs as unknown as PruneSparseMatMulAttrs;
    const xo = side.offset(x.dataId);
    const wo = side.offset(weights.dataId);
    const bo = bias === undefined ? null : side.offset(bias.dataId);
    if (xo === null || wo === null || (bias !== undefined && bo === null)) return fallback(args);
    const rows = x.shape[0];
    const out = side.makeOutput([rows, a.n], 'float32');
    try {
      // An empty output (rows 0) has no memory of its own to write.
      if (rows > 0) runOnMemory(side, { x: xo, rows, k: a.k, n: a.n, w: wo, nnz: a.nnz, wide: a.wide, bias: bo, y: side.offset(out.dataId) as number, act: a.activation });
    } catch (e) {
      side.dispose(out.dataId);
      throw e;
    }
    lastPath = 'zero-copy';
    return out;
  };
}

interface ArrayBackend {
  readSync(dataId: DataId): unknown;
  write(values: Float32Array, shape: number[], dtype: DataType): DataId;
}

/**
 * The kernel on JS arrays: the cpu backend's (readSync hands over the stored arrays, no copy)
 * and everyone else's fallback (readSync copies there).
 */
export function readSyncKernel(path: 'arrays' | 'readSync' = 'readSync'): KernelFunc {
  return (args) => {
    const b = args.backend as unknown as ArrayBackend;
    const { x, weights, bias } = args.inputs as { x: TensorInfo; weights: TensorInfo; bias?: TensorInfo };
    const a = args.attrs as unknown as PruneSparseMatMulAttrs;
    const rows = x.shape[0];
    const xv = b.readSync(x.dataId) as Float32Array;
    const wv = b.readSync(weights.dataId) as Int32Array;
    const bv = bias === undefined ? null : (b.readSync(bias.dataId) as Float32Array);
    const { counts, indices, values } = viewsOf({ k: a.k, n: a.n, nnz: a.nnz, wide: a.wide, data: wv });
    const y = new Float32Array(rows * a.n);
    spmmJs({
      x: xv, xOff: 0, rows, k: a.k, n: a.n, counts, indices, values,
      bias: bv, y, yOff: 0, act: a.activation,
    });
    lastPath = path;
    const shape = [rows, a.n];
    return { dataId: b.write(y, shape, 'float32'), shape, dtype: 'float32' };
  };
}


/**
 * PruneSparseConv2D on the wasm backend: panel by panel, the patches of x written straight into
 * one panel of scratch and multiplied (spmmConvPanels), then the untranspose.
 */
export function wasmSparseConvKernel(): KernelFunc {
  const fallback = readSyncConvKernel();
  return (args) => {
    const side = wasmSide(args.backend);
    if (side === null) return fallback(args);
    const { x, weights, bias } = args.inputs as { x: TensorInfo; weights: TensorInfo; bias?: TensorInfo };
    const a = args.attrs as unknown as PruneSparseConv2DAttrs;
    const xo = side.offset(x.dataId);
    const wo = side.offset(weights.dataId);
    const bo = bias === undefined ? null : side.offset(bias.dataId);
    if (xo === null || wo === null || (bias !== undefined && bo === null)) return fallback(args);
    const [b, h, w, c] = x.shape;
    const rows = b * a.oh * a.ow;
    const out = side.makeOutput([b, a.oh, a.ow, a.n], 'float32');
    if (rows === 0) return out;
    const lay = layoutOf(a.n, a.nnz, a.wide);
    const ex = side.ex;
    if (ex === null) {
      // The pure-JS build on the backend's memory: patches in a JS array, product into the output.
      const buf = side.memory.buffer;
      const { counts, indices, values } = viewsOf({ ...a, data: new Int32Array(buf, wo, lay.words) });
      const heap = new Float32Array(buf);
      spmmJs({
        x: im2colJs(heap, xo >>> 2, a, x.shape), xOff: 0, rows, k: a.k, n: a.n, counts, indices, values,
        bias: bo === null ? null : new Float32Array(buf, bo, a.n), y: heap, yOff: (side.offset(out.dataId) as number) >>> 2, act: a.activation,
      });
      lastPath = 'zero-copy';
      return out;
    }
    const lanes = (rows + 3) & ~3;
    let block = 0;
    try {
      // Scratch: one panel of patches (16 lanes at most), then the output in panels, both on
      // cache-line boundaries (a panel's rows are 64 bytes: one line each, not two).
      block = side.heap.malloc((16 * a.k + lanes * a.n) * 4 + 64);
      const xt = lineUp(block);
      const yt = xt + 16 * a.k * 4;
      ex.spmmConvPanels(xo, b, h, w, c, a.kh, a.kw, a.padT, a.padL, a.sh ?? 1, a.sw ?? 1, a.dh ?? 1, a.dw ?? 1, a.oh, a.ow, a.n, wo + lay.countsByte, wo + lay.indicesByte,
        a.wide ? 1 : 0, wo + lay.valuesByte, bo ?? 0, bo === null ? 0 : 1, yt, ACT_CODE[a.activation], xt);
      ex.untransposePanels(yt, rows, a.n, side.offset(out.dataId) as number);
    } catch (e) {
      side.dispose(out.dataId);
      throw e;
    } finally {
      if (block !== 0) side.heap.free(block);
    }
    lastPath = 'zero-copy';
    return out;
  };
}

/** PruneSparseConv2D on JS arrays: im2colJs, then spmmJs (the cpu backend's, and the fallback). */
export function readSyncConvKernel(path: 'arrays' | 'readSync' = 'readSync'): KernelFunc {
  return (args) => {
    const bk = args.backend as unknown as ArrayBackend;
    const { x, weights, bias } = args.inputs as { x: TensorInfo; weights: TensorInfo; bias?: TensorInfo };
    const a = args.attrs as unknown as PruneSparseConv2DAttrs;
    const cols = im2colJs(bk.readSync(x.dataId) as Float32Array, 0, a, x.shape);
    const rows = x.shape[0] * a.oh * a.ow;
    const wv = bk.readSync(weights.dataId) as Int32Array;
    const bv = bias === undefined ? null : (bk.readSync(bias.dataId) as Float32Array);
    const { counts, indices, values } = viewsOf({ k: a.k, n: a.n, nnz: a.nnz, wide: a.wide, data: wv });
    const y = new Float32Array(rows * a.n);
    spmmJs({ x: cols, xOff: 0, rows, k: a.k, n: a.n, counts, indices, values, bias: bv, y, yOff: 0, act: a.activation });
    lastPath = path;
    const shape = [x.shape[0], a.oh, a.ow, a.n];
    return { dataId: bk.write(y, shape, 'float32'), shape, dtype: 'float32' };
  };
}
