import { cancelled } from '../../src/protocol/errors.ts';
import type { FinishReason, GenerationParams, Timings } from '../../src/protocol/types.ts';
import type { CausalLM } from './causal-lm.ts';
import { StreamingDetokenizer } from './detokenizer.ts';
import { createRandom, freshSeed } from './sampling/random.ts';
import { createSampler } from './sampling/sampler.ts';
import { StopMatcher } from './stop-matcher.ts';

export interface GenerationResult {
  finishReason: FinishReason;
  completionTokens: number;
  timings: Timings;
}

export interface GenerationArgs {
  promptIds: number[];
  params: GenerationParams;
  maxNewTokens: number;
  signal?: AbortSignal;
  /** Receives text as it becomes final: complete characters, never part of a stop string. */
  onText: (text: string) => void;
}

/**
 * Lets queued messages (an abort, a new request) run. ORT's WASM backend can
 * resolve a whole forward pass through microtasks alone, which would starve the
 * worker's message queue until the generation ends. A MessageChannel round trip
 * is an ordinary task: it waits behind those messages, with none of the 4 ms
 * clamping of nested timers (scheduler.yield would jump ahead of them instead).
 */
const yieldChannel = typeof MessageChannel === 'function' && typeof setImmediate !== 'function' ? new MessageChannel() : null;
const yieldWaiters: (() => void)[] = [];
if (yieldChannel) yieldChannel.port1.onmessage = () => yieldWaiters.shift()?.();

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    if (!yieldChannel) return setImmediate(resolve);
    yieldWaiters.push(resolve);
    yieldChannel.port2.postMessage(null);
  });
}

function perSecond(count: number, milliseconds: number): number {
  return milliseconds > 0 ? Math.round((count / milliseconds) * 1000 * 100) / 100 : 0;
}

/**
 * The decode loop: prefill, then sample → stop checks → detokenize → forward,
 * one token at a time. Before each token the loop yields to the event loop and
 * checks the abort signal, so an abort stops generation within one token.
 */
export async function generate(lm: CausalLM, args: GenerationArgs): Promise<GenerationResult> {
  const { promptIds, params, maxNewTokens, signal, onText } = args;
  const checkpoint = () => {
    if (signal?.aborted) throw cancelled();
  };
  await yieldToEventLoop();
  checkpoint();
  const start = performance.now();
  await lm.reset();
  let logits = await lm.forward(promptIds, checkpoint);
  const prefillEnd = performance.now();

  const sampler = createSampler(params, lm.vocabularyLimit, createRandom(params.seed ?? freshSeed()));
  const eos = lm.eosTokenIds;
  const detokenizer = new StreamingDetokenizer(lm);
  const stopMatcher = new StopMatcher(params.stop);
  const history = [...promptIds];
  let completionTokens = 0;
  let firstTokenAt = 0;
  let finishReason: FinishReason = 'length';

  for (;;) {
    await yieldToEventLoop();
    checkpoint();
    const token = sampler.next(logits, history);
    completionTokens += 1;
    if (completionTokens === 1) firstTokenAt = performance.now();
    if (eos.has(token)) {
      finishReason = 'stop';
      break;
    }
    history.push(token);
    const { text, stopped } = stopMatcher.push(detokenizer.push(token));
    if (text) onText(text);
    if (stopped) {
      finishReason = 'stop';
      break;
    }
    if (completionTokens >= maxNewTokens) break;
    logits = await lm.forward([token]);
  }
  // Held-back text that never became a stop string is real output. After a stop match nothing is held.
  const rest = stopMatcher.flush();
  if (rest) onText(rest);

  const end = performance.now();
  return {
    finishReason,
    completionTokens,
    timings: {
      time_to_first_token_ms: Math.round((firstTokenAt - start) * 100) / 100,
      prefill_tokens_per_second: perSecond(promptIds.length, prefillEnd - start),
      decode_tokens_per_second: perSecond(completionTokens - 1, end - firstTokenAt),
    },
  };
}
