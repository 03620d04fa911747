/**
 * Logits processors: each takes logits (and, where it needs it, the token
 * history) and returns new logits, leaving its input untouched. A removed token
 * gets -Infinity, so every later step and the sampler skip it.
 */

export type LogitsProcessor = (logits: Float32Array, history: readonly number[]) => Float32Array;

/** The largest finite float32. A processor that would push a finite logit past it stops here, since ±Infinity - ±Infinity is NaN downstream. */
export const FLOAT32_MAX = 3.4028234663852886e38;

function clampFinite(value: number): number {
  return Math.min(FLOAT32_MAX, Math.max(-FLOAT32_MAX, value));
}

/** Ids at or past `limit` have no text in the tokenizer: only padding rows of lm_head. */
export function suppressFrom(limit: number): LogitsProcessor {
  return (logits) => {
    const out = logits.slice();
    out.fill(-Infinity, Math.min(limit, out.length));
    return out;
  };
}

/** HF's repetition penalty (CTRL paper): a seen token's logit is divided by the penalty if positive, multiplied if negative. */
export function repetitionPenalty(penalty: number): LogitsProcessor {
  return (logits, history) => {
    const out = logits.slice();
    for (const token of new Set(history)) {
      if (token < 0 || token >= out.length) continue;
      const value = out[token];
      // A tiny penalty (1e-300) would send a positive logit to Infinity; a masked token stays masked.
      if (Number.isFinite(value)) out[token] = clampFinite(value < 0 ? value * penalty : value / penalty);
    }
    return out;
  };
}

/**
 * OpenAI's frequency and presence penalties over the tokens generated so far
 * (history past `promptLength`): logit -= count × frequency + (count > 0) × presence.
 * Negative values encourage repetition instead.
 */
export function frequencyPresencePenalty(frequency: number, presence: number, promptLength: number): LogitsProcessor {
  return (logits, history) => {
    const counts = new Map<number, number>();
    for (let i = promptLength; i < history.length; i++) counts.set(history[i], (counts.get(history[i]) ?? 0) + 1);
    const out = logits.slice();
    for (const [token, count] of counts) {
      if (token < 0 || token >= out.length) continue;
      out[token] -= count * frequency + presence;
    }
    return out;
  };
}

/** OpenAI's logit_bias: adds each bias to its token's logit. Ids past the logits are ignored; validation rejects them first. */
export function logitBias(bias: ReadonlyMap<number, number>): LogitsProcessor {
  return (logits) => {
    const out = logits.slice();
    for (const [token, amount] of bias) if (token < out.length) out[token] += amount;
    return out;
  };
}

/**
 * Divides every logit by the temperature. Where that would overflow float32 (a
 * temperature such as 1e-38), it subtracts the largest logit first: softmax is
 * the same after a shift, the top token stays at 0 and the rest fall to
 * -Infinity as their probabilities do, and nothing becomes NaN.
 */
export function temperature(value: number): LogitsProcessor {
  return (logits) => {
    let max = -Infinity;
    let largest = 0;
    for (const x of logits) {
      if (x === -Infinity) continue;
      if (x > max) max = x;
      if (Math.abs(x) > largest) largest = Math.abs(x);
    }
    if (largest / value <= FLOAT32_MAX) return logits.map((x) => x / value);
    return logits.map((x) => (x - max) / value);
  };
}

/** The k-th largest value, by quickselect on a copy: O(n), where sorting the vocabulary is O(n log n). */
function kthLargest(values: Float32Array, k: number): number {
  const a = values.slice();
  const target = a.length - k;
  let low = 0;
  let high = a.length - 1;
  while (low < high) {
    const pivot = a[(low + high) >>> 1];
    let i = low;
    let j = high;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const swap = a[i];
        a[i] = a[j];
        a[j] = swap;
        i++;
        j--;
      }
    }
    if (target <= j) high = j;
    else if (target >= i) low = i;
    else break;
  }
  return a[target];
}

/** Keeps the k largest logits; ties with the k-th largest are kept too. */
export function topK(k: number): LogitsProcessor {
  return (logits) => {
    if (k <= 0 || k >= logits.length) return logits.slice();
    const threshold = kthLargest(logits, k);
    return logits.map((x) => (x >= threshold ? x : -Infinity));
  };
}

export function softmax(logits: Float32Array): Float64Array {
  let max = -Infinity;
  for (const x of logits) if (x > max) max = x;
  const probs = new Float64Array(logits.length);
  if (max === -Infinity) return probs;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const p = Math.exp(logits[i] - max);
    probs[i] = p;
    sum += p;
  }
  for (let i = 0; i < probs.length; i++) probs[i] /= sum;
  return probs;
}

/** Indices whose probability is at least `cutoff`, most likely first; equal values keep index order. */
function rankedAbove(logits: Float32Array, probs: Float64Array, cutoff: number): number[] {
  const candidates: number[] = [];
  for (let i = 0; i < probs.length; i++) if (probs[i] > 0 && probs[i] >= cutoff) candidates.push(i);
  return candidates.sort((a, b) => logits[b] - logits[a] || a - b);
}

/**
 * Nucleus sampling: keeps the fewest most-likely tokens whose probabilities sum to at least p.
 * Sorting the whole vocabulary costs milliseconds a token, so only tokens above a
 * probability cutoff are sorted. They are always a prefix of the full ranking, so
 * if they reach p the answer is exact; otherwise the cutoff drops and we go again.
 */
export function topP(p: number): LogitsProcessor {
  return (logits) => {
    if (p >= 1) return logits.slice();
    const probs = softmax(logits);
    let maxProb = 0;
    for (const prob of probs) if (prob > maxProb) maxProb = prob;
    for (let cutoff = maxProb * 1e-3; ; cutoff = cutoff > maxProb * 1e-12 ? cutoff / 1000 : 0) {
      const out = new Float32Array(logits.length).fill(-Infinity);
      let cumulative = 0;
      for (const index of rankedAbove(logits, probs, cutoff)) {
        out[index] = logits[index];
        cumulative += probs[index];
        if (cumulative >= p) return out;
      }
      if (cutoff === 0) return out;
    }
  };
}

/** Drops tokens whose probability is below minP times the most likely token's. */
export function minP(value: number): LogitsProcessor {
  return (logits) => {
    if (value <= 0) return logits.slice();
    let max = -Infinity;
    for (const x of logits) if (x > max) max = x;
    // p_i >= minP * p_max  ⇔  logit_i >= logit_max + ln(minP)
    const threshold = max + Math.log(value);
    return logits.map((x) => (x >= threshold ? x : -Infinity));
  };
}

export function applyChain(chain: readonly LogitsProcessor[], logits: Float32Array, history: readonly number[]): Float32Array {
  return chain.reduce((current, processor) => processor(current, history), logits);
}
