import type { ChatCompletion, ChatCompletionChunk, FinishReason, Timings, Usage } from './types.ts';

/** Identifies the engine build in `system_fingerprint`, as OpenAI does for its backends. */
export const SYSTEM_FINGERPRINT = 'fp_deepseek_coder_web';

export interface ChunkContext {
  id: string;
  created: number;
  model: string;
}

export function newChunkContext(model: string): ChunkContext {
  return { id: `chatcmpl-${crypto.randomUUID().replaceAll('-', '')}`, created: Math.floor(Date.now() / 1000), model };
}

function chunk(context: ChunkContext, choices: ChatCompletionChunk['choices']): ChatCompletionChunk {
  return {
    id: context.id,
    object: 'chat.completion.chunk',
    created: context.created,
    model: context.model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices,
  };
}

/** The first chunk of every stream: the assistant role, no content yet. */
export function roleChunk(context: ChunkContext): ChatCompletionChunk {
  return chunk(context, [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]);
}

export function contentChunk(context: ChunkContext, content: string): ChatCompletionChunk {
  return chunk(context, [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }]);
}

/** Closes the choice. Our timings ride on it; usage waits for the usage chunk. */
export function finishChunk(context: ChunkContext, reason: FinishReason, timings: Timings): ChatCompletionChunk {
  return { ...chunk(context, [{ index: 0, delta: {}, logprobs: null, finish_reason: reason }]), timings };
}

/** stream_options.include_usage: a last chunk with usage and no choices. */
export function usageChunk(context: ChunkContext, usage: Usage): ChatCompletionChunk {
  return { ...chunk(context, []), usage };
}

/**
 * Folds a complete stream into the non-streaming response. Streaming and
 * non-streaming share one path through the engine, so they cannot drift apart.
 */
export function assembleChatCompletion(chunks: ChatCompletionChunk[], usage: Usage): ChatCompletion {
  const first = chunks[0];
  if (!first) throw new Error('Cannot assemble a completion from an empty stream.');
  let content = '';
  let finishReason: FinishReason | null = null;
  let timings: Timings | undefined;
  for (const item of chunks) {
    for (const choice of item.choices) {
      content += choice.delta.content ?? '';
      finishReason = choice.finish_reason ?? finishReason;
    }
    timings = item.timings ?? timings;
  }
  if (!finishReason || !timings) throw new Error('Cannot assemble a completion from an unfinished stream.');
  return {
    id: first.id,
    object: 'chat.completion',
    created: first.created,
    model: first.model,
    system_fingerprint: first.system_fingerprint,
    choices: [{ index: 0, message: { role: 'assistant', content }, logprobs: null, finish_reason: finishReason }],
    usage,
    timings,
  };
}
