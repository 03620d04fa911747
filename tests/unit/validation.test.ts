import { describe, expect, it } from 'vitest';
import {
  validateChatRequest,
  validateCompletionRequest,
  validateLoadOptions,
  validateModelField,
} from '../../src/protocol/validation.ts';
import { ApiError } from '../../src/protocol/errors.ts';
import { checkTextFitsContext } from '../../src/protocol/bounds.ts';
import type { GenerationParams } from '../../src/protocol/types.ts';

const MODEL = 'deepseek-coder-1.3b-instruct';
const USER = { role: 'user', content: 'Write a function.' };
const WEATHER_TOOL = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather in a city.',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};
const TIME_TOOL = { type: 'function', function: { name: 'get_time' } };
const CALL = { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } };

function body(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: MODEL, messages: [USER], ...extra };
}

function completionBody(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: MODEL, prompt: 'def fib(n):', ...extra };
}

const DEFAULT_PARAMS: GenerationParams = {
  temperature: 1,
  topP: 1,
  topK: 0,
  minP: 0,
  maxTokens: null,
  frequencyPenalty: 0,
  presencePenalty: 0,
  repetitionPenalty: 1,
  logitBias: new Map(),
  stop: [],
  seed: null,
  topLogprobs: null,
};

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
  expect(error.error.message.length).toBeGreaterThan(0);
  expect(error.message).toBe(error.error.message);
  expect(error.toJSON()).toStrictEqual({
    error: { message: error.error.message, type, param: expected.param, code: error.error.code },
  });
  // survives JSON serialisation in OpenAI's shape
  expect(JSON.parse(JSON.stringify(error))).toStrictEqual(error.toJSON());
}

function rejectsChat(input: unknown, expected: Expected, loaded: string | null = MODEL): ApiError {
  const error = caught(() => validateChatRequest(input, loaded));
  expectApiError(error, expected);
  return error;
}

function rejectsCompletion(input: unknown, expected: Expected, loaded: string | null = MODEL): ApiError {
  const error = caught(() => validateCompletionRequest(input, loaded));
  expectApiError(error, expected);
  return error;
}

const label = (value: unknown) => (typeof value === 'number' ? String(value) : JSON.stringify(value));

describe('validateChatRequest: the validated shape', () => {
  it('fills in every default', () => {
    expect(validateChatRequest(body(), MODEL)).toStrictEqual({
      model: MODEL,
      messages: [{ role: 'user', content: 'Write a function.' }],
      params: DEFAULT_PARAMS,
      n: 1,
      stream: false,
      includeUsage: false,
      output: { kind: 'text' },
      tools: [],
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
        max_completion_tokens: null,
        frequency_penalty: null,
        presence_penalty: null,
        repetition_penalty: null,
        logit_bias: null,
        logprobs: null,
        top_logprobs: null,
        n: null,
        stop: null,
        seed: null,
        stream: null,
        stream_options: null,
        response_format: null,
        tools: null,
        tool_choice: null,
        parallel_tool_calls: null,
      }),
      MODEL,
    );
    expect(request).toStrictEqual(validateChatRequest(body(), MODEL));
  });

  it('maps every parameter to its camelCase field', () => {
    const request = validateChatRequest(
      body({
        temperature: 0.2,
        top_p: 0.9,
        top_k: 40,
        min_p: 0.05,
        max_tokens: 128,
        frequency_penalty: 0.5,
        presence_penalty: -0.25,
        repetition_penalty: 1.1,
        logit_bias: { '0': -100, '32021': 5.5 },
        logprobs: true,
        top_logprobs: 3,
        n: 2,
        stop: ['\n\n', '```'],
        seed: 7,
        user: 'someone',
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
      frequencyPenalty: 0.5,
      presencePenalty: -0.25,
      repetitionPenalty: 1.1,
      logitBias: new Map([
        [0, -100],
        [32021, 5.5],
      ]),
      stop: ['\n\n', '```'],
      seed: 7,
      topLogprobs: 3,
    });
    expect(request.n).toBe(2);
    expect(request.stream).toBe(true);
    expect(request.includeUsage).toBe(true);
  });

  it('logit_bias becomes a Map keyed by numeric token ids', () => {
    const { logitBias } = validateChatRequest(body({ logit_bias: { '15': 1, '7': -2 } }), MODEL).params;
    expect(logitBias).toBeInstanceOf(Map);
    expect([...logitBias.entries()]).toEqual([
      [7, -2],
      [15, 1],
    ]);
  });

  it('stream: true without stream_options does not include usage', () => {
    const request = validateChatRequest(body({ stream: true }), MODEL);
    expect(request.stream).toBe(true);
    expect(request.includeUsage).toBe(false);
    expect(validateChatRequest(body({ stream: true, stream_options: {} }), MODEL).includeUsage).toBe(false);
    expect(validateChatRequest(body({ stream: true, stream_options: { include_usage: false } }), MODEL).includeUsage).toBe(
      false,
    );
  });
});

/** One row per bound: [param, accepted values, rejected values with their error code]. */
const NUMERIC_BOUNDS: [string, unknown[], [unknown, string][]][] = [
  ['temperature', [0, 1e-9, 1, 2], [[-0.001, 'invalid_value'], [2.001, 'invalid_value'], [-1, 'invalid_value']]],
  ['top_p', [1e-6, 0.5, 1], [[0, 'invalid_value'], [-0.5, 'invalid_value'], [1.0001, 'invalid_value']]],
  ['top_k', [0, 1, 50, 1_000_000], [[-1, 'invalid_value'], [1.5, 'invalid_type'], [0.5, 'invalid_type']]],
  ['min_p', [0, 0.05, 1], [[-0.1, 'invalid_value'], [1.1, 'invalid_value']]],
  ['max_tokens', [1, 4096], [[0, 'invalid_value'], [-3, 'invalid_value'], [1.5, 'invalid_type']]],
  ['max_completion_tokens', [1, 4096], [[0, 'invalid_value'], [-1, 'invalid_value'], [2.5, 'invalid_type']]],
  ['frequency_penalty', [-2, 0, 1.5, 2], [[-2.01, 'invalid_value'], [2.01, 'invalid_value']]],
  ['presence_penalty', [-2, 0, -1.5, 2], [[-2.01, 'invalid_value'], [2.01, 'invalid_value']]],
  ['repetition_penalty', [1e-300, 1e-9, 0.5, 1, 1.3, 50, 100], [[0, 'invalid_value'], [-1, 'invalid_value'], [100.5, 'invalid_value'], [1e308, 'invalid_value']]],
  ['n', [1, 4, 8], [[0, 'invalid_value'], [9, 'invalid_value'], [2.5, 'invalid_type'], [-1, 'invalid_value']]],
  ['seed', [0, 42, 2 ** 32 - 1], [[-1, 'invalid_value'], [2 ** 32, 'invalid_value'], [1.5, 'invalid_type']]],
];

