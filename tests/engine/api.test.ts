/**
 * The complete API on the tiny random-weight models, in Node: n, logprobs,
 * penalties, logit_bias, completions with echo and fill-in-the-middle, and the
 * queue under many concurrent requests. The random model's output is gibberish
 * but deterministic, so each check compares runs or exact token ids.
 */
import { AutoTokenizer } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiError,
  type ChatCompletion,
  type ChatCompletionChunk,
  type ChatCompletionRequest,
  type Completion,
  type CompletionRequest,
} from '../../src/protocol/index.ts';
import type { Engine } from '../../workers/engine/engine.ts';
import { BASE, INSTRUCT, startEngine } from './harness.ts';

let engine: Engine;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ engine, close } = await startEngine());
  await engine.load(INSTRUCT, { device: 'cpu', dtype: 'q4' });
});

afterAll(async () => {
  await close?.();
});

function chat(extra: Partial<ChatCompletionRequest> = {}): ChatCompletionRequest {
  return { model: INSTRUCT, messages: [{ role: 'user', content: 'Explain closures' }], max_tokens: 24, ...extra };
}

async function errorOf(call: () => Promise<unknown>): Promise<ApiError> {
  const thrown = await call().then(
    () => null,
    (error: unknown) => error,
  );
  expect(thrown).toBeInstanceOf(ApiError);
  return thrown as ApiError;
}

describe('seed', () => {
  it('the same seed and parameters give the same tokens; another seed gives others', async () => {
    const body = chat({ temperature: 1.2, top_p: 0.95, min_p: 0.01, seed: 99, max_tokens: 30 });
    const first = await engine.chat(body);
    const second = await engine.chat(body);
    const other = await engine.chat({ ...body, seed: 100 });
    expect(second.choices[0].message.content).toBe(first.choices[0].message.content);
    expect(other.choices[0].message.content).not.toBe(first.choices[0].message.content);
  });
});

describe('n', () => {
  it('returns n indexed choices; seeded choices differ from each other and repeat as a whole', async () => {
    const body = chat({ n: 3, temperature: 1, seed: 5 });
    const first = await engine.chat(body);
    expect(first.choices.map((choice) => choice.index)).toEqual([0, 1, 2]);
    const texts = first.choices.map((choice) => choice.message.content);
    expect(new Set(texts).size).toBeGreaterThan(1);
    const again = await engine.chat(body);
    expect(again.choices.map((choice) => choice.message.content)).toEqual(texts);
    // Choice i samples with seed + i, so a single request with seed 6 reproduces choice 1.
    const single = await engine.chat({ ...body, n: 1, seed: 6 });
    expect(single.choices[0].message.content).toBe(texts[1]);
  });

  it('streams every choice with its index, each opened by a role chunk and closed by its own finish chunk', async () => {
    const chunks: ChatCompletionChunk[] = [];
    const completion = await engine.chat(chat({ n: 2, temperature: 1, seed: 1, stream: true }), (chunk) => chunks.push(chunk));
    for (const index of [0, 1]) {
      const mine = chunks.filter((chunk) => chunk.choices[0]?.index === index);
      expect(mine[0].choices[0].delta.role).toBe('assistant');
      expect(mine.at(-1)?.choices[0].finish_reason).not.toBeNull();
      const text = mine.map((chunk) => chunk.choices[0].delta.content ?? '').join('');
      expect(text).toBe(completion.choices[index].message.content);
    }
    const generated = completion.usage.completion_tokens;
    expect(generated).toBeGreaterThan(completion.choices.length);
  });
});

