import { defaultGenerationParams } from '../../src/protocol/validation.ts';
import { describe, expect, it } from 'vitest';
import { MAX_REPETITION_PENALTY } from '../../src/protocol/validation.ts';
import {
  FLOAT32_MAX,
  applyChain,
  frequencyPresencePenalty,
  logitBias,
  minP,
  repetitionPenalty,
  softmax,
  suppressFrom,
  temperature,
  topK,
  topP,
  type LogitsProcessor,
} from '../../workers/engine/sampling/processors.ts';
import { createSampler } from '../../workers/engine/sampling/sampler.ts';
import type { RandomSource } from '../../workers/engine/sampling/random.ts';
import type { GenerationParams } from '../../src/protocol/types.ts';

const f32 = (values: number[]) => Float32Array.from(values);

/** Indices that survived a processor (i.e. are not -Infinity), ascending. */
function kept(logits: Float32Array): number[] {
  const out: number[] = [];
  logits.forEach((x, i) => {
    if (x > -Infinity) out.push(i);
  });
  return out;
}

/** Softmax by hand, the textbook way: exp(x - max) / sum, summed in index order. */
function handSoftmax(values: number[]): number[] {
  const max = Math.max(...values);
  const exps = values.map((x) => Math.exp(x - max));
  let sum = 0;
  for (const e of exps) sum += e;
  return exps.map((e) => e / sum);
}

const BASE = [1, 2, 3, 4];
// softmax([1,2,3,4]) ≈ [0.0321, 0.0871, 0.2369, 0.6439]
const P = handSoftmax(BASE);

describe('suppressFrom', () => {
  it('sets every id at or past the limit to -Infinity', () => {
    expect(Array.from(suppressFrom(2)(f32(BASE), []))).toEqual([1, 2, -Infinity, -Infinity]);
    expect(Array.from(suppressFrom(3)(f32(BASE), []))).toEqual([1, 2, 3, -Infinity]);
  });

  it('leaves everything when the limit is at or past the length', () => {
    expect(Array.from(suppressFrom(4)(f32(BASE), []))).toEqual(BASE);
    expect(Array.from(suppressFrom(100)(f32(BASE), []))).toEqual(BASE);
  });

  it('suppresses everything with limit 0', () => {
    expect(kept(suppressFrom(0)(f32(BASE), []))).toEqual([]);
  });
});

describe('repetitionPenalty', () => {
  it('divides positive and multiplies negative logits of seen tokens (HF formula)', () => {
    const logits = f32([2, -2, 4, -1, 3]);
    const out = repetitionPenalty(2)(logits, [0, 1, 3]);
    expect(Array.from(out)).toEqual([1, -4, 4, -2, 3]);
  });

  it('penalises a token once even when it was seen many times', () => {
    const logits = f32([8, -8, 1]);
    const out = repetitionPenalty(2)(logits, [0, 0, 0, 1, 1, 0, 1]);
    expect(Array.from(out)).toEqual([4, -16, 1]);
  });

  it('leaves zero logits at zero and unseen tokens untouched', () => {
    const out = repetitionPenalty(3)(f32([0, 6, -3]), [0]);
    expect(Array.from(out)).toEqual([0, 6, -3]);
  });

  it('ignores history ids outside the vocabulary', () => {
    const out = repetitionPenalty(2)(f32([2, 4]), [-1, 2, 99, 1]);
    expect(Array.from(out)).toEqual([2, 2]);
  });

  it('with a penalty below 1 boosts seen tokens by the same formula', () => {
    const out = repetitionPenalty(0.5)(f32([2, -2, 1]), [0, 1]);
    expect(Array.from(out)).toEqual([4, -1, 1]);
  });

  it('is a no-op with penalty 1 or an empty history', () => {
    expect(Array.from(repetitionPenalty(1)(f32([2, -2]), [0, 1]))).toEqual([2, -2]);
    expect(Array.from(repetitionPenalty(2)(f32([2, -2]), []))).toEqual([2, -2]);
  });
  it('keeps every logit finite at the extremes the validator accepts, and masked tokens masked', () => {
    const logits = f32([2, -2, 0, -Infinity, 5]);
    const tiny = repetitionPenalty(1e-300)(logits, [0, 1, 2, 3]);
    // 2 / 1e-300 overflows: it stops at the largest float32, which then wins as HF's formula means it to.
    expect(Array.from(tiny)).toEqual([FLOAT32_MAX, -0, 0, -Infinity, 5]);
    const capped = repetitionPenalty(MAX_REPETITION_PENALTY)(f32([3.4e38, -3.4e38, 1]), [0, 1, 2]);
    expect(Array.from(capped).every(Number.isFinite)).toBe(true);
  });
});

