import { describe, expect, it } from 'vitest';
import type {
  ChatCompletion as OpenAIChatCompletion,
  ChatCompletionChunk as OpenAIChatCompletionChunk,
} from 'openai/resources/chat/completions';
import {
  SYSTEM_FINGERPRINT,
  assembleChatCompletion,
  assembleCompletion,
  completionUsageChunk,
  contentChunk,
  finishChunk,
  newChunkContext,
  roleChunk,
  textChunk,
  toolCallChunk,
  usageChunk,
  type ChunkContext,
} from '../../src/protocol/chunks.ts';
import {
  ApiError,
  cancelled,
  invalidRequest,
  isWireError,
  modelNotFound,
  serverError,
  toApiError,
  toWire,
} from '../../src/protocol/errors.ts';
import type {
  ChatCompletionChunk,
  CompletionLogprobs,
  Timings,
  TokenLogprob,
  ToolCall,
  Usage,
} from '../../src/protocol/types.ts';

const context: ChunkContext = { id: 'chatcmpl-0123456789abcdef', created: 1_700_000_000, model: 'deepseek-coder', includeUsage: false };
const cmplContext: ChunkContext = { id: 'cmpl-0123456789abcdef', created: 1_700_000_001, model: 'deepseek-coder-base', includeUsage: false };
const timings: Timings = { time_to_first_token_ms: 120, prefill_tokens_per_second: 400.5, decode_tokens_per_second: 21.25 };
const timingsOf = (ms: number): Timings => ({ ...timings, time_to_first_token_ms: ms });
const usage: Usage = { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 };
const header = {
  id: context.id,
  object: 'chat.completion.chunk',
  created: context.created,
  model: context.model,
  system_fingerprint: SYSTEM_FINGERPRINT,
};
const cmplHeader = {
  id: cmplContext.id,
  object: 'text_completion',
  created: cmplContext.created,
  model: cmplContext.model,
  system_fingerprint: SYSTEM_FINGERPRINT,
};

const logprob = (token: string, value: number): TokenLogprob => ({
  token,
  logprob: value,
  bytes: [...new TextEncoder().encode(token)],
  top_logprobs: [{ token, logprob: value, bytes: [...new TextEncoder().encode(token)] }],
});

const CALL: ToolCall = { id: 'call_abc', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } };
const SECOND_CALL: ToolCall = { id: 'call_def', type: 'function', function: { name: 'get_time', arguments: '{}' } };

const sortedKeys = (value: object) => Object.keys(value).sort();

describe('newChunkContext', () => {
  it("makes an id 'chatcmpl-' + 32 hex digits, a Unix time in seconds, and keeps the model", () => {
    const before = Math.floor(Date.now() / 1000);
    const made = newChunkContext('m');
    const after = Math.floor(Date.now() / 1000);
    expect(made.id).toMatch(/^chatcmpl-[0-9a-f]{32}$/);
    expect(Number.isInteger(made.created)).toBe(true);
    expect(made.created).toBeGreaterThanOrEqual(before);
    expect(made.created).toBeLessThanOrEqual(after);
    expect(made.model).toBe('m');
  });

  it("makes a 'cmpl-' id for completions", () => {
    expect(newChunkContext('m', 'cmpl').id).toMatch(/^cmpl-[0-9a-f]{32}$/);
  });

  it('makes a fresh id every time', () => {
    const ids = new Set(Array.from({ length: 100 }, () => newChunkContext('m').id));
    expect(ids.size).toBe(100);
  });
});

