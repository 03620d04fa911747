import { expect, test } from '@playwright/test';
import { INSTRUCT, LONG_PROMPT, errorFrom, loadModel, openApp } from './helpers.ts';

test.beforeEach(async ({ page }) => {
  await openApp(page);
  await loadModel(page, 'wasm', 'q4');
});

test('non-streaming chat returns a chat.completion in OpenAI shape', async ({ page }) => {
  const completion = await page.evaluate(
    (model) =>
      window.deepseek.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'Write hello world in C' }],
        temperature: 0.7,
        top_p: 0.9,
        top_k: 40,
        repetition_penalty: 1.1,
        seed: 7,
        max_tokens: 5,
        stream: false,
      }),
    INSTRUCT,
  );
  expect(Object.keys(completion).sort()).toEqual(
    ['choices', 'created', 'id', 'model', 'object', 'system_fingerprint', 'timings', 'usage'].sort(),
  );
  expect(completion.id).toMatch(/^chatcmpl-/);
  expect(completion.object).toBe('chat.completion');
  expect(completion.model).toBe(INSTRUCT);
  expect(Number.isInteger(completion.created)).toBe(true);
  expect(completion.choices).toHaveLength(1);
  const [choice] = completion.choices;
  expect(choice).toEqual({
    index: 0,
    message: { role: 'assistant', content: expect.any(String), refusal: null },
    logprobs: null,
    finish_reason: expect.stringMatching(/^(stop|length)$/),
  });
  expect(completion.usage.total_tokens).toBe(completion.usage.prompt_tokens + completion.usage.completion_tokens);
  expect(completion.usage.completion_tokens).toBeLessThanOrEqual(5);
  // The end-of-sequence token counts as a completion token, so an answer
  // that ends on its fifth token is a stop at 5 tokens; only a length finish must have used all 5.
  if (choice.finish_reason === 'length') expect(completion.usage.completion_tokens).toBe(5);
});

test('streaming chat yields a role delta, content deltas, then finish_reason', async ({ page }) => {
  const { chunks, nonStream } = await page.evaluate(async (model) => {
    const request = { model, messages: [{ role: 'user' as const, content: 'hi' }], temperature: 0, max_tokens: 200 };
    const collected = [];
    for await (const chunk of await window.deepseek.chat.completions.create({ ...request, stream: true })) {
      collected.push(chunk);
    }
    return { chunks: collected, nonStream: await window.deepseek.chat.completions.create(request) };
  }, INSTRUCT);
  const first = chunks[0];
  expect(first.object).toBe('chat.completion.chunk');
  expect(first.choices).toEqual([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]);
  const middle = chunks.slice(1, -1);
  expect(middle.length).toBeGreaterThan(0);
  for (const chunk of middle) {
    expect(chunk.id).toBe(first.id);
    expect(chunk.choices).toEqual([{ index: 0, delta: { content: expect.any(String) }, logprobs: null, finish_reason: null }]);
  }
  const last = chunks.at(-1)!;
  // Greedy on the tiny model ends on <|EOT|> well within 200 tokens.
  expect(last.choices).toEqual([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]);
  expect(last.timings?.decode_tokens_per_second).toBeGreaterThan(0);
  const streamed = middle.map((chunk) => chunk.choices[0].delta.content).join('');
  expect(streamed).toBe(nonStream.choices[0].message.content);
  expect(nonStream.choices[0].finish_reason).toBe('stop');
});

test('max_tokens ends a stream with finish_reason length, and include_usage adds a usage chunk', async ({ page }) => {
  const chunks = await page.evaluate(async (model) => {
    const collected = [];
    const stream = await window.deepseek.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Explain closures' }],
      temperature: 0,
      max_tokens: 3,
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const chunk of stream) collected.push(chunk);
    return collected;
  }, INSTRUCT);
  expect(chunks.at(-2)!.choices[0].finish_reason).toBe('length');
  const usageChunk = chunks.at(-1)!;
  expect(usageChunk.choices).toEqual([]);
  expect(usageChunk.usage).toEqual({
    prompt_tokens: expect.any(Number),
    completion_tokens: 3,
    total_tokens: usageChunk.usage!.prompt_tokens + 3,
    prompt_tokens_details: { cached_tokens: expect.any(Number) },
  });
});

test('aborting mid-stream stops within a token, and the next request completes normally', async ({ page }) => {
  const result = await page.evaluate(
    async ([model, prompt]) => {
      const controller = new AbortController();
      const stream = await window.deepseek.chat.completions.create(
        { model, messages: [{ role: 'user', content: prompt }], temperature: 0, max_tokens: 300, stream: true },
        { signal: controller.signal },
      );
      let contentChunks = 0;
      let afterAbort = 0;
      let errorCode: unknown = null;
      try {
        for await (const chunk of stream) {
          if (controller.signal.aborted) afterAbort += 1;
          if (chunk.choices[0]?.delta.content) contentChunks += 1;
          if (contentChunks === 3 && !controller.signal.aborted) controller.abort();
        }
      } catch (error) {
        errorCode = (error as { error: { code: string } }).error.code;
      }
      const next = await window.deepseek.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'hi' }],
        temperature: 0,
        max_tokens: 4,
      });
      return { errorCode, afterAbort, next };
    },
    [INSTRUCT, LONG_PROMPT] as const,
  );
  expect(result.errorCode).toBe('aborted');
  expect(result.afterAbort).toBeLessThanOrEqual(1);
  expect(result.next.object).toBe('chat.completion');
  expect(result.next.usage.completion_tokens).toBeGreaterThan(0);
});