describe('frequencyPresencePenalty', () => {
  it('subtracts count × frequency + presence from each generated token, by hand', () => {
    // prompt [0, 1]; generated [2, 2, 3, 2]: token 2 three times, token 3 once
    const out = frequencyPresencePenalty(0.5, 0.25, 2)(f32([1, 2, 3, 4, 5]), [0, 1, 2, 2, 3, 2]);
    // 3 - (3 × 0.5 + 0.25) = 1.25; 4 - (1 × 0.5 + 0.25) = 3.25
    expect(Array.from(out)).toEqual([1, 2, 1.25, 3.25, 5]);
  });

  it('counts only the history after promptLength', () => {
    // token 0 fills the prompt; once generated it counts once
    expect(Array.from(frequencyPresencePenalty(1, 0, 3)(f32([10, 10]), [0, 0, 0, 0]))).toEqual([9, 10]);
    expect(Array.from(frequencyPresencePenalty(1, 0, 0)(f32([10, 10]), [0, 0, 0, 0]))).toEqual([6, 10]);
    expect(Array.from(frequencyPresencePenalty(1, 1, 4)(f32([10, 10]), [0, 0, 0, 0]))).toEqual([10, 10]);
    expect(Array.from(frequencyPresencePenalty(1, 1, 9)(f32([10, 10]), [0, 1]))).toEqual([10, 10]);
  });

  it('presence alone is the same for one occurrence or many', () => {
    const out = frequencyPresencePenalty(0, 1.5, 0)(f32([4, 4, 4]), [0, 1, 1, 1, 1]);
    expect(Array.from(out)).toEqual([2.5, 2.5, 4]);
  });

  it('frequency alone grows with the count', () => {
    const out = frequencyPresencePenalty(0.75, 0, 0)(f32([4, 4, 4]), [0, 1, 1, 1, 1]);
    expect(Array.from(out)).toEqual([3.25, 1, 4]);
  });

  it('negative values encourage repetition', () => {
    // token 2 twice: 3 + 2 × 0.5 + 1 = 5; token 0 once: 1 + 0.5 + 1 = 2.5
    const out = frequencyPresencePenalty(-0.5, -1, 1)(f32([1, 2, 3]), [1, 2, 0, 2]);
    expect(Array.from(out)).toEqual([2.5, 2, 5]);
  });

  it('the extremes -2 and 2 move a logit by exactly count × 2 + 2', () => {
    expect(Array.from(frequencyPresencePenalty(2, 2, 0)(f32([0, 0]), [1, 1, 1]))).toEqual([0, -8]);
    expect(Array.from(frequencyPresencePenalty(-2, -2, 0)(f32([0, 0]), [1, 1, 1]))).toEqual([0, 8]);
  });

  it('keeps masked tokens masked, even when encouraged', () => {
    const out = frequencyPresencePenalty(-2, -2, 0)(f32([-Infinity, 1]), [0, 0]);
    expect(Array.from(out)).toEqual([-Infinity, 1]);
  });

  it('ignores history ids outside the logits', () => {
    expect(Array.from(frequencyPresencePenalty(1, 1, 0)(f32([3, 3]), [-1, 2, 99]))).toEqual([3, 3]);
  });

  it('is a no-op with both at 0', () => {
    expect(Array.from(frequencyPresencePenalty(0, 0, 0)(f32(BASE), [0, 1, 2, 3, 3]))).toEqual(BASE);
  });
});

