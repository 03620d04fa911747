/**
 * The embeddable widget (embed.html) driven from a host page on a second
 * origin through the host SDK (deepseek-widget.js), as another site would. The
 * test build allows `http://localhost:<host port>` (playwright.config.ts);
 * `http://127.0.0.1:<host port>` is another origin, not on the list.
 */
import { expect, test, type Page } from '@playwright/test';
import { INSTRUCT, LONG_PROMPT, seriousViolations } from './helpers.ts';
import { mountWidget } from './widget-host.ts';

const APP_PORT = Number(process.env.E2E_PORT ?? 4173);
const HOST_PORT = Number(process.env.E2E_HOST_PORT ?? APP_PORT + 10);
const APP = `http://127.0.0.1:${APP_PORT}`;
const ALLOWED_HOST = `http://localhost:${HOST_PORT}`;
const REFUSED_HOST = `http://127.0.0.1:${HOST_PORT}`;

/** Opens the host page on `host` and mounts the widget from the app's preview server. */
function mountFrom(page: Page, host: string, options: Record<string, unknown> = {}, query = ''): Promise<string | null> {
  return mountWidget(page, host, APP, options, query);
}

function loadTinyModel(page: Page): Promise<string> {
  return page.evaluate(async (id) => (await window.widget!.load(id, { device: 'wasm', dtype: 'q4' })).id, INSTRUCT);
}

function widgetFrame(page: Page) {
  return page.frameLocator('#widget iframe');
}