describe('validateChatRequest: every numeric bound', () => {
  for (const [param, accepted, rejected] of NUMERIC_BOUNDS) {
    describe(param, () => {
      it(`accepts ${accepted.map(label).join(', ')}`, () => {
        for (const value of accepted) expect(() => validateChatRequest(body({ [param]: value }), MODEL)).not.toThrow();
      });
      for (const [value, code] of rejected) {
        it(`rejects ${label(value)} (${code}) naming '${param}'`, () => {
          const error = rejectsChat(body({ [param]: value }), { param, code });
          expect(error.error.message).toContain(`'${param}'`);
        });
      }
      for (const value of [Number.NaN, Infinity, -Infinity]) {
        it(`rejects ${label(value)} as not finite`, () => {
          rejectsChat(body({ [param]: value }), { param, code: 'invalid_type' });
        });
      }
    });
  }

  it('the accepted values reach the params', () => {
    const low = validateChatRequest(
      body({
        temperature: 0,
        top_p: 1e-6,
        top_k: 0,
        min_p: 0,
        max_tokens: 1,
        frequency_penalty: -2,
        presence_penalty: -2,
        repetition_penalty: 1e-9,
        seed: 0,
        n: 1,
      }),
      MODEL,
    );
    expect(low.params).toMatchObject({
      temperature: 0,
      topP: 1e-6,
      topK: 0,
      minP: 0,
      maxTokens: 1,
      frequencyPenalty: -2,
      presencePenalty: -2,
      repetitionPenalty: 1e-9,
      seed: 0,
    });
    const high = validateChatRequest(
      body({ temperature: 2, top_p: 1, min_p: 1, frequency_penalty: 2, presence_penalty: 2, seed: 2 ** 32 - 1, n: 8 }),
      MODEL,
    );
    expect(high.params).toMatchObject({
      temperature: 2,
      topP: 1,
      minP: 1,
      frequencyPenalty: 2,
      presencePenalty: 2,
      seed: 2 ** 32 - 1,
    });
    expect(high.n).toBe(8);
  });

  it('names the range in the message', () => {
    expect(rejectsChat(body({ temperature: 2.5 }), { param: 'temperature' }).error.message).toContain('[0, 2]');
    expect(rejectsChat(body({ top_p: 0 }), { param: 'top_p' }).error.message).toContain('(0, 1]');
    expect(rejectsChat(body({ min_p: 2 }), { param: 'min_p' }).error.message).toContain('[0, 1]');
    expect(rejectsChat(body({ frequency_penalty: 3 }), { param: 'frequency_penalty' }).error.message).toContain('[-2, 2]');
    expect(rejectsChat(body({ presence_penalty: -3 }), { param: 'presence_penalty' }).error.message).toContain('[-2, 2]');
    expect(rejectsChat(body({ repetition_penalty: 0 }), { param: 'repetition_penalty' }).error.message).toContain('(0, 100]');
    // The real cap, not ∞: 1e308 is refused because it is past 100.
    expect(rejectsChat(body({ repetition_penalty: 1e308 }), { param: 'repetition_penalty' }).error.message).toBe(
      "'repetition_penalty' must be in (0, 100], got 1e+308.",
    );
    expect(rejectsChat(body({ n: 9 }), { param: 'n' }).error.message).toContain('[1, 8]');
    expect(rejectsChat(body({ top_k: -1 }), { param: 'top_k' }).error.message).toContain('[0, 9007199254740991 (2^53 - 1)]');
    expect(rejectsChat(body({ max_tokens: 2 ** 60 }), { param: 'max_tokens' }).error.message).not.toContain('∞');
  });
});

describe('validateChatRequest: max_tokens and max_completion_tokens', () => {
  it('max_completion_tokens alone sets maxTokens', () => {
    expect(validateChatRequest(body({ max_completion_tokens: 64 }), MODEL).params.maxTokens).toBe(64);
  });

  it('max_tokens alone sets maxTokens', () => {
    expect(validateChatRequest(body({ max_tokens: 32 }), MODEL).params.maxTokens).toBe(32);
  });

  it('both with the same value are fine', () => {
    expect(validateChatRequest(body({ max_tokens: 16, max_completion_tokens: 16 }), MODEL).params.maxTokens).toBe(16);
  });

  it('both with different values are a 400 naming max_tokens', () => {
    const error = rejectsChat(body({ max_tokens: 16, max_completion_tokens: 17 }), {
      param: 'max_tokens',
      code: 'invalid_value',
    });
    expect(error.error.message).toContain('16');
    expect(error.error.message).toContain('17');
    expect(error.error.message).toContain('max_completion_tokens');
  });
});

describe('validateChatRequest: logit_bias', () => {
  it('accepts the bounds -100 and 100 and fractional biases', () => {
    const { logitBias } = validateChatRequest(body({ logit_bias: { '1': -100, '2': 100, '3': 0.5, '0': 0 } }), MODEL).params;
    expect(Object.fromEntries(logitBias)).toEqual({ 0: 0, 1: -100, 2: 100, 3: 0.5 });
  });

  it('accepts an empty object', () => {
    expect(validateChatRequest(body({ logit_bias: {} }), MODEL).params.logitBias.size).toBe(0);
  });

  for (const amount of [-100.5, 100.5, 1000, -101]) {
    it(`rejects the value ${amount} naming 'logit_bias.<id>'`, () => {
      const error = rejectsChat(body({ logit_bias: { '42': amount } }), { param: 'logit_bias.42', code: 'invalid_value' });
      expect(error.error.message).toContain('[-100, 100]');
    });
  }

  for (const amount of ['5', null, true, [1], { a: 1 }, Number.NaN]) {
    it(`rejects the non-number value ${label(amount)} naming 'logit_bias.<id>'`, () => {
      rejectsChat(body({ logit_bias: { '7': amount } }), { param: 'logit_bias.7', code: 'invalid_type' });
    });
  }

  for (const key of ['-1', '1.5', 'abc', '01', '', ' 1', '1e3', '0x10', '2147483648', '99999999999']) {
    it(`rejects the key ${JSON.stringify(key)}: keys must be integer token ids`, () => {
      const error = rejectsChat(body({ logit_bias: { [key]: 1 } }), { param: 'logit_bias', code: 'invalid_value' });
      expect(error.error.message).toContain(JSON.stringify(key));
    });
  }

  it('accepts the largest 32-bit token id as a key', () => {
    expect([...validateChatRequest(body({ logit_bias: { '2147483647': 1 } }), MODEL).params.logitBias.keys()]).toEqual([
      2147483647,
    ]);
  });

  for (const value of ['{"1": 5}', 5, [[1, 5]], true]) {
    it(`rejects logit_bias that is ${label(value)}`, () => {
      rejectsChat(body({ logit_bias: value }), { param: 'logit_bias', code: 'invalid_type' });
    });
  }
});

describe('validateChatRequest: logprobs and top_logprobs', () => {
  it('logprobs: true alone reports the chosen token only (topLogprobs 0)', () => {
    expect(validateChatRequest(body({ logprobs: true }), MODEL).params.topLogprobs).toBe(0);
  });

  it('logprobs: false or absent turns log probabilities off (topLogprobs null)', () => {
    expect(validateChatRequest(body({ logprobs: false }), MODEL).params.topLogprobs).toBeNull();
    expect(validateChatRequest(body(), MODEL).params.topLogprobs).toBeNull();
  });

  for (const top of [0, 1, 5, 20]) {
    it(`top_logprobs ${top} with logprobs is accepted`, () => {
      expect(validateChatRequest(body({ logprobs: true, top_logprobs: top }), MODEL).params.topLogprobs).toBe(top);
    });
  }

  for (const [top, code] of [
    [21, 'invalid_value'],
    [-1, 'invalid_value'],
    [2.5, 'invalid_type'],
    ['3', 'invalid_type'],
  ] as [unknown, string][]) {
    it(`top_logprobs ${label(top)} is rejected (${code})`, () => {
      rejectsChat(body({ logprobs: true, top_logprobs: top }), { param: 'top_logprobs', code });
    });
  }

  it('top_logprobs needs logprobs: true', () => {
    const error = rejectsChat(body({ top_logprobs: 2 }), { param: 'top_logprobs', code: 'invalid_value' });
    expect(error.error.message).toContain('logprobs');
    rejectsChat(body({ logprobs: false, top_logprobs: 2 }), { param: 'top_logprobs' });
    rejectsChat(body({ logprobs: false, top_logprobs: 0 }), { param: 'top_logprobs' });
  });

  for (const value of [1, 'true', 5, {}]) {
    it(`logprobs ${label(value)} is not a boolean`, () => {
      rejectsChat(body({ logprobs: value }), { param: 'logprobs', code: 'invalid_type' });
    });
  }
});

describe('validateChatRequest: stop', () => {
  it('takes a single stop string as a one-element list, and up to 4 stops', () => {
    expect(validateChatRequest(body({ stop: 'END' }), MODEL).params.stop).toEqual(['END']);
    expect(validateChatRequest(body({ stop: ['a', 'b', 'c', 'd'] }), MODEL).params.stop).toEqual(['a', 'b', 'c', 'd']);
    expect(validateChatRequest(body({ stop: [] }), MODEL).params.stop).toEqual([]);
  });

  it('rejects more than 4 stop sequences', () => {
    const error = rejectsChat(body({ stop: ['a', 'b', 'c', 'd', 'e'] }), { param: 'stop', code: 'invalid_value' });
    expect(error.error.message).toContain('4');
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
    rejectsChat(body({ stop: [null] }), { param: 'stop', code: 'invalid_type' });
  });
});

