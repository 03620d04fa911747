import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect, test, type CDPSession, type Page } from '@playwright/test';
import { INSTRUCT, openApp, watchDownloads } from './helpers.ts';

type Damage = 'truncate' | 'empty' | 'flip';

/** Loads the tiny model on WASM through the API: the error it threw, if any, and the cache repairs it reported. */
function load(page: Page, dtype = 'q4'): Promise<{ error: string | null; details?: string; notices: string[] }> {
  return page.evaluate(
    async ([id, dtype]) => {
      const notices: string[] = [];
      try {
        await window.deepseek.load(id, { device: 'wasm', dtype: dtype as 'q4', onProgress: (progress) => progress.notice && notices.push(progress.notice) });
        return { error: null, notices };
      } catch (thrown) {
        const error = thrown as Error & { error?: { details?: string } };
        return { error: error.message, details: error.error?.details, notices };
      }
    },
    [INSTRUCT, dtype] as const,
  );
}

/** Damages one cached file in place, as a disk, an extension or an interrupted write might. */
function damage(page: Page, path: string, how: Damage): Promise<void> {
  return page.evaluate(
    async ([path, how]) => {
      const cache = await caches.open('transformers-cache');
      const key = (await cache.keys()).find((request) => request.url.endsWith(`/${path}`))!;
      const stored = (await cache.match(key))!;
      const bytes = new Uint8Array(await stored.arrayBuffer());
      const headers = new Headers(stored.headers);
      headers.delete('content-length');
      if (how === 'flip') bytes[0] ^= 0xff;
      const body = how === 'empty' ? null : how === 'truncate' ? bytes.slice(0, bytes.length >> 1) : bytes;
      await cache.put(key, new Response(body, { headers }));
    },
    [path, how] as const,
  );
}

function cachedSha256(page: Page, path: string): Promise<string> {
  return page.evaluate(async (path) => {
    const cache = await caches.open('transformers-cache');
    const key = (await cache.keys()).find((request) => request.url.endsWith(`/${path}`))!;
    const bytes = await (await cache.match(key))!.arrayBuffer();
    return [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  }, path);
}

async function answers(page: Page): Promise<void> {
  const reply = await page.evaluate(
    (model) => window.deepseek.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 }),
    INSTRUCT,
  );
  expect(reply.usage.completion_tokens).toBeGreaterThan(0);
}

const GRAPH = 'onnx/model_q4.onnx';