test.describe('from an allowed origin', () => {
  test('loads the tiny model and streams a chat through the SDK; the iframe follows its content', async ({ page }) => {
    expect(await mountFrom(page, ALLOWED_HOST, { model: INSTRUCT, theme: 'light', accent: '#0b7a5a' })).toBeNull();
    await expect(widgetFrame(page).getByTestId('widget-status')).toContainText('is not loaded');

    expect(await loadTinyModel(page)).toBe(INSTRUCT);
    await expect(widgetFrame(page).getByTestId('widget-status')).toHaveAttribute('data-model-id', INSTRUCT);
    const events = await page.evaluate(() => window.events!);
    expect(events).toContain(`ready ${INSTRUCT}`);
    expect(events).toContain('progress download');

    const streamed = await page.evaluate(async (model) => {
      const stream = await window.widget!.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'Write a loop' }],
        stream: true,
        max_tokens: 12,
        temperature: 0,
        stream_options: { include_usage: true },
      });
      const chunks: Array<{ object: string; choices: Array<{ delta: { role?: string; content?: string }; finish_reason: string | null }>; usage?: { completion_tokens: number } | null }> = [];
      for await (const chunk of stream) chunks.push(chunk as never);
      return chunks;
    }, INSTRUCT);
    expect(streamed.every((chunk) => chunk.object === 'chat.completion.chunk')).toBe(true);
    expect(streamed[0].choices[0].delta.role).toBe('assistant');
    const finish = streamed.find((chunk) => chunk.choices[0]?.finish_reason);
    expect(['stop', 'length']).toContain(finish?.choices[0].finish_reason);
    expect(streamed.at(-1)?.usage?.completion_tokens).toBeGreaterThan(0);

    // A non-streamed answer has the chat.completion shape, the same as window.deepseek's.
    const completion = await page.evaluate(
      (model) => window.widget!.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 }),
      INSTRUCT,
    );
    expect(completion.object).toBe('chat.completion');
    expect(completion.usage.completion_tokens).toBeGreaterThan(0);

    // Loading grew the widget (progress bar, then status); each change came as a resize message and set the iframe's height.
    const resizes = await page.evaluate(() => window.resizes!);
    expect(resizes.length).toBeGreaterThan(1);
    const frameHeight = await page.locator('#widget iframe').evaluate((iframe) => iframe.getBoundingClientRect().height);
    expect(frameHeight).toBeCloseTo(resizes.at(-1)!, 0);
    expect(await seriousViolations(page, '#widget')).toEqual([]);
  });

  test('aborts mid-stream, then answers again; a bad request is rejected naming its param', async ({ page }) => {
    expect(await mountFrom(page, ALLOWED_HOST, { model: INSTRUCT })).toBeNull();
    await loadTinyModel(page);
    const aborted = await page.evaluate(
      async ({ model, prompt }) => {
        const controller = new AbortController();
        const stream = await window.widget!.chat.completions.create(
          // Banning both end-of-sequence tokens keeps it going until the abort.
          { model, messages: [{ role: 'user', content: prompt }], stream: true, max_tokens: 400, logit_bias: { 32014: -100, 32021: -100 } },
          { signal: controller.signal },
        );
        let received = 0;
        try {
          for await (const chunk of stream) {
            received += 1;
            if (received === 3) controller.abort();
            void chunk;
          }
          return { received, error: null };
        } catch (error) {
          const apiError = error as { status: number; error: { code: string }; name: string };
          return { received, error: { name: apiError.name, status: apiError.status, code: apiError.error.code } };
        }
      },
      { model: INSTRUCT, prompt: LONG_PROMPT },
    );
    expect(aborted.received).toBeLessThan(10);
    expect(aborted.error).toEqual({ name: 'ApiError', status: 499, code: 'aborted' });

    const again = await page.evaluate(
      (model) => window.widget!.chat.completions.create({ model, messages: [{ role: 'user', content: 'again' }], max_tokens: 5 }),
      INSTRUCT,
    );
    expect(again.choices[0].finish_reason).toMatch(/stop|length/);

    const rejected = await page.evaluate(async (model) => {
      try {
        await window.widget!.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }], temperature: 9 });
        return null;
      } catch (error) {
        const apiError = error as { status: number; error: { param: string; type: string }; name: string };
        return { name: apiError.name, status: apiError.status, param: apiError.error.param, type: apiError.error.type };
      }
    }, INSTRUCT);
    expect(rejected).toEqual({ name: 'ApiError', status: 400, param: 'temperature', type: 'invalid_request_error' });
  });

  test('the widget itself: streamed markdown answers, Stop, theme and accent from the host, axe', async ({ page }) => {
    expect(await mountFrom(page, ALLOWED_HOST, { model: INSTRUCT, theme: 'dark', accent: '#ffb020' })).toBeNull();
    const frame = widgetFrame(page);
    await expect(frame.locator('html')).toHaveAttribute('data-theme', 'dark');
    const accent = await frame.locator('html').evaluate((root) => getComputedStyle(root).getPropertyValue('--accent').trim());
    expect(accent).toBe('#ffb020');
    await loadTinyModel(page);

    // A long host request holds the engine (requests run one at a time), so the widget's question waits and Stop has
    // something to stop, whatever the random model would have said.
    await page.evaluate((model) => {
      const controller = new AbortController();
      (window as unknown as { hold: AbortController }).hold = controller;
      void window
        .widget!.completions.create({ model, prompt: 'x', max_tokens: 400, logit_bias: { 32014: -100, 32021: -100 } }, { signal: controller.signal })
        .catch(() => undefined);
    }, INSTRUCT);
    await frame.getByTestId('widget-input').fill(LONG_PROMPT);
    await frame.getByTestId('widget-input').press('Enter');
    await frame.getByTestId('widget-stop').click();
    await expect(frame.getByTestId('widget-turn-assistant')).toContainText('Stopped');
    await page.evaluate(() => (window as unknown as { hold: AbortController }).hold.abort());

    // Then an answer that runs to its end, streamed into rendered markdown.
    await expect(frame.getByTestId('widget-send')).toBeVisible();
    await frame.getByTestId('widget-input').fill('Write a loop');
    await frame.getByTestId('widget-input').press('Enter');
    await expect(frame.getByTestId('widget-turn-assistant')).toHaveCount(2);
    await expect(frame.getByTestId('widget-send')).toBeVisible({ timeout: 60_000 });
    await expect(frame.getByTestId('widget-turn-assistant').last().locator('.markdown')).not.toBeEmpty();

    expect(await seriousViolations(page, '#widget')).toEqual([]);
  });

  test('the device line says whether WASM has threads: only when the host is isolated and delegates it', async ({ page }) => {
    expect(await mountFrom(page, ALLOWED_HOST, {}, '&isolated=1')).toBeNull();
    expect(await page.evaluate(() => window.crossOriginIsolated)).toBe(true);
    expect(await page.evaluate(() => window.widget!.status.cross_origin_isolated)).toBe(true);
    await expect(widgetFrame(page).getByTestId('widget-device')).toContainText(/Cross-origin isolated: WASM on \d+ threads/);
    // Chrome partitions a cross-site frame's storage; Playwright's Chromium turns partitioning off and its contexts
    // block third-party storage instead. Either way the line says so, and the model still loads (into memory).
    const storage = await page.evaluate(() => window.widget!.status.storage);
    expect(storage).not.toBe('shared');
    await expect(widgetFrame(page).getByTestId('widget-device')).toContainText(
      storage === 'blocked' ? 'downloads again on every visit' : 'kept for this site only',
    );

    expect(await mountFrom(page, ALLOWED_HOST)).toBeNull();
    expect(await page.evaluate(() => window.widget!.status.cross_origin_isolated)).toBe(false);
    await expect(widgetFrame(page).getByTestId('widget-device')).toContainText('WASM on 1 thread');
  });

  test('a height the host fixes stays, and the widget scrolls inside it; a failed load reaches the host as an error event', async ({ page }) => {
    expect(await mountFrom(page, ALLOWED_HOST, { height: 300 })).toBeNull();
    const errors = await page.evaluate(async () => {
      const errors: string[] = [];
      window.widget!.on('error', (error) => errors.push(`${error.status} ${error.error.param}`));
      await window.widget!.load('not a model id', { device: 'wasm' }).catch(() => undefined);
      return errors;
    });
    expect(errors).toEqual(['400 model']);
    // The visitor reads a plain sentence; the runtime's text waits behind Details.
    const notice = widgetFrame(page).getByTestId('widget-load-error');
    await expect(notice.locator('.what')).toHaveText(/^The page that embeds this chat asked for a model or option that was refused/);
    await expect(notice.getByTestId('widget-load-error-details')).toBeHidden();
    await notice.locator('summary').click();
    await expect(notice.getByTestId('widget-load-error-details')).toContainText('not a model id');
    expect(await page.locator('#widget iframe').evaluate((iframe) => iframe.getBoundingClientRect().height)).toBe(300);
    expect(await page.evaluate(() => window.resizes!)).toEqual([]);
  });
});

