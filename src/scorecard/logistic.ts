// L2-penalised logistic regression fitted by iteratively reweighted least squares (Newton's method). The intercept
// is not penalised. Standard errors come from the inverse of the penalised information matrix at the optimum,
// p-values from the Wald z statistic.

export interface LogisticFit {
  intercept: number;
  coefficients: number[];
  /** Standard errors: intercept first, then one per coefficient. */
  stdErrors: number[];
  pValues: number[];
  iterations: number;
  converged: boolean;
  logLikelihood: number;
  aic: number;
  bic: number;
}

/**
 * Fits P(y=1) = 1 / (1 + exp(-(b0 + sum b_j x_j))). `columns[j][i]` is feature j of row i; `y[i]` is 0 or 1.
 * `l2` is the penalty weight lambda in  -logL + lambda/2 * |b|^2.
 */
export function fitLogistic(columns: Float64Array[], y: Uint8Array, l2: number, maxIterations = 100, tolerance = 1e-9): LogisticFit {
  const n = y.length;
  const p = columns.length + 1;
  let ones = 0;
  for (let i = 0; i < n; i++) ones += y[i]!;
  const beta = new Float64Array(p);
  const mean = Math.min(Math.max(ones / Math.max(n, 1), 1e-6), 1 - 1e-6);
  beta[0] = Math.log(mean / (1 - mean));
  // Row-major design matrix with the intercept column: the hot loops below run over one contiguous row at a time.
  const X = new Float64Array(n * p);
  for (let i = 0; i < n; i++) X[i * p] = 1;
  for (let j = 1; j < p; j++) {
    const c = columns[j - 1]!;
    for (let i = 0; i < n; i++) X[i * p + j] = c[i]!;
  }
  const H = new Float64Array(p * p);
  const grad = new Float64Array(p);
  let iterations = 0;
  let converged = false;
  let logLikelihood = 0;

  /** Fills H (information, penalised) and grad at beta; returns the log-likelihood. */
  const accumulate = (): number => {
    H.fill(0);
    grad.fill(0);
    let ll = 0;
    for (let i = 0; i < n; i++) {
      const off = i * p;
      let e = 0;
      for (let a = 0; a < p; a++) e += X[off + a]! * beta[a]!;
      const mu = sigmoid(e);
      const w = Math.max(mu * (1 - mu), 1e-12);
      const r = y[i]! - mu;
      ll += y[i] === 1 ? -softplus(-e) : -softplus(e);
      for (let a = 0; a < p; a++) {
        const xa = X[off + a]!;
        grad[a]! += xa * r;
        const wa = w * xa;
        const row = a * p;
        for (let b = 0; b <= a; b++) H[row + b]! += wa * X[off + b]!;
      }
    }
    for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) H[b * p + a] = H[a * p + b]!;
    for (let a = 1; a < p; a++) {
      H[a * p + a]! += l2;
      grad[a]! -= l2 * beta[a]!;
    }
    return ll;
  };

  for (; iterations < maxIterations; iterations++) {
    accumulate();
    const step = solveSymmetric(H, grad, p);
    let maxStep = 0;
    for (let a = 0; a < p; a++) {
      beta[a]! += step[a]!;
      maxStep = Math.max(maxStep, Math.abs(step[a]!));
    }
    if (maxStep < tolerance) {
      converged = true;
      iterations++;
      break;
    }
  }
  // Information at the optimum for the standard errors.
  logLikelihood = accumulate();
  const inv = invertSymmetric(H, p);
  const stdErrors: number[] = [];
  const pValues: number[] = [];
  for (let a = 0; a < p; a++) {
    const se = Math.sqrt(Math.max(inv[a * p + a]!, 0));
    stdErrors.push(se);
    pValues.push(se > 0 ? 2 * normalSf(Math.abs(beta[a]! / se)) : 1);
  }
  return {
    intercept: beta[0]!,
    coefficients: Array.from(beta.subarray(1)),
    stdErrors,
    pValues,
    iterations,
    converged,
    logLikelihood,
    aic: 2 * p - 2 * logLikelihood,
    bic: Math.log(Math.max(n, 1)) * p - 2 * logLikelihood,
  };
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

/** Cholesky factorisation with a tiny ridge when the matrix is numerically singular. Returns the lower factor. */
function cholesky(A: Float64Array, p: number): Float64Array {
  for (let ridge = 0; ; ridge = ridge === 0 ? 1e-10 : ridge * 100) {
    const L = new Float64Array(p * p);
    let ok = true;
    for (let i = 0; i < p && ok; i++) {
      for (let j = 0; j <= i; j++) {
        let s = A[i * p + j]! + (i === j ? ridge : 0);
        for (let k = 0; k < j; k++) s -= L[i * p + k]! * L[j * p + k]!;
        if (i === j) {
          if (!(s > 0)) {
            ok = false;
            break;
          }
          L[i * p + i] = Math.sqrt(s);
        } else L[i * p + j] = s / L[j * p + j]!;
      }
    }
    if (ok) return L;
    if (ridge > 1e6) throw new Error('matrix is not positive definite');
  }
}

export function solveSymmetric(A: Float64Array, b: Float64Array, p: number): Float64Array {
  const L = cholesky(A, p);
  const z = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[i * p + k]! * z[k]!;
    z[i] = s / L[i * p + i]!;
  }
  const x = new Float64Array(p);
  for (let i = p - 1; i >= 0; i--) {
    let s = z[i]!;
    for (let k = i + 1; k < p; k++) s -= L[k * p + i]! * x[k]!;
    x[i] = s / L[i * p + i]!;
  }
  return x;
}

export function invertSymmetric(A: Float64Array, p: number): Float64Array {
  const inv = new Float64Array(p * p);
  const e = new Float64Array(p);
  for (let c = 0; c < p; c++) {
    e.fill(0);
    e[c] = 1;
    const col = solveSymmetric(A, e, p);
    for (let r = 0; r < p; r++) inv[r * p + c] = col[r]!;
  }
  return inv;
}

/** Upper tail of the standard normal, via erfc (W. J. Cody's rational approximations through Numerical Recipes' erfcc, |error| < 1.2e-7). */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
