/**
 * The engine end to end in Node: the tiny random-weight instruct model, loaded
 * once (q4, CPU) through the local hub mirror and shared by every test. The
 * model is gibberish but deterministic, so greedy output is a fixed string we
 * can cut stop strings from, abort in the middle of, and compare across runs.
 *
 * The last describe block unloads the model (a failed load replaces it), so it
 * stays last; vitest runs the tests of a file in order.
 */
import { AutoTokenizer } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiError,
  type ChatCompletion,
  type ChatCompletionChunk,
  type ChatCompletionRequest,
  type ChatMessage,
  type Usage,
} from '../../src/protocol/index.ts';
import { DEFAULT_MODEL_ID } from '../../src/protocol/types.ts';
import { Engine } from '../../workers/engine/engine.ts';
import { nodeHost } from '../../workers/engine/node-host.ts';
import { BASE, INSTRUCT, startEngine } from './harness.ts';

const INSTRUCT_EOS_TEXT = '<|EOT|>';
/** DeepSeek Coder's default system prompt, as its chat template writes it when no system message is given. */
const DEEPSEEK_DEFAULT_SYSTEM =
  'You are an AI programming assistant, utilizing the Deepseek Coder model, developed by Deepseek Company, and you only answer questions related to computer science. For politically sensitive questions, security and privacy issues, and other non-computer science questions, you will refuse to answer\n';

let engine: Engine;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ engine, close } = await startEngine());
  await engine.load(INSTRUCT, { device: 'cpu', dtype: 'q4' });
});

afterAll(async () => {
  await close?.();
});

function user(content: string): ChatMessage[] {
  return [{ role: 'user', content }];
}

function greedy(content: string, extra: Partial<ChatCompletionRequest> = {}): ChatCompletionRequest {
  return { model: INSTRUCT, messages: user(content), temperature: 0, max_tokens: 200, ...extra };
}

function sampled(seed: number, extra: Partial<ChatCompletionRequest> = {}): ChatCompletionRequest {
  return {
    model: INSTRUCT,
    messages: user('Explain closures'),
    temperature: 0.9,
    top_p: 0.9,
    top_k: 50,
    seed,
    max_tokens: 40,
    ...extra,
  };
}

function contentOf(completion: ChatCompletion): string {
  const choice = completion.choices[0];
  if (!choice) throw new Error('completion has no choice');
  return choice.message.content ?? '';
}

function finishOf(completion: ChatCompletion): string {
  const choice = completion.choices[0];
  if (!choice) throw new Error('completion has no choice');
  return choice.finish_reason;
}

/** Usage without `prompt_tokens_details`: how much of a prompt was cached depends on the request before. */
function tokenCounts({ prompt_tokens, completion_tokens, total_tokens }: Usage) {
  return { prompt_tokens, completion_tokens, total_tokens };
}

/** A chunk that carries generated text (not the role chunk, finish chunk or usage chunk). */
function isContentChunk(chunk: ChatCompletionChunk): boolean {
  const delta = chunk.choices[0]?.delta;
  return delta !== undefined && delta.role === undefined && typeof delta.content === 'string';
}

function textOf(chunks: ChatCompletionChunk[]): string {
  return chunks.filter(isContentChunk).map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
}

async function streamed(body: ChatCompletionRequest, signal?: AbortSignal) {
  const chunks: ChatCompletionChunk[] = [];
  const completion = await engine.chat(body, (chunk) => chunks.push(chunk), signal);
  return { completion, chunks };
}

/** Runs `call` (which may throw synchronously or reject) and returns the ApiError it raised. */
async function apiErrorOf(call: () => unknown): Promise<ApiError> {
  let thrown: unknown;
  try {
    await call();
  } catch (error) {
    thrown = error;
  }
  if (thrown === undefined) throw new Error('expected an ApiError, but the call succeeded');
  expect(thrown).toBeInstanceOf(ApiError);
  return thrown as ApiError;
}

/** The greedy reference answers, computed once. */
const reference = new Map<string, ChatCompletion>();
async function greedyReference(content: string): Promise<ChatCompletion> {
  let completion = reference.get(content);
  if (!completion) {
    completion = await engine.chat(greedy(content));
    reference.set(content, completion);
  }
  return completion;
}