test('the visitor presses the widget\'s own Load: progress shows, and the host hears progress and ready', async ({ page }) => {
  expect(await mountFrom(page, ALLOWED_HOST, { model: INSTRUCT })).toBeNull();
  const frame = widgetFrame(page);
  await frame.getByTestId('widget-load').click();
  await expect(frame.getByTestId('widget-status')).toHaveAttribute('data-model-id', INSTRUCT, { timeout: 120_000 });
  await expect(frame.getByTestId('widget-load')).toHaveCount(0);
  await expect(frame.getByTestId('widget-device')).toContainText('Runs on');
  const events = await page.evaluate(() => window.events!);
  expect(events).toContain('progress download');
  expect(events).toContain(`ready ${INSTRUCT}`);
  expect(await page.evaluate(() => window.widget!.status.loaded?.id)).toBe(INSTRUCT);
});

test.describe('from an origin not on the list', () => {
  test('the SDK cannot mount: the frame is refused and nothing answers', async ({ page }) => {
    const error = await mountFrom(page, REFUSED_HOST, { timeoutMs: 4000 });
    expect(error).toContain('did not answer');
    expect(error).toContain(REFUSED_HOST);
  });

  test('raw postMessage cannot load, generate or read, even from a frame the widget does render', async ({ page }) => {
    // The app's own origin may frame embed.html (frame-ancestors 'self') but is not on the list of hosts.
    // So the frame renders, and this checks the widget's own origin check, not only the browser's framing rule.
    for (const [host, framed] of [
      [REFUSED_HOST, false],
      [APP, true],
    ] as const) {
      await page.goto(host === APP ? `${APP}/e2e/pages/openai-sdk.html` : `${host}/`);
      const heard = await page.evaluate(async (app) => {
        document.body.innerHTML = '';
        const iframe = document.createElement('iframe');
        iframe.src = `${app}/embed.html`;
        document.body.append(iframe);
        await new Promise((resolve) => iframe.addEventListener('load', resolve, { once: true }));
        const heard: unknown[] = [];
        window.addEventListener('message', (event) => heard.push(event.data));
        const ports: MessagePort[] = [];
        const ask = (message: unknown, target: string) => {
          const channel = new MessageChannel();
          channel.port1.onmessage = (event) => heard.push(event.data);
          ports.push(channel.port1);
          iframe.contentWindow!.postMessage(message, target, [channel.port2]);
        };
        for (let attempt = 0; attempt < 10; attempt += 1) {
          ask({ protocol: 'deepseek-widget/1', kind: 'hello', nonce: `n${attempt}`, options: {} }, '*');
          ask({ kind: 'request', operation: { name: 'load', model: 'tiny-random/deepseek-coder-instruct', options: { device: 'wasm' } } }, '*');
          ask({ kind: 'request', operation: { name: 'status' } }, '*');
          await new Promise((resolve) => setTimeout(resolve, 300));
        }
        return heard;
      }, APP);
      expect(heard, `messages heard from ${host}`).toEqual([]);
      if (framed) {
        // The widget rendered, yet loaded nothing.
        const frame = page.frameLocator('iframe');
        await expect(frame.getByTestId('widget-status')).toContainText('is not loaded');
        await expect(frame.getByTestId('widget-status')).toHaveAttribute('data-model-id', '');
      }
    }
  });
});