describe('logitBias', () => {
  it("adds each bias to its token's logit", () => {
    const out = logitBias(new Map([[0, 2.5], [2, -1.25]]))(f32(BASE), []);
    expect(Array.from(out)).toEqual([3.5, 2, 1.75, 4]);
  });

  it('-100 and 100 move a logit by exactly 100', () => {
    const out = logitBias(new Map([[1, -100], [2, 100]]))(f32(BASE), []);
    expect(Array.from(out)).toEqual([1, -98, 103, 4]);
  });

  it('ignores ids beyond the logits', () => {
    const out = logitBias(new Map([[4, 100], [1000, -100], [1, 1]]))(f32(BASE), []);
    expect(Array.from(out)).toEqual([1, 3, 3, 4]);
    expect(out).toHaveLength(4);
  });

  it('does not bring a masked token back', () => {
    expect(Array.from(logitBias(new Map([[0, 100]]))(f32([-Infinity, 0]), []))).toEqual([-Infinity, 0]);
  });

  it('ignores the history and is a no-op with no biases', () => {
    expect(Array.from(logitBias(new Map())(f32(BASE), [0, 1, 2]))).toEqual(BASE);
    expect(Array.from(logitBias(new Map([[0, 1]]))(f32(BASE), [0, 0, 0]))).toEqual([2, 2, 3, 4]);
  });
});

describe('temperature', () => {
  it('divides every logit by the temperature', () => {
    expect(Array.from(temperature(2)(f32(BASE), []))).toEqual([0.5, 1, 1.5, 2]);
    expect(Array.from(temperature(0.5)(f32(BASE), []))).toEqual([2, 4, 6, 8]);
    expect(Array.from(temperature(3)(f32(BASE), []))).toEqual(BASE.map((x) => Math.fround(x / 3)));
  });

  it('keeps -Infinity as -Infinity', () => {
    expect(Array.from(temperature(0.7)(f32([-Infinity, 1.4]), []))).toEqual([-Infinity, Math.fround(1.4 / 0.7)]);
  });

  it('returns a Float32Array', () => {
    expect(temperature(2)(f32(BASE), [])).toBeInstanceOf(Float32Array);
  });
  it('never overflows to NaN where dividing would: the top tokens stay at 0, the rest fall towards -Infinity', () => {
    const logits = f32([1.5, 4, -3, -Infinity, 4, 3.999]);
    for (const value of [1e-38, 1e-300, 5e-324]) {
      const out = temperature(value)(logits, []);
      expect(Array.from(out).some(Number.isNaN), String(value)).toBe(false);
      expect([out[1], out[4]], String(value)).toEqual([0, 0]);
      for (const index of [0, 2, 3, 5]) expect(out[index], String(value)).toBeLessThan(-1e34);
      // Softmax is then the limit of temperature → 0: the tied top tokens share it.
      expect(Array.from(softmax(out))).toEqual([0, 0.5, 0, 0, 0.5, 0]);
    }
  });

  it('divides as usual while the quotients fit float32', () => {
    expect(Array.from(temperature(1e-37)(f32([1, 2]), []))).toEqual([Math.fround(1e37), Math.fround(2e37)]);
  });
});

describe('topK', () => {
  it('keeps the k largest logits with their values', () => {
    expect(Array.from(topK(2)(f32(BASE), []))).toEqual([-Infinity, -Infinity, 3, 4]);
    expect(Array.from(topK(1)(f32(BASE), []))).toEqual([-Infinity, -Infinity, -Infinity, 4]);
    expect(Array.from(topK(3)(f32([4, 1, 3, 2]), []))).toEqual([4, -Infinity, 3, 2]);
  });

  it('works with negative logits', () => {
    expect(kept(topK(2)(f32([-1, -5, -2, -3]), []))).toEqual([0, 2]);
  });

  it('keeps every token tied with the k-th largest', () => {
    expect(kept(topK(1)(f32([1, 3, 3, 2]), []))).toEqual([1, 2]);
    expect(kept(topK(2)(f32([5, 3, 3, 1]), []))).toEqual([0, 1, 2]);
    expect(kept(topK(2)(f32([7, 7, 7, 1]), []))).toEqual([0, 1, 2]);
  });

  it('is a no-op for k <= 0 or k >= vocabulary size', () => {
    for (const k of [0, -3, 4, 10]) expect(Array.from(topK(k)(f32(BASE), []))).toEqual(BASE);
  });

  it('does not resurrect already-masked tokens', () => {
    expect(Array.from(topK(2)(f32([-Infinity, 1, -Infinity]), []))).toEqual([-Infinity, 1, -Infinity]);
    expect(kept(topK(2)(f32([-Infinity, 1, 5, 3]), []))).toEqual([2, 3]);
  });
});

