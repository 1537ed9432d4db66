/**
 * The little linear algebra the models need: solving a square system. Gaussian elimination with partial pivoting
 * (Golub & Van Loan, "Matrix Computations", §3.4) is exact enough for the small, well-scaled systems here (ridge
 * normal equations of a few features, a Markov chain of ~100 states).
 */

/**
 * Solves A·X = B for X, where B has one column per right-hand side.
 * @param a square matrix, rows of length n (not changed)
 * @param b n rows of right-hand sides (not changed)
 * @returns X (n rows), or undefined when A is singular to working precision
 * @example solveLinearSystem([[2, 0], [0, 4]], [[2], [8]]) // [[1], [2]]
 */
export function solveLinearSystem(a: readonly (readonly number[])[], b: readonly (readonly number[])[]): number[][] | undefined {
  const n = a.length;
  if (b.length !== n || a.some((row) => row.length !== n)) throw new Error('solveLinearSystem needs a square matrix and one right-hand side row per matrix row');
  const m = a.map((row) => [...row]);
  const x = b.map((row) => [...row]);
  const scale = Math.max(...m.flat().map(Math.abs), 0);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    if (Math.abs(m[pivot]![col]!) <= scale * 1e-13 || scale === 0) return undefined;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    [x[col], x[pivot]] = [x[pivot]!, x[col]!];
    const pivotRow = m[col]!;
    const pivotRhs = x[col]!;
    for (let r = col + 1; r < n; r++) {
      const row = m[r]!;
      const factor = row[col]! / pivotRow[col]!;
      if (factor === 0) continue;
      for (let c = col; c < n; c++) row[c]! -= factor * pivotRow[c]!;
      const rhs = x[r]!;
      for (let k = 0; k < rhs.length; k++) rhs[k]! -= factor * pivotRhs[k]!;
    }
  }
  for (let row = n - 1; row >= 0; row--) {
    const rhs = x[row]!;
    for (let c = row + 1; c < n; c++) {
      const factor = m[row]![c]!;
      const solved = x[c]!;
      for (let k = 0; k < rhs.length; k++) rhs[k]! -= factor * solved[k]!;
    }
    for (let k = 0; k < rhs.length; k++) rhs[k]! /= m[row]![row]!;
  }
  return x;
}
