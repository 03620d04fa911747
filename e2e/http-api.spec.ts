/**
 * The HTTP API on the app's origin: the service worker answers /v1 by
 * forwarding to an open engine page. Driven by the official openai SDK,
 * unmodified, from a test page that has no engine of its own.
 */
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import type { HealthReport } from '../workers/service-worker/http-api.ts';
import { INSTRUCT, LONG_PROMPT } from './helpers.ts';

const BASE = 'tiny-random/deepseek-coder-base';
const SDK_PAGE = '/e2e/pages/openai-sdk.html';
/** The instruct model's end-of-sequence token; a bias of -100 keeps it from ending a generation early. */
const INSTRUCT_EOS = 32021;

async function openEnginePage(context: BrowserContext, model: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto('/');
  await page.waitForFunction(() => window.deepseek !== undefined);
  await page.evaluate((id) => window.deepseek.load(id, { device: 'wasm', dtype: 'q4' }), model);
  return page;
}

async function openSdkPage(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  await page.goto(SDK_PAGE);
  await page.waitForFunction(() => window.openai !== undefined && navigator.serviceWorker.controller !== null);
  return page;
}

function health(page: Page): Promise<{ status: number; body: HealthReport }> {
  return page.evaluate(async () => {
    const response = await fetch('/health');
    return { status: response.status, body: (await response.json()) as HealthReport };
  });
}

async function newContext(browser: Browser, baseURL: string | undefined): Promise<BrowserContext> {
  return browser.newContext({ baseURL });
}

