import { describe, expect, it } from 'vitest';
import { validateChatRequest, validateLoadOptions, validateModelField } from '../../src/protocol/validation.ts';
import { ApiError } from '../../src/protocol/errors.ts';

const MODEL = 'deepseek-coder-1.3b-instruct';
const USER = { role: 'user', content: 'Write a function.' };

function body(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: MODEL, messages: [USER], ...extra };
}

/** Runs fn, expects an ApiError, and returns it. */
function caught(fn: () => unknown): ApiError {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ApiError);
  return thrown as ApiError;
}

interface Expected {
  param: string | null;
  status?: number;
  code?: string | null;
  type?: string;
}

function expectApiError(error: ApiError, expected: Expected) {
  const type = expected.type ?? 'invalid_request_error';
  const status = expected.status ?? 400;
  expect(error).toBeInstanceOf(Error);
  expect(error.name).toBe('ApiError');
  expect(error.error.type).toBe(type);
  expect(error.error.param).toBe(expected.param);
  expect(error.status).toBe(status);
  if (expected.code !== undefined) expect(error.error.code).toBe(expected.code);
  expect(typeof error.error.message).toBe('string');
  expect(error.error.message.length).toBeGreaterThan(0);
  expect(error.message).toBe(error.error.message);
  expect(error.toJSON()).toStrictEqual({
    error: { message: error.error.message, type, param: expected.param, code: error.error.code },
  });
  expect(Object.keys(error.toJSON().error).sort()).toEqual(['code', 'message', 'param', 'type']);
  // survives JSON serialisation in OpenAI's shape
  expect(JSON.parse(JSON.stringify(error))).toStrictEqual(error.toJSON());
}

function rejectsChat(input: unknown, expected: Expected, loaded: string | null = MODEL): ApiError {
  const error = caught(() => validateChatRequest(input, loaded));
  expectApiError(error, expected);
  return error;
}

