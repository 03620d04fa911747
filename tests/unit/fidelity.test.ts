import { describe, expect, it } from 'vitest';
import { compareNextToken, fidelityFailures, type FidelityTolerance } from '../../scripts/bench-full/fidelity.ts';

const TOLERANCE: FidelityTolerance = { ofStandardDeviation: 0.1, relative: 0.25, minOverlap: 8 };

/** Logits over a 64-token vocabulary: a descending top 12 on ids 50, 49, …, the rest far below. */
function logits(shift = 0): Float32Array {
  const values = new Float32Array(64).fill(-4 + shift);
  for (let rank = 0; rank < 12; rank++) values[50 - rank] = 8 - rank * 0.5 + shift;
  return values;
}

/** llama.cpp's answer: log-softmax of the same logits, its top `k`. */
function logprobs(values: Float32Array, k = 40) {
  const max = Math.max(...values);
  const logSum = max + Math.log(values.reduce((sum, value) => sum + Math.exp(value - max), 0));
  return [...values.keys()]
    .sort((a, b) => values[b] - values[a])
    .slice(0, k)
    .map((id) => ({ id, logprob: values[id] - logSum }));
}

describe('compareNextToken', () => {
  it('finds no error between logits and their own log-softmax, whatever the constant shift', () => {
    const result = compareNextToken('p', logits(), logprobs(logits(7)), TOLERANCE);
    expect(result.overlap).toBe(10);
    expect(result.maxAbsoluteError).toBeCloseTo(0, 5);
    expect(result.maxRelativeError).toBeCloseTo(0, 5);
    expect(result).toMatchObject({ oursTop1: 50, theirsTop1: 50, greedyChecked: true, greedyAgrees: true });
    expect(result.margin).toBeCloseTo(0.5, 5);
    expect(fidelityFailures(result, TOLERANCE)).toEqual([]);
  });

  it('measures the largest error of a top logit relative to the top-1, and relative to the top 10 spread', () => {
    const theirs = logits();
    theirs[47] += 0.2;
    const result = compareNextToken('p', logits(), logprobs(theirs), TOLERANCE);
    expect(result.maxAbsoluteError).toBeCloseTo(0.2, 5);
    // The top 10 spans 8 − 3.5 = 4.5 logits.
    expect(result.maxRelativeError).toBeCloseTo(0.2 / 4.5, 5);
  });

  it('scales the absolute tolerance with the spread of our logits', () => {
    const wide = logits().map((value) => value * 2);
    expect(compareNextToken('p', wide, logprobs(wide), TOLERANCE).absoluteTolerance).toBeCloseTo(
      2 * compareNextToken('p', logits(), logprobs(logits()), TOLERANCE).absoluteTolerance,
      5,
    );
  });

  it('fails a greedy disagreement only where the margin exceeds the tolerance', () => {
    const close = logits();
    close[49] = close[50] - 0.01;
    const swapped = Float32Array.from(close);
    [swapped[49], swapped[50]] = [close[50], close[49]];
    const result = compareNextToken('close', close, logprobs(swapped), TOLERANCE);
    expect(result).toMatchObject({ greedyChecked: false, greedyAgrees: false });
    expect(fidelityFailures(result, TOLERANCE).some((failure) => failure.includes('greedy'))).toBe(false);

    const far = logits();
    const swappedFar = Float32Array.from(far);
    [swappedFar[49], swappedFar[50]] = [far[50], far[49]];
    const failing = compareNextToken('far', far, logprobs(swappedFar), TOLERANCE);
    expect(failing).toMatchObject({ greedyChecked: true, greedyAgrees: false });
    expect(fidelityFailures(failing, TOLERANCE).some((failure) => failure.includes('greedy token 49'))).toBe(true);
  });

  it('fails when our top tokens are missing from theirs', () => {
    const other = logits();
    for (let id = 39; id <= 50; id++) other[id] = -10;
    const result = compareNextToken('missing', logits(), logprobs(other, 10), TOLERANCE);
    expect(result.overlap).toBe(0);
    expect(result.maxAbsoluteError).toBe(Infinity);
    const failures = fidelityFailures(result, TOLERANCE);
    expect(failures.some((failure) => failure.includes('overlap 0 < 8'))).toBe(true);
    expect(failures.some((failure) => failure.includes('largest logit error'))).toBe(true);
  });
});