test('a truncated, empty or bit-flipped cached file is deleted and fetched again, said plainly, and the load succeeds', async ({ page }) => {
  await openApp(page);
  expect((await load(page)).error).toBeNull();

  await damage(page, GRAPH, 'truncate');
  await damage(page, 'config.json', 'empty');
  const repaired = await load(page);
  expect(repaired.error).toBeNull();
  expect(repaired.notices).toEqual(
    expect.arrayContaining([expect.stringMatching(/^config\.json in the browser cache was empty/), expect.stringMatching(/^onnx\/model_q4\.onnx in the browser cache was incomplete \(\d+ of \d+ bytes\)/)]),
  );
  await answers(page);

  // A flipped bit keeps the size: the runtime fails on it, the checksum finds it, and the load runs again once.
  await damage(page, GRAPH, 'flip');
  const rehashed = await load(page);
  expect(rehashed.error).toBeNull();
  expect(rehashed.notices).toEqual([expect.stringMatching(/^onnx\/model_q4\.onnx in the browser cache did not match the hub's checksum/)]);
  expect(await cachedSha256(page, GRAPH)).toBe(createHash('sha256').update(readFileSync(`fixtures/hub/${INSTRUCT}/${GRAPH}`)).digest('hex'));
  await answers(page);

  // The UI says what it repaired.
  await damage(page, GRAPH, 'truncate');
  await page.getByTestId('model-select').selectOption(INSTRUCT);
  await page.getByTestId('device-select').selectOption('wasm');
  await page.getByTestId('dtype-select').selectOption('q4');
  await page.getByTestId('load-button').click();
  await expect(page.getByTestId('running-on')).toHaveText('WASM · q4');
  await expect(page.getByTestId('cache-repaired')).toContainText('model_q4.onnx in the browser cache was incomplete');
});

test('a model the runtime cannot read fails in plain words, without trying again, and the next load of anything works', async ({ page }) => {
  // The server itself sends a damaged graph, every time: nothing can repair it, and the load must not loop.
  const graphs: string[] = [];
  await page.context().route(`**/${INSTRUCT}/resolve/main/${GRAPH}`, async (route) => {
    // Whole downloads only: transformers.js also asks for byte 0 alone, for the size.
    if (!route.request().headers()['range']) graphs.push(route.request().url());
    const response = await route.fetch();
    const body = await response.body();
    body[0] ^= 0xff;
    await route.fulfill({ response, body });
  });
  await openApp(page);
  const failed = await load(page);
  expect(failed.error).toMatch(/^Loading 'tiny-random\/deepseek-coder-instruct' failed: the runtime could not read the model files/);
  expect(failed.error).not.toContain('ERROR_CODE');
  // On WASM the engine walks the graph's fields before the runtime reads it (graph-reading.ts): the details are the walk's.
  expect(failed.details).toMatch(/^The model file has a field of wire type \d+, which ONNX does not use, at byte \d+\.$/);
  // The walk fails as the download starts, so the download stops: nothing was stored, nothing is repaired, nothing is tried again.
  expect(failed.notices).toEqual([]);
  expect(graphs).toHaveLength(1);
  await page.context().unroute(`**/${INSTRUCT}/resolve/main/${GRAPH}`);

  expect((await load(page, 'fp32')).error).toBeNull();
  await answers(page);
  expect((await load(page, 'q4')).error).toBeNull();
  await answers(page);
});

test('a server error is the server’s failure, with Retry, and no runtime jargon', async ({ page }) => {
  await page.context().route(`**/${INSTRUCT}/resolve/main/${GRAPH}`, (route) => route.fulfill({ status: 500, body: 'Internal Server Error' }));
  await openApp(page);
  await page.getByTestId('model-select').selectOption(INSTRUCT);
  await page.getByTestId('device-select').selectOption('wasm');
  await page.getByTestId('dtype-select').selectOption('q4');
  await page.getByTestId('load-button').click();
  const notice = page.getByTestId('load-error');
  await expect(notice).toHaveAttribute('data-problem', 'server');
  await expect(notice).toContainText(`The model server failed while sending '${GRAPH}' (HTTP 500)`);
  await expect(notice).not.toContainText('another dtype');
  await page.context().unroute(`**/${INSTRUCT}/resolve/main/${GRAPH}`);
  await page.getByTestId('retry-load').click();
  await expect(page.getByTestId('running-on')).toHaveText('WASM · q4');
});

async function throttle(cdp: CDPSession, bytesPerSecond: number | null): Promise<void> {
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: bytesPerSecond ?? -1, uploadThroughput: bytesPerSecond ?? -1 });
}

test('deleting a model while it downloads leaves nothing of it listed as cached', async ({ page }) => {
  await openApp(page);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await throttle(cdp, 2_000_000);
  const loading = load(page, 'fp32');
  // The 16.9 MB graph is arriving when the delete lands.
  await expect.poll(async () => (await page.evaluate(() => window.deepseek.cache.list())).data[0]?.partial_bytes ?? 0, { timeout: 60_000 }).toBeGreaterThan(0);
  await page.evaluate((id) => window.deepseek.cache.delete(id), INSTRUCT);
  await throttle(cdp, null);
  expect((await loading).error).toBeNull();
  const listed = (await page.evaluate(() => window.deepseek.cache.list())).data.find((model) => model.id === INSTRUCT);
  expect(listed?.dtypes ?? []).toEqual([]);
  expect(listed?.files.map((file) => file.path) ?? []).not.toContain('onnx/model.onnx');
});

test('a model missing one of its files, the tokenizer here, is not listed as cached, and a load fetches only that file', async ({ page }) => {
  await openApp(page);
  expect((await load(page)).error).toBeNull();
  const cachedFlag = () => page.evaluate(async (id) => (await window.deepseek.models.list()).data.find((model) => model.id === id)?.cached, INSTRUCT);
  expect(await cachedFlag()).toBe(true);
  await page.evaluate(async () => {
    const cache = await caches.open('transformers-cache');
    const key = (await cache.keys()).find((request) => request.url.endsWith('/tokenizer.json'))!;
    await cache.delete(key);
  });
  const listed = (await page.evaluate(() => window.deepseek.cache.list())).data.find((model) => model.id === INSTRUCT);
  expect(listed?.files.map((file) => file.path)).toContain(GRAPH);
  expect(listed?.dtypes).toEqual([]);
  expect(await cachedFlag()).toBe(false);

  const downloads = watchDownloads(page.context(), INSTRUCT);
  await page.reload();
  await page.waitForFunction(() => window.deepseek !== undefined);
  expect((await load(page)).error).toBeNull();
  expect(downloads.map((download) => download.path)).toEqual(['tokenizer.json']);
  expect((await page.evaluate(() => window.deepseek.cache.list())).data.find((model) => model.id === INSTRUCT)?.dtypes).toEqual(['q4']);
});
