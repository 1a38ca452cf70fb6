// Sparse inference (docs/sparse.md): the packed weight form, the sparseMatMul op and its kernels
// (wasm backend zero copy, cpu backend pure JS), sparse layers and toSparseModel, and the graph-model
// rewrite (toSparseGraphArtifacts, the PruneSparseMatMul graph op). May import errors, wasm (the
// sparse module's loader), tfjs (validation helpers), format (weights of artifacts) and
// tfjs-core/-layers; tfjs-converter only by dynamic import (graph models).
export { packSparse, unpackSparse, checkSparse, sparseBytes, layoutOf } from './format.js';
export type { SparseMatrix, SparseLayout } from './format.js';
export { spmmJs } from './spmm_js.js';
export type { SpmmArrays } from './spmm_js.js';
export { SparseWeights, sparseMatMul } from './op.js';
export type { SparseMatMulOptions } from './op.js';
export { sparseConv2d, im2colJs } from './conv.js';
export type { SparseConv2dOptions } from './conv.js';
export { registerSparseKernels } from './register.js';
export { SparseDense, SparseConv2D } from './layer.js';
export type { SparseDenseArgs, SparseConv2DArgs } from './layer.js';
export { toSparseModel } from './model.js';
export type { ToSparseModelOptions, ToSparseModelReport, SparseLayerReport, SparseLayerTiming } from './model.js';
export type { RegisterSparseOptions } from './register.js';
export { PruneSparseMatMul, PruneSparseConv2D, ACTIVATIONS } from './kernel_names.js';
export type { Activation, PruneSparseMatMulAttrs, PruneSparseMatMulInputs, PruneSparseConv2DAttrs } from './kernel_names.js';
export { lastKernelPath } from './kernels.js';
export type { SparseKernelBuild } from './kernels.js';
export { toSparseGraphArtifacts, toSparseGraphModel } from './graph.js';
export type { ToSparseGraphOptions, ToSparseGraphReport, SparseNodeReport } from './graph.js';
export { registerSparseGraphOps, runSparseNode, SPARSE_GRAPH_OP } from './graph_op.js';
export type { RegisterSparseGraphOptions, RegisterOp, SparseNodeAttrs } from './graph_op.js';
