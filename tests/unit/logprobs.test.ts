import { describe, expect, it } from 'vitest';
import { IMPOSSIBLE_LOGPROB, tokenLogprobs } from '../../workers/engine/sampling/logprobs.ts';
import { createRandom, normal } from '../../workers/engine/sampling/random.ts';

const f32 = (values: number[]) => Float32Array.from(values);

/** log-softmax the textbook way: x - (max + ln Σ exp(x - max)). */
function handLogSoftmax(values: number[]): number[] {
  const max = Math.max(...values);
  let sum = 0;
  for (const x of values) sum += Math.exp(x - max);
  const normaliser = max + Math.log(sum);
  return values.map((x) => x - normaliser);
}

/** The `count` best unmasked ids by sorting everything: highest logit first, lower id first on ties. */
function bruteForceTop(values: Float32Array, count: number): number[] {
  return [...values.keys()]
    .filter((id) => values[id] !== -Infinity)
    .sort((a, b) => values[b] - values[a] || a - b)
    .slice(0, count);
}

describe('tokenLogprobs: the chosen token', () => {
  it('is the log-softmax of the shaped logits, computed by hand', () => {
    // ln(1 + e^-1 + e^-2 + e^-3) = 0.4401896985611957
    const expected = [-3.4401896985611957, -2.4401896985611957, -1.4401896985611957, -0.4401896985611957];
    const logits = f32([1, 2, 3, 4]);
    const hand = handLogSoftmax([1, 2, 3, 4]);
    for (let token = 0; token < 4; token++) {
      const result = tokenLogprobs(logits, token, 0);
      expect(result.token).toBe(token);
      expect(result.logprob).toBeCloseTo(expected[token], 12);
      expect(result.logprob).toBeCloseTo(hand[token], 12);
    }
  });

  it('two equal logits each have log 0.5', () => {
    expect(tokenLogprobs(f32([7, 7]), 1, 0).logprob).toBeCloseTo(Math.log(0.5), 12);
  });

  it('recovers the probabilities the logits were made from', () => {
    const logits = f32([Math.log(0.5), Math.log(0.3), Math.log(0.2)]);
    expect(Math.exp(tokenLogprobs(logits, 0, 0).logprob)).toBeCloseTo(0.5, 6);
    expect(Math.exp(tokenLogprobs(logits, 1, 0).logprob)).toBeCloseTo(0.3, 6);
    expect(Math.exp(tokenLogprobs(logits, 2, 0).logprob)).toBeCloseTo(0.2, 6);
  });

  it('is stable for large logits', () => {
    const result = tokenLogprobs(f32([1000, 999]), 1, 0);
    expect(result.logprob).toBeCloseTo(-1 - Math.log(1 + Math.exp(-1)), 10);
  });

  it('renormalises over the unmasked tokens', () => {
    // two of four tokens masked: the others split the probability
    expect(tokenLogprobs(f32([-Infinity, 3, -Infinity, 3]), 3, 0).logprob).toBeCloseTo(Math.log(0.5), 12);
  });

  it(`a masked (-Infinity) chosen token reports IMPOSSIBLE_LOGPROB (${IMPOSSIBLE_LOGPROB})`, () => {
    expect(IMPOSSIBLE_LOGPROB).toBe(-9999);
    const result = tokenLogprobs(f32([1, -Infinity, 2]), 1, 2);
    expect(result.logprob).toBe(IMPOSSIBLE_LOGPROB);
    expect(result.top.map((entry) => entry.token)).toEqual([2, 0]);
  });

  it('everything masked: the chosen token is impossible and there is no top list', () => {
    const result = tokenLogprobs(f32([-Infinity, -Infinity]), 0, 5);
    expect(result).toStrictEqual({ token: 0, logprob: IMPOSSIBLE_LOGPROB, top: [] });
  });

  it('a logprob below -9999 is clamped to it, so the value stays finite JSON', () => {
    const result = tokenLogprobs(f32([0, -20000]), 1, 2);
    expect(result.logprob).toBe(IMPOSSIBLE_LOGPROB);
    expect(result.top).toStrictEqual([
      { token: 0, logprob: 0 },
      { token: 1, logprob: IMPOSSIBLE_LOGPROB },
    ]);
    expect(JSON.parse(JSON.stringify(result))).toStrictEqual(result);
  });
});