describe('chat chunk builders', () => {
  it('SYSTEM_FINGERPRINT looks like an OpenAI fingerprint', () => {
    expect(SYSTEM_FINGERPRINT).toMatch(/^fp_/);
  });

  it('roleChunk announces the assistant with empty content, for choice 0 by default', () => {
    expect(roleChunk(context)).toStrictEqual({
      ...header,
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }],
    });
    expect(roleChunk(context, 2).choices[0].index).toBe(2);
  });

  it('contentChunk carries only content in its delta', () => {
    expect(contentChunk(context, 'def f():')).toStrictEqual({
      ...header,
      choices: [{ index: 0, delta: { content: 'def f():' }, logprobs: null, finish_reason: null }],
    });
  });

  it('contentChunk carries the choice index and its tokens’ logprobs', () => {
    const entries = [logprob('def', -0.5), logprob(' f', -1.25)];
    expect(contentChunk(context, 'def f', 1, entries)).toStrictEqual({
      ...header,
      choices: [{ index: 1, delta: { content: 'def f' }, logprobs: { content: entries, refusal: null }, finish_reason: null }],
    });
  });

  it('toolCallChunk carries whole calls, indexed by position', () => {
    expect(toolCallChunk(context, [CALL, SECOND_CALL], 3)).toStrictEqual({
      ...header,
      choices: [
        {
          index: 3,
          delta: {
            tool_calls: [
              { index: 0, id: 'call_abc', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
              { index: 1, id: 'call_def', type: 'function', function: { name: 'get_time', arguments: '{}' } },
            ],
          },
          logprobs: null,
          finish_reason: null,
        },
      ],
    });
    expect(toolCallChunk(context, [CALL]).choices[0].index).toBe(0);
  });

  it('finishChunk has an empty delta, the finish reason, the choice index and the timings', () => {
    expect(finishChunk(context, 'stop', timings)).toStrictEqual({
      ...header,
      choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }],
      timings,
    });
    expect(finishChunk(context, 'length', timings).choices[0].finish_reason).toBe('length');
    const toolCalls = finishChunk(context, 'tool_calls', timings, 4);
    expect(toolCalls.choices).toStrictEqual([{ index: 4, delta: {}, logprobs: null, finish_reason: 'tool_calls' }]);
  });

  it('usageChunk has no choices and the usage', () => {
    expect(usageChunk(context, usage)).toStrictEqual({ ...header, choices: [], usage });
  });

  it('with include_usage every other chunk carries usage: null, as OpenAI streams do', () => {
    const withUsage = { ...context, includeUsage: true };
    for (const chunk of [roleChunk(withUsage), contentChunk(withUsage, 'x'), toolCallChunk(withUsage, [CALL]), finishChunk(withUsage, 'stop', timings)]) {
      expect(chunk.usage).toBeNull();
    }
    expect(usageChunk(withUsage, usage).usage).toStrictEqual(usage);
    expect(assembleChatCompletion([roleChunk(withUsage), contentChunk(withUsage, 'x'), finishChunk(withUsage, 'stop', timings)], usage).usage).toStrictEqual(usage);
  });

  it('every chunk has exactly OpenAI’s keys (plus timings on the finishing chunk)', () => {
    const base = ['choices', 'created', 'id', 'model', 'object', 'system_fingerprint'];
    const choiceKeys = ['delta', 'finish_reason', 'index', 'logprobs'];
    for (const chunk of [roleChunk(context), contentChunk(context, 'x'), toolCallChunk(context, [CALL])]) {
      expect(sortedKeys(chunk)).toEqual(base);
      expect(sortedKeys(chunk.choices[0])).toEqual(choiceKeys);
    }
    expect(sortedKeys(finishChunk(context, 'stop', timings))).toEqual([...base, 'timings'].sort());
    expect(sortedKeys(usageChunk(context, usage))).toEqual([...base, 'usage'].sort());
    expect(sortedKeys(toolCallChunk(context, [CALL]).choices[0].delta.tool_calls?.[0] ?? {})).toEqual([
      'function',
      'id',
      'index',
      'type',
    ]);
  });

  it('chunks are OpenAI SDK chunks and survive a JSON round trip unchanged (what an SSE transport does)', () => {
    const chunks: OpenAIChatCompletionChunk[] = [
      roleChunk(context),
      contentChunk(context, 'x', 0, [logprob('x', -0.1)]),
      toolCallChunk(context, [CALL]),
      finishChunk(context, 'stop', timings),
      usageChunk(context, usage),
    ];
    for (const chunk of chunks) expect(JSON.parse(JSON.stringify(chunk))).toStrictEqual(chunk);
  });
});

