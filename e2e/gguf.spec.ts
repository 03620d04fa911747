import { expect, test, type Page } from '@playwright/test';
import type { LoadProgress } from '../src/protocol/index.ts';
import { FIDELITY_PROMPTS, FIDELITY_TOLERANCE, runFidelity } from '../scripts/bench-full/fidelity-run.ts';
import { fidelityFailures } from '../scripts/bench-full/fidelity.ts';
import { loadTokenizer } from '../scripts/bench-full/prompts.ts';
import { INSTRUCT, errorFrom, openApp } from './helpers.ts';

/**
 * GGUF files converted in the tab, through the real hub path (the test mirror serves the hub's
 * layout and Range requests). The tiny GGUF files hold the tiny models' weights: Q4_0 exactly the
 * q4 ONNX graph's numbers, Q8_0 and Q4_K_M the same weights in llama.cpp's other formats.
 */
const Q4_0 = `${INSTRUCT}/deepseek-coder-instruct.Q4_0.gguf`;
const KQUANT_REPO = 'tiny-random/deepseek-coder-instruct-kquant';
const CASES = [
  { name: 'Q8_0', repo: INSTRUCT, file: 'deepseek-coder-instruct.Q8_0.gguf' },
  { name: 'Q4_K_M', repo: KQUANT_REPO, file: 'deepseek-coder-instruct-kquant.Q4_K_M.gguf' },
];

async function loadWithProgress(page: Page, model: string, device: 'wasm' | 'webgpu' = 'wasm'): Promise<LoadProgress[]> {
  return page.evaluate(
    async ({ model, device }) => {
      const progress: LoadProgress[] = [];
      await window.deepseek.load(model, { device, dtype: 'q4', onProgress: (event: LoadProgress) => progress.push(event) });
      return progress;
    },
    { model, device },
  );
}

function greedy(page: Page, model: string, maxTokens = 12): Promise<string> {
  return page.evaluate(
    async ({ model, maxTokens }) =>
      (await window.deepseek.completions.create({ model, prompt: 'def fibonacci(n):', max_tokens: maxTokens, temperature: 0 })).choices[0].text,
    { model, maxTokens },
  );
}

test('a Q4_0 GGUF converts in the tab on WASM and answers as the q4 ONNX graph of the same weights does', async ({ page }) => {
  await openApp(page);
  const progress = await loadWithProgress(page, Q4_0);
  const converting = progress.filter((event) => event.stage === 'convert');
  expect(converting.length).toBeGreaterThan(1);
  expect(converting.at(-1)!.loaded_bytes).toBe(converting.at(-1)!.total_bytes);
  expect(progress.at(-1)!.stage).toBe('ready');
  const converted = await greedy(page, Q4_0);
  const chat = await page.evaluate(
    async (model) => (await window.deepseek.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 8 })).choices[0].message.content,
    Q4_0,
  );
  expect(chat).not.toBe('');
  await page.evaluate((model) => window.deepseek.load(model, { device: 'wasm', dtype: 'q4' }), INSTRUCT);
  expect(converted).toBe(await greedy(page, INSTRUCT));
});

test('a second load, after a reload, takes the converted graph from the cache: no conversion, no GGUF request', async ({ page }) => {
  await openApp(page);
  await loadWithProgress(page, Q4_0);
  const first = await greedy(page, Q4_0);
  await page.reload();
  await page.waitForFunction(() => window.deepseek !== undefined);
  const ggufRequests: string[] = [];
  page.context().on('request', (request) => {
    if (request.url().endsWith('.gguf')) ggufRequests.push(request.url());
  });
  const progress = await loadWithProgress(page, Q4_0);
  expect(progress.map((event) => event.stage)).not.toContain('convert');
  expect(ggufRequests).toEqual([]);
  expect(await greedy(page, Q4_0)).toBe(first);

  // The library lists it under its GGUF id, with its size; Delete removes it, and the next load converts again.
  const listed = await page.evaluate(async (id) => (await window.deepseek.cache.list()).data.find((model) => model.id === id), Q4_0);
  expect(listed?.dtypes).toContain('q4');
  expect(listed!.bytes).toBeGreaterThan(100_000);
  const deleted = await page.evaluate((id) => window.deepseek.cache.delete(id), Q4_0);
  expect(deleted.files_deleted).toBeGreaterThan(4);
  expect((await loadWithProgress(page, Q4_0)).map((event) => event.stage)).toContain('convert');
});

