/**
 * The installable, offline app: the manifest and icons as Chromium judges
 * them, the precache in the one service worker, the app and a cached model
 * with the network off, and an update that waits for a running answer and
 * cleans out only its own outdated precache entries, never the model cache.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import config from '../playwright.config.ts';
import { INSTRUCT } from './helpers.ts';

const BASE = 'tiny-random/deepseek-coder-base';

/** Opens the app and waits until the service worker controls it and has precached the shell. */
async function openControlled(page: Page): Promise<void> {
  await page.goto('/');
  await page.waitForFunction(() => window.deepseek !== undefined && navigator.serviceWorker.controller !== null);
  await expect.poll(() => precachedUrls(page), { timeout: 60_000 }).toContainEqual(expect.stringContaining('/ort/ort-wasm-simd-threaded.asyncify.wasm'));
}

/** Every URL in Workbox's precache. */
function precachedUrls(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const urls: string[] = [];
    for (const name of await caches.keys()) {
      if (!name.startsWith('workbox-precache')) continue;
      for (const request of await (await caches.open(name)).keys()) urls.push(request.url);
    }
    return urls;
  });
}

async function loadInUi(page: Page, model: string): Promise<void> {
  await page.getByTestId('model-select').selectOption(model);
  await page.getByTestId('device-select').selectOption('wasm');
  await page.getByTestId('load-button').click();
}

async function quickAnswers(page: Page): Promise<void> {
  for (const [name, value] of [
    ['param-temperature', '0'],
    ['param-max-tokens', '8'],
  ]) {
    await page.getByTestId(`${name}-number`).fill(value);
    await page.getByTestId(`${name}-number`).blur();
  }
}

test('installable as Chromium judges it: manifest fields, icons that load, a service worker in control', async ({ page, context }) => {
  await openControlled(page);
  const cdp = await context.newCDPSession(page);
  // Chromium never installs from an incognito profile, which every Playwright context but a persistent one is;
  // the persistent-profile test below checks that nothing else stands in the way.
  const { installabilityErrors } = (await cdp.send('Page.getInstallabilityErrors')) as { installabilityErrors: Array<{ errorId: string }> };
  expect(installabilityErrors.map((error) => error.errorId).filter((id) => id !== 'in-incognito')).toEqual([]);
  const { url, errors, data } = (await cdp.send('Page.getAppManifest')) as { url: string; errors: unknown[]; data: string };
  expect(url).toMatch(/\/manifest\.webmanifest$/);
  expect(errors).toEqual([]);
  const manifest = JSON.parse(data) as Record<string, unknown> & { icons: Array<{ src: string; sizes: string; purpose: string }> };
  expect(manifest).toMatchObject({
    name: 'DeepSeek Coder Web',
    short_name: 'DeepSeek Coder',
    display: 'standalone',
    start_url: '/',
    scope: '/',
  });
  for (const field of ['description', 'theme_color', 'background_color']) expect(manifest[field]).toBeTruthy();
  expect(manifest.icons.map((icon) => `${icon.sizes} ${icon.purpose}`)).toEqual(['192x192 any', '512x512 any', '512x512 maskable']);
  // Each icon loads and is the size it claims.
  const sizes = await page.evaluate(
    (icons) =>
      Promise.all(
        icons.map(async (icon) => {
          const bitmap = await createImageBitmap(await (await fetch(`/${icon.src}`)).blob());
          return `${bitmap.width}x${bitmap.height}`;
        }),
      ),
    manifest.icons,
  );
  expect(sizes).toEqual(manifest.icons.map((icon) => icon.sizes));
  // Both colour schemes have a theme colour for the installed window's title bar.
  await expect(page.locator('meta[name="theme-color"]')).toHaveCount(2);

  // The one service worker serves /v1 and the shell; the precache holds the shell, fonts and ORT's WASM, never weights.
  expect(await page.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).length)).toBe(1);
  const precached = await precachedUrls(page);
  expect(precached.some((entry) => /\/index\.html/.test(entry))).toBe(true);
  expect(precached.some((entry) => /\.woff2/.test(entry))).toBe(true);
  expect(precached.some((entry) => /engine\.worker-.*\.js/.test(entry))).toBe(true);
  expect(precached.filter((entry) => /\.onnx|hf-mirror|onnx_data/.test(entry))).toEqual([]);
  expect((await page.evaluate(() => fetch('/health'))).valueOf()).toBeTruthy();
});

