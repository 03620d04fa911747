import type { GenerationParams } from '../../../src/protocol/types.ts';
import {
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
} from './processors.ts';
import type { RandomSource } from './random.ts';

/** The most likely token; the lowest id wins a tie, so greedy decoding is deterministic. A NaN never wins. */
export function argmax(logits: Float32Array): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    if (logits[i] > bestValue) {
      best = i;
      bestValue = logits[i];
    }
  }
  return best;
}

/** Draws one token from softmax(logits) with one uniform number from `random`. */
export function sampleFrom(logits: Float32Array, random: RandomSource): number {
  const probs = softmax(logits);
  const u = random.next();
  let cumulative = 0;
  let last = -1;
  for (let i = 0; i < probs.length; i++) {
    // Also skips NaN: a token without a real probability is never drawn, nor chosen as the fallback below.
    if (!(probs[i] > 0)) continue;
    cumulative += probs[i];
    last = i;
    if (u < cumulative) return i;
  }
  // Rounding can leave the sum a hair under u; the last candidate is the right answer then.
  return last === -1 ? argmax(logits) : last;
}

export interface TokenSampler {
  /**
   * The model's distribution for this request before any truncation: padding rows
   * removed, then logit_bias and the penalties. Log probabilities are reported from it.
   */
  shape(logits: Float32Array, history: readonly number[]): Float32Array;
  /** Picks a token from shaped logits: greedy at temperature 0, else temperature and truncations, then a draw. */
  choose(shaped: Float32Array, history: readonly number[]): number;
  next(logits: Float32Array, history: readonly number[]): number;
}

/**
 * Composes the processor chain for one request: logit_bias and the penalties
 * first (HF's order), then temperature, then the truncations. Temperature 0 means
 * greedy, and the truncations are then moot. `promptLength` tells the penalties
 * which part of the history the model generated.
 */
export function createSampler(
  params: GenerationParams,
  vocabularyLimit: number,
  random: RandomSource,
  promptLength = 0,
): TokenSampler {
  const shaping: LogitsProcessor[] = [suppressFrom(vocabularyLimit)];
  if (params.logitBias.size > 0) shaping.push(logitBias(params.logitBias));
  if (params.repetitionPenalty !== 1) shaping.push(repetitionPenalty(params.repetitionPenalty));
  if (params.frequencyPenalty !== 0 || params.presencePenalty !== 0) {
    shaping.push(frequencyPresencePenalty(params.frequencyPenalty, params.presencePenalty, promptLength));
  }
  // A temperature too small to divide by (1 / T overflows) is greedy decoding; the smallest
  // ones that can be divided by are kept finite by the temperature processor itself.
  const greedy = params.temperature === 0 || !Number.isFinite(1 / params.temperature);
  const truncation: LogitsProcessor[] = [];
  if (params.temperature !== 1) truncation.push(temperature(params.temperature));
  if (params.topK > 0) truncation.push(topK(params.topK));
  if (params.topP < 1) truncation.push(topP(params.topP));
  if (params.minP > 0) truncation.push(minP(params.minP));

  const shape = (logits: Float32Array, history: readonly number[]) => applyChain(shaping, logits, history);
  const choose = (shaped: Float32Array, history: readonly number[]) =>
    greedy ? argmax(shaped) : sampleFrom(applyChain(truncation, shaped, history), random);
  return { shape, choose, next: (logits, history) => choose(shape(logits, history), history) };
}
