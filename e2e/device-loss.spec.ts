import { expect, test, type Page } from '@playwright/test';
import { END_OF_SEQUENCE, INSTRUCT, errorFrom, loadModel, openApp } from './helpers.ts';

/**
 * Streams an answer that cannot end early and destroys ONNX Runtime's WebGPU
 * device once its first token is out, as a driver reset would. Resolves with
 * how many chunks arrived and what the stream threw.
 */
function loseDeviceMidAnswer(page: Page): Promise<{ chunks: number; error: Record<string, unknown> | null; status: number | null }> {
  return page.evaluate(
    async ([model, banned]) => {
      const logit_bias = Object.fromEntries(banned.map((token) => [token, -100]));
      const stream = await window.deepseek.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 40, logit_bias, stream: true });
      let chunks = 0;
      try {
        for await (const chunk of stream) {
          chunks += 1;
          if (chunk.choices[0]?.delta.content) void window.deepseek.internals.destroyGpuDevice();
        }
        return { chunks, error: null, status: null };
      } catch (thrown) {
        const error = thrown as { error: Record<string, unknown>; status: number };
        return { chunks, error: error.error, status: error.status };
      }
    },
    [INSTRUCT, END_OF_SEQUENCE] as const,
  );
}

/** What `/v1/chat/completions` answered over HTTP (through the service worker), and after how long. */
interface HttpOutcome {
  status: number;
  body: unknown;
  elapsedMs: number;
}

/**
 * Posts a chat completion to the app's own `/v1` with fetch, as an HTTP client on
 * the page would, so the service worker forwards it to the engine page. The
 * fetch gives up after 20 s, so a hang fails the test rather than stalling it.
 */
function postOverHttp(page: Page, stream: boolean): Promise<HttpOutcome> {
  return page.evaluate(
    async ([model, stream]) => {
      const started = performance.now();
      const response = await fetch('/v1/chat/completions', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'over http' }], max_tokens: 2, stream }),
        signal: AbortSignal.timeout(20_000),
      });
      const body: unknown = await response.json();
      return { status: response.status, body, elapsedMs: performance.now() - started };
    },
    [INSTRUCT, stream] as const,
  );
}

/** Starts an answer in the playground on WebGPU and destroys the device while it streams. */
async function loseDeviceInPlayground(page: Page): Promise<void> {
  await openApp(page);
  await page.getByTestId('param-max-tokens-number').fill('40');
  await page.getByTestId('param-max-tokens-number').press('Tab');
  await page.getByTestId('model-select').selectOption(INSTRUCT);
  await page.getByTestId('device-select').selectOption('webgpu');
  await page.getByTestId('dtype-select').selectOption('q4');
  await page.getByTestId('load-button').click();
  await expect(page.getByTestId('running-on')).toHaveText('WebGPU · q4', { timeout: 120_000 });
  await page.evaluate((banned) => {
    const completions = window.deepseek.chat.completions;
    const create = completions.create;
    completions.create = ((body, options) => create({ ...body, logit_bias: Object.fromEntries(banned.map((token) => [token, -100])) }, options)) as typeof create;
  }, END_OF_SEQUENCE);

  await page.getByTestId('composer-input').fill('hi');
  await page.getByTestId('composer-input').press('Enter');
  await expect(page.getByTestId('live-tokens')).toBeVisible();
  expect(await page.evaluate(() => window.deepseek.internals.destroyGpuDevice())).toBe(true);

  await expect(page.getByTestId('message-error')).toContainText('The GPU device was lost');
  await expect(page.getByTestId('load-error')).toHaveAttribute('data-problem', 'gpu_lost');
}

test('a lost GPU device ends the answer in flight with a clear error in OpenAI’s shape; nothing hangs, and WASM loads after it', async ({ page }) => {
  await openApp(page);
  expect((await loadModel(page, 'webgpu', 'q4')).device).toBe('webgpu');
  const outcome = await loseDeviceMidAnswer(page);
  expect(outcome.chunks).toBeLessThan(40);
  expect(outcome.status).toBe(503);
  expect(outcome.error).toMatchObject({ type: 'server_error', param: null, code: 'gpu_device_lost' });
  expect(String(outcome.error?.message)).toMatch(/^The GPU device was lost .*Reload the page to use WebGPU again, or load the model on WASM/);

  // The next request fails at once, the same way, and the model is no longer listed as loaded.
  const next = await errorFrom(page, { model: INSTRUCT, messages: [{ role: 'user', content: 'again' }], max_tokens: 2 });
  expect(next).toMatchObject({ status: 503, error: { code: 'gpu_device_lost' } });
  const listed = await page.evaluate((id) => window.deepseek.models.retrieve(id), INSTRUCT);
  expect(listed.loaded).toBe(false);

  // Over HTTP the service worker relays the same error with its status, plain and streamed, at once rather than after a timeout.
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  for (const stream of [false, true]) {
    const http = await postOverHttp(page, stream);
    expect(http.status).toBe(503);
    expect(http.body).toMatchObject({ error: { type: 'server_error', param: null, code: 'gpu_device_lost', message: expect.stringMatching(/^The GPU device was lost/) } });
    expect(http.elapsedMs).toBeLessThan(3000);
  }

  expect((await loadModel(page, 'wasm', 'q4')).device).toBe('wasm');
  const reply = await page.evaluate((model) => window.deepseek.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 }), INSTRUCT);
  expect(reply.usage.completion_tokens).toBeGreaterThan(0);
});

test('the playground says the GPU was lost and offers WASM now: the model loads there and answers', async ({ page }) => {
  await loseDeviceInPlayground(page);
  const notice = page.getByTestId('load-error');
  await expect(notice.getByTestId('reload-webgpu')).toBeVisible();
  await notice.getByTestId('load-on-wasm').click();
  await expect(page.getByTestId('running-on')).toHaveText(/^WASM · /, { timeout: 120_000 });
  await page.getByTestId('message-retry').click();
  await expect(page.getByTestId('message-meta')).toHaveCount(1, { timeout: 120_000 });
});

test('after a lost GPU device, “Reload page for WebGPU” reloads the page, and WebGPU loads again', async ({ page }) => {
  await loseDeviceInPlayground(page);
  const reloaded = page.waitForEvent('load');
  await page.getByTestId('load-error').getByTestId('reload-webgpu').click();
  await reloaded;
  await page.waitForFunction(() => window.deepseek !== undefined);
  await expect(page.getByTestId('load-error')).toHaveCount(0);
  expect((await loadModel(page, 'webgpu', 'q4')).device).toBe('webgpu');
  const reply = await page.evaluate((model) => window.deepseek.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }), INSTRUCT);
  expect(reply.usage.completion_tokens).toBeGreaterThan(0);
});
