import { MAX_REPETITION_PENALTY, defaultGenerationParams } from '../../src/protocol/validation.ts';
import { describe, expect, it } from 'vitest';
import { argmax, createSampler, sampleFrom } from '../../workers/engine/sampling/sampler.ts';
import { createRandom, normal, type RandomSource } from '../../workers/engine/sampling/random.ts';
import type { GenerationParams } from '../../src/protocol/types.ts';

const f32 = (values: number[]) => Float32Array.from(values);

/** A RandomSource that hands out the given u values in order and counts draws. */
function fixedRandom(...values: number[]): RandomSource & { draws: number } {
  const source = {
    draws: 0,
    next() {
      if (source.draws >= values.length) throw new Error('fixedRandom ran out of values');
      return values[source.draws++];
    },
  };
  return source;
}

const noRandom: RandomSource = {
  next() {
    throw new Error('greedy decoding must not draw random numbers');
  },
};

function params(overrides: Partial<GenerationParams> = {}): GenerationParams {
  return { ...defaultGenerationParams(), ...overrides };
}

function frequencies(draw: () => number, n: number, size: number): number[] {
  const counts = new Array<number>(size).fill(0);
  for (let i = 0; i < n; i++) counts[draw()] += 1;
  return counts.map((c) => c / n);
}

describe('argmax', () => {
  it('returns the index of the largest logit', () => {
    expect(argmax(f32([1, 5, 3]))).toBe(1);
    expect(argmax(f32([-3, -1, -2]))).toBe(1);
    expect(argmax(f32([9]))).toBe(0);
  });

  it('breaks ties by the lowest index', () => {
    expect(argmax(f32([1, 7, 3, 7, 7]))).toBe(1);
    expect(argmax(f32([2, 2, 2]))).toBe(0);
  });

  it('skips masked tokens', () => {
    expect(argmax(f32([-Infinity, -Infinity, -5, -Infinity]))).toBe(2);
  });
});

describe('sampleFrom', () => {
  it('picks the index whose cumulative-probability interval contains u', () => {
    // four equal tokens: [0,0.25) -> 0, [0.25,0.5) -> 1, [0.5,0.75) -> 2, [0.75,1) -> 3
    const logits = f32([0, 0, 0, 0]);
    const cases: [number, number][] = [
      [0, 0],
      [0.1, 0],
      [0.2499, 0],
      [0.25, 1],
      [0.4999, 1],
      [0.5, 2],
      [0.75, 3],
      [0.9999999, 3],
    ];
    for (const [u, expected] of cases) expect(sampleFrom(logits, fixedRandom(u))).toBe(expected);
  });

  it('follows non-uniform probabilities', () => {
    // probs [0.5, 0.3, 0.2]: intervals [0,0.5), [0.5,0.8), [0.8,1)
    const logits = f32([Math.log(0.5), Math.log(0.3), Math.log(0.2)]);
    const cases: [number, number][] = [
      [0, 0],
      [0.49, 0],
      [0.51, 1],
      [0.79, 1],
      [0.81, 2],
      [0.999, 2],
    ];
    for (const [u, expected] of cases) expect(sampleFrom(logits, fixedRandom(u))).toBe(expected);
  });

  it('draws exactly one random number per call', () => {
    const random = fixedRandom(0.1, 0.6, 0.9);
    const logits = f32([0, 0]);
    expect([sampleFrom(logits, random), sampleFrom(logits, random), sampleFrom(logits, random)]).toEqual([0, 1, 1]);
    expect(random.draws).toBe(3);
  });

  it('never samples a masked (-Infinity) token', () => {
    // probs [0, 0.5, 0, 0.5, 0]
    const logits = f32([-Infinity, 0, -Infinity, 0, -Infinity]);
    const cases: [number, number][] = [
      [0, 1],
      [0.25, 1],
      [0.4999, 1],
      [0.5, 3],
      [0.9999999, 3],
    ];
    for (const [u, expected] of cases) expect(sampleFrom(logits, fixedRandom(u))).toBe(expected);
    for (let i = 0; i <= 1000; i++) {
      const token = sampleFrom(logits, fixedRandom(i / 1001));
      expect([1, 3]).toContain(token);
    }
  });

  it('falls back to the last unmasked token if rounding leaves u past the total', () => {
    // u = 1 is outside [0,1) but is the worst case of rounding: it must not land on a masked id
    expect(sampleFrom(f32([0, 0, -Infinity]), fixedRandom(1))).toBe(1);
    expect(sampleFrom(f32([-Infinity, 0, -Infinity, 3, -Infinity]), fixedRandom(1))).toBe(3);
  });
});