describe('validateChatRequest: stream and stream_options', () => {
  it("rejects a non-boolean 'stream'", () => {
    rejectsChat(body({ stream: 'yes' }), { param: 'stream', code: 'invalid_type' });
    rejectsChat(body({ stream: 1 }), { param: 'stream', code: 'invalid_type' });
  });

  it('rejects stream_options without stream: true', () => {
    rejectsChat(body({ stream_options: { include_usage: true } }), { param: 'stream_options', code: 'invalid_value' });
    rejectsChat(body({ stream: false, stream_options: { include_usage: true } }), { param: 'stream_options' });
    rejectsChat(body({ stream_options: {} }), { param: 'stream_options' });
  });

  it('rejects stream_options that is not an object', () => {
    rejectsChat(body({ stream: true, stream_options: true }), { param: 'stream_options', code: 'invalid_type' });
    rejectsChat(body({ stream: true, stream_options: [] }), { param: 'stream_options', code: 'invalid_type' });
  });

  it('rejects an unknown key inside stream_options, naming its full path', () => {
    const error = rejectsChat(body({ stream: true, stream_options: { foo: 1 } }), {
      param: 'stream_options.foo',
      code: 'unknown_parameter',
    });
    expect(error.error.message).toBe('Unrecognized request argument supplied: stream_options.foo');
  });

  it('rejects a non-boolean include_usage', () => {
    rejectsChat(body({ stream: true, stream_options: { include_usage: 'yes' } }), {
      param: 'stream_options.include_usage',
      code: 'invalid_type',
    });
  });
});

describe('validateChatRequest: response_format', () => {
  it("{type: 'text'} is plain text output", () => {
    expect(validateChatRequest(body({ response_format: { type: 'text' } }), MODEL).output).toStrictEqual({ kind: 'text' });
  });

  it("{type: 'json_object'} asks for any JSON object", () => {
    expect(validateChatRequest(body({ response_format: { type: 'json_object' } }), MODEL).output).toStrictEqual({
      kind: 'json_object',
    });
  });

  it("{type: 'json_schema'} carries the schema and the param a bad schema is reported on", () => {
    const schema = { type: 'object', properties: { a: { type: 'integer' } }, required: ['a'] };
    const request = validateChatRequest(
      body({
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'Answer_v2-final', description: 'An answer.', schema, strict: true },
        },
      }),
      MODEL,
    );
    expect(request.output).toStrictEqual({ kind: 'json_schema', schema, param: 'response_format.json_schema.schema' });
    expect(request.tools).toEqual([]);
  });

  it('a boolean schema becomes its object form: true is {}, false is {not: {}}', () => {
    const output = (schema: unknown) =>
      validateChatRequest(body({ response_format: { type: 'json_schema', json_schema: { name: 'x', schema } } }), MODEL)
        .output;
    expect(output(true)).toStrictEqual({ kind: 'json_schema', schema: {}, param: 'response_format.json_schema.schema' });
    expect(output(false)).toStrictEqual({
      kind: 'json_schema',
      schema: { not: {} },
      param: 'response_format.json_schema.schema',
    });
  });

  it('a missing or null schema allows any JSON', () => {
    for (const spec of [{ name: 'x' }, { name: 'x', schema: null }]) {
      expect(validateChatRequest(body({ response_format: { type: 'json_schema', json_schema: spec } }), MODEL).output).toStrictEqual(
        { kind: 'json_schema', schema: {}, param: 'response_format.json_schema.schema' },
      );
    }
  });

  it('strict may be true, false or null', () => {
    for (const strict of [true, false, null]) {
      expect(() =>
        validateChatRequest(body({ response_format: { type: 'json_schema', json_schema: { name: 'x', strict } } }), MODEL),
      ).not.toThrow();
    }
  });

  it('rejects a non-boolean strict', () => {
    rejectsChat(body({ response_format: { type: 'json_schema', json_schema: { name: 'x', strict: 'yes' } } }), {
      param: 'response_format.json_schema.strict',
      code: 'invalid_type',
    });
  });

  it('rejects a non-string description', () => {
    rejectsChat(body({ response_format: { type: 'json_schema', json_schema: { name: 'x', description: 3 } } }), {
      param: 'response_format.json_schema.description',
      code: 'invalid_type',
    });
  });

  for (const schema of ['{}', 3, [{}]]) {
    it(`rejects the schema ${label(schema)}: it must be an object or a boolean`, () => {
      rejectsChat(body({ response_format: { type: 'json_schema', json_schema: { name: 'x', schema } } }), {
        param: 'response_format.json_schema.schema',
        code: 'invalid_type',
      });
    });
  }

  for (const name of ['', 'has space', 'dots.in.name', 'a'.repeat(65), 'ünïcode']) {
    it(`rejects the schema name ${JSON.stringify(name.length > 20 ? `${name.slice(0, 5)}…(${name.length})` : name)}`, () => {
      rejectsChat(body({ response_format: { type: 'json_schema', json_schema: { name } } }), {
        param: 'response_format.json_schema.name',
        code: 'invalid_value',
      });
    });
  }

  it('accepts a 64-character schema name', () => {
    const name = 'a'.repeat(64);
    expect(() => validateChatRequest(body({ response_format: { type: 'json_schema', json_schema: { name } } }), MODEL)).not.toThrow();
  });

  it('rejects a missing or non-string schema name', () => {
    rejectsChat(body({ response_format: { type: 'json_schema', json_schema: {} } }), {
      param: 'response_format.json_schema.name',
      code: 'invalid_type',
    });
    rejectsChat(body({ response_format: { type: 'json_schema', json_schema: { name: 5 } } }), {
      param: 'response_format.json_schema.name',
      code: 'invalid_type',
    });
  });

  it('rejects json_schema without its json_schema object', () => {
    rejectsChat(body({ response_format: { type: 'json_schema' } }), {
      param: 'response_format.json_schema',
      code: 'invalid_type',
    });
    rejectsChat(body({ response_format: { type: 'json_schema', json_schema: 'x' } }), {
      param: 'response_format.json_schema',
      code: 'invalid_type',
    });
  });

  for (const type of ['xml', 'JSON_OBJECT', undefined, 1]) {
    it(`rejects the type ${label(type)}`, () => {
      rejectsChat(body({ response_format: { type } }), { param: 'response_format.type', code: 'invalid_value' });
    });
  }

  it('rejects a response_format that is not an object', () => {
    rejectsChat(body({ response_format: 'json_object' }), { param: 'response_format', code: 'invalid_type' });
    rejectsChat(body({ response_format: [] }), { param: 'response_format', code: 'invalid_type' });
  });

  it('rejects unknown keys at each level, naming the full path', () => {
    rejectsChat(body({ response_format: { type: 'text', schema: {} } }), {
      param: 'response_format.schema',
      code: 'unknown_parameter',
    });
    rejectsChat(body({ response_format: { type: 'json_object', strict: true } }), {
      param: 'response_format.strict',
      code: 'unknown_parameter',
    });
    rejectsChat(body({ response_format: { type: 'json_schema', json_schema: { name: 'x' }, extra: 1 } }), {
      param: 'response_format.extra',
      code: 'unknown_parameter',
    });
    const error = rejectsChat(
      body({ response_format: { type: 'json_schema', json_schema: { name: 'x', schema: {}, additional: true } } }),
      { param: 'response_format.json_schema.additional', code: 'unknown_parameter' },
    );
    expect(error.error.message).toBe('Unrecognized request argument supplied: response_format.json_schema.additional');
  });
});