test('installs in a normal profile and opens in its own app window (the screenshot in docs/)', async ({ playwright, baseURL }) => {
  const profile = mkdtempSync(join(tmpdir(), 'deepseek-pwa-'));
  const context = await playwright.chromium.launchPersistentContext(profile, { ...config.use?.launchOptions, baseURL, viewport: { width: 1100, height: 720 } });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await openControlled(page);
    const cdp = await context.newCDPSession(page);
    const { installabilityErrors } = (await cdp.send('Page.getInstallabilityErrors')) as { installabilityErrors: Array<{ errorId: string }> };
    expect(installabilityErrors).toEqual([]);

    const manifestId = new URL('/', baseURL).href;
    await cdp.send('PWA.install' as never, { manifestId } as never);
    const opened = context.waitForEvent('page');
    await cdp.send('PWA.launch' as never, { manifestId } as never);
    const app = await opened;
    await app.waitForFunction(() => window.deepseek !== undefined);
    expect(app.url()).toBe(manifestId);
    // Headless Chromium has no desktop to give the app window its standalone frame (display-mode stays
    // 'browser' there, and DevTools cannot emulate it); the window is the installed app's all the same.
    await app.setViewportSize({ width: 1100, height: 720 });
    await expect(app.getByTestId('load-button')).toBeVisible();
    await app.screenshot({ path: 'docs/screenshot-standalone.png' });
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
});

test.describe('offline, after one visit online and one model load', () => {
  test.describe.configure({ mode: 'serial' });
  let context: BrowserContext;
  let page: Page;
  /** Requests that reached the network (not the service worker or a cache) while offline. */
  const networkRequests: string[] = [];

  test.beforeAll(async ({ browser, baseURL }) => {
    context = await browser.newContext({ baseURL });
    page = await context.newPage();
    await openControlled(page);
    await loadInUi(page, INSTRUCT);
    await expect(page.getByTestId('status')).toHaveAttribute('data-model-id', INSTRUCT, { timeout: 120_000 });
    await context.setOffline(true);
    context.on('request', (request) => {
      const url = request.url();
      if (url.startsWith('data:') || url.startsWith('blob:')) return;
      void request.response().then((response) => {
        if (!response?.fromServiceWorker()) networkRequests.push(url);
      });
    });
  });

  test.afterAll(async () => {
    await context.close();
  });

  test('the app starts after a reload and in a fresh page', async () => {
    await page.reload();
    await page.waitForFunction(() => window.deepseek !== undefined);
    await expect(page.getByTestId('load-button')).toBeVisible();
    expect(await page.evaluate(() => navigator.onLine)).toBe(false);

    const fresh = await context.newPage();
    await fresh.goto('/');
    await fresh.waitForFunction(() => window.deepseek !== undefined);
    await expect(fresh.getByTestId('load-button')).toBeVisible();
    expect(await fresh.evaluate(() => crossOriginIsolated)).toBe(true);
    await fresh.close();
  });

  test('the cached model loads with no network request; chat, prompt and infill answer', async () => {
    networkRequests.length = 0;
    await quickAnswers(page);
    await loadInUi(page, INSTRUCT);
    await expect(page.getByTestId('status')).toHaveAttribute('data-model-id', INSTRUCT, { timeout: 120_000 });
    expect(networkRequests.filter((url) => url.includes('/hf-mirror/'))).toEqual([]);

    await page.getByTestId('mode-chat').click();
    await page.getByTestId('composer-input').fill('Offline question');
    await page.getByTestId('composer-input').press('Enter');
    await expect(page.getByTestId('message-meta').last()).toContainText('tokens', { timeout: 60_000 });

    await page.getByTestId('mode-prompt').click();
    await page.getByTestId('prompt-input').fill('def add(a, b):\n');
    await page.getByTestId('prompt-input').press('Control+Enter');
    await expect(page.getByTestId('prompt-regenerate')).toBeVisible({ timeout: 60_000 });

    await page.getByTestId('mode-infill').click();
    await page.getByTestId('infill-prefix').fill('def add(a, b):\n');
    await page.getByTestId('infill-suffix').fill('\nprint(add(1, 2))\n');
    await page.getByTestId('infill-prefix').press('Control+Enter');
    await expect(page.getByTestId('infill-accept')).toBeVisible({ timeout: 60_000 });
    expect(networkRequests).toEqual([]);
  });

  test('/v1/chat/completions answers through the service worker', async () => {
    const answer = await page.evaluate(async (model) => {
      const response = await fetch('/v1/chat/completions', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 }),
      });
      return { status: response.status, body: (await response.json()) as { object: string; choices: unknown[] } };
    }, INSTRUCT);
    expect(answer.status).toBe(200);
    expect(answer.body.object).toBe('chat.completion');
    expect(answer.body.choices).toHaveLength(1);
  });

  test('the library says which models are available offline; an uncached one says it needs the network, fast', async () => {
    await page.getByTestId('library-toggle').click();
    await expect(page.getByTestId('offline-summary')).toContainText('Available offline: Tiny test model (random weights) · Instruct');
    const card = (id: string) => page.locator(`[data-testid="model-card"][data-model-id="${id}"]`);
    await expect(card(INSTRUCT).getByTestId('offline-state')).toHaveText('Available offline');
    await expect(card(BASE).getByTestId('offline-state')).toHaveText('Needs the network');

    const started = Date.now();
    await loadInUi(page, BASE);
    await expect(page.getByTestId('load-error')).toContainText('needs the network', { timeout: 15_000 });
    expect(Date.now() - started).toBeLessThan(15_000);
    await expect(page.getByTestId('load-button')).toBeEnabled();
  });
});

