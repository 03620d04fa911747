/**
 * Seedable pseudo-random source. Sampling needs reproducibility across runs and
 * runtimes (Node tests, browser worker), which Math.random cannot give.
 *
 * mulberry32: 32-bit state, full period 2^32, fast, and plenty for drawing one
 * sample per token.
 */
export interface RandomSource {
  /** Uniform in [0, 1). */
  next(): number;
}

export function createRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return {
    next() {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** A seed for requests that give none: distinct per call, still a plain uint32. */
export function freshSeed(): number {
  return Math.floor(Math.random() * 4294967296) >>> 0;
}

/** Standard normal draw (Box–Muller), used by the fixture generator for weights. */
export function normal(random: RandomSource): number {
  const u = 1 - random.next();
  const v = random.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
