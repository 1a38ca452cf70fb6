// Per-column norms of a row-major [rows, cols] matrix: the L1 or L2 norm of each output unit's
// incoming weights (a Dense kernel is [in, units]; a Conv kernel [..., in, filters] flattens to
// [kh·kw·in, filters]). Plain TypeScript: one pass in memory order, accumulated in float64 so the
// result does not depend on the summation order's float32 rounding.
export function columnNorms(data: Float32Array, rows: number, cols: number, p: 1 | 2): Float64Array {
  const acc = new Float64Array(cols);
  if (p === 1) {
    for (let r = 0, i = 0; r < rows; r++) for (let c = 0; c < cols; c++, i++) acc[c] += Math.abs(data[i]);
  } else {
    for (let r = 0, i = 0; r < rows; r++) for (let c = 0; c < cols; c++, i++) acc[c] += data[i] * data[i];
    for (let c = 0; c < cols; c++) acc[c] = Math.sqrt(acc[c]);
  }
  return acc;
}