describe('determinism', () => {
  it('greedy output is identical across runs', async () => {
    for (const prompt of ['hi', 'Explain closures']) {
      const first = await engine.chat(greedy(prompt));
      const second = await engine.chat(greedy(prompt));
      expect(contentOf(first).length).toBeGreaterThan(0);
      expect(contentOf(second)).toBe(contentOf(first));
      expect(tokenCounts(second.usage)).toEqual(tokenCounts(first.usage));
      expect(finishOf(second)).toBe(finishOf(first));
      // Different runs are different completions.
      expect(second.id).not.toBe(first.id);
    }
    // The two prompts lead to different answers: the prompt reaches the model.
    expect(contentOf(await greedyReference('hi'))).not.toBe(contentOf(await greedyReference('Explain closures')));
  });

  it('greedy ignores the seed', async () => {
    const plain = await greedyReference('hi');
    const seeded = await engine.chat(greedy('hi', { seed: 7 }));
    expect(contentOf(seeded)).toBe(contentOf(plain));
  });

  it('seeded sampling is reproducible, and the seed matters', async () => {
    const first = await engine.chat(sampled(1234));
    const second = await engine.chat(sampled(1234));
    expect(contentOf(first).length).toBeGreaterThan(0);
    expect(contentOf(second)).toBe(contentOf(first));
    expect(tokenCounts(second.usage)).toEqual(tokenCounts(first.usage));

    const others: string[] = [];
    for (const seed of [1, 2, 3, 4]) others.push(contentOf(await engine.chat(sampled(seed))));
    expect(others.some((content) => content !== contentOf(first))).toBe(true);
    // Sampling at temperature 0.9 leaves the greedy path at least once over these seeds.
    const greedyText = contentOf(await greedyReference('Explain closures'));
    expect([contentOf(first), ...others].some((content) => !greedyText.startsWith(content))).toBe(true);
  });
});

describe('finish reasons', () => {
  it("ends with 'stop' at EOS, without emitting the EOS token as text", async () => {
    const completion = await greedyReference('hi');
    expect(finishOf(completion)).toBe('stop');
    expect(completion.usage.completion_tokens).toBeGreaterThan(1);
    expect(completion.usage.completion_tokens).toBeLessThan(200);
    expect(completion.usage.total_tokens).toBe(completion.usage.prompt_tokens + completion.usage.completion_tokens);
    expect(contentOf(completion)).not.toContain(INSTRUCT_EOS_TEXT);
  });

  it("ends with 'length' at max_tokens, with a prefix of the full answer", async () => {
    const full = contentOf(await greedyReference('Explain closures'));
    const short = await engine.chat(greedy('Explain closures', { max_tokens: 3 }));
    expect(finishOf(short)).toBe('length');
    expect(short.usage.completion_tokens).toBe(3);
    expect(contentOf(short).length).toBeGreaterThan(0);
    expect(full.startsWith(contentOf(short))).toBe(true);
    expect(contentOf(short).length).toBeLessThan(full.length);
  });

  it('counts EOS as a completion token: max_tokens = n stops, n - 1 runs out of length', async () => {
    const full = await greedyReference('hi');
    const n = full.usage.completion_tokens;
    const exact = await engine.chat(greedy('hi', { max_tokens: n }));
    expect(finishOf(exact)).toBe('stop');
    expect(exact.usage.completion_tokens).toBe(n);
    expect(contentOf(exact)).toBe(contentOf(full));

    const oneShort = await engine.chat(greedy('hi', { max_tokens: n - 1 }));
    expect(finishOf(oneShort)).toBe('length');
    expect(oneShort.usage.completion_tokens).toBe(n - 1);
    // Only the EOS token was missing, so every character is there.
    expect(contentOf(oneShort)).toBe(contentOf(full));
  });
});