describe('assembleChatCompletion', () => {
  const expectedCompletion = (content: string, finish: 'stop' | 'length') => ({
    id: context.id,
    object: 'chat.completion',
    created: context.created,
    model: context.model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: finish }],
    usage,
    timings,
  });

  it('folds a stream into the exact non-streaming shape', () => {
    const chunks = [
      roleChunk(context),
      contentChunk(context, 'Hel'),
      contentChunk(context, 'lo'),
      contentChunk(context, ', world'),
      finishChunk(context, 'stop', timings),
    ];
    expect(assembleChatCompletion(chunks, usage)).toStrictEqual(expectedCompletion('Hello, world', 'stop'));
  });

  it('has exactly OpenAI’s keys at every level (plus timings) and is an OpenAI SDK ChatCompletion', () => {
    const completion: OpenAIChatCompletion = assembleChatCompletion(
      [roleChunk(context), contentChunk(context, 'a'), finishChunk(context, 'stop', timings)],
      usage,
    );
    expect(sortedKeys(completion)).toEqual(['choices', 'created', 'id', 'model', 'object', 'system_fingerprint', 'timings', 'usage']);
    expect(sortedKeys(completion.choices[0])).toEqual(['finish_reason', 'index', 'logprobs', 'message']);
    expect(sortedKeys(completion.choices[0].message)).toEqual(['content', 'refusal', 'role']);
    expect(sortedKeys(completion.usage ?? {})).toEqual(['completion_tokens', 'prompt_tokens', 'total_tokens']);
  });

  it('takes the finish reason and ignores a trailing usage chunk (usage comes from the argument)', () => {
    const otherUsage: Usage = { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 };
    const chunks = [
      roleChunk(context),
      contentChunk(context, 'abc'),
      finishChunk(context, 'length', timings),
      usageChunk(context, otherUsage),
    ];
    expect(assembleChatCompletion(chunks, usage)).toStrictEqual(expectedCompletion('abc', 'length'));
  });

  it('handles an empty answer', () => {
    const chunks = [roleChunk(context), finishChunk(context, 'stop', timings)];
    expect(assembleChatCompletion(chunks, usage)).toStrictEqual(expectedCompletion('', 'stop'));
  });

  it('takes id, created and model from the first chunk', () => {
    const other: ChunkContext = { id: 'chatcmpl-other', created: 5, model: 'x', includeUsage: false };
    const completion = assembleChatCompletion([roleChunk(context), finishChunk(other, 'stop', timings)], usage);
    expect(completion.id).toBe(context.id);
    expect(completion.created).toBe(context.created);
    expect(completion.model).toBe(context.model);
  });

  it('n = 3 run one after another: choices in order, each with its own text and finish reason', () => {
    const chunks: ChatCompletionChunk[] = [];
    const texts = [['a', 'b'], ['c'], ['d', 'e', 'f']];
    const reasons = ['stop', 'length', 'stop'] as const;
    texts.forEach((pieces, index) => {
      chunks.push(roleChunk(context, index));
      for (const piece of pieces) chunks.push(contentChunk(context, piece, index));
      chunks.push(finishChunk(context, reasons[index], timingsOf(100 + index), index));
    });
    const completion = assembleChatCompletion(chunks, usage);
    expect(completion.choices).toStrictEqual([
      { index: 0, message: { role: 'assistant', content: 'ab', refusal: null }, logprobs: null, finish_reason: 'stop' },
      { index: 1, message: { role: 'assistant', content: 'c', refusal: null }, logprobs: null, finish_reason: 'length' },
      { index: 2, message: { role: 'assistant', content: 'def', refusal: null }, logprobs: null, finish_reason: 'stop' },
    ]);
    // the top-level timings are the first choice's
    expect(completion.timings).toStrictEqual(timingsOf(100));
  });

  it('n = 3 interleaved, starting with the last choice: the same result, sorted by index', () => {
    const chunks = [
      roleChunk(context, 2),
      roleChunk(context, 0),
      contentChunk(context, 'x', 2),
      roleChunk(context, 1),
      contentChunk(context, 'A', 0),
      contentChunk(context, 'm', 1),
      contentChunk(context, 'y', 2),
      contentChunk(context, 'B', 0),
      finishChunk(context, 'stop', timingsOf(3), 2),
      finishChunk(context, 'length', timingsOf(1), 0),
      contentChunk(context, 'n', 1),
      finishChunk(context, 'stop', timingsOf(2), 1),
      usageChunk(context, usage),
    ];
    const completion = assembleChatCompletion(chunks, usage);
    expect(completion.choices.map((choice) => [choice.index, choice.message.content, choice.finish_reason])).toEqual([
      [0, 'AB', 'length'],
      [1, 'mn', 'stop'],
      [2, 'xy', 'stop'],
    ]);
    expect(completion.timings).toStrictEqual(timingsOf(1));
  });

  it('concatenates each choice’s logprobs in order; a choice without any has null', () => {
    const a = logprob('Hel', -0.5);
    const b = logprob('lo', -0.25);
    const c = logprob('!', -2);
    const chunks = [
      roleChunk(context, 0),
      roleChunk(context, 1),
      contentChunk(context, 'Hel', 0, [a]),
      contentChunk(context, 'plain', 1),
      contentChunk(context, 'lo!', 0, [b, c]),
      finishChunk(context, 'stop', timings, 0),
      finishChunk(context, 'stop', timings, 1),
    ];
    const completion = assembleChatCompletion(chunks, usage);
    expect(completion.choices[0].logprobs).toStrictEqual({ content: [a, b, c], refusal: null });
    expect(completion.choices[1].logprobs).toBeNull();
    // the chunks already handed out are left as they were
    expect(chunks[2].choices[0].logprobs).toStrictEqual({ content: [a], refusal: null });
  });

  it('a tool call: content null, the tool_calls, and finish_reason tool_calls', () => {
    const completion = assembleChatCompletion(
      [roleChunk(context), toolCallChunk(context, [CALL]), finishChunk(context, 'tool_calls', timings)],
      usage,
    );
    expect(completion.choices).toStrictEqual([
      {
        index: 0,
        message: { role: 'assistant', content: null, refusal: null, tool_calls: [CALL] },
        logprobs: null,
        finish_reason: 'tool_calls',
      },
    ]);
    expect(sortedKeys(completion.choices[0].message)).toEqual(['content', 'refusal', 'role', 'tool_calls']);
  });

  it('text written before a tool call stays as content next to the calls', () => {
    const completion = assembleChatCompletion(
      [
        roleChunk(context),
        contentChunk(context, 'Let me check. '),
        toolCallChunk(context, [CALL, SECOND_CALL]),
        finishChunk(context, 'tool_calls', timings),
      ],
      usage,
    );
    expect(completion.choices[0].message).toStrictEqual({
      role: 'assistant',
      content: 'Let me check. ',
      refusal: null,
      tool_calls: [CALL, SECOND_CALL],
    });
  });

  it('tool calls stay with their own choice when n > 1', () => {
    const completion = assembleChatCompletion(
      [
        roleChunk(context, 0),
        toolCallChunk(context, [CALL], 0),
        finishChunk(context, 'tool_calls', timings, 0),
        roleChunk(context, 1),
        contentChunk(context, 'No tool needed.', 1),
        finishChunk(context, 'stop', timings, 1),
      ],
      usage,
    );
    expect(completion.choices.map((choice) => choice.message)).toStrictEqual([
      { role: 'assistant', content: null, refusal: null, tool_calls: [CALL] },
      { role: 'assistant', content: 'No tool needed.', refusal: null },
    ]);
    expect(completion.choices.map((choice) => choice.finish_reason)).toEqual(['tool_calls', 'stop']);
  });

  it('throws on an empty stream', () => {
    expect(() => assembleChatCompletion([], usage)).toThrow(/empty stream/);
  });

  it('throws on a stream that never finished', () => {
    expect(() => assembleChatCompletion([roleChunk(context), contentChunk(context, 'partial')], usage)).toThrow(
      /unfinished/,
    );
    expect(() => assembleChatCompletion([roleChunk(context)], usage)).toThrow(/unfinished/);
    expect(() => assembleChatCompletion([usageChunk(context, usage)], usage)).toThrow(/unfinished/);
  });

  it('throws when any one of several choices never finished', () => {
    const chunks = [
      roleChunk(context, 0),
      finishChunk(context, 'stop', timings, 0),
      roleChunk(context, 1),
      contentChunk(context, 'cut', 1),
      roleChunk(context, 2),
      finishChunk(context, 'stop', timings, 2),
    ];
    expect(() => assembleChatCompletion(chunks, usage)).toThrow(/unfinished/);
  });
});

