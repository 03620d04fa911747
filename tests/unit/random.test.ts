import { describe, expect, it } from 'vitest';
import { createRandom, freshSeed, normal } from '../../workers/engine/sampling/random.ts';

const draw = (seed: number, n: number) => {
  const random = createRandom(seed);
  return Array.from({ length: n }, () => random.next());
};

describe('createRandom', () => {
  it('is deterministic for a seed', () => {
    expect(draw(1, 1000)).toEqual(draw(1, 1000));
    expect(draw(0, 100)).toEqual(draw(0, 100));
    expect(draw(4294967295, 100)).toEqual(draw(4294967295, 100));
  });

  it('different seeds give different sequences', () => {
    const a = draw(1, 100);
    const b = draw(2, 100);
    expect(a).not.toEqual(b);
    // not merely shifted or mostly equal
    expect(a.filter((x, i) => x === b[i]).length).toBe(0);
  });

  it('independent sources with the same seed do not share state', () => {
    const a = createRandom(7);
    const b = createRandom(7);
    const first = a.next();
    a.next();
    expect(b.next()).toBe(first);
  });

  it('treats the seed as a uint32', () => {
    expect(draw(-1, 20)).toEqual(draw(4294967295, 20));
    expect(draw(2 ** 32, 20)).toEqual(draw(0, 20));
    expect(draw(2 ** 32 + 5, 20)).toEqual(draw(5, 20));
  });

  it('stays in [0, 1)', () => {
    for (const seed of [0, 1, 123456789, 4294967295]) {
      const values = draw(seed, 20000);
      expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...values)).toBeLessThan(1);
    }
  });

  it('is roughly uniform', () => {
    const n = 100000;
    const values = draw(2024, n);
    const mean = values.reduce((s, x) => s + x, 0) / n;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
    const variance = values.reduce((s, x) => s + (x - mean) ** 2, 0) / n;
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.005);
    const buckets = new Array<number>(10).fill(0);
    for (const x of values) buckets[Math.floor(x * 10)] += 1;
    for (const count of buckets) expect(Math.abs(count / n - 0.1)).toBeLessThan(0.01);
    // consecutive draws are not correlated
    let cov = 0;
    for (let i = 1; i < n; i++) cov += (values[i] - mean) * (values[i - 1] - mean);
    expect(Math.abs(cov / (n - 1) / variance)).toBeLessThan(0.02);
  });

  it('produces many distinct values', () => {
    expect(new Set(draw(5, 10000)).size).toBeGreaterThan(9990);
  });
});

describe('normal', () => {
  it('is deterministic given the source', () => {
    const a = createRandom(11);
    const b = createRandom(11);
    for (let i = 0; i < 100; i++) expect(normal(a)).toBe(normal(b));
  });

  it('has mean ≈ 0 and variance ≈ 1, and is finite', () => {
    const random = createRandom(31337);
    const n = 50000;
    const values = Array.from({ length: n }, () => normal(random));
    expect(values.every(Number.isFinite)).toBe(true);
    const mean = values.reduce((s, x) => s + x, 0) / n;
    const variance = values.reduce((s, x) => s + (x - mean) ** 2, 0) / n;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
    // about 68% within one standard deviation
    const within = values.filter((x) => Math.abs(x) < 1).length / n;
    expect(Math.abs(within - 0.6827)).toBeLessThan(0.02);
  });

  it('stays finite even when the source returns 0', () => {
    expect(Number.isFinite(normal({ next: () => 0 }))).toBe(true);
  });
});

describe('freshSeed', () => {
  it('returns a uint32', () => {
    for (let i = 0; i < 1000; i++) {
      const seed = freshSeed();
      expect(Number.isInteger(seed)).toBe(true);
      expect(seed).toBeGreaterThanOrEqual(0);
      expect(seed).toBeLessThan(2 ** 32);
    }
  });

  it('varies between calls', () => {
    expect(new Set(Array.from({ length: 100 }, freshSeed)).size).toBeGreaterThan(90);
  });
});