describe('softmax', () => {
  it('matches the hand-computed probabilities exactly', () => {
    expect(Array.from(softmax(f32(BASE)))).toEqual(P);
  });

  it('gives masked tokens probability 0 and normalises the rest', () => {
    const probs = softmax(f32([-Infinity, 0, -Infinity, 0]));
    expect(Array.from(probs)).toEqual([0, 0.5, 0, 0.5]);
  });

  it('does not overflow on large logits', () => {
    expect(Array.from(softmax(f32([1000, 1000])))).toEqual([0.5, 0.5]);
  });

  it('returns all zeros when everything is masked', () => {
    expect(Array.from(softmax(f32([-Infinity, -Infinity])))).toEqual([0, 0]);
  });
});

describe('topP', () => {
  // Ranking of BASE, most likely first: 3, 2, 1, 0.
  const c1 = P[3];
  const c2 = P[3] + P[2];
  const c3 = P[3] + P[2] + P[1];

  it('the hand-computed cumulative probabilities are what the test assumes', () => {
    expect(c1).toBeCloseTo(0.6439, 4);
    expect(c2).toBeCloseTo(0.8808, 4);
    expect(c3).toBeCloseTo(0.9679, 4);
  });

  const cases: [number, number[]][] = [
    [1e-9, [3]],
    [0.5, [3]],
    [c1, [3]], // exactly reaching p with one token: stop there
    [c1 + 1e-9, [2, 3]],
    [0.7, [2, 3]],
    [c2, [2, 3]],
    [c2 + 1e-9, [1, 2, 3]],
    [0.9, [1, 2, 3]],
    [c3, [1, 2, 3]],
    [c3 + 1e-9, [0, 1, 2, 3]],
    [0.99, [0, 1, 2, 3]],
    [1, [0, 1, 2, 3]],
  ];
  for (const [p, expected] of cases) {
    it(`p=${p} keeps indices ${expected.join(',')}`, () => {
      const out = topP(p)(f32(BASE), []);
      expect(kept(out)).toEqual(expected);
      // survivors keep their values
      for (const i of expected) expect(out[i]).toBe(BASE[i]);
    });
  }

  it('works on unsorted logits', () => {
    // [3,1,4,2]: ranking is 2 (p≈0.644), 0 (≈0.237), 3, 1
    expect(kept(topP(0.7)(f32([3, 1, 4, 2]), []))).toEqual([0, 2]);
    expect(kept(topP(0.5)(f32([3, 1, 4, 2]), []))).toEqual([2]);
  });

  it('breaks ties by lower index', () => {
    // four equal tokens, 0.25 each: 0.5 is reached with exactly two of them
    expect(kept(topP(0.5)(f32([0, 0, 0, 0]), []))).toEqual([0, 1]);
    expect(kept(topP(0.51)(f32([0, 0, 0, 0]), []))).toEqual([0, 1, 2]);
  });

  it('ignores masked tokens and renormalises over the rest', () => {
    const out = topP(0.7)(f32([-Infinity, 1, 2, 3, 4]), []);
    expect(kept(out)).toEqual([3, 4]);
    expect(out[0]).toBe(-Infinity);
  });

  it('agrees with a brute-force reference on random vectors', () => {
    let seed = 1;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let trial = 0; trial < 200; trial++) {
      const values = Array.from({ length: 8 }, () => Math.fround(rand() * 10 - 5));
      const p = 0.05 + rand() * 0.9;
      const probs = handSoftmax(values);
      const order = values.map((_, i) => i).sort((a, b) => probs[b] - probs[a] || a - b);
      const expected: number[] = [];
      let cumulative = 0;
      for (const i of order) {
        expected.push(i);
        cumulative += probs[i];
        if (cumulative >= p) break;
      }
      expect(kept(topP(p)(f32(values), []))).toEqual(expected.sort((a, b) => a - b));
    }
  });
});