const legacy = (tokens: string[], values: number[], offsets: number[]): CompletionLogprobs => ({
  tokens,
  token_logprobs: values,
  top_logprobs: tokens.map((token, i) => ({ [token]: values[i] })),
  text_offset: offsets,
});

describe('completion chunk builders', () => {
  it('textChunk wraps one choice, with no usage and no timings until the choice finishes', () => {
    const choice = { index: 1, text: 'return', logprobs: null, finish_reason: null };
    expect(textChunk(cmplContext, choice)).toStrictEqual({ ...cmplHeader, choices: [choice] });
    expect(sortedKeys(textChunk(cmplContext, choice))).toEqual(['choices', 'created', 'id', 'model', 'object', 'system_fingerprint']);
    expect(sortedKeys(choice)).toEqual(['finish_reason', 'index', 'logprobs', 'text']);
  });

  it('textChunk with timings closes a choice', () => {
    const choice = { index: 0, text: '', logprobs: null, finish_reason: 'stop' as const };
    expect(textChunk(cmplContext, choice, timings)).toStrictEqual({ ...cmplHeader, choices: [choice], timings });
  });

  it('completionUsageChunk has no choices and the usage', () => {
    expect(completionUsageChunk(cmplContext, usage)).toStrictEqual({ ...cmplHeader, choices: [], usage });
  });

  it('with include_usage every text chunk carries usage: null until the usage chunk', () => {
    const withUsage = { ...cmplContext, includeUsage: true };
    const choice = { index: 0, text: 'x', logprobs: null, finish_reason: null };
    expect(textChunk(withUsage, choice)).toStrictEqual({ ...cmplHeader, choices: [choice], usage: null });
    expect(completionUsageChunk(withUsage, usage).usage).toStrictEqual(usage);
  });
});