describe('validateChatRequest: tools', () => {
  it('keeps a tool with its name, description, parameters and strict flag; tool_choice defaults to auto', () => {
    const tool = { type: 'function', function: { ...WEATHER_TOOL.function, strict: true } };
    const request = validateChatRequest(body({ tools: [tool] }), MODEL);
    expect(request.tools).toStrictEqual([tool]);
    expect(request.output).toStrictEqual({ kind: 'tools', tools: [tool], choice: 'auto' });
  });

  it('keeps only what was given: a bare tool has just its name', () => {
    expect(validateChatRequest(body({ tools: [TIME_TOOL] }), MODEL).tools).toStrictEqual([
      { type: 'function', function: { name: 'get_time' } },
    ]);
    const nulls = { type: 'function', function: { name: 'get_time', description: null, parameters: null, strict: null } };
    expect(validateChatRequest(body({ tools: [nulls] }), MODEL).tools).toStrictEqual([
      { type: 'function', function: { name: 'get_time' } },
    ]);
  });

  it('boolean parameters schemas become their object form', () => {
    const tools = [
      { type: 'function', function: { name: 'a', parameters: true } },
      { type: 'function', function: { name: 'b', parameters: false } },
    ];
    expect(validateChatRequest(body({ tools }), MODEL).tools.map((tool) => tool.function.parameters)).toStrictEqual([
      {},
      { not: {} },
    ]);
  });

  it('an empty tools array means no tools', () => {
    const request = validateChatRequest(body({ tools: [] }), MODEL);
    expect(request.tools).toEqual([]);
    expect(request.output).toStrictEqual({ kind: 'text' });
  });

  it('accepts 128 tools and rejects 129', () => {
    const tools = (count: number) =>
      Array.from({ length: count }, (_, i) => ({ type: 'function', function: { name: `tool_${i}` } }));
    expect(validateChatRequest(body({ tools: tools(128) }), MODEL).tools).toHaveLength(128);
    const error = rejectsChat(body({ tools: tools(129) }), { param: 'tools', code: 'invalid_value' });
    expect(error.error.message).toContain('128');
  });

  it('rejects tools that is not an array', () => {
    rejectsChat(body({ tools: WEATHER_TOOL }), { param: 'tools', code: 'invalid_type' });
    rejectsChat(body({ tools: 'get_weather' }), { param: 'tools', code: 'invalid_type' });
  });

  it('rejects a tool that is not an object, naming its index', () => {
    rejectsChat(body({ tools: [TIME_TOOL, 'x'] }), { param: 'tools[1]', code: 'invalid_type' });
  });

  it("rejects a tool whose type is not 'function'", () => {
    rejectsChat(body({ tools: [{ type: 'code_interpreter', function: TIME_TOOL.function }] }), {
      param: 'tools[0].type',
      code: 'invalid_value',
    });
    rejectsChat(body({ tools: [{ function: TIME_TOOL.function }] }), { param: 'tools[0].type', code: 'invalid_value' });
  });

  it('rejects a tool without a function object', () => {
    rejectsChat(body({ tools: [{ type: 'function' }] }), { param: 'tools[0].function', code: 'invalid_type' });
    rejectsChat(body({ tools: [{ type: 'function', function: 'get_time' }] }), {
      param: 'tools[0].function',
      code: 'invalid_type',
    });
  });

  for (const name of ['', 'get weather', 'get.weather', 'a'.repeat(65), 'naïve']) {
    it(`rejects the function name ${JSON.stringify(name.length > 20 ? `${name.slice(0, 5)}…(${name.length})` : name)}`, () => {
      rejectsChat(body({ tools: [TIME_TOOL, { type: 'function', function: { name } }] }), {
        param: 'tools[1].function.name',
        code: 'invalid_value',
      });
    });
  }

  it('accepts names of letters, digits, underscores and dashes up to 64 characters', () => {
    for (const name of ['a', 'get-weather_2', 'A'.repeat(64), '0']) {
      expect(validateChatRequest(body({ tools: [{ type: 'function', function: { name } }] }), MODEL).tools[0].function.name).toBe(
        name,
      );
    }
  });

  it('rejects a missing or non-string function name', () => {
    rejectsChat(body({ tools: [{ type: 'function', function: {} }] }), {
      param: 'tools[0].function.name',
      code: 'invalid_type',
    });
    rejectsChat(body({ tools: [{ type: 'function', function: { name: 3 } }] }), {
      param: 'tools[0].function.name',
      code: 'invalid_type',
    });
  });

  it('rejects duplicate names, naming the second one', () => {
    const error = rejectsChat(body({ tools: [TIME_TOOL, WEATHER_TOOL, TIME_TOOL] }), {
      param: 'tools[2].function.name',
      code: 'invalid_value',
    });
    expect(error.error.message).toContain('get_time');
  });

  for (const parameters of ['{}', 3, [{}]]) {
    it(`rejects parameters ${label(parameters)}: it must be a JSON Schema object`, () => {
      rejectsChat(body({ tools: [{ type: 'function', function: { name: 'f', parameters } }] }), {
        param: 'tools[0].function.parameters',
        code: 'invalid_type',
      });
    });
  }

  it('rejects a non-string description and a non-boolean strict', () => {
    rejectsChat(body({ tools: [{ type: 'function', function: { name: 'f', description: 1 } }] }), {
      param: 'tools[0].function.description',
      code: 'invalid_type',
    });
    rejectsChat(body({ tools: [{ type: 'function', function: { name: 'f', strict: 'no' } }] }), {
      param: 'tools[0].function.strict',
      code: 'invalid_type',
    });
  });

  it('rejects unknown keys in a tool and in its function, naming the full path', () => {
    rejectsChat(body({ tools: [{ ...TIME_TOOL, name: 'x' }] }), { param: 'tools[0].name', code: 'unknown_parameter' });
    rejectsChat(body({ tools: [TIME_TOOL, { type: 'function', function: { name: 'f', returns: {} } }] }), {
      param: 'tools[1].function.returns',
      code: 'unknown_parameter',
    });
  });

  it('parallel_tool_calls must be a boolean', () => {
    expect(() => validateChatRequest(body({ tools: [TIME_TOOL], parallel_tool_calls: false }), MODEL)).not.toThrow();
    rejectsChat(body({ tools: [TIME_TOOL], parallel_tool_calls: 'no' }), {
      param: 'parallel_tool_calls',
      code: 'invalid_type',
    });
  });
});

describe('validateChatRequest: tool_choice', () => {
  const tools = [WEATHER_TOOL, TIME_TOOL];

  it("'auto' and 'required' constrain the output to the tools", () => {
    for (const choice of ['auto', 'required'] as const) {
      const request = validateChatRequest(body({ tools, tool_choice: choice }), MODEL);
      expect(request.output).toStrictEqual({ kind: 'tools', tools: request.tools, choice });
      expect(request.tools.map((tool) => tool.function.name)).toEqual(['get_weather', 'get_time']);
    }
  });

  it("'none' leaves the output free and describes no tools to the model", () => {
    const request = validateChatRequest(body({ tools, tool_choice: 'none' }), MODEL);
    expect(request.output).toStrictEqual({ kind: 'text' });
    expect(request.tools).toEqual([]);
  });

  it('a named function is chosen by name, and all tools are still described', () => {
    const request = validateChatRequest(body({ tools, tool_choice: { type: 'function', function: { name: 'get_time' } } }), MODEL);
    expect(request.output).toStrictEqual({ kind: 'tools', tools: request.tools, choice: { name: 'get_time' } });
    expect(request.tools).toHaveLength(2);
  });

  it('a named function must be one of the tools', () => {
    const error = rejectsChat(body({ tools, tool_choice: { type: 'function', function: { name: 'get_date' } } }), {
      param: 'tool_choice.function.name',
      code: 'invalid_value',
    });
    expect(error.error.message).toContain('get_date');
  });

  for (const choice of ['auto', 'none', 'required', { type: 'function', function: { name: 'get_time' } }]) {
    it(`tool_choice ${label(choice)} without tools is a 400`, () => {
      rejectsChat(body({ tool_choice: choice }), { param: 'tool_choice', code: 'invalid_value' });
      rejectsChat(body({ tools: [], tool_choice: choice }), { param: 'tool_choice', code: 'invalid_value' });
    });
  }

  for (const choice of ['any', 'AUTO', 'function', '']) {
    it(`rejects the string ${JSON.stringify(choice)}`, () => {
      rejectsChat(body({ tools, tool_choice: choice }), { param: 'tool_choice', code: 'invalid_value' });
    });
  }

  it('rejects a tool_choice of the wrong type', () => {
    rejectsChat(body({ tools, tool_choice: 1 }), { param: 'tool_choice', code: 'invalid_type' });
    rejectsChat(body({ tools, tool_choice: true }), { param: 'tool_choice', code: 'invalid_type' });
    rejectsChat(body({ tools, tool_choice: ['auto'] }), { param: 'tool_choice', code: 'invalid_type' });
  });

  it('rejects a malformed named choice at each level', () => {
    rejectsChat(body({ tools, tool_choice: { type: 'tool', function: { name: 'get_time' } } }), {
      param: 'tool_choice.type',
      code: 'invalid_value',
    });
    rejectsChat(body({ tools, tool_choice: { type: 'function' } }), { param: 'tool_choice.function', code: 'invalid_type' });
    rejectsChat(body({ tools, tool_choice: { type: 'function', function: {} } }), {
      param: 'tool_choice.function.name',
      code: 'invalid_type',
    });
    rejectsChat(body({ tools, tool_choice: { type: 'function', function: { name: 'get_time' }, id: 1 } }), {
      param: 'tool_choice.id',
      code: 'unknown_parameter',
    });
    rejectsChat(body({ tools, tool_choice: { type: 'function', function: { name: 'get_time', arguments: '{}' } } }), {
      param: 'tool_choice.function.arguments',
      code: 'unknown_parameter',
    });
  });
});