test('an update offers Reload, and pressed mid-answer it waits for the answer to end', async ({ page }) => {
  await openControlled(page);
  await page.evaluate((id) => window.deepseek.load(id, { device: 'wasm', dtype: 'q4' }), INSTRUCT);
  // What an earlier version left in the precache: a hashed bundle this build no longer has, and an older revision
  // of a file it still has. The next version's activation must drop both and keep its own entries.
  const outdated = await page.evaluate(async () => {
    const name = (await caches.keys()).find((cacheName) => cacheName.startsWith('workbox-precache'))!;
    const precache = await caches.open(name);
    const entries = [`${location.origin}/assets/index-0ldbuild.js`, `${location.origin}/index.html?__WB_REVISION__=an-older-revision`];
    for (const url of entries) await precache.put(url, new Response('from an earlier version'));
    return entries;
  });
  expect(await precachedUrls(page)).toEqual(expect.arrayContaining(outdated));
  // A new version is deployed. Playwright cannot rewrite the service worker script the browser checks for
  // updates, so a new script URL stands in for new bytes: the browser installs it as the next version alike.
  await page.evaluate(() => navigator.serviceWorker.register('/service-worker.js?next-version', { scope: '/' }));
  await expect(page.getByTestId('update-banner')).toContainText('A new version is ready', { timeout: 60_000 });
  // Until Reload, the old version keeps serving.
  expect(await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())!.waiting !== null)).toBe(true);

  // A long answer runs (end-of-sequence banned, so it runs to max_tokens); its end is noted where a reload keeps it.
  await page.evaluate(async (model) => {
    sessionStorage.removeItem('answer-ended');
    const stream = await window.deepseek.completions.create({
      model,
      prompt: 'def main():\n',
      max_tokens: 160,
      stream: true,
      logit_bias: { 32014: -100, 32021: -100 },
    });
    void (async () => {
      let finish = '';
      for await (const chunk of stream) finish = chunk.choices[0]?.finish_reason ?? finish;
      sessionStorage.setItem('answer-ended', finish);
    })();
  }, INSTRUCT);
  await page.evaluate(() => ((window as unknown as { beforeReload: boolean }).beforeReload = true));
  await page.getByTestId('update-reload').click();
  await expect(page.getByTestId('update-banner')).toContainText('Reloading when the answer ends');
  expect(await page.evaluate(() => sessionStorage.getItem('answer-ended'))).toBeNull();

  // The reload comes only after the answer ended by itself, at its length limit, never cut short.
  await page.waitForFunction(() => (window as unknown as { beforeReload?: boolean }).beforeReload === undefined && window.deepseek !== undefined, null, {
    timeout: 120_000,
  });
  expect(await page.evaluate(() => sessionStorage.getItem('answer-ended'))).toBe('length');
  // The new version took over and controls the reloaded page. (The page then registers the usual script URL
  // again, which to the browser is one more new version: an artefact of the stand-in above.)
  expect(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toMatch(/service-worker\.js\?next-version$/);
  // The update replaced only its precache: the model's files are still cached, and it loads from them.
  const modelFiles = await page.evaluate(async () => (await (await caches.open('transformers-cache')).keys()).length);
  expect(modelFiles).toBeGreaterThan(0);
  // And its activation removed the earlier version's entries from the precache, keeping the shell it serves.
  await expect.poll(async () => (await precachedUrls(page)).filter((url) => outdated.includes(url))).toEqual([]);
  expect((await precachedUrls(page)).some((url) => /\/index\.html\?__WB_REVISION__=/.test(url))).toBe(true);
});