describe('streaming', () => {
  it('emits a role chunk, content chunks that add up to the completion, then a finish chunk', async () => {
    const { completion, chunks } = await streamed(greedy('Explain closures'));
    expect(chunks.length).toBeGreaterThan(3);

    const first = chunks[0];
    expect(first?.choices).toHaveLength(1);
    expect(first?.choices[0]?.delta.role).toBe('assistant');
    expect(first?.choices[0]?.finish_reason).toBeNull();

    const last = chunks.at(-1);
    expect(last?.choices[0]?.finish_reason).toBe(finishOf(completion));
    expect(last?.choices[0]?.delta).toEqual({});
    expect(last?.timings).toBeDefined();
    // Only the last chunk finishes, and no usage chunk without include_usage.
    expect(chunks.slice(0, -1).every((chunk) => chunk.choices[0]?.finish_reason === null)).toBe(true);
    expect(chunks.every((chunk) => chunk.usage === undefined && chunk.choices.length === 1)).toBe(true);

    const middle = chunks.slice(1, -1);
    expect(middle.length).toBeGreaterThan(1);
    expect(middle.every(isContentChunk)).toBe(true);
    expect(middle.every((chunk) => (chunk.choices[0]?.delta.content ?? '').length > 0)).toBe(true);
    expect(textOf(chunks)).toBe(contentOf(completion));
    expect(contentOf(completion)).toBe(contentOf(await greedyReference('Explain closures')));

    for (const chunk of chunks) {
      expect(chunk.object).toBe('chat.completion.chunk');
      expect(chunk.id).toBe(completion.id);
      expect(chunk.model).toBe(INSTRUCT);
      expect(chunk.created).toBe(completion.created);
    }
  });

  it('ends with a usage chunk with no choices when stream_options.include_usage is set', async () => {
    const { completion, chunks } = await streamed(greedy('hi', { stream: true, stream_options: { include_usage: true } }));
    const usageChunk = chunks.at(-1);
    expect(usageChunk?.choices).toEqual([]);
    expect(usageChunk?.usage).toEqual(completion.usage);
    // As in OpenAI's streams: the other chunks say usage: null.
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    expect(tokenCounts(completion.usage)).toEqual(tokenCounts((await greedyReference('hi')).usage));
    expect(textOf(chunks)).toBe(contentOf(completion));
  });
});

describe('stop strings', () => {
  /** Code points, so a cut never splits a surrogate pair. */
  function codePoints(text: string): string[] {
    return Array.from(text);
  }

  async function checkStop(prompt: string, stop: string) {
    const full = contentOf(await greedyReference(prompt));
    const at = full.indexOf(stop);
    expect(at).toBeGreaterThan(0);
    const { completion, chunks } = await streamed(greedy(prompt, { stop: [stop] }));
    expect(contentOf(completion)).toBe(full.slice(0, at));
    expect(finishOf(completion)).toBe('stop');
    expect(textOf(chunks)).toBe(contentOf(completion));
    for (const chunk of chunks) expect(chunk.choices[0]?.delta.content ?? '').not.toContain(stop);
    // Stopping early means fewer tokens than the full answer.
    expect(completion.usage.completion_tokens).toBeLessThan((await greedyReference(prompt)).usage.completion_tokens);
    return completion;
  }

  it('cuts the output before a stop string found in the middle of the greedy answer', async () => {
    const chars = codePoints(contentOf(await greedyReference('Explain closures')));
    const k = Math.floor(chars.length / 2);
    const stop = chars.slice(k, k + 3).join('');
    await checkStop('Explain closures', stop);
  });

  it('finds a stop string that spans two streamed chunks', async () => {
    const { chunks } = await streamed(greedy('Explain closures'));
    const pieces = chunks.filter(isContentChunk).map((chunk) => chunk.choices[0]?.delta.content ?? '');
    // A boundary in the middle of the answer, between two chunks of at least two characters each.
    const index = pieces.findIndex(
      (piece, i) => i >= pieces.length / 3 && codePoints(piece).length >= 2 && codePoints(pieces[i + 1] ?? '').length >= 2,
    );
    expect(index).toBeGreaterThan(0);
    const stop = codePoints(pieces[index] ?? '').slice(-2).join('') + codePoints(pieces[index + 1] ?? '').slice(0, 2).join('');
    await checkStop('Explain closures', stop);
  });

  it('takes the earliest of several stop strings', async () => {
    const chars = codePoints(contentOf(await greedyReference('Explain closures')));
    const early = chars.slice(10, 13).join('');
    const late = chars.slice(chars.length - 6, chars.length - 3).join('');
    const full = chars.join('');
    const { completion } = await streamed(greedy('Explain closures', { stop: [late, early] }));
    expect(contentOf(completion)).toBe(full.slice(0, Math.min(full.indexOf(early), full.indexOf(late))));
    expect(finishOf(completion)).toBe('stop');
  });

  it('a stop string that never appears changes nothing', async () => {
    const full = await greedyReference('hi');
    const { completion, chunks } = await streamed(greedy('hi', { stop: ['\u0000never\u0000'] }));
    expect(contentOf(completion)).toBe(contentOf(full));
    expect(tokenCounts(completion.usage)).toEqual(tokenCounts(full.usage));
    expect(textOf(chunks)).toBe(contentOf(full));
  });
});

