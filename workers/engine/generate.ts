import { cancelled } from '../../src/protocol/errors.ts';
import type { FinishReason, GenerationParams, Timings } from '../../src/protocol/types.ts';
import type { CausalLM } from './causal-lm.ts';
import { StreamingDetokenizer } from './detokenizer.ts';
import type { TokenConstraint } from './grammar/index.ts';
import { tokenLogprobs, type TokenLogprobs } from './sampling/logprobs.ts';
import { createRandom } from './sampling/random.ts';
import { createSampler } from './sampling/sampler.ts';
import { StopMatcher } from './stop-matcher.ts';

/**
 * Output that a grammar shapes. JSON modes start it at the first token. Tool
 * calls start it at the first token when a call is forced, or when the model
 * writes `trigger` when it may choose; their text is captured, not streamed.
 */
export interface ConstrainedOutput {
  /** A fresh constraint; `budget` is how many tokens may still be sampled, so it can close the JSON in time. */
  create(budget: number): Promise<TokenConstraint>;
  trigger: string | null;
  capture: boolean;
}

export interface GenerationResult {
  finishReason: FinishReason;
  completionTokens: number;
  timings: Timings;
  /** The constrained text a tool call produced, or null when there was none. */
  captured: string | null;
}

export interface GenerationArgs {
  promptIds: number[];
  params: GenerationParams;
  /** The seed this choice samples with (already resolved from the request's seed or drawn fresh). */
  seed: number;
  maxNewTokens: number;
  /**
   * `performance.now()` when the request's turn began, before tokenizing and
   * compiling any grammar: time to first token counts from here. Defaults to
   * the start of prefill (later choices of `n`).
   */
  startedAt?: number;
  signal?: AbortSignal;
  constrained?: ConstrainedOutput | null;
  /**
   * Receives text as it becomes final: complete characters, never part of a stop
   * string, with the log probabilities of the tokens that produced it when asked for.
   */
  onText: (text: string, logprobs: TokenLogprobs[]) => void;
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

const NO_TIMINGS: Timings = { time_to_first_token_ms: 0, prefill_tokens_per_second: 0, decode_tokens_per_second: 0 };

function perSecond(count: number, milliseconds: number): number {
  return milliseconds > 0 ? Math.round((count / milliseconds) * 1000 * 100) / 100 : 0;
}

/**
 * The decode loop: prefill (reusing whatever prefix the KV cache shares with the prompt), then mask → shape → sample → stop checks →
 * detokenize → forward, one token at a time. Before each token the loop yields
 * to the event loop and checks the abort signal, so an abort stops generation
 * within one token.
 */
export async function generate(lm: CausalLM, args: GenerationArgs): Promise<GenerationResult> {
  const { promptIds, params, maxNewTokens, signal, onText, constrained } = args;
  const checkpoint = () => {
    if (signal?.aborted) throw cancelled();
  };
  await yieldToEventLoop();
  checkpoint();
  if (maxNewTokens === 0) {
    // Completions with echo and max_tokens 0: the prompt alone, scored or not, and nothing generated.
    return { finishReason: 'length', completionTokens: 0, captured: null, timings: NO_TIMINGS };
  }
  const prefillStart = performance.now();
  const start = args.startedAt ?? prefillStart;
  const prefill = await lm.prefill(promptIds, checkpoint);
  let logits = prefill.logits;
  const prefillEnd = performance.now();

  const sampler = createSampler(params, lm.vocabularyLimit, createRandom(args.seed), promptIds.length);
  const eos = lm.eosTokenIds;
  const detokenizer = new StreamingDetokenizer(lm);
  const trigger = constrained?.trigger ?? null;
  const stopMatcher = new StopMatcher(trigger ? [...params.stop, trigger] : params.stop);
  const history = [...promptIds];
  let constraint = constrained && trigger === null ? await constrained.create(maxNewTokens) : null;
  let captured: string | null = constraint && constrained?.capture ? '' : null;
  let pendingLogprobs: TokenLogprobs[] = [];
  let completionTokens = 0;
  let firstTokenAt = 0;
  let finishReason: FinishReason = 'length';
  let stoppedByString = false;
  const emit = (text: string) => {
    if (!text) return;
    onText(text, pendingLogprobs);
    pendingLogprobs = [];
  };

  try {
    for (;;) {
      await yieldToEventLoop();
      checkpoint();
      await constraint?.mask(logits);
      const shaped = sampler.shape(logits, history);
      const token = sampler.choose(shaped, history);
      completionTokens += 1;
      if (completionTokens === 1) firstTokenAt = performance.now();
      if (eos.has(token)) {
        finishReason = captured !== null && constraint?.isTerminated() ? 'tool_calls' : 'stop';
        break;
      }
      constraint?.accept(token);
      history.push(token);
      const text = detokenizer.push(token);
      if (captured !== null) {
        captured += text;
      } else {
        if (params.topLogprobs !== null) pendingLogprobs.push(tokenLogprobs(shaped, token, params.topLogprobs));
        const match = stopMatcher.push(text);
        emit(match.text);
        if (match.stopped && trigger !== null && match.matched === trigger && constrained) {
          if (match.after?.trim()) {
            // The trigger's last token ran on into text the grammar never saw; it cannot start a clean call.
            emit(trigger + match.after);
          } else {
            // The model chose to call a tool: what follows the trigger must be a call.
            constraint = await constrained.create(maxNewTokens - completionTokens);
            captured = '';
          }
        } else if (match.stopped) {
          finishReason = 'stop';
          stoppedByString = true;
          break;
        }
      }
      if (completionTokens >= maxNewTokens) break;
      logits = await lm.forward([token]);
    }
  } finally {
    constraint?.dispose();
  }
  if (!stoppedByString) {
    // A character cut off by EOS or max_tokens still ends the text, as U+FFFD, with its tokens' logprobs.
    const tail = detokenizer.flush();
    if (captured !== null) captured += tail;
    else {
      const match = stopMatcher.push(tail);
      emit(match.text);
      if (match.stopped) finishReason = 'stop';
    }
  }
  // Held-back text that never became a stop string is real output. After a stop match nothing is held.
  emit(stopMatcher.flush());

  const end = performance.now();
  return {
    finishReason,
    completionTokens,
    captured,
    timings: {
      time_to_first_token_ms: Math.round((firstTokenAt - start) * 100) / 100,
      prefill_tokens_per_second: perSecond(promptIds.length - prefill.reusedTokens, prefillEnd - prefillStart),
      decode_tokens_per_second: perSecond(completionTokens - 1, end - firstTokenAt),
    },
  };
}
