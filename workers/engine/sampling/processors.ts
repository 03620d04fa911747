/**
 * Logits processors: each takes logits (and, where it needs it, the token
 * history) and returns new logits, leaving its input untouched. A removed token
 * gets -Infinity, so every later step and the sampler skip it.
 */

export type LogitsProcessor = (logits: Float32Array, history: readonly number[]) => Float32Array;

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
      out[token] = value < 0 ? value * penalty : value / penalty;
    }
    return out;
  };
}

export function temperature(value: number): LogitsProcessor {
  return (logits) => logits.map((x) => x / value);
}

/** Keeps the k largest logits; ties with the k-th largest are kept too. */
export function topK(k: number): LogitsProcessor {
  return (logits) => {
    if (k <= 0 || k >= logits.length) return logits.slice();
    const threshold = Float32Array.from(logits).sort()[logits.length - k];
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

/** Indices of the finite logits, most likely first; equal values keep index order. */
function rankedCandidates(logits: Float32Array): number[] {
  const candidates: number[] = [];
  for (let i = 0; i < logits.length; i++) if (logits[i] > -Infinity) candidates.push(i);
  return candidates.sort((a, b) => logits[b] - logits[a] || a - b);
}

/** Nucleus sampling: keeps the fewest most-likely tokens whose probabilities sum to at least p. */
export function topP(p: number): LogitsProcessor {
  return (logits) => {
    if (p >= 1) return logits.slice();
    const probs = softmax(logits);
    const out = new Float32Array(logits.length).fill(-Infinity);
    let cumulative = 0;
    for (const index of rankedCandidates(logits)) {
      out[index] = logits[index];
      cumulative += probs[index];
      if (cumulative >= p) break;
    }
    return out;
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