describe('abort', () => {
  it('an abort in the middle of a generation rejects with aborted and stops within a token', async () => {
    const controller = new AbortController();
    let beforeAbort = 0;
    let afterAbort = 0;
    let finished = false;
    const running = engine.chat(
      greedy('Explain closures'),
      (chunk) => {
        if (chunk.choices[0]?.finish_reason) finished = true;
        if (!isContentChunk(chunk)) return;
        if (controller.signal.aborted) {
          afterAbort += 1;
          return;
        }
        beforeAbort += 1;
        if (beforeAbort === 3) controller.abort();
      },
      controller.signal,
    );
    const error = await apiErrorOf(() => running);
    expect(error.error.code).toBe('aborted');
    expect(error.error.type).toBe('cancelled');
    expect(error.status).toBe(499);

    // The next request runs once the aborted generation has let go of the model.
    const next = await engine.chat(greedy('hi'));
    expect(beforeAbort).toBe(3);
    expect(afterAbort).toBeLessThanOrEqual(1);
    expect(finished).toBe(false);
    expect(contentOf(next)).toBe(contentOf(await greedyReference('hi')));
    expect(tokenCounts(next.usage)).toEqual(tokenCounts((await greedyReference('hi')).usage));
  });

  it('an already aborted signal rejects without running', async () => {
    const controller = new AbortController();
    controller.abort();
    const chunks: ChatCompletionChunk[] = [];
    const error = await apiErrorOf(() => engine.chat(greedy('hi'), (chunk) => chunks.push(chunk), controller.signal));
    expect(error.error.code).toBe('aborted');
    expect(chunks).toHaveLength(0);
  });

  it('aborting a queued request rejects it at once and leaves the others alone', async () => {
    const controller = new AbortController();
    const chunksB: ChatCompletionChunk[] = [];
    const settled: string[] = [];
    const a = engine.chat(greedy('Explain closures', { max_tokens: 30 })).finally(() => settled.push('A'));
    const b = engine.chat(greedy('hi'), (chunk) => chunksB.push(chunk), controller.signal).finally(() => settled.push('B'));
    const c = engine.chat(greedy('hi')).finally(() => settled.push('C'));
    controller.abort();
    const [resultA, resultB, resultC] = await Promise.allSettled([a, b, c]);

    expect(resultB.status).toBe('rejected');
    if (resultB.status === 'rejected') {
      expect(resultB.reason).toBeInstanceOf(ApiError);
      expect((resultB.reason as ApiError).error.code).toBe('aborted');
    }
    expect(chunksB).toHaveLength(0);
    // B did not wait for A's generation.
    expect(settled).toEqual(['B', 'A', 'C']);

    expect(resultA.status).toBe('fulfilled');
    expect(resultC.status).toBe('fulfilled');
    if (resultA.status === 'fulfilled') {
      expect(finishOf(resultA.value)).toBe('length');
      expect(resultA.value.usage.completion_tokens).toBe(30);
      expect(contentOf(await greedyReference('Explain closures')).startsWith(contentOf(resultA.value))).toBe(true);
    }
    if (resultC.status === 'fulfilled') {
      expect(contentOf(resultC.value)).toBe(contentOf(await greedyReference('hi')));
    }
  });
});

