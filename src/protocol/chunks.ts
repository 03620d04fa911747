import type {
  AssistantMessage,
  ChatCompletion,
  ChatCompletionChunk,
  ChatLogprobs,
  Completion,
  CompletionChoice,
  CompletionLogprobs,
  FinishReason,
  TokenLogprob,
  ToolCall,
  Timings,
  Usage,
} from './types.ts';

/** Identifies the engine build in `system_fingerprint`, as OpenAI does for its backends. */
export const SYSTEM_FINGERPRINT = 'fp_deepseek_coder_web';

export interface ChunkContext {
  id: string;
  created: number;
  model: string;
  /** stream_options.include_usage: as in OpenAI's streams, every chunk then has `usage`, null until the last. */
  includeUsage: boolean;
}

export function newChunkContext(model: string, prefix: 'chatcmpl' | 'cmpl' = 'chatcmpl', includeUsage = false): ChunkContext {
  return { id: `${prefix}-${crypto.randomUUID().replaceAll('-', '')}`, created: Math.floor(Date.now() / 1000), model, includeUsage };
}

function chatChunk(context: ChunkContext, choices: ChatCompletionChunk['choices']): ChatCompletionChunk {
  const chunk: ChatCompletionChunk = {
    id: context.id,
    object: 'chat.completion.chunk',
    created: context.created,
    model: context.model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices,
  };
  if (context.includeUsage) chunk.usage = null;
  return chunk;
}