describe('minP', () => {
  // p_i / p_max for BASE: e^-3 ≈ 0.0498, e^-2 ≈ 0.1353, e^-1 ≈ 0.3679, 1
  const cases: [number, number[]][] = [
    [0.01, [0, 1, 2, 3]],
    [0.04, [0, 1, 2, 3]],
    [0.05, [1, 2, 3]],
    [0.1, [1, 2, 3]],
    [0.2, [2, 3]],
    [0.3, [2, 3]],
    [0.5, [3]],
    [0.99, [3]],
    [1, [3]],
  ];
  for (const [value, expected] of cases) {
    it(`min_p=${value} keeps indices ${expected.join(',')}`, () => {
      const out = minP(value)(f32(BASE), []);
      expect(kept(out)).toEqual(expected);
      // the same survivors as the definition p_i >= min_p * p_max, computed by hand
      const pMax = Math.max(...P);
      expect(kept(out)).toEqual(P.flatMap((p, i) => (p >= value * pMax ? [i] : [])));
      for (const i of expected) expect(out[i]).toBe(BASE[i]);
    });
  }

  it('keeps a token whose probability is exactly min_p * p_max', () => {
    // logit 3 vs max 4: p_2 / p_max = e^-1 exactly at the threshold
    expect(kept(minP(Math.exp(-1))(f32(BASE), []))).toEqual([2, 3]);
    expect(kept(minP(Math.exp(-1) * (1 + 1e-9))(f32(BASE), []))).toEqual([3]);
    expect(kept(minP(Math.exp(-1) * (1 - 1e-9))(f32(BASE), []))).toEqual([2, 3]);
  });

  it('keeps all tokens tied with the maximum, even at min_p = 1', () => {
    expect(kept(minP(1)(f32([4, 1, 4]), []))).toEqual([0, 2]);
  });

  it('is a no-op for min_p = 0', () => {
    expect(Array.from(minP(0)(f32(BASE), []))).toEqual(BASE);
  });

  it('does not resurrect masked tokens', () => {
    expect(kept(minP(0.01)(f32([-Infinity, 4, 3]), []))).toEqual([1, 2]);
  });
});

describe('processors do not mutate their input', () => {
  const processors: [string, LogitsProcessor][] = [
    ['suppressFrom', suppressFrom(2)],
    ['repetitionPenalty', repetitionPenalty(2)],
    ['frequencyPresencePenalty', frequencyPresencePenalty(0.5, 0.5, 1)],
    ['logitBias', logitBias(new Map([[1, 3]]))],
    ['logitBias empty', logitBias(new Map())],
    ['temperature', temperature(2)],
    ['topK', topK(2)],
    ['topK no-op', topK(0)],
    ['topP', topP(0.5)],
    ['topP no-op', topP(1)],
    ['minP', minP(0.2)],
    ['minP no-op', minP(0)],
  ];
  for (const [name, processor] of processors) {
    it(name, () => {
      const input = f32([1, -2, 3, 4]);
      const history = [0, 1, 3];
      const out = processor(input, history);
      expect(Array.from(input)).toEqual([1, -2, 3, 4]);
      expect(history).toEqual([0, 1, 3]);
      expect(out).not.toBe(input);
      expect(out.buffer).not.toBe(input.buffer);
    });
  }
});

describe('applyChain', () => {
  it('applies processors left to right', () => {
    const logits = f32(BASE);
    // suppress ids >= 2 first, then top-1 among what is left: id 1
    expect(kept(applyChain([suppressFrom(2), topK(1)], logits, []))).toEqual([1]);
    // top-1 first (id 3), then suppress ids >= 2: nothing left
    expect(kept(applyChain([topK(1), suppressFrom(2)], logits, []))).toEqual([]);
    // temperature after penalty: (4 / 2) / 2 = 1 for the seen token
    expect(Array.from(applyChain([repetitionPenalty(2), temperature(2)], logits, [3]))).toEqual([0.5, 1, 1.5, 1]);
  });

  it('passes each processor the previous output and the same history', () => {
    const calls: { input: number[]; history: readonly number[] }[] = [];
    const record =
      (add: number): LogitsProcessor =>
      (logits, history) => {
        calls.push({ input: Array.from(logits), history });
        return logits.map((x) => x + add);
      };
    const history = [7, 8];
    const out = applyChain([record(1), record(10)], f32([0, 1]), history);
    expect(Array.from(out)).toEqual([11, 12]);
    expect(calls.map((c) => c.input)).toEqual([
      [0, 1],
      [1, 2],
    ]);
    expect(calls[0].history).toBe(history);
    expect(calls[1].history).toBe(history);
  });

  it('returns the input unchanged for an empty chain', () => {
    const logits = f32(BASE);
    expect(Array.from(applyChain([], logits, []))).toEqual(BASE);
  });
});

/** A RandomSource that hands out the given u values in order. */
function fixedRandom(...values: number[]): RandomSource {
  let draws = 0;
  return {
    next() {
      if (draws >= values.length) throw new Error('fixedRandom ran out of values');
      return values[draws++];
    },
  };
}