describe('logprobs', () => {
  it("come in OpenAI's shape, one entry per token, bytes that spell the answer, alternatives summing to at most 1", async () => {
    const completion = await engine.chat(chat({ logprobs: true, top_logprobs: 5, temperature: 0.8, seed: 3, max_tokens: 20 }));
    const choice = completion.choices[0];
    const entries = choice.logprobs?.content ?? [];
    const eos = choice.finish_reason === 'stop' ? 1 : 0;
    expect(entries.length).toBe(completion.usage.completion_tokens - eos);
    const bytes = entries.flatMap((entry) => entry.bytes ?? []);
    expect(Buffer.from(bytes).toString('utf8')).toBe(choice.message.content);
    for (const entry of entries) {
      expect(Object.keys(entry).sort()).toEqual(['bytes', 'logprob', 'token', 'top_logprobs']);
      expect(entry.logprob).toBeLessThanOrEqual(0);
      expect(entry.top_logprobs).toHaveLength(5);
      const total = entry.top_logprobs.reduce((sum, alternative) => sum + Math.exp(alternative.logprob), 0);
      expect(total).toBeLessThanOrEqual(1 + 1e-6);
      const sorted = [...entry.top_logprobs].sort((a, b) => b.logprob - a.logprob);
      expect(entry.top_logprobs).toEqual(sorted);
      // The drawn token is never likelier than the likeliest alternative.
      expect(entry.logprob).toBeLessThanOrEqual(entry.top_logprobs[0].logprob + 1e-9);
    }
  });

  it('greedy picks the top alternative every time', async () => {
    const completion = await engine.chat(chat({ logprobs: true, top_logprobs: 1, temperature: 0, max_tokens: 12 }));
    for (const entry of completion.choices[0].logprobs?.content ?? []) {
      expect(entry.logprob).toBeCloseTo(entry.top_logprobs[0].logprob, 9);
      expect(entry.bytes).toEqual(entry.top_logprobs[0].bytes);
    }
  });

  it('are null when not asked for', async () => {
    const completion = await engine.chat(chat({ max_tokens: 4 }));
    expect(completion.choices[0].logprobs).toBeNull();
  });
});

describe('logit_bias and penalties', () => {
  it('a +100 bias forces a token at every step', async () => {
    const tokenizer = await AutoTokenizer.from_pretrained(INSTRUCT);
    const forced = tokenizer.encode(' closure', { add_special_tokens: false })[0];
    const completion = await engine.chat(chat({ temperature: 0, max_tokens: 6, logit_bias: { [forced]: 100 } }));
    expect(completion.choices[0].finish_reason).toBe('length');
    expect(completion.usage.completion_tokens).toBe(6);
    expect(completion.choices[0].message.content).toBe(tokenizer.decode(new Array(6).fill(forced)));
  });

  it('a character cut off by max_tokens ends the text as U+FFFD, with its token and bytes in logprobs', async () => {
    // 156 is the byte-level token for the lone byte 0xE2, the first of a 3-byte character.
    const completion = await engine.chat(chat({ temperature: 0, max_tokens: 1, logprobs: true, logit_bias: { 156: 100 } }));
    expect(completion.choices[0].finish_reason).toBe('length');
    expect(completion.choices[0].message.content).toBe('\uFFFD');
    expect(completion.choices[0].logprobs?.content?.map((entry) => entry.bytes)).toEqual([[0xe2]]);
  });

  it('a −100 bias bans the greedy choice', async () => {
    const plain = await engine.chat(chat({ temperature: 0, max_tokens: 1, logprobs: true }));
    const first = plain.choices[0].logprobs?.content?.[0];
    expect(first).toBeDefined();
    const firstId = await tokenIdOf(first?.bytes ?? []);
    const banned = await engine.chat(chat({ temperature: 0, max_tokens: 1, logprobs: true, logit_bias: { [firstId]: -100 } }));
    expect(banned.choices[0].logprobs?.content?.[0].bytes).not.toEqual(first?.bytes);
  });

  it('presence and frequency penalties change a greedy answer that repeats tokens; zero changes nothing', async () => {
    // The tiny model's greedy answer to 'hi' uses 26 distinct tokens in 28, so two repeat.
    const body = chat({ messages: [{ role: 'user', content: 'hi' }], temperature: 0, max_tokens: 40, logprobs: true });
    const plain = await engine.chat(body);
    const tokens = plain.choices[0].logprobs?.content?.map((entry) => JSON.stringify(entry.bytes)) ?? [];
    expect(new Set(tokens).size).toBeLessThan(tokens.length);
    const zero = await engine.chat({ ...body, presence_penalty: 0, frequency_penalty: 0 });
    expect(zero.choices[0].message.content).toBe(plain.choices[0].message.content);
    for (const penalty of [{ presence_penalty: 2 }, { frequency_penalty: 2 }]) {
      const penalised = await engine.chat({ ...body, ...penalty });
      expect(penalised.choices[0].message.content).not.toBe(plain.choices[0].message.content);
      const penalisedTokens = penalised.choices[0].logprobs?.content?.map((entry) => JSON.stringify(entry.bytes)) ?? [];
      // Identical up to the first repeat, which the penalty is the only thing to change.
      const firstRepeat = tokens.findIndex((token, index) => tokens.indexOf(token) < index);
      expect(penalisedTokens.slice(0, firstRepeat)).toEqual(tokens.slice(0, firstRepeat));
      expect(penalisedTokens[firstRepeat]).not.toBe(tokens[firstRepeat]);
    }
  });

  it('rejects a logit_bias token beyond the vocabulary, naming it', async () => {
    const error = await errorOf(() => engine.chat(chat({ logit_bias: { 40000: 5 } })));
    expect(error.status).toBe(400);
    expect(error.error.param).toBe('logit_bias.40000');
  });
});

