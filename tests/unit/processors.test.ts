import { describe, expect, it } from 'vitest';
import {
  applyChain,
  minP,
  repetitionPenalty,
  softmax,
  suppressFrom,
  temperature,
  topK,
  topP,
  type LogitsProcessor,
} from '../../workers/engine/sampling/processors.ts';

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