test('a queued request that is aborted never runs; the others all complete', async ({ page }) => {
  const outcome = await page.evaluate(async (model) => {
    const body = { model, messages: [{ role: 'user' as const, content: 'hi' }], temperature: 0, max_tokens: 4 };
    const controller = new AbortController();
    const first = window.deepseek.chat.completions.create(body);
    const aborted = window.deepseek.chat.completions.create(body, { signal: controller.signal });
    const third = window.deepseek.chat.completions.create(body);
    controller.abort();
    const settled = await Promise.allSettled([first, aborted, third]);
    return settled.map((entry) =>
      entry.status === 'fulfilled' ? 'ok' : (entry.reason as { error: { code: string } }).error.code,
    );
  }, INSTRUCT);
  expect(outcome).toEqual(['ok', 'aborted', 'ok']);
});

const invalid: [string, Record<string, unknown>, string][] = [
  ['temperature -1', { temperature: -1 }, 'temperature'],
  ['top_p 0', { top_p: 0 }, 'top_p'],
  ['empty messages', { messages: [] }, 'messages'],
  ['unknown role', { messages: [{ role: 'wizard', content: 'hi' }] }, 'messages[0].role'],
  ['max_tokens 0', { max_tokens: 0 }, 'max_tokens'],
  ['a model that is not loaded', { model: 'deepseek-ai/not-loaded' }, 'model'],
  ['non-string content', { messages: [{ role: 'user', content: 42 }] }, 'messages[0].content'],
  ['an unknown parameter', { frobnicate: true }, 'frobnicate'],
];

for (const [name, override, param] of invalid) {
  test(`invalid request (${name}) rejects naming '${param}'`, async ({ page }) => {
    const body = { model: INSTRUCT, messages: [{ role: 'user', content: 'hi' }], ...override };
    const result = await errorFrom(page, body);
    expect(result).not.toBeNull();
    expect(result!.error).toEqual({
      message: expect.any(String),
      type: 'invalid_request_error',
      param,
      code: expect.any(String),
    });
    expect(result!.status).toBe(param === 'model' ? 404 : 400);
  });
}

test('after an invalid request and a failed load, the engine still works', async ({ page }) => {
  expect(await errorFrom(page, { model: INSTRUCT, messages: [] })).not.toBeNull();
  const badLoad = await page.evaluate(async () => {
    try {
      await window.deepseek.load('tiny-random/does-not-exist-here', { device: 'wasm' });
      return null;
    } catch (error) {
      return (error as { error: { param: string } }).error;
    }
  });
  expect(badLoad).toMatchObject({ param: 'model' });
  await loadModel(page, 'wasm', 'q4');
  const completion = await page.evaluate(
    (model) => window.deepseek.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 }),
    INSTRUCT,
  );
  expect(completion.usage.completion_tokens).toBeGreaterThan(0);
});

test('models.list returns the catalog in OpenAI shape, saying what is loaded and cached', async ({ page }) => {
  const list = await page.evaluate(() => window.deepseek.models.list());
  expect(list.object).toBe('list');
  expect(list.data.map((model) => model.id)).toContain('onnx-community/deepseek-coder-1.3b-instruct-ONNX');
  expect(list.data.map((model) => model.id)).toContain(INSTRUCT);
  for (const model of list.data) {
    expect(model).toEqual({
      id: expect.any(String),
      object: 'model',
      created: expect.any(Number),
      owned_by: expect.any(String),
      loaded: expect.any(Boolean),
      cached: expect.any(Boolean),
    });
  }
  const instruct = list.data.find((model) => model.id === INSTRUCT);
  expect(instruct?.loaded).toBe(true);
  expect(instruct?.cached).toBe(true);
  expect(list.data.find((model) => model.id !== INSTRUCT && model.loaded)).toBeUndefined();
  const retrieved = await page.evaluate((id) => window.deepseek.models.retrieve(id), INSTRUCT);
  expect(retrieved).toEqual(instruct);
});

test('an invalid request rejects the promise create() returns; create() itself never throws', async ({ page }) => {
  const outcomes = await page.evaluate(async (model) => {
    const settle = (start: () => Promise<unknown>) => {
      let promise: Promise<unknown>;
      try {
        promise = start();
      } catch {
        return Promise.resolve('threw at the call');
      }
      return promise.then(
        () => 'resolved',
        (error: { status: number; error: { param: string } }) => `${error.status} ${error.error.param}`,
      );
    };
    return Promise.all([
      settle(() => window.deepseek.chat.completions.create({ model, messages: [], stream: true })),
      settle(() => window.deepseek.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], temperature: 3 })),
      settle(() => window.deepseek.completions.create({ model, prompt: 'x', top_p: 0 })),
      settle(() => window.deepseek.completions.create({ model: 'nobody/nothing', prompt: 'x', stream: true })),
    ]);
  }, INSTRUCT);
  expect(outcomes).toEqual(['400 messages', '400 temperature', '400 top_p', '404 model']);
});