describe('assembleCompletion', () => {
  it('folds a stream into the exact non-streaming completion', () => {
    const chunks = [
      textChunk(cmplContext, { index: 0, text: '    return', logprobs: null, finish_reason: null }),
      textChunk(cmplContext, { index: 0, text: ' a + b', logprobs: null, finish_reason: null }),
      textChunk(cmplContext, { index: 0, text: '', logprobs: null, finish_reason: 'stop' }, timings),
      completionUsageChunk(cmplContext, { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }),
    ];
    const completion = assembleCompletion(chunks, usage);
    expect(completion).toStrictEqual({
      ...cmplHeader,
      choices: [{ index: 0, text: '    return a + b', logprobs: null, finish_reason: 'stop' }],
      usage,
      timings,
    });
    expect(sortedKeys(completion)).toEqual(['choices', 'created', 'id', 'model', 'object', 'system_fingerprint', 'timings', 'usage']);
    expect(sortedKeys(completion.choices[0])).toEqual(['finish_reason', 'index', 'logprobs', 'text']);
  });

  it('appends the legacy logprobs arrays in order; the echo’s empty arrays add nothing', () => {
    const first = legacy(['def', ' f'], [-0.5, -1], [8, 11]);
    const second = legacy(['():'], [-0.25], [13]);
    const empty = legacy([], [], []);
    const chunks = [
      textChunk(cmplContext, { index: 0, text: 'prompt: ', logprobs: empty, finish_reason: null }),
      textChunk(cmplContext, { index: 0, text: 'def f', logprobs: first, finish_reason: null }),
      textChunk(cmplContext, { index: 0, text: '():', logprobs: second, finish_reason: null }),
      textChunk(cmplContext, { index: 0, text: '', logprobs: empty, finish_reason: 'length' }, timings),
    ];
    const completion = assembleCompletion(chunks, usage);
    expect(completion.choices[0]).toStrictEqual({
      index: 0,
      text: 'prompt: def f():',
      logprobs: {
        tokens: ['def', ' f', '():'],
        token_logprobs: [-0.5, -1, -0.25],
        top_logprobs: [{ def: -0.5 }, { ' f': -1 }, { '():': -0.25 }],
        text_offset: [8, 11, 13],
      },
      finish_reason: 'length',
    });
    expect(sortedKeys(completion.choices[0].logprobs ?? {})).toEqual(['text_offset', 'token_logprobs', 'tokens', 'top_logprobs']);
    // the chunks already handed out are left as they were
    expect(first).toStrictEqual(legacy(['def', ' f'], [-0.5, -1], [8, 11]));
    expect(empty).toStrictEqual(legacy([], [], []));
  });

  it('n = 3 interleaved: choices sorted by index, each with its own text, logprobs and finish reason', () => {
    const chunks = [
      textChunk(cmplContext, { index: 1, text: 'B', logprobs: legacy(['B'], [-1], [0]), finish_reason: null }),
      textChunk(cmplContext, { index: 0, text: 'A', logprobs: legacy(['A'], [-0.5], [0]), finish_reason: null }),
      textChunk(cmplContext, { index: 2, text: 'C', logprobs: legacy(['C'], [-2], [0]), finish_reason: null }),
      textChunk(cmplContext, { index: 1, text: 'b', logprobs: legacy(['b'], [-3], [1]), finish_reason: null }),
      textChunk(cmplContext, { index: 2, text: '', logprobs: legacy([], [], []), finish_reason: 'length' }, timingsOf(30)),
      textChunk(cmplContext, { index: 0, text: '', logprobs: legacy([], [], []), finish_reason: 'stop' }, timingsOf(10)),
      textChunk(cmplContext, { index: 1, text: '', logprobs: legacy([], [], []), finish_reason: 'stop' }, timingsOf(20)),
    ];
    const completion = assembleCompletion(chunks, usage);
    expect(completion.choices).toStrictEqual([
      { index: 0, text: 'A', logprobs: legacy(['A'], [-0.5], [0]), finish_reason: 'stop' },
      { index: 1, text: 'Bb', logprobs: legacy(['B', 'b'], [-1, -3], [0, 1]), finish_reason: 'stop' },
      { index: 2, text: 'C', logprobs: legacy(['C'], [-2], [0]), finish_reason: 'length' },
    ]);
    expect(completion.timings).toStrictEqual(timingsOf(10));
  });

  it('takes id, created and model from the first chunk and usage from the argument', () => {
    const other: ChunkContext = { id: 'cmpl-other', created: 1, model: 'other', includeUsage: false };
    const completion = assembleCompletion(
      [
        textChunk(cmplContext, { index: 0, text: 'x', logprobs: null, finish_reason: null }),
        textChunk(other, { index: 0, text: '', logprobs: null, finish_reason: 'stop' }, timings),
      ],
      usage,
    );
    expect([completion.id, completion.created, completion.model]).toEqual([cmplContext.id, cmplContext.created, cmplContext.model]);
    expect(completion.usage).toStrictEqual(usage);
  });

  it('throws on an empty stream', () => {
    expect(() => assembleCompletion([], usage)).toThrow(/empty stream/);
  });

  it('throws on a stream that never finished, or where one choice never finished', () => {
    expect(() =>
      assembleCompletion([textChunk(cmplContext, { index: 0, text: 'x', logprobs: null, finish_reason: null })], usage),
    ).toThrow(/unfinished/);
    expect(() => assembleCompletion([completionUsageChunk(cmplContext, usage)], usage)).toThrow(/unfinished/);
    expect(() =>
      assembleCompletion(
        [
          textChunk(cmplContext, { index: 0, text: '', logprobs: null, finish_reason: 'stop' }, timings),
          textChunk(cmplContext, { index: 1, text: 'cut', logprobs: null, finish_reason: null }),
        ],
        usage,
      ),
    ).toThrow(/unfinished/);
  });

  it('survives a JSON round trip unchanged', () => {
    const completion = assembleCompletion(
      [textChunk(cmplContext, { index: 0, text: 'x', logprobs: legacy(['x'], [-0.1], [0]), finish_reason: 'stop' }, timings)],
      usage,
    );
    expect(JSON.parse(JSON.stringify(completion))).toStrictEqual(completion);
  });
});