describe('request errors', () => {
  it('rejects max_tokens beyond the room the context leaves', async () => {
    const info = engine.loaded;
    expect(info?.id).toBe(INSTRUCT);
    const contextLength = info?.context_length ?? 0;
    expect(contextLength).toBeGreaterThan(100);
    const error = await apiErrorOf(() => engine.chat(greedy('hi', { max_tokens: contextLength })));
    expect(error.status).toBe(400);
    expect(error.error.param).toBe('max_tokens');
    expect(error.error.code).toBe('context_length_exceeded');

    // Exactly the room left is allowed (greedy 'hi' then stops at EOS long before).
    const promptTokens = (await greedyReference('hi')).usage.prompt_tokens;
    const room = contextLength - promptTokens;
    const tooMany = await apiErrorOf(() => engine.chat(greedy('hi', { max_tokens: room + 1 })));
    expect(tooMany.error.code).toBe('context_length_exceeded');
    const fits = await engine.chat(greedy('hi', { max_tokens: room }));
    expect(contentOf(fits)).toBe(contentOf(await greedyReference('hi')));
  });

  it('rejects messages longer than the context', async () => {
    const contextLength = engine.loaded?.context_length ?? 0;
    const error = await apiErrorOf(() =>
      engine.chat({ model: INSTRUCT, messages: user('a '.repeat(contextLength + 100)), max_tokens: 1 }),
    );
    expect(error.status).toBe(400);
    expect(error.error.param).toBe('messages');
    expect(error.error.code).toBe('context_length_exceeded');
  });

  it('answers 404 model_not_found for a model that is not loaded, and keeps working', async () => {
    for (const model of [BASE, 'someone/other-model', DEFAULT_MODEL_ID]) {
      const error = await apiErrorOf(() => engine.chat({ model, messages: user('hi'), temperature: 0 }));
      expect(error.status).toBe(404);
      expect(error.error.param).toBe('model');
      expect(error.error.code).toBe('model_not_found');
      expect(error.error.message).toContain(model);
    }
    expect(engine.loaded?.id).toBe(INSTRUCT);
    const after = await engine.chat(greedy('hi'));
    expect(contentOf(after)).toBe(contentOf(await greedyReference('hi')));
  });

  it('rejects invalid parameters naming the parameter', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ temperature: 3 }, 'temperature'],
      [{ max_tokens: 0 }, 'max_tokens'],
      [{ top_p: 0 }, 'top_p'],
      [{ stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop'],
      [{ stream_options: { include_usage: true } }, 'stream_options'],
      [{ frequency_penalty: 2.5 }, 'frequency_penalty'],
      [{ logit_bias: { 5: 101 } }, 'logit_bias.5'],
      [{ best_of: 2 }, 'best_of'],
    ];
    for (const [extra, param] of cases) {
      const error = await apiErrorOf(() => engine.chat({ model: INSTRUCT, messages: user('hi'), ...extra }));
      expect(error.status).toBe(400);
      expect(error.error.param).toBe(param);
    }
  });
});

describe('models', () => {
  it('lists the hub default and both tiny models in OpenAI shape', async () => {
    const list = await engine.listModels();
    expect(list.object).toBe('list');
    const ids = list.data.map((model) => model.id);
    expect(ids).toEqual(expect.arrayContaining([DEFAULT_MODEL_ID, INSTRUCT, BASE]));
    expect(new Set(ids).size).toBe(ids.length);
    for (const model of list.data) {
      expect(Object.keys(model).sort()).toEqual(['cached', 'created', 'id', 'loaded', 'object', 'owned_by']);
      expect(typeof model.loaded).toBe('boolean');
      expect(typeof model.cached).toBe('boolean');
      expect(model.object).toBe('model');
      expect(Number.isInteger(model.created)).toBe(true);
      expect(model.created).toBeGreaterThan(1_600_000_000);
      expect(typeof model.owned_by).toBe('string');
      expect(model.owned_by.length).toBeGreaterThan(0);
    }
  });

  it('hides and refuses the tiny models where no dev mirror serves them', async () => {
    const production = new Engine(nodeHost(null));
    // The 6.7B GGUF models need WebGPU, which Node has not.
    expect((await production.listModels()).data.map((model) => model.id)).toEqual([
      DEFAULT_MODEL_ID,
      'TheBloke/deepseek-coder-1.3b-base-GGUF/deepseek-coder-1.3b-base.Q4_0.gguf',
      'Xenova/deepseek-coder-1.3b-base',
    ]);
    const error = await apiErrorOf(() => production.load(INSTRUCT, { device: 'cpu', dtype: 'q4' }));
    expect(error.status).toBe(404);
    expect(error.error.param).toBe('model');
    expect(error.error.code).toBe('model_not_found');
  });

  it('reports what it loaded', () => {
    const info = engine.loaded;
    expect(info).toMatchObject({ id: INSTRUCT, device: 'cpu', dtype: 'q4' });
    // The tiny model's config says 16384 positions; its KV cache is far below the budget.
    expect(info?.context_length).toBe(16384);
    // 2 (keys and values) × 2 layers × 4 KV heads × 16 dims × 4 bytes (the tiny q4 graph keeps an fp32 cache).
    expect(info?.kv_bytes_per_token).toBe(2 * 2 * 4 * 16 * 4);
  });
});