describe('validateChatRequest: valid requests', () => {
  it('fills in every default', () => {
    expect(validateChatRequest(body(), MODEL)).toStrictEqual({
      model: MODEL,
      messages: [{ role: 'user', content: 'Write a function.' }],
      params: {
        temperature: 1,
        topP: 1,
        topK: 0,
        minP: 0,
        maxTokens: null,
        repetitionPenalty: 1,
        stop: [],
        seed: null,
      },
      stream: false,
      includeUsage: false,
    });
  });

  it('treats null like an omitted parameter', () => {
    const request = validateChatRequest(
      body({
        temperature: null,
        top_p: null,
        top_k: null,
        min_p: null,
        max_tokens: null,
        repetition_penalty: null,
        stop: null,
        seed: null,
        stream: null,
        stream_options: null,
      }),
      MODEL,
    );
    expect(request.params).toStrictEqual({
      temperature: 1,
      topP: 1,
      topK: 0,
      minP: 0,
      maxTokens: null,
      repetitionPenalty: 1,
      stop: [],
      seed: null,
    });
    expect(request.stream).toBe(false);
    expect(request.includeUsage).toBe(false);
  });

  it('maps every parameter to its camelCase field', () => {
    const request = validateChatRequest(
      body({
        temperature: 0.2,
        top_p: 0.9,
        top_k: 40,
        min_p: 0.05,
        max_tokens: 128,
        repetition_penalty: 1.1,
        stop: ['\n\n', '```'],
        seed: 7,
        stream: true,
        stream_options: { include_usage: true },
      }),
      MODEL,
    );
    expect(request.params).toStrictEqual({
      temperature: 0.2,
      topP: 0.9,
      topK: 40,
      minP: 0.05,
      maxTokens: 128,
      repetitionPenalty: 1.1,
      stop: ['\n\n', '```'],
      seed: 7,
    });
    expect(request.stream).toBe(true);
    expect(request.includeUsage).toBe(true);
  });

  it('accepts the boundary values of every range', () => {
    const low = validateChatRequest(
      body({ temperature: 0, top_p: 1, top_k: 0, min_p: 0, max_tokens: 1, seed: 0, repetition_penalty: 0.01 }),
      MODEL,
    );
    expect(low.params).toMatchObject({ temperature: 0, topP: 1, topK: 0, minP: 0, maxTokens: 1, seed: 0 });
    const high = validateChatRequest(body({ temperature: 2, min_p: 1, seed: 2 ** 32 - 1, top_p: 1e-6 }), MODEL);
    expect(high.params).toMatchObject({ temperature: 2, minP: 1, seed: 2 ** 32 - 1, topP: 1e-6 });
  });

  it('takes a single stop string as a one-element list, and up to 4 stops', () => {
    expect(validateChatRequest(body({ stop: 'END' }), MODEL).params.stop).toEqual(['END']);
    expect(validateChatRequest(body({ stop: ['a', 'b', 'c', 'd'] }), MODEL).params.stop).toEqual(['a', 'b', 'c', 'd']);
    expect(validateChatRequest(body({ stop: [] }), MODEL).params.stop).toEqual([]);
  });

  it('keeps messages of every role, in order, with only role and content', () => {
    const messages = [
      { role: 'system', content: 'You are helpful.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: '' },
      { role: 'user', content: 'Again', name: 'ignored-extra-field' },
    ];
    expect(validateChatRequest(body({ messages }), MODEL).messages).toStrictEqual([
      { role: 'system', content: 'You are helpful.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: '' },
      { role: 'user', content: 'Again' },
    ]);
  });

  it('stream true without stream_options does not include usage', () => {
    const request = validateChatRequest(body({ stream: true }), MODEL);
    expect(request.stream).toBe(true);
    expect(request.includeUsage).toBe(false);
    expect(validateChatRequest(body({ stream: true, stream_options: {} }), MODEL).includeUsage).toBe(false);
  });
});

describe('validateChatRequest: sampling parameters', () => {
  const cases: [string, unknown, string][] = [
    ['temperature', -1, 'invalid_value'],
    ['temperature', 2.5, 'invalid_value'],
    ['temperature', 'x', 'invalid_type'],
    ['temperature', Number.NaN, 'invalid_type'],
    ['temperature', Infinity, 'invalid_type'],
    ['temperature', true, 'invalid_type'],
    ['top_p', 0, 'invalid_value'],
    ['top_p', 1.5, 'invalid_value'],
    ['top_p', -0.5, 'invalid_value'],
    ['top_p', '0.5', 'invalid_type'],
    ['top_k', -1, 'invalid_value'],
    ['top_k', 1.5, 'invalid_type'],
    ['min_p', -0.1, 'invalid_value'],
    ['min_p', 1.1, 'invalid_value'],
    ['max_tokens', 0, 'invalid_value'],
    ['max_tokens', 1.5, 'invalid_type'],
    ['max_tokens', -3, 'invalid_value'],
    ['max_tokens', '100', 'invalid_type'],
    ['repetition_penalty', 0, 'invalid_value'],
    ['repetition_penalty', -1, 'invalid_value'],
    ['seed', -1, 'invalid_value'],
    ['seed', 1.5, 'invalid_type'],
    ['seed', 2 ** 32, 'invalid_value'],
    ['seed', [1], 'invalid_type'],
  ];
  for (const [param, value, code] of cases) {
    it(`${param} = ${typeof value === 'number' ? String(value) : JSON.stringify(value)} is rejected (${code})`, () => {
      const error = rejectsChat(body({ [param]: value }), { param, code });
      expect(error.error.message).toContain(param);
    });
  }

  it('names the range in the message', () => {
    expect(rejectsChat(body({ temperature: 2.5 }), { param: 'temperature' }).error.message).toContain('[0, 2]');
    expect(rejectsChat(body({ top_p: 0 }), { param: 'top_p' }).error.message).toContain('(0, 1]');
  });
});

describe('validateChatRequest: stop', () => {
  it('rejects more than 4 stop sequences', () => {
    rejectsChat(body({ stop: ['a', 'b', 'c', 'd', 'e'] }), { param: 'stop', code: 'invalid_value' });
  });

  it('rejects an empty stop string', () => {
    rejectsChat(body({ stop: [''] }), { param: 'stop', code: 'invalid_value' });
    rejectsChat(body({ stop: '' }), { param: 'stop', code: 'invalid_value' });
    rejectsChat(body({ stop: ['ok', ''] }), { param: 'stop', code: 'invalid_value' });
  });

  it('rejects a stop that is not a string or a list of strings', () => {
    rejectsChat(body({ stop: 42 }), { param: 'stop', code: 'invalid_type' });
    rejectsChat(body({ stop: ['a', 3] }), { param: 'stop', code: 'invalid_type' });
    rejectsChat(body({ stop: { a: 'b' } }), { param: 'stop', code: 'invalid_type' });
  });
});

describe('validateChatRequest: stream and stream_options', () => {
  it("rejects a non-boolean 'stream'", () => {
    rejectsChat(body({ stream: 'yes' }), { param: 'stream', code: 'invalid_type' });
    rejectsChat(body({ stream: 1 }), { param: 'stream', code: 'invalid_type' });
  });

  it("rejects stream_options without stream: true", () => {
    rejectsChat(body({ stream_options: { include_usage: true } }), { param: 'stream_options' });
    rejectsChat(body({ stream: false, stream_options: { include_usage: true } }), { param: 'stream_options' });
  });

  it('rejects stream_options that is not an object', () => {
    rejectsChat(body({ stream: true, stream_options: true }), { param: 'stream_options', code: 'invalid_type' });
    rejectsChat(body({ stream: true, stream_options: [] }), { param: 'stream_options', code: 'invalid_type' });
  });

  it('rejects an unknown key inside stream_options', () => {
    const error = caught(() => validateChatRequest(body({ stream: true, stream_options: { foo: 1 } }), MODEL));
    expect(error.status).toBe(400);
    expect(error.error.type).toBe('invalid_request_error');
    expect(error.error.code).toBe('unknown_parameter');
    expect(error.error.param).toBe('stream_options.foo');
    expect(error.error.message).toContain('foo');
  });

  it('rejects a non-boolean include_usage', () => {
    const error = caught(() =>
      validateChatRequest(body({ stream: true, stream_options: { include_usage: 'yes' } }), MODEL),
    );
    expect(error.status).toBe(400);
    expect(error.error.type).toBe('invalid_request_error');
    expect(error.error.code).toBe('invalid_type');
    expect(error.error.param).toBe('stream_options.include_usage');
    expect(error.error.message).toContain('include_usage');
  });
});

describe('validateChatRequest: unknown parameters and body shape', () => {
  it("rejects an unknown top-level parameter 'foo'", () => {
    const error = rejectsChat(body({ foo: 1 }), { param: 'foo', code: 'unknown_parameter' });
    expect(error.error.message).toBe('Unrecognized request argument supplied: foo');
  });

  it('rejects OpenAI parameters this engine does not support', () => {
    rejectsChat(body({ n: 2 }), { param: 'n', code: 'unknown_parameter' });
    rejectsChat(body({ logprobs: true }), { param: 'logprobs', code: 'unknown_parameter' });
  });

  for (const [label, input] of [
    ['null', null],
    ['undefined', undefined],
    ['a string', 'hello'],
    ['a number', 3],
    ['an array', [USER]],
  ] as [string, unknown][]) {
    it(`rejects a body that is ${label}`, () => {
      rejectsChat(input, { param: null, code: 'invalid_type' });
    });
  }
});

describe('validateChatRequest: model', () => {
  it('rejects a missing, empty, blank or non-string model', () => {
    rejectsChat({ messages: [USER] }, { param: 'model', code: 'invalid_type' });
    rejectsChat(body({ model: '' }), { param: 'model', code: 'invalid_type' });
    rejectsChat(body({ model: '   ' }), { param: 'model', code: 'invalid_type' });
    rejectsChat(body({ model: 42 }), { param: 'model', code: 'invalid_type' });
    rejectsChat(body({ model: null }), { param: 'model', code: 'invalid_type' });
  });

  it('answers 404 model_not_found for a model that is not loaded', () => {
    const error = rejectsChat(body({ model: 'gpt-4' }), { param: 'model', code: 'model_not_found', status: 404 });
    expect(error.error.message).toContain('gpt-4');
    expect(error.error.message).toContain(MODEL);
  });

  it('answers 404 model_not_found when no model is loaded at all', () => {
    const error = rejectsChat(body(), { param: 'model', code: 'model_not_found', status: 404 }, null);
    expect(error.error.message).toContain(MODEL);
  });

  it('validates the request before checking which model is loaded', () => {
    rejectsChat(body({ model: 'other', temperature: 9 }), { param: 'temperature', status: 400 });
  });

  it('validateModelField returns the model or throws', () => {
    expect(validateModelField('m')).toBe('m');
    expectApiError(
      caught(() => validateModelField('')),
      { param: 'model', code: 'invalid_type' },
    );
  });
});

describe('validateChatRequest: messages', () => {
  it('rejects messages that are not an array', () => {
    rejectsChat(body({ messages: 'hi' }), { param: 'messages', code: 'invalid_type' });
    rejectsChat(body({ messages: USER }), { param: 'messages', code: 'invalid_type' });
    rejectsChat({ model: MODEL }, { param: 'messages', code: 'invalid_type' });
  });

  it('rejects an empty messages array', () => {
    rejectsChat(body({ messages: [] }), { param: 'messages', code: 'empty_array' });
  });

  it('rejects a message that is not an object, naming its index', () => {
    rejectsChat(body({ messages: ['hi'] }), { param: 'messages[0]', code: 'invalid_type' });
    rejectsChat(body({ messages: [USER, null] }), { param: 'messages[1]', code: 'invalid_type' });
    rejectsChat(body({ messages: [USER, USER, [USER]] }), { param: 'messages[2]', code: 'invalid_type' });
  });

  it('rejects an unknown or missing role', () => {
    rejectsChat(body({ messages: [USER, { role: 'tool', content: 'x' }] }), {
      param: 'messages[1].role',
      code: 'invalid_value',
    });
    rejectsChat(body({ messages: [{ role: 'User', content: 'x' }] }), { param: 'messages[0].role' });
    rejectsChat(body({ messages: [{ content: 'x' }] }), { param: 'messages[0].role' });
    rejectsChat(body({ messages: [{ role: 1, content: 'x' }] }), { param: 'messages[0].role' });
  });

  for (const [label, content] of [
    ['a number', 5],
    ['an array', [{ type: 'text', text: 'hi' }]],
    ['null', null],
    ['missing', undefined],
  ] as [string, unknown][]) {
    it(`rejects content that is ${label}`, () => {
      rejectsChat(body({ messages: [{ role: 'user', content }] }), {
        param: 'messages[0].content',
        code: 'invalid_type',
      });
      rejectsChat(body({ messages: [USER, { role: 'assistant', content }] }), {
        param: 'messages[1].content',
        code: 'invalid_type',
      });
    });
  }

  it('reports the first offending message', () => {
    rejectsChat(body({ messages: [USER, { role: 'bot', content: 'x' }, { role: 'user', content: 3 }] }), {
      param: 'messages[1].role',
    });
  });
});

describe('validateLoadOptions', () => {
  it('accepts nothing, null or an empty object', () => {
    expect(validateLoadOptions(undefined)).toStrictEqual({});
    expect(validateLoadOptions(null)).toStrictEqual({});
    expect(validateLoadOptions({})).toStrictEqual({});
  });

  it('accepts every known device and dtype', () => {
    for (const device of ['webgpu', 'wasm', 'cpu']) {
      expect(validateLoadOptions({ device })).toStrictEqual({ device });
    }
    for (const dtype of ['fp32', 'fp16', 'q4', 'q4f16', 'q8']) {
      expect(validateLoadOptions({ dtype })).toStrictEqual({ dtype });
    }
    expect(validateLoadOptions({ device: 'wasm', dtype: 'q8' })).toStrictEqual({ device: 'wasm', dtype: 'q8' });
    expect(validateLoadOptions({ device: null, dtype: null })).toStrictEqual({});
  });

  it('rejects a bad device', () => {
    for (const device of ['cuda', 'WebGPU', 1, true]) {
      expectApiError(
        caught(() => validateLoadOptions({ device })),
        { param: 'device', code: 'invalid_value' },
      );
    }
  });

  it('rejects a bad dtype', () => {
    for (const dtype of ['int4', 'FP16', 16]) {
      expectApiError(
        caught(() => validateLoadOptions({ dtype })),
        { param: 'dtype', code: 'invalid_value' },
      );
    }
  });

  it('rejects options that are not an object', () => {
    for (const options of ['webgpu', 3, []]) {
      expectApiError(
        caught(() => validateLoadOptions(options)),
        { param: 'options', code: 'invalid_type' },
      );
    }
  });
});