describe('createSampler', () => {
  it('temperature 0 is greedy and draws no random numbers', () => {
    const sampler = createSampler(params({ temperature: 0, topK: 5, topP: 0.1, minP: 0.5 }), 10, noRandom);
    expect(sampler.next(f32([0.1, 2.5, -1, 2.4]), [])).toBe(1);
    expect(sampler.next(f32([3, 3, 1]), [])).toBe(0);
  });

  it('greedy decoding still respects the vocabulary limit and repetition penalty', () => {
    const greedy = createSampler(params({ temperature: 0 }), 2, noRandom);
    expect(greedy.next(f32([1, 5, 9]), [])).toBe(1);
    const penalised = createSampler(params({ temperature: 0, repetitionPenalty: 10 }), 3, noRandom);
    // 5 / 10 = 0.5 < 4
    expect(penalised.next(f32([4, 5, 0]), [1])).toBe(0);
    expect(penalised.next(f32([4, 5, 0]), [])).toBe(1);
  });

  it('never samples ids at or past the vocabulary limit', () => {
    const sampler = createSampler(params(), 4, createRandom(3));
    for (let i = 0; i < 500; i++) expect(sampler.next(f32([0, 0, 0, 0, 10, 10]), [])).toBeLessThan(4);
  });

  it('top_k = 1 equals greedy decoding', () => {
    const rng = createRandom(99);
    const sampler = createSampler(params({ topK: 1, temperature: 1.3 }), 16, createRandom(5));
    for (let trial = 0; trial < 200; trial++) {
      const logits = Float32Array.from({ length: 16 }, () => normal(rng) * 3);
      expect(sampler.next(logits, [])).toBe(argmax(logits));
    }
  });

  it('same seed gives the same sequence; a different seed a different one', () => {
    const logits = f32([0.3, 0.1, 0.5, -0.2, 0.4, 0, 0.2, 0.1]);
    const run = (seed: number) => {
      const sampler = createSampler(params({ temperature: 0.9, topP: 0.95 }), 8, createRandom(seed));
      return Array.from({ length: 200 }, () => sampler.next(logits, []));
    };
    const a = run(42);
    expect(run(42)).toEqual(a);
    expect(run(43)).not.toEqual(a);
    // and the draws are not degenerate
    expect(new Set(a).size).toBeGreaterThan(3);
  });

  it('draws tokens with their softmax frequencies', () => {
    const sampler = createSampler(params(), 3, createRandom(12345));
    const logits = f32([Math.log(0.5), Math.log(0.3), Math.log(0.2)]);
    const freq = frequencies(() => sampler.next(logits, []), 20000, 3);
    [0.5, 0.3, 0.2].forEach((p, i) => expect(Math.abs(freq[i] - p)).toBeLessThan(0.02));
  });

  it('temperature sharpens the distribution (p ∝ p^(1/T))', () => {
    const sampler = createSampler(params({ temperature: 0.5 }), 3, createRandom(777));
    const logits = f32([Math.log(0.5), Math.log(0.3), Math.log(0.2)]);
    const freq = frequencies(() => sampler.next(logits, []), 20000, 3);
    const z = 0.25 + 0.09 + 0.04;
    [0.25 / z, 0.09 / z, 0.04 / z].forEach((p, i) => expect(Math.abs(freq[i] - p)).toBeLessThan(0.02));
  });

  it('top_p, top_k and min_p truncate and renormalise', () => {
    const logits = f32([Math.log(0.5), Math.log(0.3), Math.log(0.2)]);
    // each of these keeps exactly tokens 0 and 1: renormalised 0.625 / 0.375
    const settings: Partial<GenerationParams>[] = [{ topP: 0.6 }, { topK: 2 }, { minP: 0.5 }];
    settings.forEach((setting, s) => {
      const sampler = createSampler(params(setting), 3, createRandom(1000 + s));
      const freq = frequencies(() => sampler.next(logits, []), 20000, 3);
      expect(freq[2]).toBe(0);
      expect(Math.abs(freq[0] - 0.625)).toBeLessThan(0.02);
      expect(Math.abs(freq[1] - 0.375)).toBeLessThan(0.02);
    });
  });

  it('at the smallest temperatures and penalties the validator accepts, stays finite and inside the vocabulary', () => {
    // Padding rows past the vocabulary hold the largest logits, as an untrained lm_head's may.
    const logits = f32([0.5, 2.25, -1, 2.25, 1.75, 40, 40]);
    const limit = 5;
    const extremes: Partial<GenerationParams>[] = [
      { temperature: 1e-38 },
      { temperature: 1e-300 },
      { temperature: 5e-324 },
      { temperature: 1e-38, topP: 0.5, topK: 3, minP: 0.9 },
      { repetitionPenalty: 1e-300 },
      { repetitionPenalty: 1e-300, temperature: 1e-38 },
      { repetitionPenalty: MAX_REPETITION_PENALTY, temperature: 2, frequencyPenalty: -2, presencePenalty: -2 },
    ];
    extremes.forEach((setting, index) => {
      const sampler = createSampler(params(setting), limit, createRandom(index));
      for (let draw = 0; draw < 200; draw++) {
        const history = [4, 0];
        const shaped = sampler.shape(logits, history);
        expect(Array.from(shaped).some(Number.isNaN), JSON.stringify(setting)).toBe(false);
        const token = sampler.choose(shaped, history);
        expect(token, JSON.stringify(setting)).toBeLessThan(limit);
        if (setting.repetitionPenalty === undefined) expect([1, 3], JSON.stringify(setting)).toContain(token);
      }
    });
  });

  it('a temperature too small to divide by is greedy: no draw, the lowest of tied ids', () => {
    const sampler = createSampler(params({ temperature: 5e-324 }), 4, noRandom);
    expect(sampler.next(f32([1, 3, 3, 2]), [])).toBe(1);
  });

  it('never picks an id past the vocabulary even from NaN logits', () => {
    const sampler = createSampler(params(), 3, createRandom(4));
    for (let draw = 0; draw < 50; draw++) expect(sampler.next(f32([NaN, 1, NaN, 5, 5]), [])).toBe(1);
    expect(argmax(f32([NaN, 2, NaN]))).toBe(1);
  });

  it('repetition penalty lowers the frequency of seen tokens', () => {
    // logits [ln 2, ln 2]; penalty 2 on token 0 gives ln2/2 => p0 = sqrt2 / (sqrt2 + 2)
    const logits = f32([Math.log(2), Math.log(2)]);
    const sampler = createSampler(params({ repetitionPenalty: 2 }), 2, createRandom(8));
    const freq = frequencies(() => sampler.next(logits, [0, 0]), 20000, 2);
    const p0 = Math.SQRT2 / (Math.SQRT2 + 2);
    expect(Math.abs(freq[0] - p0)).toBeLessThan(0.02);
  });
});
