import seedrandom from "seedrandom";

/**
 * Seeded pseudo-random generator (Alea, from the seedrandom package) with the draws the library needs.
 * The same seed gives the same stream on every platform.
 */
export class Random {
  private readonly uniform01: () => number;
  private spareNormal: number | null = null;

  constructor(seed: number | string) {
    this.uniform01 = seedrandom.alea(String(seed));
  }

  /** Uniform draw in [0, 1). */
  uniform(): number {
    return this.uniform01();
  }

  /** Uniform integer in [low, high], both ends included. */
  integer(low: number, high: number): number {
    return low + Math.floor(this.uniform01() * (high - low + 1));
  }

  /** Standard normal draw by the Marsaglia polar method; draws come in pairs, the second is kept for the next call. */
  normal(): number {
    if (this.spareNormal !== null) {
      const value = this.spareNormal;
      this.spareNormal = null;
      return value;
    }

    let u = 0;
    let v = 0;
    let s = 0;
    do {
      u = 2 * this.uniform01() - 1;
      v = 2 * this.uniform01() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);

    const factor = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * factor;
    return u * factor;
  }

  /** Draws an index from the discrete distribution `probabilities` (need not sum exactly to 1). */
  categorical(probabilities: ArrayLike<number>, offset = 0, length = probabilities.length - offset): number {
    let total = 0;
    for (let k = 0; k < length; k++) total += probabilities[offset + k];

    let u = this.uniform01() * total;
    for (let k = 0; k < length - 1; k++) {
      u -= probabilities[offset + k];
      if (u < 0) return k;
    }
    return length - 1;
  }

  /** Fisher–Yates shuffle of 0..n−1. */
  permutation(n: number): Int32Array {
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.uniform01() * (i + 1));
      const tmp = order[i];
      order[i] = order[j];
      order[j] = tmp;
    }
    return order;
  }

  /** Draws a seed for a child stream, so that sub-tasks get independent but reproducible generators. */
  childSeed(): number {
    return Math.floor(this.uniform01() * 2 ** 31);
  }
}