/** The id of a token from its bytes, which is how logprobs name it. */
async function tokenIdOf(bytes: number[]): Promise<number> {
  const tokenizer = await AutoTokenizer.from_pretrained(INSTRUCT);
  const ids = tokenizer.encode(Buffer.from(bytes).toString('utf8'), { add_special_tokens: false });
  if (ids.length !== 1) throw new Error(`bytes ${bytes.join(',')} are not one token`);
  return ids[0];
}

describe('completions', () => {
  beforeAll(async () => {
    await engine.load(BASE, { device: 'cpu', dtype: 'q4' });
  });

  afterAll(async () => {
    await engine.load(INSTRUCT, { device: 'cpu', dtype: 'q4' });
  });

  function completion(extra: Partial<CompletionRequest> = {}): CompletionRequest {
    return { model: BASE, prompt: 'def fibonacci(n):', max_tokens: 16, temperature: 0, ...extra };
  }

  it("continues raw text without a chat template, in OpenAI's text_completion shape", async () => {
    const result = await engine.complete(completion());
    expect(result.object).toBe('text_completion');
    expect(result.id).toMatch(/^cmpl-/);
    expect(Object.keys(result.choices[0]).sort()).toEqual(['finish_reason', 'index', 'logprobs', 'text']);
    expect(result.choices[0].text.length).toBeGreaterThan(0);
    // BOS plus the prompt's own tokens: no template around it.
    const tokenizer = await AutoTokenizer.from_pretrained(BASE);
    const promptIds = tokenizer.encode('def fibonacci(n):', { add_special_tokens: false });
    expect(result.usage?.prompt_tokens).toBe(promptIds.length + 1);
    expect(result.timings?.decode_tokens_per_second).toBeGreaterThan(0);
  });

  it('echo puts the prompt before the answer', async () => {
    const plain = await engine.complete(completion());
    const echoed = await engine.complete(completion({ echo: true }));
    expect(echoed.choices[0].text).toBe(`def fibonacci(n):${plain.choices[0].text}`);
  });

  it('suffix turns it into fill-in-the-middle with the exact FIM token ids', async () => {
    const tokenizer = await AutoTokenizer.from_pretrained(BASE);
    const prefix = 'def add(a, b):\n    ';
    const suffix = '\n    return result\n';
    const result = await engine.complete(completion({ prompt: prefix, suffix }));
    const expected = [
      32013,
      32016,
      ...tokenizer.encode(prefix, { add_special_tokens: false }),
      32015,
      ...tokenizer.encode(suffix, { add_special_tokens: false }),
      32017,
    ];
    expect(result.usage?.prompt_tokens).toBe(expected.length);
    // The same ids through raw text give the same greedy answer: the FIM prompt is exactly these tokens.
    const viaText = await engine.complete(completion({ prompt: tokenizer.decode(expected.slice(1), { skip_special_tokens: false }) }));
    expect(result.choices[0].text).toBe(viaText.choices[0].text);
  });

  it('streams text_completion chunks that add up to the answer, with usage last when asked', async () => {
    const chunks: Completion[] = [];
    const result = await engine.complete(completion({ stream: true, stream_options: { include_usage: true } }), (chunk) =>
      chunks.push(chunk),
    );
    expect(chunks.every((chunk) => chunk.object === 'text_completion' && chunk.id === result.id)).toBe(true);
    const usage = chunks.at(-1);
    expect(usage?.choices).toEqual([]);
    expect(usage?.usage).toEqual(result.usage);
    const text = chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.text)).join('');
    expect(text).toBe(result.choices[0].text);
  });

  it('legacy logprobs: parallel arrays whose tokens spell the text, offsets counting from the start', async () => {
    const result = await engine.complete(completion({ logprobs: 3, temperature: 0.7, seed: 11 }));
    const choice = result.choices[0];
    const logprobs = choice.logprobs;
    expect(logprobs).not.toBeNull();
    if (!logprobs) return;
    const { tokens, token_logprobs, top_logprobs, text_offset } = logprobs;
    expect(token_logprobs).toHaveLength(tokens.length);
    expect(top_logprobs).toHaveLength(tokens.length);
    expect(text_offset).toHaveLength(tokens.length);
    expect(tokens.join('')).toBe(choice.text);
    expect(text_offset[0]).toBe(0);
    for (let i = 1; i < tokens.length; i++) expect(text_offset[i]).toBe(text_offset[i - 1] + tokens[i - 1].length);
    for (const top of top_logprobs) {
      const values = Object.values(top ?? {});
      expect(values.length).toBeGreaterThan(0);
      expect(values.reduce((sum, value) => sum + Math.exp(value), 0)).toBeLessThanOrEqual(1 + 1e-6);
    }
  });

  it("echo with logprobs scores the prompt's own tokens: each under the model after the tokens before it, as OpenAI does", async () => {
    const prompt = 'def fibonacci(n):';
    const tokenizer = await AutoTokenizer.from_pretrained(BASE);
    const ids = tokenizer.encode(prompt, { add_special_tokens: false });
    const result = await engine.complete(completion({ prompt, echo: true, logprobs: 2, max_tokens: 4 }));
    const choice = result.choices[0];
    const logprobs = choice.logprobs;
    if (!logprobs) throw new Error('no logprobs');
    const { tokens, token_logprobs, top_logprobs, text_offset } = logprobs;
    expect(tokens.length).toBe(ids.length + (result.usage?.completion_tokens ?? 0));
    expect(tokens.join('')).toBe(choice.text);
    expect(tokens.slice(0, ids.length).join('')).toBe(prompt);
    expect(text_offset[0]).toBe(0);
    for (let i = 1; i < tokens.length; i++) expect(text_offset[i]).toBe(text_offset[i - 1] + tokens[i - 1].length);
    // Scoring runs the whole prompt in this request: nothing is counted as cached.
    expect(result.usage?.prompt_tokens_details).toEqual({ cached_tokens: 0 });

    // Each prompt token's logprob is a log-softmax of the logits after BOS and the tokens before it.
    const bos = tokenizer.decode([32013], { skip_special_tokens: false });
    for (let i = 0; i < ids.length; i++) {
      const before = bos + (i === 0 ? '' : tokenizer.decode(ids.slice(0, i)));
      expect(tokenizer.encode(before, { add_special_tokens: false })).toEqual([32013, ...ids.slice(0, i)]);
      const logits = (await engine.nextTokenLogits(before)).subarray(0, 32256);
      let max = -Infinity;
      for (const value of logits) max = Math.max(max, value);
      let sum = 0;
      for (const value of logits) sum += Math.exp(value - max);
      expect(token_logprobs[i]).toBeCloseTo(logits[ids[i]] - max - Math.log(sum), 3);
      expect(Object.keys(top_logprobs[i] ?? {}).length).toBeGreaterThan(0);
    }
  });

  it('echo with logprobs does not change the answer: generation after scoring matches a plain run of the prompt', async () => {
    // Scoring runs a cold prefill's passes; the plain run after it takes the logits they left, as a repeat does.
    const scored = await engine.complete(completion({ temperature: 0.8, seed: 5, logprobs: 1, echo: true }));
    const plain = await engine.complete(completion({ temperature: 0.8, seed: 5, logprobs: 1 }));
    expect(scored.choices[0].text).toBe(`def fibonacci(n):${plain.choices[0].text}`);
    const generated = scored.choices[0].logprobs?.token_logprobs.slice(-(plain.choices[0].logprobs?.tokens.length ?? 0));
    expect(generated).toEqual(plain.choices[0].logprobs?.token_logprobs);
  });

  it('max_tokens 0 with echo scores the prompt and generates nothing; without echo it is a 400', async () => {
    const chunks: Completion[] = [];
    const scored = await engine.complete(completion({ echo: true, logprobs: 0, max_tokens: 0, stream: true }), (chunk) => chunks.push(chunk));
    expect(scored.choices[0].text).toBe('def fibonacci(n):');
    expect(scored.choices[0].finish_reason).toBe('length');
    expect(scored.usage?.completion_tokens).toBe(0);
    expect(scored.choices[0].logprobs?.tokens.join('')).toBe('def fibonacci(n):');
    expect(chunks.map((chunk) => chunk.choices[0]?.text).join('')).toBe('def fibonacci(n):');
    const error = await errorOf(() => engine.complete(completion({ max_tokens: 0 })));
    expect(error.error).toMatchObject({ param: 'max_tokens', type: 'invalid_request_error' });
  });

  it('n choices and stop strings work as in chat', async () => {
    const full = await engine.complete(completion({ max_tokens: 30 }));
    const text = full.choices[0].text;
    const stop = text.slice(6, 9);
    const cut = await engine.complete(completion({ max_tokens: 30, stop }));
    expect(cut.choices[0].text).toBe(text.slice(0, text.indexOf(stop)));
    expect(cut.choices[0].finish_reason).toBe('stop');
    const many = await engine.complete(completion({ n: 3, temperature: 1, seed: 2 }));
    expect(many.choices.map((choice) => choice.index)).toEqual([0, 1, 2]);
  });

  it('chat on the base model is a 400 naming model; a prompt beyond the context is a 400 naming prompt', async () => {
    const chatError = await errorOf(() => engine.chat({ model: BASE, messages: [{ role: 'user', content: 'hi' }] }));
    expect(chatError.error.param).toBe('model');
    const context = engine.loaded?.context_length ?? 0;
    const long = await errorOf(() => engine.complete(completion({ prompt: 'a '.repeat(context + 10) })));
    expect(long.status).toBe(400);
    expect(long.error.param).toBe('prompt');
    expect(long.error.code).toBe('context_length_exceeded');
    expect((await engine.complete(completion({ max_tokens: 2 }))).choices[0].text.length).toBeGreaterThan(0);
  });
});

describe('concurrency', () => {
  it('20 concurrent requests all resolve, in arrival order, one generation at a time', async () => {
    const finished: number[] = [];
    const requests = Array.from({ length: 20 }, (_, index) =>
      engine.chat(chat({ max_tokens: 3, temperature: 0, stream: index % 2 === 0 }), () => undefined).then((completion: ChatCompletion) => {
        finished.push(index);
        return completion;
      }),
    );
    const results = await Promise.all(requests);
    expect(results).toHaveLength(20);
    expect(finished).toEqual(Array.from({ length: 20 }, (_, index) => index));
    expect(new Set(results.map((result) => result.choices[0].message.content)).size).toBe(1);
  });

  it('an aborted queued request never runs, and the rest complete', async () => {
    const controller = new AbortController();
    const started: number[] = [];
    const first = engine.chat(chat({ max_tokens: 5 }), () => started.push(0));
    const second = engine.chat(chat({ max_tokens: 5 }), () => started.push(1), controller.signal);
    const third = engine.chat(chat({ max_tokens: 5 }), () => started.push(2));
    controller.abort();
    await expect(second).rejects.toMatchObject({ error: { code: 'aborted' } });
    await Promise.all([first, third]);
    expect(started).not.toContain(1);
  });
});