test('a load cancelled while converting rejects with 499, leaves no graph behind, and the engine loads again', async ({ page }) => {
  await openApp(page);
  // Each tensor read waits, so the conversion is still running when the load is cancelled.
  await page.context().route('**/deepseek-coder-instruct.Q4_0.gguf', async (route) => {
    if (route.request().headers().range?.startsWith('bytes=0-')) return route.continue();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await route.continue().catch(() => undefined);
  });
  const outcome = await page.evaluate(async (model) => {
    const controller = new AbortController();
    const loading = window.deepseek.load(model, {
      device: 'wasm',
      dtype: 'q4',
      signal: controller.signal,
      onProgress: (event: LoadProgress) => {
        if (event.stage === 'convert' && event.loaded_bytes > 0) controller.abort();
      },
    });
    try {
      await loading;
      return 'loaded';
    } catch (error) {
      return (error as { status?: number }).status;
    }
  }, Q4_0);
  expect(outcome).toBe(499);
  await page.context().unroute('**/deepseek-coder-instruct.Q4_0.gguf');
  const cached = await page.evaluate(async (id) => (await window.deepseek.cache.list()).data.find((model) => model.id === id) ?? null, Q4_0);
  expect(cached?.dtypes ?? []).toEqual([]);
  await loadWithProgress(page, Q4_0);
  expect(await greedy(page, Q4_0, 4)).not.toBe('');
});

test('on WebGPU (SwiftShader), the converted Q4_0 graph gives the greedy tokens WASM gives', async ({ page }) => {
  await openApp(page);
  await loadWithProgress(page, Q4_0, 'wasm');
  const onWasm = await greedy(page, Q4_0, 4);
  await loadWithProgress(page, Q4_0, 'webgpu');
  expect(await greedy(page, Q4_0, 4)).toBe(onWasm);
});

test('a 6.7B GGUF on WASM is refused at once, naming WebGPU, before anything downloads', async ({ page }) => {
  await openApp(page);
  const requests: string[] = [];
  page.context().on('request', (request) => {
    if (request.url().includes('6.7')) requests.push(request.url());
  });
  const started = Date.now();
  const refusal = await page.evaluate(async () => {
    try {
      await window.deepseek.load('TheBloke/deepseek-coder-6.7B-instruct-GGUF/deepseek-coder-6.7b-instruct.Q4_0.gguf', { device: 'wasm' });
      return null;
    } catch (error) {
      const { status, error: body } = error as { status: number; error: { param: string; code: string; message: string } };
      return { status, ...body };
    }
  });
  expect(Date.now() - started).toBeLessThan(5_000);
  expect(refusal).toMatchObject({ status: 400, param: 'device', code: 'model_too_large' });
  expect(refusal!.message).toContain('webgpu');
  expect(requests).toEqual([]);
  // A GGUF id of another form is a clear 400 too, not a request to the hub.
  expect(await errorFrom(page, { model: 'owner/name/sub/file.gguf', messages: [{ role: 'user', content: 'x' }] })).not.toBeNull();
});

test('choosing a GGUF file says what its load does, and on WASM that its 4-bit weights are slow there', async ({ page }) => {
  await openApp(page);
  await page.getByTestId('model-select').selectOption(Q4_0);
  await expect(page.getByTestId('gguf-note')).toBeVisible();
  await page.getByTestId('device-select').selectOption('wasm');
  await expect(page.getByTestId('gguf-wasm-note')).toBeVisible();
  await page.getByTestId('device-select').selectOption('webgpu');
  await expect(page.getByTestId('gguf-note')).toBeVisible();
  await expect(page.getByTestId('gguf-wasm-note')).toHaveCount(0);
  await page.getByTestId('model-select').selectOption(INSTRUCT);
  await expect(page.getByTestId('gguf-note')).toHaveCount(0);
});

for (const { name, repo, file } of CASES) {
  test(`${name}: the converted graph and llama.cpp on the same file compute the same next-token distributions`, async ({ browser, baseURL }) => {
    const url = baseURL ?? '';
    const mirrorUrl = new URL('/hf-mirror/', url).href;
    const tokenizer = await loadTokenizer(mirrorUrl, INSTRUCT);
    const results = await runFidelity(browser, { url, model: repo, ourModel: `${repo}/${file}`, gguf: file, threads: 2, tokenizer });
    expect(results).toHaveLength(FIDELITY_PROMPTS.length);
    expect(results.flatMap((result) => fidelityFailures(result, FIDELITY_TOLERANCE))).toEqual([]);
    expect(results.filter((result) => result.greedyChecked).length).toBeGreaterThan(0);
  });
}