describe('ApiError and its helpers', () => {
  it('is an Error whose toJSON is exactly OpenAI\'s error envelope', () => {
    const error = invalidRequest('bad', 'temperature');
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.name).toBe('ApiError');
    expect(error.message).toBe('bad');
    expect(error.status).toBe(400);
    expect(error.toJSON()).toStrictEqual({
      error: { message: 'bad', type: 'invalid_request_error', param: 'temperature', code: 'invalid_value' },
    });
    expect(JSON.parse(JSON.stringify(error))).toStrictEqual(error.toJSON());
  });

  it('invalidRequest takes a code, including null', () => {
    expect(invalidRequest('m', null, 'invalid_type').error).toStrictEqual({
      message: 'm',
      type: 'invalid_request_error',
      param: null,
      code: 'invalid_type',
    });
    expect(invalidRequest('m', 'p', null).error.code).toBeNull();
  });

  it('modelNotFound is a 404 on param model', () => {
    const error = modelNotFound('gpt-4', 'is not loaded.');
    expect(error.status).toBe(404);
    expect(error.error).toStrictEqual({
      message: "The model 'gpt-4' is not loaded.",
      type: 'invalid_request_error',
      param: 'model',
      code: 'model_not_found',
    });
  });

  it('cancelled is a 499 with code aborted', () => {
    const error = cancelled();
    expect(error.status).toBe(499);
    expect(error.error).toStrictEqual({
      message: 'The request was aborted.',
      type: 'cancelled',
      param: null,
      code: 'aborted',
    });
  });

  it('serverError is a 500', () => {
    const error = serverError('kaput', 'oom');
    expect(error.status).toBe(500);
    expect(error.error).toStrictEqual({ message: 'kaput', type: 'server_error', param: null, code: 'oom' });
    expect(serverError('x').error.code).toBeNull();
  });
});