describe("DeepSeek's chat template", () => {
  it('renders the prompt with the default system prompt and the instruction format', async () => {
    const first = await engine.chat(greedy('hi', { max_tokens: 1 }));
    const second = await engine.chat(greedy('hi', { max_tokens: 1 }));
    expect(second.usage.prompt_tokens).toBe(first.usage.prompt_tokens);

    // Count the tokens of DeepSeek Coder's prompt, written out by hand, with the same tokenizer.
    const tokenizer = await AutoTokenizer.from_pretrained(INSTRUCT);
    const expected = `<｜begin▁of▁sentence｜>${DEEPSEEK_DEFAULT_SYSTEM}### Instruction:\nhi\n### Response:\n`;
    expect(first.usage.prompt_tokens).toBe(tokenizer.encode(expected, { add_special_tokens: false }).length);
  });

  it('a system message replaces the default system prompt', async () => {
    const promptTokens = async (messages: ChatMessage[]) =>
      (await engine.chat({ model: INSTRUCT, messages, temperature: 0, max_tokens: 1 })).usage.prompt_tokens;
    const plain = await promptTokens(user('hi'));
    const short = await promptTokens([{ role: 'system', content: 'x' }, ...user('hi')]);
    const long = await promptTokens([{ role: 'system', content: 'You are a careful reviewer of TypeScript code.' }, ...user('hi')]);
    // The default system prompt is long; 'x' replaces it.
    expect(short).toBeLessThan(plain);
    expect(plain - short).toBeGreaterThan(30);
    // A longer system message costs more tokens.
    expect(long).toBeGreaterThan(short);

    // Earlier turns are part of the prompt.
    const conversation = await promptTokens([
      { role: 'system', content: 'x' },
      ...user('hi'),
      { role: 'assistant', content: 'hello there' },
      ...user('hi'),
    ]);
    expect(conversation).toBeGreaterThan(short + 5);
  });
});

// Last: a failed load leaves nothing loaded.
describe('failed loads', () => {
  it('a failed load rejects naming the model, and a later load works', async () => {
    const missing = await apiErrorOf(() => engine.load('tiny-random/does-not-exist', { device: 'cpu', dtype: 'q4' }));
    expect(missing.error.param).toBe('model');
    expect(['model_not_found', 'model_load_failed']).toContain(missing.error.code);
    expect(engine.loaded).toBeNull();

    // Nothing is loaded now.
    const notLoaded = await apiErrorOf(() => engine.chat(greedy('hi')));
    expect(notLoaded.status).toBe(404);
    expect(notLoaded.error.code).toBe('model_not_found');
    expect(notLoaded.error.param).toBe('model');
    const noLogits = await apiErrorOf(() => engine.nextTokenLogits('hi'));
    expect(noLogits.error.code).toBe('model_not_found');

    // A dtype the catalog does not list for this model is refused before any download, naming dtype.
    const noFile = await apiErrorOf(() => engine.load(INSTRUCT, { device: 'cpu', dtype: 'fp16' }));
    expect(noFile.error.param).toBe('dtype');
    expect(noFile.error.code).toBe('dtype_unavailable');
    expect(engine.loaded).toBeNull();

    const loaded = await engine.load(INSTRUCT, { device: 'cpu', dtype: 'q4' });
    expect(loaded.id).toBe(INSTRUCT);
    const again = await engine.chat(greedy('hi'));
    expect(contentOf(again)).toBe(contentOf(await greedyReference('hi')));
    expect(tokenCounts(again.usage)).toEqual(tokenCounts((await greedyReference('hi')).usage));
  });

  it('rejects a device Node cannot run, keeping the loaded model', async () => {
    const error = await apiErrorOf(() => engine.load(INSTRUCT, { device: 'webgpu', dtype: 'q4' }));
    expect(error.error.param).toBe('device');
    expect(engine.loaded?.id).toBe(INSTRUCT);
    expect(contentOf(await engine.chat(greedy('hi')))).toBe(contentOf(await greedyReference('hi')));
  });
});