test('screenshot: a host page on another site with the widget', async ({ page }) => {
  await page.setViewportSize({ width: 900, height: 1000 });
  expect(await mountFrom(page, ALLOWED_HOST, { model: INSTRUCT, theme: 'light', accent: '#b4532a' }, '&isolated=1')).toBeNull();
  await loadTinyModel(page);
  await widgetFrame(page).getByTestId('widget-input').fill('Write a binary search in Python.');
  await widgetFrame(page).getByTestId('widget-input').press('Enter');
  await expect(widgetFrame(page).getByTestId('widget-send')).toBeVisible({ timeout: 60_000 });
  await page.screenshot({ path: 'docs/widget-host.png', fullPage: true });
});

/** Everything in the frame that sticks out past its right or left edge, and how far the document scrolls sideways. */
function horizontalOverflow(page: Page) {
  return widgetFrame(page)
    .locator('html')
    .evaluate((root) => {
      const width = root.clientWidth;
      const outside = [...document.querySelectorAll<HTMLElement>('[data-testid], .turn, .markdown > *, pre')]
        .filter((element) => element.getClientRects().length > 0)
        .filter((element) => {
          const box = element.getBoundingClientRect();
          return box.left < -0.5 || box.right > width + 0.5;
        })
        .map((element) => element.dataset.testid ?? element.className);
      return { scrollWidth: root.scrollWidth, clientWidth: width, outside };
    });
}

for (const width of [320, 800]) {
  test(`at ${width} px wide nothing overflows sideways: controls, turns and a long answer stay inside the frame`, async ({ page }, testInfo) => {
    await page.setViewportSize({ width: width + 120, height: 900 });
    expect(await mountFrom(page, ALLOWED_HOST, { model: INSTRUCT, theme: 'light' })).toBeNull();
    // The widget's box is exactly `width` wide; the iframe fills it (the SDK sets width: 100%).
    await page.addStyleTag({ content: `main { max-width: none; } #widget { width: ${width}px; }` });
    expect(await page.locator('#widget iframe').evaluate((iframe) => iframe.getBoundingClientRect().width)).toBe(width);
    const frame = widgetFrame(page);
    await expect(frame.getByTestId('widget-load')).toBeVisible();
    expect(await horizontalOverflow(page)).toEqual({ scrollWidth: width, clientWidth: width, outside: [] });

    await loadTinyModel(page);
    // An unbroken line, as pasted code often is: it wraps in the user's turn rather than widening the frame.
    const unbroken = `const ${'veryLongIdentifier'.repeat(12)} = [${'1, '.repeat(40)}];`;
    await frame.getByTestId('widget-input').fill(unbroken);
    await frame.getByTestId('widget-input').press('Enter');
    await expect(frame.getByTestId('widget-stop')).toBeVisible();
    expect((await horizontalOverflow(page)).outside).toEqual([]);
    await expect(frame.getByTestId('widget-send')).toBeVisible({ timeout: 60_000 });
    await expect(frame.getByTestId('widget-turn-assistant').locator('.markdown')).not.toBeEmpty();
    expect(await horizontalOverflow(page)).toEqual({ scrollWidth: width, clientWidth: width, outside: [] });
    await page.screenshot({ path: testInfo.outputPath(`widget-${width}.png`), fullPage: true });
  });
}

test('theme auto follows the host\'s system preference as it changes, without a reload; light and dark stay put', async ({ page }) => {
  const background = () => widgetFrame(page).locator('body').evaluate((body) => getComputedStyle(body).backgroundColor);
  // styles.css: --bg is light-dark(#f5f6fa, #0d1017).
  const LIGHT = 'rgb(245, 246, 250)';
  const DARK = 'rgb(13, 16, 23)';
  await page.emulateMedia({ colorScheme: 'light' });
  expect(await mountFrom(page, ALLOWED_HOST, { theme: 'auto' })).toBeNull();
  await expect(widgetFrame(page).locator('html')).toHaveAttribute('data-theme', 'system');
  await expect.poll(background).toBe(LIGHT);
  // A mark on the frame's window: it would be gone if the switch reloaded the frame.
  await widgetFrame(page).locator('html').evaluate(() => ((window as unknown as { unreloaded: boolean }).unreloaded = true));

  await page.emulateMedia({ colorScheme: 'dark' });
  await expect.poll(background).toBe(DARK);
  await page.emulateMedia({ colorScheme: 'light' });
  await expect.poll(background).toBe(LIGHT);
  expect(await widgetFrame(page).locator('html').evaluate(() => (window as unknown as { unreloaded?: boolean }).unreloaded)).toBe(true);

  // A theme the host fixes wins over the system's.
  await page.emulateMedia({ colorScheme: 'dark' });
  expect(await mountFrom(page, ALLOWED_HOST, { theme: 'light' })).toBeNull();
  await expect(widgetFrame(page).locator('html')).toHaveAttribute('data-theme', 'light');
  await expect.poll(background).toBe(LIGHT);
});