describe('validateChatRequest: response_format with tools', () => {
  for (const format of [{ type: 'json_object' }, { type: 'json_schema', json_schema: { name: 'x', schema: {} } }]) {
    it(`response_format ${format.type} conflicts with tools that may be called`, () => {
      for (const choice of [undefined, 'auto', 'required', { type: 'function', function: { name: 'get_time' } }]) {
        rejectsChat(body({ tools: [TIME_TOOL], tool_choice: choice, response_format: format }), {
          param: 'response_format',
          code: 'invalid_value',
        });
      }
    });
  }

  it("with tool_choice 'none' the response_format applies and no tools are described", () => {
    const request = validateChatRequest(
      body({ tools: [TIME_TOOL], tool_choice: 'none', response_format: { type: 'json_object' } }),
      MODEL,
    );
    expect(request.output).toStrictEqual({ kind: 'json_object' });
    expect(request.tools).toEqual([]);
  });

  it("response_format 'text' goes with tools", () => {
    const request = validateChatRequest(body({ tools: [TIME_TOOL], response_format: { type: 'text' } }), MODEL);
    expect(request.output).toMatchObject({ kind: 'tools', choice: 'auto' });
  });
});

describe('validateChatRequest: messages', () => {
  it('keeps messages of every role in order, with their names', () => {
    const messages = [
      { role: 'system', content: 'You are helpful.', name: 'setup' },
      { role: 'user', content: 'Hi', name: 'alice' },
      { role: 'assistant', content: '' },
      { role: 'user', content: 'Again' },
    ];
    expect(validateChatRequest(body({ messages }), MODEL).messages).toStrictEqual([
      { role: 'system', content: 'You are helpful.', name: 'setup' },
      { role: 'user', content: 'Hi', name: 'alice' },
      { role: 'assistant', content: '' },
      { role: 'user', content: 'Again' },
    ]);
  });

  it('joins text parts in order into one string', () => {
    const messages = [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Explain ' },
          { type: 'text', text: 'this:' },
          { type: 'text', text: '\n```js\nx++\n```' },
        ],
      },
      { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
      { role: 'assistant', content: [] },
    ];
    expect(validateChatRequest(body({ messages }), MODEL).messages.map((message) => message.content)).toEqual([
      'Explain this:\n```js\nx++\n```',
      'Be brief.',
      '',
    ]);
  });

  for (const part of [
    { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
    { type: 'input_audio', input_audio: { data: '', format: 'wav' } },
    { type: 'file', file: { file_id: 'file-1' } },
    { type: 'refusal', refusal: 'no' },
    { text: 'no type' },
  ]) {
    it(`rejects a ${String(part.type ?? 'typeless')} part, naming messages[i].content[j].type`, () => {
      const messages = [USER, { role: 'user', content: [{ type: 'text', text: 'look:' }, part] }];
      const error = rejectsChat(body({ messages }), { param: 'messages[1].content[1].type', code: 'invalid_value' });
      expect(error.error.message).toContain('text');
    });
  }

  it('rejects a text part without a string text, or with unknown keys', () => {
    rejectsChat(body({ messages: [{ role: 'user', content: [{ type: 'text' }] }] }), {
      param: 'messages[0].content[0].text',
      code: 'invalid_type',
    });
    rejectsChat(body({ messages: [{ role: 'user', content: [{ type: 'text', text: 5 }] }] }), {
      param: 'messages[0].content[0].text',
      code: 'invalid_type',
    });
    rejectsChat(body({ messages: [{ role: 'user', content: [{ type: 'text', text: 'a', cache_control: {} }] }] }), {
      param: 'messages[0].content[0].cache_control',
      code: 'unknown_parameter',
    });
  });

  it('rejects a part that is not an object', () => {
    rejectsChat(body({ messages: [{ role: 'user', content: ['hi'] }] }), {
      param: 'messages[0].content[0]',
      code: 'invalid_type',
    });
  });

  for (const [what, content] of [
    ['a number', 5],
    ['an object', { type: 'text', text: 'hi' }],
    ['null', null],
    ['missing', undefined],
    ['a boolean', true],
  ] as [string, unknown][]) {
    it(`rejects content that is ${what} for each role`, () => {
      rejectsChat(body({ messages: [{ role: 'user', content }] }), { param: 'messages[0].content', code: 'invalid_type' });
      rejectsChat(body({ messages: [{ role: 'system', content }, USER] }), {
        param: 'messages[0].content',
        code: 'invalid_type',
      });
      rejectsChat(body({ messages: [USER, { role: 'assistant', content }] }), {
        param: 'messages[1].content',
        code: 'invalid_type',
      });
    });
  }

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
    for (const role of ['User', 'developer', 'function', 'bot', 1, undefined]) {
      const error = rejectsChat(body({ messages: [USER, { role, content: 'x' }] }), {
        param: 'messages[1].role',
        code: 'invalid_value',
      });
      expect(error.error.message).toContain("'tool'");
    }
  });

  it('rejects a non-string name', () => {
    rejectsChat(body({ messages: [{ role: 'user', content: 'x', name: 3 }] }), {
      param: 'messages[0].name',
      code: 'invalid_type',
    });
  });

  it('reports the first offending message', () => {
    rejectsChat(body({ messages: [USER, { role: 'bot', content: 'x' }, { role: 'user', content: 3 }] }), {
      param: 'messages[1].role',
    });
  });

  const unknownPerRole: [string, Record<string, unknown>, string][] = [
    ['system', { role: 'system', content: 'x', tool_calls: [CALL] }, 'tool_calls'],
    ['system', { role: 'system', content: 'x', tool_call_id: 'call_1' }, 'tool_call_id'],
    ['user', { role: 'user', content: 'x', tool_calls: [CALL] }, 'tool_calls'],
    ['user', { role: 'user', content: 'x', tool_call_id: 'call_1' }, 'tool_call_id'],
    ['user', { role: 'user', content: 'x', refusal: null }, 'refusal'],
    ['assistant', { role: 'assistant', content: 'x', tool_call_id: 'call_1' }, 'tool_call_id'],
    ['assistant', { role: 'assistant', content: 'x', function_call: {} }, 'function_call'],
    ['tool', { role: 'tool', content: 'x', tool_call_id: 'call_1', name: 'get_weather' }, 'name'],
    ['tool', { role: 'tool', content: 'x', tool_call_id: 'call_1', tool_calls: [CALL] }, 'tool_calls'],
  ];
  for (const [role, message, key] of unknownPerRole) {
    it(`rejects '${key}' on a ${role} message`, () => {
      const messages = [USER, { role: 'assistant', content: null, tool_calls: [CALL] }, message];
      const error = rejectsChat(body({ messages }), { param: `messages[2].${key}`, code: 'unknown_parameter' });
      expect(error.error.message).toBe(`Unrecognized request argument supplied: messages[2].${key}`);
    });
  }

  it("accepts and drops an assistant message's refusal", () => {
    const messages = [USER, { role: 'assistant', content: 'No.', refusal: null }, USER];
    expect(validateChatRequest(body({ messages }), MODEL).messages[1]).toStrictEqual({ role: 'assistant', content: 'No.' });
  });
});