test.describe('with engine pages open', () => {
  test.describe.configure({ mode: 'serial' });

  let context: BrowserContext;
  let instructPage: Page;
  let basePage: Page;
  let sdk: Page;

  test.beforeAll(async ({ browser, baseURL }) => {
    context = await newContext(browser, baseURL);
    // Two engine pages with different models: each request goes to the page that has its model.
    instructPage = await openEnginePage(context, INSTRUCT);
    basePage = await openEnginePage(context, BASE);
    sdk = await openSdkPage(context);
  });

  test.afterAll(async () => {
    await context.close();
  });

  test('the engine page stays cross-origin isolated under the service worker, and /health reports both models', async () => {
    await instructPage.reload();
    await instructPage.waitForFunction(() => window.deepseek !== undefined);
    expect(await instructPage.evaluate(() => navigator.serviceWorker.controller !== null && crossOriginIsolated)).toBe(true);
    await instructPage.evaluate((id) => window.deepseek.load(id, { device: 'wasm', dtype: 'q4' }), INSTRUCT);

    const { status, body } = await health(sdk);
    expect(status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.engine_pages).toBe(2);
    expect(body.loaded_models.map((model) => model.id).sort()).toEqual([BASE, INSTRUCT]);
    expect(body.active_requests).toBe(0);
  });

  test('chat completion through the SDK: a chat.completion with usage', async () => {
    const completion = await sdk.evaluate(
      (model) =>
        window.openai.chat.completions.create({
          model,
          messages: [{ role: 'user', content: 'Write hello world in C' }],
          temperature: 0,
          max_tokens: 6,
        }),
      INSTRUCT,
    );
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe(INSTRUCT);
    expect(completion.choices).toHaveLength(1);
    expect(completion.choices[0]).toMatchObject({ index: 0, message: { role: 'assistant', content: expect.any(String) }, logprobs: null });
    expect(completion.choices[0].finish_reason).toMatch(/^(stop|length)$/);
    const usage = completion.usage!;
    expect(usage.prompt_tokens).toBeGreaterThan(0);
    expect(usage.completion_tokens).toBeGreaterThan(0);
    expect(usage.completion_tokens).toBeLessThanOrEqual(6);
    expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
    if (usage.completion_tokens < 6) expect(completion.choices[0].finish_reason).toBe('stop');
  });

  test('streamed chat through the SDK: role delta, content deltas, finish_reason, usage; same text as without streaming', async () => {
    const { chunks, whole } = await sdk.evaluate(async ({ model, prompt }) => {
      const request = { model, messages: [{ role: 'user' as const, content: prompt }], temperature: 0, max_tokens: 12 };
      const stream = await window.openai.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
      const collected = [];
      for await (const chunk of stream) collected.push(chunk);
      return { chunks: collected, whole: await window.openai.chat.completions.create(request) };
    }, { model: INSTRUCT, prompt: LONG_PROMPT });
    const [first, ...rest] = chunks;
    expect(first.object).toBe('chat.completion.chunk');
    expect(first.choices[0].delta).toEqual({ role: 'assistant', content: '' });
    const usageChunk = rest.at(-1)!;
    expect(usageChunk.choices).toEqual([]);
    const { prompt_tokens, completion_tokens, total_tokens } = whole.usage!;
    expect(usageChunk.usage).toMatchObject({ prompt_tokens, completion_tokens, total_tokens });
    // The same prompt again: all of it was still in the KV cache, and its logits remembered.
    expect(whole.usage!.prompt_tokens_details).toEqual({ cached_tokens: prompt_tokens });
    const finishChunk = rest.at(-2)!;
    expect(finishChunk.choices[0].finish_reason).toBe(whole.choices[0].finish_reason);
    const deltas = rest.slice(0, -2);
    expect(deltas.length).toBeGreaterThan(0);
    for (const chunk of chunks) expect(chunk.id).toBe(first.id);
    const text = deltas.map((chunk) => chunk.choices[0].delta.content ?? '').join('');
    expect(text).toBe(whole.choices[0].message.content);
  });

  test('completions with suffix on the base model, through the SDK, streamed and not', async () => {
    const { completion, chunks } = await sdk.evaluate(async (model) => {
      const request = { model, prompt: 'def add(a, b):\n    ', suffix: '\n    return result\n', temperature: 0, max_tokens: 8 };
      const completion = await window.openai.completions.create(request);
      const collected = [];
      for await (const chunk of await window.openai.completions.create({ ...request, stream: true })) collected.push(chunk);
      return { completion, chunks: collected };
    }, BASE);
    expect(completion.id).toMatch(/^cmpl-/);
    expect(completion.object).toBe('text_completion');
    expect(completion.model).toBe(BASE);
    expect(completion.choices).toHaveLength(1);
    expect(completion.choices[0]).toMatchObject({ index: 0, text: expect.any(String), logprobs: null });
    expect(completion.choices[0].finish_reason).toMatch(/^(stop|length)$/);
    expect(completion.usage!.total_tokens).toBe(completion.usage!.prompt_tokens + completion.usage!.completion_tokens);
    expect(chunks.length).toBeGreaterThan(0);
    for (const chunk of chunks) expect(chunk.object).toBe('text_completion');
    expect(chunks.map((chunk) => chunk.choices[0]?.text ?? '').join('')).toBe(completion.choices[0].text);
    expect(chunks.at(-1)!.choices[0].finish_reason).toBe(completion.choices[0].finish_reason);
  });

  test('models list and retrieve through the SDK; the raw-slash path works too; an unknown id is 404', async () => {
    const { list, retrieved, rawPath, missing } = await sdk.evaluate(async (id) => {
      const list = await window.openai.models.list();
      // The SDK percent-encodes the slash in the id; a hand-written URL may not.
      const retrieved = await window.openai.models.retrieve(id);
      const rawPath = await (await fetch(`/v1/models/${id}`)).json();
      let missing = null;
      try {
        await window.openai.models.retrieve('nobody/no-such-model');
      } catch (error) {
        if (error instanceof window.OpenAI.NotFoundError) missing = { status: error.status, param: error.param, code: error.code };
      }
      return { list: list.data, retrieved, rawPath, missing };
    }, INSTRUCT);
    const ids = list.map((model) => model.id);
    expect(ids).toContain(INSTRUCT);
    expect(ids).toContain(BASE);
    for (const model of list) expect(model.object).toBe('model');
    expect(retrieved).toMatchObject({ id: INSTRUCT, object: 'model', owned_by: expect.any(String) });
    expect(rawPath).toEqual(retrieved);
    expect(missing).toEqual({ status: 404, param: 'model', code: 'model_not_found' });
  });

  test('a bad parameter is a 400 the SDK throws as BadRequestError naming the param', async () => {
    const thrown = await sdk.evaluate(async (model) => {
      try {
        await window.openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], temperature: 5 });
        return null;
      } catch (error) {
        if (!(error instanceof window.OpenAI.BadRequestError)) return { unexpected: String(error) };
        return { status: error.status, param: error.param, type: error.type, message: error.message };
      }
    }, INSTRUCT);
    expect(thrown).toMatchObject({ status: 400, param: 'temperature', type: 'invalid_request_error' });
  });

  test('malformed JSON, a wrong method, an unknown path and a model that is not loaded get OpenAI error objects', async () => {
    const answers = await sdk.evaluate(async (base) => {
      const ask = async (path: string, init?: RequestInit) => {
        const response = await fetch(path, init);
        return { status: response.status, allow: response.headers.get('Allow'), body: await response.json() };
      };
      const post = (body: string) => ({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
      return {
        malformed: await ask('/v1/chat/completions', post('{"model": ')),
        wrongMethod: await ask('/v1/chat/completions'),
        unknownPath: await ask('/v1/embeddings', post('{}')),
        notLoaded: await ask('/v1/chat/completions', post(JSON.stringify({ model: 'acme/not-loaded', messages: [{ role: 'user', content: 'hi' }] }))),
        baseHasNoChat: await ask('/v1/chat/completions', post(JSON.stringify({ model: base, messages: [{ role: 'user', content: 'hi' }] }))),
      };
    }, BASE);
    expect(answers.malformed.status).toBe(400);
    expect(answers.malformed.body.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_json', param: null });
    expect(answers.wrongMethod).toMatchObject({ status: 405, allow: 'POST', body: { error: { code: 'method_not_allowed' } } });
    expect(answers.unknownPath).toMatchObject({ status: 404, body: { error: { message: 'Invalid URL (POST /v1/embeddings)' } } });
    expect(answers.notLoaded).toMatchObject({ status: 404, body: { error: { param: 'model', code: 'model_not_found' } } });
    // Routed to the base model's page, whose engine refuses chat on a model with no chat template.
    expect(answers.baseHasNoChat).toMatchObject({ status: 400, body: { error: { param: 'model' } } });
  });

  test('plain fetch reads the stream as server-sent events ending with [DONE]', async () => {
    const { contentType, events } = await sdk.evaluate(async (model) => {
      const response = await fetch('/v1/chat/completions', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 5, stream: true }),
      });
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
      return { contentType: response.headers.get('Content-Type'), events: text.split('\n\n') };
    }, INSTRUCT);
    expect(contentType).toMatch(/^text\/event-stream/);
    expect(events.pop()).toBe('');
    expect(events.pop()).toBe('data: [DONE]');
    expect(events.length).toBeGreaterThanOrEqual(2);
    for (const event of events) {
      expect(event.startsWith('data: ')).toBe(true);
      expect(JSON.parse(event.slice('data: '.length)).object).toBe('chat.completion.chunk');
    }
    expect(JSON.parse(events.at(-1)!.slice('data: '.length)).choices[0].finish_reason).toMatch(/^(stop|length)$/);
  });

  test('aborting a stream through the SDK stops the generation, and the next request runs', async () => {
    const received = await sdk.evaluate(
      async ({ model, eos }) => {
        const stream = await window.openai.chat.completions.create({
          model,
          messages: [{ role: 'user', content: 'Count forever' }],
          // Without the abort this would run for thousands of tokens: its end-of-sequence token is banned.
          max_tokens: 4000,
          logit_bias: { [eos]: -100 },
          stream: true,
        });
        let count = 0;
        for await (const chunk of stream) {
          if (chunk.choices[0]?.delta.content && ++count === 3) stream.controller.abort();
        }
        return count;
      },
      { model: INSTRUCT, eos: INSTRUCT_EOS },
    );
    expect(received).toBe(3);
    // The page's request settles only once the engine has stopped generating.
    await expect.poll(async () => (await health(sdk)).body.active_requests, { timeout: 10_000 }).toBe(0);
    const next = await sdk.evaluate(
      (model) => window.openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 }),
      INSTRUCT,
    );
    expect(next.choices[0].finish_reason).toMatch(/^(stop|length)$/);
  });

  test('20 concurrent requests, streamed and not, all complete', async () => {
    const outcomes = await sdk.evaluate(async (model) => {
      const one = async (index: number) => {
        const request = { model, messages: [{ role: 'user' as const, content: `Request ${index}` }], max_tokens: 3, seed: index };
        if (index % 2 === 0) {
          const completion = await window.openai.chat.completions.create(request);
          return { index, finish: completion.choices[0].finish_reason };
        }
        let finish = null;
        for await (const chunk of await window.openai.chat.completions.create({ ...request, stream: true })) {
          finish = chunk.choices[0]?.finish_reason ?? finish;
        }
        return { index, finish };
      };
      return Promise.all(Array.from({ length: 20 }, (_, index) => one(index)));
    }, INSTRUCT);
    expect(outcomes).toHaveLength(20);
    for (const outcome of outcomes) expect(outcome.finish, `request ${outcome.index}`).toMatch(/^(stop|length)$/);
    expect((await health(sdk)).body.active_requests).toBe(0);
  });

  test('after the browser stops the idle service worker, the restarted one finds the engine pages again', async () => {
    const devtools = await context.newCDPSession(sdk);
    await devtools.send('ServiceWorker.enable');
    await devtools.send('ServiceWorker.stopAllWorkers');
    await devtools.detach();
    // The restarted worker knows no engine page until its roll call; the request still goes to the base model's page.
    const completion = await sdk.evaluate(
      (model) => window.openai.completions.create({ model, prompt: 'def main():', max_tokens: 2 }),
      BASE,
    );
    expect(completion.model).toBe(BASE);
    expect((await health(sdk)).body.engine_pages).toBe(2);
  });

  test('once the engine pages close, requests get a 503 in OpenAI shape', async () => {
    await instructPage.close();
    await basePage.close();
    const thrown = await sdk.evaluate(async (model) => {
      try {
        await window.openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }, { maxRetries: 0 });
        return null;
      } catch (error) {
        if (!(error instanceof window.OpenAI.APIError)) return { unexpected: String(error) };
        return { status: error.status, type: error.type, code: error.code };
      }
    }, INSTRUCT);
    expect(thrown).toEqual({ status: 503, type: 'server_error', code: 'engine_unavailable' });
    const { status, body } = await health(sdk);
    expect(status).toBe(503);
    expect(body).toEqual({ status: 'no_engine_page', engine_pages: 0, loaded_models: [], active_requests: 0 });
  });
});

test('with no engine page ever open, the API answers 503 and /health says so', async ({ browser, baseURL }) => {
  const context = await newContext(browser, baseURL);
  const sdk = await openSdkPage(context);
  const response = await sdk.evaluate(async () => {
    const answer = await fetch('/v1/models');
    return { status: answer.status, body: await answer.json() };
  });
  expect(response.status).toBe(503);
  expect(response.body.error).toMatchObject({ type: 'server_error', param: null, code: 'engine_unavailable' });
  expect(response.body.error.message).toMatch(/Open the app/);
  expect((await health(sdk)).body.status).toBe('no_engine_page');
  await context.close();
});
