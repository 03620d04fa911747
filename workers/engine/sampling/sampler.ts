import type { GenerationParams } from '../../../src/protocol/types.ts';
import { applyChain, minP, repetitionPenalty, softmax, suppressFrom, temperature, topK, topP, type LogitsProcessor } from './processors.ts';
import type { RandomSource } from './random.ts';

/** The most likely token; the lowest id wins a tie, so greedy decoding is deterministic. */
export function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

/** Draws one token from softmax(logits) with one uniform number from `random`. */
export function sampleFrom(logits: Float32Array, random: RandomSource): number {
  const probs = softmax(logits);
  const u = random.next();
  let cumulative = 0;
  let last = -1;
  for (let i = 0; i < probs.length; i++) {
    if (probs[i] === 0) continue;
    cumulative += probs[i];
    last = i;
    if (u < cumulative) return i;
  }
  // Rounding can leave the sum a hair under u; the last candidate is the right answer then.
  return last === -1 ? argmax(logits) : last;
}

export interface TokenSampler {
  next(logits: Float32Array, history: readonly number[]): number;
}

/**
 * Composes the processor chain for one request, in HF's order: penalties first,
 * then temperature, then the truncations. Temperature 0 means greedy, and the
 * truncations are then moot.
 */
export function createSampler(params: GenerationParams, vocabularyLimit: number, random: RandomSource): TokenSampler {
  const shaping: LogitsProcessor[] = [suppressFrom(vocabularyLimit)];
  if (params.repetitionPenalty !== 1) shaping.push(repetitionPenalty(params.repetitionPenalty));
  if (params.temperature === 0) {
    return { next: (logits, history) => argmax(applyChain(shaping, logits, history)) };
  }
  const chain = [...shaping];
  if (params.temperature !== 1) chain.push(temperature(params.temperature));
  if (params.topK > 0) chain.push(topK(params.topK));
  if (params.topP < 1) chain.push(topP(params.topP));
  if (params.minP > 0) chain.push(minP(params.minP));
  return { next: (logits, history) => sampleFrom(applyChain(chain, logits, history), random) };
}
