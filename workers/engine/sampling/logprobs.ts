/**
 * Log probabilities for OpenAI's `logprobs`: the chosen token's and the most
 * likely alternatives', from the request's shaped distribution (after the
 * penalties, logit_bias and any grammar mask, at temperature 1, before any
 * truncation), so the reported probabilities sum to at most 1.
 */

/** OpenAI reports this for a token that could not have been drawn, where JSON has no -Infinity. */
export const IMPOSSIBLE_LOGPROB = -9999;

export interface RankedToken {
  token: number;
  logprob: number;
}

export interface TokenLogprobs extends RankedToken {
  top: RankedToken[];
}

function logSumExp(logits: Float32Array): number {
  let max = -Infinity;
  for (const x of logits) if (x > max) max = x;
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (const x of logits) sum += Math.exp(x - max);
  return max + Math.log(sum);
}

function finite(logprob: number): number {
  return Number.isFinite(logprob) ? Math.max(logprob, IMPOSSIBLE_LOGPROB) : IMPOSSIBLE_LOGPROB;
}

/** The `count` most likely tokens, best first; ties go to the lower id. Linear in the vocabulary for the small counts OpenAI allows (≤ 20). */
function mostLikely(logits: Float32Array, count: number): number[] {
  const best: number[] = [];
  for (let i = 0; i < logits.length; i++) {
    const value = logits[i];
    if (value === -Infinity) continue;
    if (best.length === count && value <= logits[best[count - 1]]) continue;
    let position = best.length;
    while (position > 0 && logits[best[position - 1]] < value) position--;
    best.splice(position, 0, i);
    if (best.length > count) best.pop();
  }
  return best;
}

export function tokenLogprobs(shaped: Float32Array, chosen: number, topCount: number): TokenLogprobs {
  const normaliser = logSumExp(shaped);
  const logprobOf = (token: number) => finite(shaped[token] - normaliser);
  return {
    token: chosen,
    logprob: logprobOf(chosen),
    top: topCount > 0 ? mostLikely(shaped, topCount).map((token) => ({ token, logprob: logprobOf(token) })) : [],
  };
}