describe('toApiError / toWire / isWireError', () => {
  it('keeps an ApiError as the same object', () => {
    const error = invalidRequest('bad', 'top_p');
    expect(toApiError(error)).toBe(error);
  });

  it('round-trips an ApiError through its wire form (as across postMessage)', () => {
    for (const original of [invalidRequest('bad', 'messages[1].role'), modelNotFound('x', 'gone.'), cancelled()]) {
      const wire = toWire(original);
      expect(wire).toStrictEqual({ error: original.error, status: original.status });
      // what structured clone keeps: plain data, no class
      const cloned: unknown = structuredClone(wire);
      expect(isWireError(cloned)).toBe(true);
      const back = toApiError(cloned);
      expect(back).toBeInstanceOf(ApiError);
      expect(back.status).toBe(original.status);
      expect(back.error).toStrictEqual(original.error);
      expect(back.message).toBe(original.message);
      expect(back.toJSON()).toStrictEqual(original.toJSON());
    }
  });

  it('isWireError needs a numeric status and a string message', () => {
    expect(isWireError({ status: 400, error: { message: 'x' } })).toBe(true);
    expect(isWireError(null)).toBe(false);
    expect(isWireError(undefined)).toBe(false);
    expect(isWireError('error')).toBe(false);
    expect(isWireError({})).toBe(false);
    expect(isWireError({ status: '400', error: { message: 'x' } })).toBe(false);
    expect(isWireError({ status: 400 })).toBe(false);
    expect(isWireError({ status: 400, error: { message: 5 } })).toBe(false);
    expect(isWireError({ error: { message: 'x' } })).toBe(false);
  });

  it('turns an AbortError DOMException into cancelled', () => {
    const error = toApiError(new DOMException('stop', 'AbortError'));
    expect(error.status).toBe(499);
    expect(error.error.code).toBe('aborted');
    expect(error.error.type).toBe('cancelled');
  });

  it('turns any other throwable into a 500 server_error with its message', () => {
    const fromError = toApiError(new TypeError('undefined is not a function'));
    expect(fromError.status).toBe(500);
    expect(fromError.error).toStrictEqual({
      message: 'undefined is not a function',
      type: 'server_error',
      param: null,
      code: null,
    });
    expect(toApiError('plain string').error.message).toBe('plain string');
    expect(toApiError(42).error.message).toBe('42');
    expect(toApiError(new DOMException('x', 'NotFoundError')).status).toBe(500);
  });
});