const noRandom: RandomSource = {
  next() {
    throw new Error('greedy decoding must not draw random numbers');
  },
};

function params(overrides: Partial<GenerationParams> = {}): GenerationParams {
  return { ...defaultGenerationParams(), ...overrides };
}

describe('createSampler: shape', () => {
  it('with default params only removes the ids past the vocabulary limit', () => {
    const sampler = createSampler(params(), 3, noRandom);
    expect(Array.from(sampler.shape(f32(BASE), [0, 1, 2]))).toEqual([1, 2, 3, -Infinity]);
  });

  it('leaves temperature and the truncations to choose', () => {
    const sampler = createSampler(params({ temperature: 0.5, topK: 1, topP: 0.1, minP: 0.9 }), 4, noRandom);
    expect(Array.from(sampler.shape(f32(BASE), []))).toEqual(BASE);
  });

  it('suppresses padding ids before logit_bias, so a bias cannot bring them back', () => {
    const sampler = createSampler(params({ logitBias: new Map([[3, 100]]) }), 3, noRandom);
    expect(Array.from(sampler.shape(f32([0, 0, 0, 0]), []))).toEqual([0, 0, 0, -Infinity]);
  });

  it('applies logit_bias before the repetition penalty', () => {
    // (2 + 2) / 2 = 2 and (-4 + 2) × 2 = -4; the other order would give 3 and -6
    const sampler = createSampler(params({ logitBias: new Map([[0, 2], [1, 2]]), repetitionPenalty: 2 }), 2, noRandom);
    expect(Array.from(sampler.shape(f32([2, -4]), [0, 1]))).toEqual([2, -4]);
  });

  it('applies the repetition penalty before the frequency and presence penalties', () => {
    // 4 / 2 - 1 = 1; the other order would give (4 - 1) / 2 = 1.5
    const sampler = createSampler(params({ repetitionPenalty: 2, frequencyPenalty: 1 }), 1, noRandom);
    expect(Array.from(sampler.shape(f32([4]), [0]))).toEqual([1]);
  });

  it('composes all four on hand-computed numbers, counting generated tokens after promptLength', () => {
    const sampler = createSampler(
      params({ logitBias: new Map([[1, 3]]), repetitionPenalty: 2, frequencyPenalty: 0.5, presencePenalty: 0.5 }),
      3,
      noRandom,
      1,
    );
    // suppress: [6, 1, 2, -inf]; bias: [6, 4, 2, -inf]; repetition on {0, 1}: [3, 2, 2, -inf];
    // generated [0, 0]: token 0 twice, 3 - (2 × 0.5 + 0.5) = 1.5; token 1 was only in the prompt
    expect(Array.from(sampler.shape(f32([6, 1, 2, 9]), [1, 0, 0]))).toEqual([1.5, 2, 2, -Infinity]);
  });

  it('promptLength defaults to 0: the whole history counts for frequency and presence', () => {
    const sampler = createSampler(params({ frequencyPenalty: 1 }), 2, noRandom);
    expect(Array.from(sampler.shape(f32([5, 5]), [0, 0, 1]))).toEqual([3, 4]);
  });

  it('does not change its input', () => {
    const logits = f32([6, 1, 2, 9]);
    createSampler(params({ logitBias: new Map([[1, 3]]), repetitionPenalty: 2, frequencyPenalty: 1 }), 3, noRandom).shape(
      logits,
      [1, 0],
    );
    expect(Array.from(logits)).toEqual([6, 1, 2, 9]);
  });
});