/** The first chunk of every choice: the assistant role, no content yet. */
export function roleChunk(context: ChunkContext, index = 0): ChatCompletionChunk {
  return chatChunk(context, [{ index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]);
}

export function contentChunk(
  context: ChunkContext,
  content: string,
  index = 0,
  logprobs: TokenLogprob[] | null = null,
): ChatCompletionChunk {
  return chatChunk(context, [
    { index, delta: { content }, logprobs: logprobs ? { content: logprobs, refusal: null } : null, finish_reason: null },
  ]);
}

/** Tool calls arrive whole, in one delta: their arguments are only known to be valid once the grammar has closed them. */
export function toolCallChunk(context: ChunkContext, calls: ToolCall[], index = 0): ChatCompletionChunk {
  return chatChunk(context, [
    {
      index,
      delta: {
        tool_calls: calls.map((call, position) => ({
          index: position,
          id: call.id,
          type: 'function',
          function: { name: call.function.name, arguments: call.function.arguments },
        })),
      },
      logprobs: null,
      finish_reason: null,
    },
  ]);
}

/** Closes a choice. Our timings ride on it; usage waits for the usage chunk. */
export function finishChunk(context: ChunkContext, reason: FinishReason, timings: Timings, index = 0): ChatCompletionChunk {
  return { ...chatChunk(context, [{ index, delta: {}, logprobs: null, finish_reason: reason }]), timings };
}

/** stream_options.include_usage: a last chunk with usage and no choices. */
export function usageChunk(context: ChunkContext, usage: Usage): ChatCompletionChunk {
  return { ...chatChunk(context, []), usage };
}

interface ChoiceAccumulator {
  content: string;
  toolCalls: ToolCall[];
  logprobs: TokenLogprob[] | null;
  finishReason: FinishReason | null;
  timings?: Timings;
}

/**
 * Folds a complete stream into the non-streaming response. Streaming and
 * non-streaming share one path through the engine, so they cannot drift apart.
 * The top-level timings are the first choice's.
 */
export function assembleChatCompletion(chunks: ChatCompletionChunk[], usage: Usage): ChatCompletion {
  const first = chunks[0];
  if (!first) throw new Error('Cannot assemble a completion from an empty stream.');
  const choices = new Map<number, ChoiceAccumulator>();
  for (const item of chunks) {
    for (const choice of item.choices) {
      const accumulator = choices.get(choice.index) ?? { content: '', toolCalls: [], logprobs: null, finishReason: null };
      choices.set(choice.index, accumulator);
      accumulator.content += choice.delta.content ?? '';
      for (const call of choice.delta.tool_calls ?? []) {
        accumulator.toolCalls.push({
          id: call.id ?? '',
          type: 'function',
          function: { name: call.function.name ?? '', arguments: call.function.arguments },
        });
      }
      if (choice.logprobs?.content) accumulator.logprobs = [...(accumulator.logprobs ?? []), ...choice.logprobs.content];
      accumulator.finishReason = choice.finish_reason ?? accumulator.finishReason;
      if (choice.finish_reason) accumulator.timings = item.timings;
    }
  }
  const ordered = [...choices.entries()].sort(([a], [b]) => a - b);
  const timings = ordered[0]?.[1].timings;
  if (!timings || ordered.some(([, choice]) => !choice.finishReason)) {
    throw new Error('Cannot assemble a completion from an unfinished stream.');
  }
  return {
    id: first.id,
    object: 'chat.completion',
    created: first.created,
    model: first.model,
    system_fingerprint: first.system_fingerprint,
    choices: ordered.map(([index, choice]) => {
      const message: AssistantMessage = {
        role: 'assistant',
        content: choice.toolCalls.length > 0 && choice.content === '' ? null : choice.content,
        refusal: null,
      };
      if (choice.toolCalls.length > 0) message.tool_calls = choice.toolCalls;
      const logprobs: ChatLogprobs | null = choice.logprobs ? { content: choice.logprobs, refusal: null } : null;
      return { index, message, logprobs, finish_reason: choice.finishReason as FinishReason };
    }),
    usage,
    timings,
  };
}

/** A completions stream chunk, which has the same shape as a whole completion. */
export function textChunk(
  context: ChunkContext,
  choice: CompletionChoice,
  timings?: Timings,
): Completion {
  const chunk: Completion = {
    id: context.id,
    object: 'text_completion',
    created: context.created,
    model: context.model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices: [choice],
  };
  if (context.includeUsage) chunk.usage = null;
  if (timings) chunk.timings = timings;
  return chunk;
}

export function completionUsageChunk(context: ChunkContext, usage: Usage): Completion {
  return {
    id: context.id,
    object: 'text_completion',
    created: context.created,
    model: context.model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices: [],
    usage,
  };
}

function appendLogprobs(into: CompletionLogprobs | null, more: CompletionLogprobs | null): CompletionLogprobs | null {
  if (!more) return into;
  if (!into) return { tokens: [...more.tokens], token_logprobs: [...more.token_logprobs], top_logprobs: [...more.top_logprobs], text_offset: [...more.text_offset] };
  // Appended one by one: spreading a long echoed prompt's arrays as arguments would overflow the stack.
  for (const token of more.tokens) into.tokens.push(token);
  for (const logprob of more.token_logprobs) into.token_logprobs.push(logprob);
  for (const top of more.top_logprobs) into.top_logprobs.push(top);
  for (const offset of more.text_offset) into.text_offset.push(offset);
  return into;
}

/** Folds a completions stream into the non-streaming response; the top-level timings are the first choice's. */
export function assembleCompletion(chunks: Completion[], usage: Usage): Completion {
  const first = chunks[0];
  if (!first) throw new Error('Cannot assemble a completion from an empty stream.');
  const choices = new Map<number, CompletionChoice & { timings?: Timings }>();
  for (const item of chunks) {
    for (const choice of item.choices) {
      const accumulator = choices.get(choice.index) ?? { index: choice.index, text: '', logprobs: null, finish_reason: null };
      choices.set(choice.index, accumulator);
      accumulator.text += choice.text;
      accumulator.logprobs = appendLogprobs(accumulator.logprobs, choice.logprobs);
      if (choice.finish_reason) {
        accumulator.finish_reason = choice.finish_reason;
        accumulator.timings = item.timings;
      }
    }
  }
  const ordered = [...choices.values()].sort((a, b) => a.index - b.index);
  const timings = ordered[0]?.timings;
  if (!timings || ordered.some((choice) => !choice.finish_reason)) {
    throw new Error('Cannot assemble a completion from an unfinished stream.');
  }
  return {
    id: first.id,
    object: 'text_completion',
    created: first.created,
    model: first.model,
    system_fingerprint: first.system_fingerprint,
    choices: ordered.map(({ index, text, logprobs, finish_reason }) => ({ index, text, logprobs, finish_reason })),
    usage,
    timings,
  };
}