describe('validateChatRequest: tool calls and tool results in messages', () => {
  it('an assistant turn with tool_calls and null content, then the tool result', () => {
    const messages = [
      USER,
      { role: 'assistant', content: null, tool_calls: [CALL] },
      { role: 'tool', tool_call_id: 'call_1', content: '{"temp_c":21}' },
    ];
    expect(validateChatRequest(body({ messages }), MODEL).messages).toStrictEqual([
      { role: 'user', content: 'Write a function.' },
      { role: 'assistant', content: '', tool_calls: [CALL] },
      { role: 'tool', content: '{"temp_c":21}', tool_call_id: 'call_1' },
    ]);
  });

  it('an assistant turn with tool_calls may omit content or carry text too', () => {
    const omitted = [USER, { role: 'assistant', tool_calls: [CALL] }];
    expect(validateChatRequest(body({ messages: omitted }), MODEL).messages[1]).toStrictEqual({
      role: 'assistant',
      content: '',
      tool_calls: [CALL],
    });
    const withText = [USER, { role: 'assistant', content: 'Checking.', tool_calls: [CALL] }];
    expect(validateChatRequest(body({ messages: withText }), MODEL).messages[1].content).toBe('Checking.');
  });

  it('several calls in one turn, each answered by its own tool message', () => {
    const second = { id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '{}' } };
    const messages = [
      USER,
      { role: 'assistant', content: null, tool_calls: [CALL, second] },
      { role: 'tool', tool_call_id: 'call_2', content: '12:00' },
      { role: 'tool', tool_call_id: 'call_1', content: [{ type: 'text', text: 'sunny' }] },
    ];
    const validated = validateChatRequest(body({ messages }), MODEL).messages;
    expect(validated[1].tool_calls).toStrictEqual([CALL, second]);
    expect(validated.slice(2)).toStrictEqual([
      { role: 'tool', content: '12:00', tool_call_id: 'call_2' },
      { role: 'tool', content: 'sunny', tool_call_id: 'call_1' },
    ]);
  });

  it('a tool message needs a tool_call_id', () => {
    const messages = [USER, { role: 'assistant', content: null, tool_calls: [CALL] }, { role: 'tool', content: 'x' }];
    rejectsChat(body({ messages }), { param: 'messages[2].tool_call_id', code: 'invalid_type' });
    const numeric = [USER, { role: 'assistant', content: null, tool_calls: [CALL] }, { role: 'tool', content: 'x', tool_call_id: 1 }];
    rejectsChat(body({ messages: numeric }), { param: 'messages[2].tool_call_id', code: 'invalid_type' });
  });

  it('a tool message needs content', () => {
    const messages = [USER, { role: 'assistant', content: null, tool_calls: [CALL] }, { role: 'tool', tool_call_id: 'call_1' }];
    rejectsChat(body({ messages }), { param: 'messages[2].content', code: 'invalid_type' });
  });

  it("a tool_call_id must match an earlier assistant message's call", () => {
    const unknown = [USER, { role: 'assistant', content: null, tool_calls: [CALL] }, { role: 'tool', tool_call_id: 'call_9', content: 'x' }];
    const error = rejectsChat(body({ messages: unknown }), { param: 'messages[2].tool_call_id', code: 'invalid_value' });
    expect(error.error.message).toContain('call_9');
    rejectsChat(body({ messages: [USER, { role: 'tool', tool_call_id: 'call_1', content: 'x' }] }), {
      param: 'messages[1].tool_call_id',
      code: 'invalid_value',
    });
  });

  it('a tool result before the call it answers is rejected', () => {
    const messages = [
      USER,
      { role: 'tool', tool_call_id: 'call_1', content: 'too early' },
      { role: 'assistant', content: null, tool_calls: [CALL] },
    ];
    rejectsChat(body({ messages }), { param: 'messages[1].tool_call_id', code: 'invalid_value' });
  });

  it('assistant content may be null only with tool_calls', () => {
    rejectsChat(body({ messages: [USER, { role: 'assistant', content: null }] }), {
      param: 'messages[1].content',
      code: 'invalid_type',
    });
    rejectsChat(body({ messages: [USER, { role: 'assistant', content: null, tool_calls: null }] }), {
      param: 'messages[1].content',
      code: 'invalid_type',
    });
  });

  it('tool_calls must be a non-empty array', () => {
    for (const toolCalls of [[], CALL, 'call']) {
      rejectsChat(body({ messages: [USER, { role: 'assistant', content: null, tool_calls: toolCalls }] }), {
        param: 'messages[1].tool_calls',
        code: 'invalid_type',
      });
    }
  });

  const badCalls: [string, unknown, string, string][] = [
    ['not an object', 'call', 'messages[1].tool_calls[0]', 'invalid_type'],
    ['a wrong type', { ...CALL, type: 'tool' }, 'messages[1].tool_calls[0].type', 'invalid_value'],
    ['no id', { type: 'function', function: CALL.function }, 'messages[1].tool_calls[0].id', 'invalid_type'],
    ['no function', { id: 'call_1', type: 'function' }, 'messages[1].tool_calls[0].function', 'invalid_type'],
    [
      'a bad function name',
      { ...CALL, function: { name: 'get weather', arguments: '{}' } },
      'messages[1].tool_calls[0].function.name',
      'invalid_value',
    ],
    [
      'arguments as an object',
      { ...CALL, function: { name: 'get_weather', arguments: { city: 'Paris' } } },
      'messages[1].tool_calls[0].function.arguments',
      'invalid_type',
    ],
    ['an unknown key', { ...CALL, index: 0 }, 'messages[1].tool_calls[0].index', 'unknown_parameter'],
    [
      'an unknown function key',
      { ...CALL, function: { ...CALL.function, description: 'x' } },
      'messages[1].tool_calls[0].function.description',
      'unknown_parameter',
    ],
  ];
  for (const [what, call, param, code] of badCalls) {
    it(`rejects a tool call with ${what}, naming ${param}`, () => {
      rejectsChat(body({ messages: [USER, { role: 'assistant', content: null, tool_calls: [call] }] }), { param, code });
    });
  }
});

describe('validateChatRequest: wrong types', () => {
  const wrong: [string, unknown, Record<string, unknown>?][] = [
    ['temperature', '0.7'],
    ['temperature', true],
    ['top_p', '0.5'],
    ['top_k', '40'],
    ['min_p', '0.1'],
    ['max_tokens', '100'],
    ['max_completion_tokens', '100'],
    ['frequency_penalty', '1'],
    ['presence_penalty', '1'],
    ['repetition_penalty', '1.1'],
    ['seed', '42'],
    ['seed', [1]],
    ['n', '2'],
    ['logprobs', 'true'],
    ['top_logprobs', '2', { logprobs: true }],
    ['stream', 'true'],
    ['user', 42],
    ['logit_bias', 'none'],
    ['stop', 42],
    ['stream_options', 'usage', { stream: true }],
    ['response_format', 'json_object'],
    ['tools', 'get_weather'],
    ['tool_choice', 5, { tools: [TIME_TOOL] }],
    ['parallel_tool_calls', 1],
    ['messages', 'hi'],
    ['model', 42],
  ];
  for (const [param, value, extra] of wrong) {
    it(`${param} = ${label(value)} is invalid_type naming '${param}'`, () => {
      rejectsChat(body({ ...extra, [param]: value }), { param, code: 'invalid_type' });
    });
  }
});

describe('validateChatRequest: unknown parameters and body shape', () => {
  it("rejects an unknown top-level parameter 'foo'", () => {
    const error = rejectsChat(body({ foo: 1 }), { param: 'foo', code: 'unknown_parameter' });
    expect(error.error.message).toBe('Unrecognized request argument supplied: foo');
  });

  for (const param of ['prompt', 'suffix', 'echo', 'functions', 'best_of', 'modalities']) {
    it(`rejects '${param}', which chat does not take`, () => {
      rejectsChat(body({ [param]: 'x' }), { param, code: 'unknown_parameter' });
    });
  }

  for (const [what, input] of [
    ['null', null],
    ['undefined', undefined],
    ['a string', 'hello'],
    ['a number', 3],
    ['an array', [USER]],
  ] as [string, unknown][]) {
    it(`rejects a body that is ${what}`, () => {
      rejectsChat(input, { param: null, code: 'invalid_type' });
    });
  }
});

