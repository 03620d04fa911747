import { describe, expect, it } from 'vitest';
import {
  SYSTEM_FINGERPRINT,
  assembleChatCompletion,
  contentChunk,
  finishChunk,
  newChunkContext,
  roleChunk,
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
import type { Timings, Usage } from '../../src/protocol/types.ts';

const context: ChunkContext = { id: 'chatcmpl-0123456789abcdef', created: 1_700_000_000, model: 'deepseek-coder' };
const timings: Timings = { time_to_first_token_ms: 120, prefill_tokens_per_second: 400.5, decode_tokens_per_second: 21.25 };
const usage: Usage = { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 };
const header = {
  id: context.id,
  object: 'chat.completion.chunk',
  created: context.created,
  model: context.model,
  system_fingerprint: SYSTEM_FINGERPRINT,
};

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

  it('makes a fresh id every time', () => {
    const ids = new Set(Array.from({ length: 100 }, () => newChunkContext('m').id));
    expect(ids.size).toBe(100);
  });
});

describe('chunk builders', () => {
  it('SYSTEM_FINGERPRINT looks like an OpenAI fingerprint', () => {
    expect(SYSTEM_FINGERPRINT).toMatch(/^fp_/);
  });

  it('roleChunk announces the assistant with empty content', () => {
    expect(roleChunk(context)).toStrictEqual({
      ...header,
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }],
    });
  });

  it('contentChunk carries only content in its delta', () => {
    expect(contentChunk(context, 'def f():')).toStrictEqual({
      ...header,
      choices: [{ index: 0, delta: { content: 'def f():' }, logprobs: null, finish_reason: null }],
    });
  });

  it('finishChunk has an empty delta, the finish reason and the timings', () => {
    expect(finishChunk(context, 'stop', timings)).toStrictEqual({
      ...header,
      choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }],
      timings,
    });
    expect(finishChunk(context, 'length', timings).choices[0].finish_reason).toBe('length');
  });

  it('usageChunk has no choices and the usage', () => {
    expect(usageChunk(context, usage)).toStrictEqual({ ...header, choices: [], usage });
  });

  it('chunks survive a JSON round trip unchanged (what an SSE transport does)', () => {
    for (const chunk of [
      roleChunk(context),
      contentChunk(context, 'x'),
      finishChunk(context, 'stop', timings),
      usageChunk(context, usage),
    ]) {
      expect(JSON.parse(JSON.stringify(chunk))).toStrictEqual(chunk);
    }
  });
});

describe('assembleChatCompletion', () => {
  const expectedCompletion = (content: string, finish: 'stop' | 'length') => ({
    id: context.id,
    object: 'chat.completion',
    created: context.created,
    model: context.model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices: [{ index: 0, message: { role: 'assistant', content }, logprobs: null, finish_reason: finish }],
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
    const other: ChunkContext = { id: 'chatcmpl-other', created: 5, model: 'x' };
    const completion = assembleChatCompletion([roleChunk(context), finishChunk(other, 'stop', timings)], usage);
    expect(completion.id).toBe(context.id);
    expect(completion.created).toBe(context.created);
    expect(completion.model).toBe(context.model);
  });

  it('throws on an empty stream', () => {
    expect(() => assembleChatCompletion([], usage)).toThrow(/empty stream/);
  });

  it('throws on a stream that never finished', () => {
    expect(() => assembleChatCompletion([roleChunk(context), contentChunk(context, 'partial')], usage)).toThrow(
      /unfinished/,
    );
    expect(() => assembleChatCompletion([roleChunk(context)], usage)).toThrow(/unfinished/);
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