describe('tokenLogprobs: the top list', () => {
  it('count 0 gives an empty list', () => {
    expect(tokenLogprobs(f32([1, 2, 3]), 2, 0).top).toEqual([]);
  });

  it('is ordered most likely first, with each entry its own log-softmax', () => {
    const values = [0.5, 3, -1, 2.5, 2];
    const hand = handLogSoftmax(values.map((x) => Math.fround(x)));
    const { top } = tokenLogprobs(f32(values), 2, 4);
    expect(top.map((entry) => entry.token)).toEqual([1, 3, 4, 0]);
    top.forEach((entry) => expect(entry.logprob).toBeCloseTo(hand[entry.token], 12));
  });

  it('ties go to the lower id', () => {
    expect(tokenLogprobs(f32([0.5, 3, -1, 3, 2]), 0, 3).top.map((entry) => entry.token)).toEqual([1, 3, 4]);
    expect(tokenLogprobs(f32([0, 0, 0, 0, 0]), 0, 3).top.map((entry) => entry.token)).toEqual([0, 1, 2]);
    // the tie sits at the cut: the lower ids get the places
    expect(tokenLogprobs(f32([1, 2, 2, 2]), 0, 2).top.map((entry) => entry.token)).toEqual([1, 2]);
    expect(tokenLogprobs(f32([2, 1, 2, 0, 2]), 0, 2).top.map((entry) => entry.token)).toEqual([0, 2]);
  });

  it('lists the chosen token when it is among the best, and not otherwise', () => {
    expect(tokenLogprobs(f32([1, 4, 2]), 1, 2).top.map((entry) => entry.token)).toEqual([1, 2]);
    const unlikely = tokenLogprobs(f32([1, 4, 2]), 0, 2);
    expect(unlikely.top.map((entry) => entry.token)).toEqual([1, 2]);
    expect(unlikely.logprob).toBeLessThan(unlikely.top[1].logprob);
  });

  it('a count beyond the vocabulary lists every token', () => {
    expect(tokenLogprobs(f32([1, 2]), 0, 20).top.map((entry) => entry.token)).toEqual([1, 0]);
  });

  it('never lists a masked token, even when the count leaves room', () => {
    const result = tokenLogprobs(f32([-Infinity, 1, -Infinity, 0]), 1, 4);
    expect(result.top.map((entry) => entry.token)).toEqual([1, 3]);
    expect(result.top.every((entry) => entry.logprob > IMPOSSIBLE_LOGPROB)).toBe(true);
  });

  it("a top entry's logprob equals that token's logprob when it is the one chosen", () => {
    const logits = f32([0.3, -1.2, 2.2, 0.9, 2.1]);
    for (const entry of tokenLogprobs(logits, 0, 5).top) {
      expect(entry.logprob).toBe(tokenLogprobs(logits, entry.token, 0).logprob);
    }
  });

  it('the probabilities of the whole vocabulary sum to 1', () => {
    const { top } = tokenLogprobs(f32([0.3, -1.2, 2.2, 0.9, 2.1]), 0, 5);
    expect(top.reduce((sum, entry) => sum + Math.exp(entry.logprob), 0)).toBeCloseTo(1, 12);
  });

  it('matches sorting the whole vocabulary on random logits; top probabilities sum to at most 1', () => {
    const random = createRandom(2024);
    for (let trial = 0; trial < 300; trial++) {
      const size = 1 + Math.floor(random.next() * 40);
      const logits = Float32Array.from({ length: size }, () => {
        const r = random.next();
        // some masked tokens and some exact ties
        if (r < 0.15) return -Infinity;
        if (r < 0.3) return 1;
        return normal(random) * 3;
      });
      const count = Math.floor(random.next() * 21);
      const { top } = tokenLogprobs(logits, 0, count);
      expect(top.map((entry) => entry.token)).toEqual(bruteForceTop(logits, count));
      for (let i = 1; i < top.length; i++) expect(top[i].logprob).toBeLessThanOrEqual(top[i - 1].logprob);
      expect(top.reduce((sum, entry) => sum + Math.exp(entry.logprob), 0)).toBeLessThanOrEqual(1 + 1e-9);
    }
  });

  it('does not change its input', () => {
    const logits = f32([3, 1, 2]);
    tokenLogprobs(logits, 1, 3);
    expect(Array.from(logits)).toEqual([3, 1, 2]);
  });
});
