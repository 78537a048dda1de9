import type { Random } from "../random";

/**
 * Machine sizes n_1..n_M that sum to n and are proportional to `proportions`, rounded so that the
 * cumulative sizes are the rounded cumulative shares: n_1 + … + n_m = round(n (p_1 + … + p_m) / Σ p).
 * Each size is then within 1 of its exact share n p_m / Σ p.
 *
 * @param proportions - length M, positive; normalized here, so they need not sum to 1
 * @throws when a proportion is not positive, or when rounding leaves a machine with no point
 */
export function sizesFromProportions(n: number, proportions: readonly number[]): number[] {
  const M = proportions.length;
  requireMachineCount(n, M);
  proportions.forEach((p, m) => {
    if (!(Number.isFinite(p) && p > 0)) {
      throw new Error(`Proportion of machine ${m} must be a positive number but got ${p}.`);
    }
  });

  const sizes = roundedShares(n, proportions);
  sizes.forEach((size, m) => {
    if (size === 0) {
      throw new Error(`Machine ${m} gets no point: proportion ${proportions[m]} of n = ${n} rounds to 0; raise that proportion or n.`);
    }
  });
  return sizes;
}

/** Machine sizes as equal as possible: floor(n/M) + 1 for the first n mod M machines, floor(n/M) for the others. */
export function equalSizes(n: number, M: number): number[] {
  requireMachineCount(n, M);
  return Array.from({ length: M }, (_, m) => Math.floor(n / M) + (m < n % M ? 1 : 0));
}

/**
 * Random machine sizes: each machine gets `minimumSize` points, and the other n − M·minimumSize points are
 * shared by proportions drawn from a symmetric Dirichlet(concentration, …, concentration) distribution.
 * A small concentration (e.g. 0.5) gives very unequal sizes; a large one (e.g. 100) nearly equal sizes.
 */
export function dirichletSizes(n: number, M: number, concentration: number, rng: Random, minimumSize = 1): number[] {
  requireMachineCount(n, M);
  if (!(Number.isFinite(concentration) && concentration > 0)) {
    throw new Error(`Dirichlet concentration must be a positive number but got ${concentration}.`);
  }
  if (!Number.isInteger(minimumSize) || minimumSize < 1 || minimumSize * M > n) {
    throw new Error(`Minimum machine size must be an integer in [1, n/M] = [1, ${Math.floor(n / M)}] but got ${minimumSize}.`);
  }

  // A Dirichlet draw is a vector of independent Gamma(concentration, 1) draws divided by their sum.
  const draws = Array.from({ length: M }, () => gammaDraw(rng, concentration));
  const rest = n - minimumSize * M;
  if (rest === 0) return new Array<number>(M).fill(minimumSize);

  // All gamma draws can underflow to 0 for a tiny concentration, so fall back to equal shares.
  const shares = draws.some((g) => g > 0) ? draws.map((g) => Math.max(g, Number.MIN_VALUE)) : new Array<number>(M).fill(1);
  return roundedShares(rest, shares).map((size) => size + minimumSize);
}

/** Throws unless 1 ≤ M ≤ n, naming the values. */
export function requireMachineCount(n: number, M: number): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`Number of points n must be a positive integer but got ${n}.`);
  }
  if (!Number.isInteger(M) || M < 1) {
    throw new Error(`Number of machines M must be a positive integer but got ${M}.`);
  }
  if (M > n) {
    throw new Error(`Number of machines M = ${M} exceeds the number of points n = ${n}, so some machine would be empty; use M ≤ ${n}.`);
  }
}

/**
 * Gamma(shape, 1) draw by the method of Marsaglia & Tsang (2000, "A simple method for generating gamma
 * variables", ACM TOMS 26:363–372), with the boost Gamma(a) = Gamma(a + 1) · U^(1/a) for shape a < 1.
 */
export function gammaDraw(rng: Random, shape: number): number {
  if (shape < 1) return gammaDraw(rng, shape + 1) * Math.pow(rng.uniform(), 1 / shape);

  const dShape = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * dShape);
  for (;;) {
    const z = rng.normal();
    const base = 1 + c * z;
    if (base <= 0) continue;

    // Accept v = (1 + c z)³ with the squeeze test first, then the exact log test.
    const v = base * base * base;
    const u = rng.uniform();
    if (u < 1 - 0.0331 * z ** 4) return dShape * v;
    if (Math.log(u) < 0.5 * z * z + dShape * (1 - v + Math.log(v))) return dShape * v;
  }
}

/** Sizes summing to `total`, proportional to non-negative `shares` by rounding the cumulative shares; zeros allowed. */
function roundedShares(total: number, shares: readonly number[]): number[] {
  const sum = shares.reduce((acc, share) => acc + share, 0);
  const sizes = new Array<number>(shares.length).fill(0);

  let cumulative = 0;
  let previousBoundary = 0;
  for (let m = 0; m < shares.length; m++) {
    cumulative += shares[m];
    const boundary = m === shares.length - 1 ? total : Math.min(total, Math.round((total * cumulative) / sum));
    sizes[m] = Math.max(0, boundary - previousBoundary);
    previousBoundary = Math.max(previousBoundary, boundary);
  }
  return sizes;
}
