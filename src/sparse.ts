// tfjs-prune/sparse: sparse inference for pruned models (docs/sparse.md). tfjs-core and
// tfjs-layers are peer dependencies; tfjs-converter too for graph models (imported only when
// used). Call `await registerSparseKernels()` once before the first op (registerSparseGraphOps()
// for graph models).
export {
  packSparse,
  unpackSparse,
  checkSparse,
  sparseBytes,
  SparseWeights,
  sparseMatMul,
  sparseConv2d,
  registerSparseKernels,
  SparseDense,
  SparseConv2D,
  toSparseModel,
  toSparseGraphArtifacts,
  toSparseGraphModel,
  registerSparseGraphOps,
  PruneSparseMatMul,
  PruneSparseConv2D,
} from './sparse/index.js';
export type {
  SparseMatrix,
  SparseMatMulOptions,
  SparseConv2dOptions,
  PruneSparseConv2DAttrs,
  RegisterSparseOptions,
  Activation,
  SparseKernelBuild,
  PruneSparseMatMulAttrs,
  PruneSparseMatMulInputs,
  SparseDenseArgs,
  SparseConv2DArgs,
  ToSparseModelOptions,
  ToSparseModelReport,
  SparseLayerReport,
  SparseLayerTiming,
  ToSparseGraphOptions,
  ToSparseGraphReport,
  SparseNodeReport,
  RegisterSparseGraphOptions,
  RegisterOp,
} from './sparse/index.js';
export { ArgumentError, NaNWeightsError, WasmError, PruneError } from './errors.js';