describe('validateChatRequest: model', () => {
  it('rejects a missing, empty, blank or non-string model', () => {
    rejectsChat({ messages: [USER] }, { param: 'model', code: 'invalid_type' });
    rejectsChat(body({ model: '' }), { param: 'model', code: 'invalid_type' });
    rejectsChat(body({ model: '   ' }), { param: 'model', code: 'invalid_type' });
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
    expect(error.error.message).toContain('load()');
  });

  it('validates the whole request before checking which model is loaded', () => {
    rejectsChat(body({ model: 'other', temperature: 9 }), { param: 'temperature', status: 400 });
    rejectsChat(body({ model: 'other', tools: [TIME_TOOL], tool_choice: 'maybe' }), { param: 'tool_choice', status: 400 });
  });

  it('validateModelField returns the model or throws', () => {
    expect(validateModelField('m')).toBe('m');
    expectApiError(
      caught(() => validateModelField('')),
      { param: 'model', code: 'invalid_type' },
    );
  });
});

describe('validateCompletionRequest', () => {
  it('fills in every default', () => {
    expect(validateCompletionRequest(completionBody(), MODEL)).toStrictEqual({
      model: MODEL,
      prompt: 'def fib(n):',
      suffix: null,
      echo: false,
      params: DEFAULT_PARAMS,
      n: 1,
      stream: false,
      includeUsage: false,
    });
  });

  it('treats null like an omitted parameter', () => {
    const request = validateCompletionRequest(
      completionBody({ suffix: null, echo: null, logprobs: null, n: null, stream: null, stream_options: null, logit_bias: null }),
      MODEL,
    );
    expect(request).toStrictEqual(validateCompletionRequest(completionBody(), MODEL));
  });

  it('takes the shared sampling parameters', () => {
    const request = validateCompletionRequest(
      completionBody({
        temperature: 0,
        top_p: 0.5,
        top_k: 3,
        min_p: 0.1,
        max_tokens: 9,
        frequency_penalty: 1,
        presence_penalty: 2,
        repetition_penalty: 1.2,
        logit_bias: { '32014': -100 },
        logprobs: 5,
        stop: '\n\n',
        seed: 3,
        n: 3,
        user: 'u',
        stream: true,
        stream_options: { include_usage: true },
      }),
      MODEL,
    );
    expect(request).toStrictEqual({
      model: MODEL,
      prompt: 'def fib(n):',
      suffix: null,
      echo: false,
      params: {
        temperature: 0,
        topP: 0.5,
        topK: 3,
        minP: 0.1,
        maxTokens: 9,
        frequencyPenalty: 1,
        presencePenalty: 2,
        repetitionPenalty: 1.2,
        logitBias: new Map([[32014, -100]]),
        stop: ['\n\n'],
        seed: 3,
        topLogprobs: 5,
      },
      n: 3,
      stream: true,
      includeUsage: true,
    });
  });

  it('prompt may be a string or a one-element array, including the empty string', () => {
    expect(validateCompletionRequest(completionBody({ prompt: ['x = 1'] }), MODEL).prompt).toBe('x = 1');
    expect(validateCompletionRequest(completionBody({ prompt: '' }), MODEL).prompt).toBe('');
    expect(validateCompletionRequest(completionBody({ prompt: [''] }), MODEL).prompt).toBe('');
  });

  it("several prompts are a 400 on 'prompt'", () => {
    const error = rejectsCompletion(completionBody({ prompt: ['a', 'b'] }), { param: 'prompt', code: 'unsupported_value' });
    expect(error.error.message).toContain('2');
    rejectsCompletion(completionBody({ prompt: ['a', 'b', 'c'] }), { param: 'prompt', code: 'unsupported_value' });
  });

  for (const prompt of [undefined, null, 5, [], [1], [[1, 2]], ['a', 3], { text: 'a' }]) {
    it(`prompt ${label(prompt)} is invalid_type`, () => {
      rejectsCompletion(completionBody({ prompt }), { param: 'prompt', code: 'invalid_type' });
    });
  }

  it('suffix makes a fill-in-the-middle request; an empty suffix is still one', () => {
    expect(validateCompletionRequest(completionBody({ suffix: '\n    return a' }), MODEL).suffix).toBe('\n    return a');
    expect(validateCompletionRequest(completionBody({ suffix: '' }), MODEL).suffix).toBe('');
  });

  it('suffix must be a string', () => {
    rejectsCompletion(completionBody({ suffix: 5 }), { param: 'suffix', code: 'invalid_type' });
    rejectsCompletion(completionBody({ suffix: ['x'] }), { param: 'suffix', code: 'invalid_type' });
  });

  it('echo is a boolean', () => {
    expect(validateCompletionRequest(completionBody({ echo: true }), MODEL).echo).toBe(true);
    expect(validateCompletionRequest(completionBody({ echo: false }), MODEL).echo).toBe(false);
    rejectsCompletion(completionBody({ echo: 'yes' }), { param: 'echo', code: 'invalid_type' });
    rejectsCompletion(completionBody({ echo: 1 }), { param: 'echo', code: 'invalid_type' });
  });

  it('max_tokens 0 is allowed only with echo, to score a prompt without generating', () => {
    expect(validateCompletionRequest(completionBody({ echo: true, max_tokens: 0 }), MODEL).params.maxTokens).toBe(0);
    rejectsCompletion(completionBody({ max_tokens: 0 }), { param: 'max_tokens', code: 'invalid_value' });
    rejectsCompletion(completionBody({ echo: false, max_tokens: 0 }), { param: 'max_tokens', code: 'invalid_value' });
    rejectsCompletion(completionBody({ echo: true, max_tokens: -1 }), { param: 'max_tokens', code: 'invalid_value' });
  });

  it("echo with suffix is a 400 on 'echo'", () => {
    const error = rejectsCompletion(completionBody({ echo: true, suffix: 'x' }), { param: 'echo', code: 'invalid_value' });
    expect(error.error.message).toContain('suffix');
    rejectsCompletion(completionBody({ echo: true, suffix: '' }), { param: 'echo' });
    expect(validateCompletionRequest(completionBody({ echo: false, suffix: 'x' }), MODEL)).toMatchObject({
      echo: false,
      suffix: 'x',
    });
  });

  for (const logprobs of [0, 1, 20]) {
    it(`logprobs ${logprobs} asks for that many alternatives`, () => {
      expect(validateCompletionRequest(completionBody({ logprobs }), MODEL).params.topLogprobs).toBe(logprobs);
    });
  }

  for (const [logprobs, code] of [
    [21, 'invalid_value'],
    [-1, 'invalid_value'],
    [1.5, 'invalid_type'],
    [true, 'invalid_type'],
    ['5', 'invalid_type'],
  ] as [unknown, string][]) {
    it(`logprobs ${label(logprobs)} is rejected (${code})`, () => {
      rejectsCompletion(completionBody({ logprobs }), { param: 'logprobs', code });
    });
  }

  for (const [param, value, code] of [
    ['temperature', 3, 'invalid_value'],
    ['top_p', 0, 'invalid_value'],
    ['top_k', -1, 'invalid_value'],
    ['min_p', 2, 'invalid_value'],
    ['max_tokens', 0, 'invalid_value'],
    ['frequency_penalty', 2.5, 'invalid_value'],
    ['presence_penalty', -2.5, 'invalid_value'],
    ['repetition_penalty', 0, 'invalid_value'],
    ['n', 9, 'invalid_value'],
    ['seed', -1, 'invalid_value'],
    ['user', 1, 'invalid_type'],
    ['stop', ['a', 'b', 'c', 'd', 'e'], 'invalid_value'],
    ['stream_options', { include_usage: true }, 'invalid_value'],
    ['logit_bias', { x: 1 }, 'invalid_value'],
  ] as [string, unknown, string][]) {
    it(`applies the shared rule for ${param} = ${label(value)}`, () => {
      rejectsCompletion(completionBody({ [param]: value }), { param, code });
    });
  }

  it('names logit_bias.<id> for a bias out of range', () => {
    rejectsCompletion(completionBody({ logit_bias: { '3': 101 } }), { param: 'logit_bias.3', code: 'invalid_value' });
  });

  for (const param of [
    'messages',
    'max_completion_tokens',
    'top_logprobs',
    'response_format',
    'tools',
    'tool_choice',
    'parallel_tool_calls',
    'best_of',
    'foo',
  ]) {
    it(`rejects '${param}', which completions do not take`, () => {
      const error = rejectsCompletion(completionBody({ [param]: 1 }), { param, code: 'unknown_parameter' });
      expect(error.error.message).toBe(`Unrecognized request argument supplied: ${param}`);
    });
  }

  it('rejects a body that is not an object', () => {
    for (const input of [null, 'def f', ['def f']]) rejectsCompletion(input, { param: null, code: 'invalid_type' });
  });

  it('rejects a missing model', () => {
    rejectsCompletion({ prompt: 'x' }, { param: 'model', code: 'invalid_type' });
  });

  it('answers 404 model_not_found for a model that is not loaded, after validating the rest', () => {
    const error = rejectsCompletion(completionBody({ model: 'gpt-3.5-turbo-instruct' }), {
      param: 'model',
      code: 'model_not_found',
      status: 404,
    });
    expect(error.error.message).toContain('gpt-3.5-turbo-instruct');
    rejectsCompletion(completionBody(), { param: 'model', code: 'model_not_found', status: 404 }, null);
    rejectsCompletion(completionBody({ model: 'other', echo: true, suffix: 'x' }), { param: 'echo', status: 400 });
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

  it('takes wasm_threads as an integer from 1 to 16', () => {
    expect(validateLoadOptions({ wasm_threads: 1 })).toStrictEqual({ wasm_threads: 1 });
    expect(validateLoadOptions({ wasm_threads: 16 })).toStrictEqual({ wasm_threads: 16 });
    for (const wasm_threads of [0, 17, 1.5, -1, '2', Number.NaN]) {
      expectApiError(
        caught(() => validateLoadOptions({ wasm_threads })),
        { param: 'wasm_threads', code: 'invalid_value' },
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

describe('error messages: what they echo', () => {
  it('a missing json_schema.name says it is missing, not "undefined undefined"', () => {
    const error = rejectsChat(body({ response_format: { type: 'json_schema', json_schema: { schema: {} } } }), {
      param: 'response_format.json_schema.name',
    });
    expect(error.error.message).toBe("'response_format.json_schema.name' must be a string, got nothing (it is missing).");
  });

  it('an object where a string belongs is "an object", not "[object Object]"', () => {
    const error = rejectsChat(body({ user: { id: 1 } }), { param: 'user' });
    expect(error.error.message).toBe("'user' must be a string, got an object.");
    expect(rejectsChat(body({ temperature: {} }), { param: 'temperature' }).error.message).not.toContain('[object Object]');
  });

  it('a 100,000-character value is echoed as a short start and an ellipsis', () => {
    const long = 'm'.repeat(100_000);
    const notFound = caught(() => validateChatRequest(body({ model: long }), MODEL));
    expect(notFound.error.code).toBe('model_not_found');
    expect(notFound.error.message.length).toBeLessThan(200);
    expect(notFound.error.message).toContain(`'${'m'.repeat(64)}…'`);
    const unknownKey = caught(() => validateChatRequest(body({ [long]: 1 }), MODEL));
    expect(unknownKey.error.message.length).toBeLessThan(200);
    expect(unknownKey.error.param).toBe(`${'m'.repeat(64)}…`);
    const stringValue = caught(() => validateChatRequest(body({ temperature: long }), MODEL));
    expect(stringValue.error.message.length).toBeLessThan(200);
    const badName = caught(() => validateChatRequest(body({ tools: [{ type: 'function', function: { name: long } }] }), MODEL));
    expect(badName.error.message.length).toBeLessThan(200);
  });
});

/** `{ key: { key: … } }`, `depth` objects deep, built without recursion. */
function nested(depth: number, key = 'a', leaf: unknown = {}): Record<string, unknown> {
  let value: unknown = leaf;
  for (let level = 1; level < depth; level++) value = { [key]: value };
  return value as Record<string, unknown>;
}

/** A JSON Schema whose properties nest `depth` levels of objects. */
function deepSchema(depth: number): Record<string, unknown> {
  let schema: Record<string, unknown> = { type: 'string' };
  for (let level = 0; level < depth; level++) schema = { type: 'object', properties: { inner: schema } };
  return schema;
}

describe('depth and size are bounded before anything recursive', () => {
  it('a body 5,000 levels deep is a 400 naming its top-level parameter, in milliseconds', () => {
    const started = performance.now();
    const error = rejectsChat(body({ messages: [{ role: 'user', content: nested(5000) }] }), {
      param: 'messages[0]',
      code: 'too_deeply_nested',
    });
    expect(error.error.message).toContain('128 levels');
    expect(performance.now() - started).toBeLessThan(500);
    rejectsCompletion({ model: MODEL, prompt: "x", a: nested(5000) }, {
      param: 'a',
      code: 'too_deeply_nested',
    });
  });

  it('json_schema nested 1,000 and 1,500 deep, or just past 64 levels, is a 400 naming the schema', () => {
    for (const depth of [1000, 1500, 40]) {
      rejectsChat(body({ response_format: { type: 'json_schema', json_schema: { name: 'deep', schema: deepSchema(depth) } } }), {
        param: 'response_format.json_schema.schema',
        code: 'too_deeply_nested',
      });
    }
    // 31 levels of properties are 63 nested objects: accepted.
    expect(() =>
      validateChatRequest(body({ response_format: { type: 'json_schema', json_schema: { name: 'ok', schema: deepSchema(31) } } }), MODEL),
    ).not.toThrow();
  });

  it("tool parameters nested 3,000 deep are a 400 naming that tool's parameters", () => {
    const tools = [WEATHER_TOOL, { type: 'function', function: { name: 'deep', parameters: deepSchema(3000) } }];
    rejectsChat(body({ tools }), { param: 'tools[1].function.parameters', code: 'too_deeply_nested' });
  });

  it('a body of more than 100,000 values is a 400, cyclic in-page objects included', () => {
    rejectsChat(body({ logit_bias: Object.fromEntries(Array.from({ length: 100_001 }, (_, i) => [i, 1])) }), {
      param: 'logit_bias',
      code: 'too_large',
    });
    const cyclic: Record<string, unknown> = { role: 'user' };
    cyclic.content = [cyclic];
    rejectsChat(body({ messages: [cyclic] }), { param: 'messages[0]' });
  });
});

describe('values JSON cannot carry', () => {
  it('a function or bigint anywhere in the body is a 400 naming where, not a DataCloneError at postMessage', () => {
    const schema = { type: 'object', properties: { a: { type: 'string', default: () => 'x' } } };
    const error = rejectsChat(body({ response_format: { type: 'json_schema', json_schema: { name: 's', schema } } }), {
      param: 'response_format.json_schema.schema',
      code: 'invalid_type',
    });
    expect(error.error.message).toContain('properties.a.default');
    rejectsChat(body({ tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', x: 1n } } }] }), {
      param: 'tools[0].function.parameters',
      code: 'invalid_type',
    });
  });
});

describe('checkTextFitsContext', () => {
  const bound = { tokens: 100, longestTokenChars: 10 };

  it('refuses text that needs at least the whole context whatever the tokenizer does, naming the param', () => {
    const error = caught(() => checkTextFitsContext(1000, bound, 'suffix', 'prompt and suffix'));
    expect(error.status).toBe(400);
    expect(error.error).toMatchObject({ param: 'suffix', code: 'context_length_exceeded' });
    expect(error.error.message).toContain('1000 characters');
    expect(error.error.message).toContain('at least 100 tokens');
  });

  it('lets through text that might fit; the token count decides then', () => {
    expect(() => checkTextFitsContext(990, bound, 'prompt', 'prompt')).not.toThrow();
    expect(() => checkTextFitsContext(0, bound, 'prompt', 'prompt')).not.toThrow();
  });
});