describe('createSampler: choose', () => {
  it('applies temperature before drawing', () => {
    // [2, 1]: p0 = 0.731 at T = 1, 0.881 at T = 0.5 (logits [4, 2])
    expect(createSampler(params(), 2, fixedRandom(0.75)).choose(f32([2, 1]), [])).toBe(1);
    expect(createSampler(params({ temperature: 0.5 }), 2, fixedRandom(0.75)).choose(f32([2, 1]), [])).toBe(0);
    expect(createSampler(params({ temperature: 0.5 }), 2, fixedRandom(0.9)).choose(f32([2, 1]), [])).toBe(1);
  });

  it('applies top_p after temperature', () => {
    // [1, 0] at T = 0.5 is [2, 0]: p0 = 0.881 >= 0.8, so top_p keeps token 0 alone; at T = 1 (p0 = 0.731) it keeps both
    expect(createSampler(params({ temperature: 0.5, topP: 0.8 }), 2, fixedRandom(0.99)).choose(f32([1, 0]), [])).toBe(0);
    expect(createSampler(params({ topP: 0.8 }), 2, fixedRandom(0.99)).choose(f32([1, 0]), [])).toBe(1);
  });

  it('applies min_p after temperature', () => {
    // p1 / p0 is e^-1 = 0.368 at T = 1 and e^-2 = 0.135 at T = 0.5; min_p 0.3 drops token 1 only at T = 0.5
    expect(createSampler(params({ temperature: 0.5, minP: 0.3 }), 2, fixedRandom(0.99)).choose(f32([0, -1]), [])).toBe(0);
    expect(createSampler(params({ minP: 0.3 }), 2, fixedRandom(0.99)).choose(f32([0, -1]), [])).toBe(1);
  });

  it('applies top_k before top_p', () => {
    // [2, 1, 0]: top_k 2 renormalises token 0 to 0.731 >= 0.7, so top_p then keeps it alone;
    // top_p first would keep tokens 0 and 1 (0.665 < 0.7)
    expect(createSampler(params({ topK: 2, topP: 0.7 }), 3, fixedRandom(0.99)).choose(f32([2, 1, 0]), [])).toBe(0);
    expect(createSampler(params({ topP: 0.7 }), 3, fixedRandom(0.99)).choose(f32([2, 1, 0]), [])).toBe(1);
  });

  it('draws exactly one number per token', () => {
    const sampler = createSampler(params({ temperature: 0.7, topK: 3, topP: 0.9, minP: 0.01 }), 4, fixedRandom(0.5));
    expect(sampler.choose(f32([1, 2, 3, 4]), [])).toBeGreaterThanOrEqual(0);
    expect(() => sampler.choose(f32([1, 2, 3, 4]), [])).toThrow(/ran out/);
  });
});

describe('createSampler: temperature 0 is greedy over the shaped logits', () => {
  it('logit_bias +100 forces a token', () => {
    const sampler = createSampler(params({ temperature: 0, logitBias: new Map([[1, 100]]) }), 3, noRandom);
    expect(sampler.next(f32([5, 0, 1]), [])).toBe(1);
  });

  it('logit_bias -100 bans the argmax', () => {
    const sampler = createSampler(params({ temperature: 0, logitBias: new Map([[0, -100]]) }), 3, noRandom);
    expect(sampler.next(f32([5, 0, 1]), [])).toBe(2);
  });

  it('a frequency penalty moves greedy decoding off a token it keeps repeating', () => {
    const sampler = createSampler(params({ temperature: 0, frequencyPenalty: 1 }), 2, noRandom, 1);
    expect(sampler.next(f32([3, 1.5]), [1])).toBe(0);
    expect(sampler.next(f32([3, 1.5]), [1, 0])).toBe(0);
    // generated token 0 twice: 3 - 2 = 1 < 1.5
    expect(sampler.next(f32([3, 1.5]), [1, 0, 0])).toBe(1);
  });

  it('a negative presence penalty makes greedy decoding repeat', () => {
    const sampler = createSampler(params({ temperature: 0, presencePenalty: -2 }), 2, noRandom);
    expect(sampler.next(f32([1, 2]), [])).toBe(1);
    expect(sampler.next(f32([1, 2]), [0])).toBe(0);
  });

  it('choose is argmax of what it is given; next is choose(shape(...))', () => {
    const sampler = createSampler(params({ temperature: 0, logitBias: new Map([[2, 10]]) }), 3, noRandom);
    expect(sampler.choose(f32([1, 5, 3]), [])).toBe(1);
    const logits = f32([1, 5, 3]);
    expect(sampler.next(logits, [])).toBe(sampler.choose(sampler.shape(logits, []), []));
    expect(sampler.next(logits, [])).toBe(2);
  });

  it('logit_bias +100 also forces a token when sampling: the others keep a probability below 1e-40', () => {
    const sampler = createSampler(params({ logitBias: new Map([[1, 100]]) }), 3, fixedRandom(1e-9, 0.5, 0.999999));
    expect([0, 1, 2].map(() => sampler.next(f32([5, 0, 1]), []))).toEqual([1, 1, 1]);
  });
});
