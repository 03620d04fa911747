/**
 * Every input is bounded and every request settles, on the tiny models in Node:
 * text far past the context is refused from its length in milliseconds, even
 * while another request generates; the sampler's extreme values still give real
 * tokens with log probabilities; a too-long suffix is blamed on `suffix`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, type ChatCompletionRequest } from '../../src/protocol/index.ts';
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

async function errorOf(call: () => Promise<unknown>): Promise<ApiError> {
  const thrown = await call().then(
    () => null,
    (error: unknown) => error,
  );
  expect(thrown).toBeInstanceOf(ApiError);
  return thrown as ApiError;
}

/** How long `call` takes to settle, and its error. */
async function timedError(call: () => Promise<unknown>): Promise<{ ms: number; error: ApiError }> {
  const started = performance.now();
  const error = await errorOf(call);
  return { ms: performance.now() - started, error };
}

function chat(content: string, extra: Partial<ChatCompletionRequest> = {}): ChatCompletionRequest {
  return { model: INSTRUCT, messages: [{ role: 'user', content }], max_tokens: 8, ...extra };
}

describe('text far past the context', () => {
  it('a 4 MB or 2 MB message is a 400 context_length_exceeded in milliseconds, while another request generates', async () => {
    const running = engine.chat(chat('Explain closures', { max_tokens: 40, temperature: 0 }));
    for (const megabytes of [4, 2]) {
      const { ms, error } = await timedError(() => engine.chat(chat('x'.repeat(megabytes * 1024 * 1024))));
      expect(error.status).toBe(400);
      expect(error.error).toMatchObject({ param: 'messages', code: 'context_length_exceeded' });
      expect(ms).toBeLessThan(100);
    }
    await running;
  });

  it("a tool's 4 MB description is refused the same way, naming tools", async () => {
    const tools = [{ type: 'function' as const, function: { name: 'f', description: 'd'.repeat(4 * 1024 * 1024) } }];
    const { ms, error } = await timedError(() => engine.chat(chat('hi', { tools })));
    expect(error.error).toMatchObject({ param: 'tools', code: 'context_length_exceeded' });
    expect(ms).toBeLessThan(100);
  });

  it('nextTokenLogits gets the same check, and a text that is not a string is a 400 naming text', async () => {
    const huge = await timedError(() => engine.nextTokenLogits('x'.repeat(4 * 1024 * 1024)));
    expect(huge.error.error).toMatchObject({ param: 'text', code: 'context_length_exceeded' });
    expect(huge.ms).toBeLessThan(100);
    const context = engine.loaded?.context_length ?? 0;
    // Within the length bound, but more tokens than the context: refused after tokenizing, before the forward pass.
    const overTokens = await errorOf(() => engine.nextTokenLogits('a '.repeat(context + 10)));
    expect(overTokens.error).toMatchObject({ param: 'text', code: 'context_length_exceeded' });
    expect((await errorOf(() => engine.nextTokenLogits(42))).error).toMatchObject({ param: 'text', code: 'invalid_type' });
    expect((await engine.nextTokenLogits('def f():')).length).toBeGreaterThan(0);
  });

  it('counts every request it receives, refused ones included', async () => {
    const before = engine.requestsReceived;
    await errorOf(() => engine.chat({ model: INSTRUCT, messages: [] }));
    await engine.chat(chat('hi', { max_tokens: 1 }));
    await engine.listModels();
    await errorOf(() => engine.complete({ model: INSTRUCT }));
    expect(engine.requestsReceived).toBe(before + 4);
  });
});

describe('sampling at the extremes the validator accepts', () => {
  it('a temperature of 1e-38 down to 5e-324 answers like greedy decoding, with logprobs', async () => {
    const greedy = await engine.chat(chat('Explain closures', { temperature: 0, logprobs: true }));
    const text = greedy.choices[0].message.content;
    expect(text).not.toBe('');
    for (const temperature of [1e-38, 1e-300, 5e-324]) {
      const answer = await engine.chat(chat('Explain closures', { temperature, logprobs: true, seed: 1 }));
      expect(answer.choices[0].message.content, String(temperature)).toBe(text);
      expect(answer.choices[0].logprobs?.content?.length, String(temperature)).toBe(greedy.choices[0].logprobs?.content?.length);
    }
  });

  it('a repetition_penalty of 1e-300 still gives real tokens with finite logprobs', async () => {
    const answer = await engine.chat(chat('Explain closures', { repetition_penalty: 1e-300, logprobs: true, top_logprobs: 3, seed: 3 }));
    const entries = answer.choices[0].logprobs?.content ?? [];
    expect(entries.length).toBeGreaterThan(0);
    expect(answer.choices[0].message.content).toBe(entries.map((entry) => entry.token).join(''));
    for (const entry of entries) expect(Number.isFinite(entry.logprob)).toBe(true);
  });
});

describe('fill-in-the-middle', () => {
  beforeAll(async () => {
    await engine.load(BASE, { device: 'cpu', dtype: 'q4' });
  });

  it('a suffix too long for the context is blamed on suffix, not prompt', async () => {
    const context = engine.loaded?.context_length ?? 0;
    const tokenized = await errorOf(() => engine.complete({ model: BASE, prompt: 'def f():', suffix: 'a '.repeat(context + 10), max_tokens: 4 }));
    expect(tokenized.error).toMatchObject({ param: 'suffix', code: 'context_length_exceeded' });
    const byLength = await timedError(() => engine.complete({ model: BASE, prompt: 'def f():', suffix: 'x'.repeat(4 * 1024 * 1024) }));
    expect(byLength.error.error).toMatchObject({ param: 'suffix', code: 'context_length_exceeded' });
    expect(byLength.ms).toBeLessThan(100);
    const longPrompt = await errorOf(() => engine.complete({ model: BASE, prompt: 'a '.repeat(context + 10), suffix: 'return x', max_tokens: 4 }));
    expect(longPrompt.error.param).toBe('prompt');
  });
});
