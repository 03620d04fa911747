/**
 * Fidelity across runtimes: our engine's next-token logits against llama.cpp's
 * (wllama) on the same quantized weights. llama.cpp is an independent
 * implementation of the architecture, so agreement here is the strongest check
 * of the graph we can run without the real weights.
 *
 * Logits are compared as differences from one reference token (our top-1):
 * that is what decides sampling, and it is what llama.cpp's softmaxed output
 * gives back exactly (log p_i − log p_j = logit_i − logit_j).
 */
import type { TopLogprob } from '../../e2e/pages/bench-types.ts';

/** Tokens whose logits are compared: our top 10. */
export const TOP_K = 10;
/** Candidates asked of llama.cpp, so that our top 10 are among them even where the two orders differ. */
export const THEIR_K = 40;

export interface FidelityTolerance {
  /**
   * Largest allowed difference of a top logit (relative to the top-1), as a
   * fraction of our logits' standard deviation over the vocabulary, so that it
   * follows the scale of whichever model runs.
   */
  ofStandardDeviation: number;
  /** The same, relative to the spread of our top 10 (top-1 minus top-10). */
  relative: number;
  /** Fewest of our top 10 that must be in theirs. */
  minOverlap: number;
}

export interface FidelityCase {
  prompt: string;
  /** How many of our top 10 are in llama.cpp's top 10. */
  overlap: number;
  maxAbsoluteError: number;
  maxRelativeError: number;
  oursTop1: number;
  theirsTop1: number;
  /** Our top-1 minus top-2 logit. */
  margin: number;
  /** The absolute tolerance this case was held to, in logits. */
  absoluteTolerance: number;
  /** Greedy must agree only where the margin exceeds the absolute tolerance. */
  greedyChecked: boolean;
  greedyAgrees: boolean;
}

function topIds(logits: ArrayLike<number>, k: number): number[] {
  const top: number[] = [];
  for (let id = 0; id < logits.length; id++) {
    if (top.length < k || logits[id] > logits[top[top.length - 1]]) {
      top.push(id);
      top.sort((a, b) => logits[b] - logits[a]);
      if (top.length > k) top.pop();
    }
  }
  return top;
}

function standardDeviation(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  const mean = sum / values.length;
  let squares = 0;
  for (let i = 0; i < values.length; i++) squares += (values[i] - mean) ** 2;
  return Math.sqrt(squares / values.length);
}

export function compareNextToken(prompt: string, ours: ArrayLike<number>, theirs: TopLogprob[], tolerance: FidelityTolerance): FidelityCase {
  const absoluteTolerance = tolerance.ofStandardDeviation * standardDeviation(ours);
  const ourTop = topIds(ours, TOP_K);
  const reference = ourTop[0];
  const theirLogprob = new Map(theirs.map(({ id, logprob }) => [id, logprob]));
  const theirReference = theirLogprob.get(reference);
  let maxAbsoluteError = theirReference === undefined ? Infinity : 0;
  for (const id of ourTop) {
    const theirs = theirLogprob.get(id);
    if (theirs === undefined || theirReference === undefined) {
      maxAbsoluteError = Infinity;
      continue;
    }
    const error = Math.abs(ours[id] - ours[reference] - (theirs - theirReference));
    maxAbsoluteError = Math.max(maxAbsoluteError, error);
  }
  const spread = ours[reference] - ours[ourTop[ourTop.length - 1]];
  const theirTop = [...theirs].sort((a, b) => b.logprob - a.logprob);
  const theirTopIds = new Set(theirTop.slice(0, TOP_K).map(({ id }) => id));
  const margin = ours[reference] - ours[ourTop[1]];
  const theirsTop1 = theirTop[0]?.id ?? -1;
  return {
    prompt,
    overlap: ourTop.filter((id) => theirTopIds.has(id)).length,
    maxAbsoluteError,
    maxRelativeError: spread > 0 ? maxAbsoluteError / spread : Infinity,
    oursTop1: reference,
    theirsTop1,
    margin,
    absoluteTolerance,
    greedyChecked: margin > absoluteTolerance,
    greedyAgrees: theirsTop1 === reference,
  };
}

/** What fails a case, in words; empty when it passes. */
export function fidelityFailures(result: FidelityCase, tolerance: FidelityTolerance): string[] {
  const absolute = result.absoluteTolerance;
  const failures: string[] = [];
  if (result.overlap < tolerance.minOverlap) failures.push(`top-10 overlap ${result.overlap} < ${tolerance.minOverlap}`);
  if (!(result.maxAbsoluteError <= absolute)) failures.push(`largest logit error ${result.maxAbsoluteError.toFixed(4)} > ${absolute.toFixed(4)}`);
  if (!(result.maxRelativeError <= tolerance.relative)) failures.push(`relative error ${result.maxRelativeError.toFixed(4)} > ${tolerance.relative}`);
  if (result.greedyChecked && !result.greedyAgrees) {
    failures.push(`greedy token ${result.theirsTop1} ≠ ours ${result.oursTop1} with a margin of ${result.margin.toFixed(4)}`);
  }
  return failures.map((failure) => `${JSON.stringify(result.prompt)}: ${failure}`);
}
