import { expect, test, type Page } from '@playwright/test';
import { conversationFile } from './chat-fixtures.ts';
import { INSTRUCT, openApp, serveDefaultModelFromMirror } from './helpers.ts';

/** The document's own scroll: the app frame is the viewport, so it never moves. */
function documentScroll(page: Page): Promise<{ top: number; height: number; viewport: number }> {
  return page.evaluate(() => {
    const root = document.scrollingElement ?? document.documentElement;
    return { top: root.scrollTop, height: root.scrollHeight, viewport: window.innerHeight };
  });
}

test('at 1280×800 the document does not scroll: only the panes do, and the header stays', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await openApp(page);
  await page.evaluate((id) => window.deepseek.load(id, { device: 'wasm', dtype: 'q4' }), INSTRUCT);
  await expect(page.getByTestId('context-meter')).toBeVisible();
  // A conversation longer than the screen.
  const turns = Array.from({ length: 12 }, (_, index) => [
    { role: 'user' as const, content: `Question ${index + 1}: how do I reverse a list in Python?` },
    { role: 'assistant' as const, content: `Answer ${index + 1}:\n\n\`\`\`python\nitems = [1, 2, 3]\nprint(items[::-1])\n\`\`\`\n\nSlicing makes a copy.` },
  ]).flat();
  const file = conversationFile('Long', turns);
  await page.getByTestId('import-input').setInputFiles({ name: 'long.json', mimeType: 'application/json', buffer: Buffer.from(file) });
  await expect(page.getByTestId('message-assistant')).toHaveCount(12);

  for (const [name, selector] of [
    ['chat', '[data-testid="messages"]'],
    ['settings', '#settings'],
    ['conversations', 'aside.sidebar'],
  ] as const) {
    const box = (await page.locator(selector).boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, 2000);
    await page.waitForTimeout(200);
    expect(await documentScroll(page), name).toEqual({ top: 0, height: 800, viewport: 800 });
  }
  // The panes themselves scrolled.
  expect(await page.locator('#settings').evaluate((pane) => pane.scrollTop)).toBeGreaterThan(0);
  expect((await page.locator('.topbar').boundingBox())!.y).toBe(0);

  // The library, in its own view, scrolls in the main area too.
  await page.getByTestId('library-toggle').click();
  await expect(page.getByTestId('library-view')).toBeVisible();
  expect(await documentScroll(page)).toEqual({ top: 0, height: 800, viewport: 800 });
});

test('at 1280×800 a first visit shows the model and the main parameters, with nothing scrolled', async ({ page, baseURL }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await serveDefaultModelFromMirror(page, baseURL!);
  await openApp(page);
  await expect(page.getByTestId('memory-estimate')).toContainText('of memory for');
  await expect(page.getByTestId('hub-offline')).toHaveCount(0);
  const settings = page.locator('#settings');
  const pane = (await settings.boundingBox())!;
  for (const control of ['load-button', 'param-temperature-number', 'param-max-tokens-number', 'param-top-p-number']) {
    const box = (await page.getByTestId(control).boundingBox())!;
    expect(box.y + box.height, control).toBeLessThanOrEqual(pane.y + pane.height);
  }
  expect(await settings.evaluate((element) => element.scrollTop)).toBe(0);
  expect(await documentScroll(page)).toEqual({ top: 0, height: 800, viewport: 800 });
});

test('the settings column folds away, its sections fold and are remembered, and a mode tab leaves the library', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await openApp(page);
  const settings = page.locator('#settings');
  await expect(settings).toBeVisible();
  await page.getByTestId('settings-toggle').click();
  await expect(settings).toBeHidden();
  await expect(page.getByTestId('settings-toggle')).toHaveAttribute('aria-expanded', 'false');
  await page.getByTestId('settings-toggle').click();
  await expect(settings).toBeVisible();

  await page.getByTestId('section-toggle-parameters').click();
  await expect(page.getByTestId('param-temperature-number')).toBeHidden();
  // Folded, the section still says what it holds.
  await expect(page.getByTestId('section-parameters')).toContainText(/temperature [\d.]+ · max \d+ tokens/);
  await page.reload();
  await expect(page.getByTestId('param-temperature-number')).toBeHidden();
  await expect(page.getByTestId('model-select')).toBeVisible();
  await page.getByTestId('section-toggle-parameters').click();
  await expect(page.getByTestId('param-temperature-number')).toBeVisible();

  await page.getByTestId('library-toggle').click();
  await expect(page.getByTestId('library-view')).toBeVisible();
  await expect(page.getByTestId('composer-input')).toBeHidden();
  await page.getByTestId('mode-prompt').click();
  await expect(page.getByTestId('library-view')).toHaveCount(0);
  await expect(page.getByTestId('prompt-input')).toBeVisible();
});

test('"auto" treats a software WebGPU adapter as no GPU, and the device panel says so', async ({ page }) => {
  await openApp(page);
  const report = await page.evaluate(() => window.deepseek.device());
  expect(report.gpu).not.toBeNull();
  // Whatever adapter this machine has, the report's verdict follows its own description of itself.
  const named = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render/i.test(
    [report.gpu!.vendor, report.gpu!.architecture, report.gpu!.description].join(' '),
  );
  if (named) expect(report.gpu!.software).toBe(true);
  expect(report.recommended.device).toBe(report.gpu!.software ? 'wasm' : 'webgpu');

  await page.getByTestId('model-select').selectOption(INSTRUCT);
  await page.getByTestId('load-button').click();
  await expect(page.getByTestId('status')).toHaveAttribute('data-model-id', INSTRUCT, { timeout: 120_000 });
  await page.getByTestId('device-summary').click();
  if (report.gpu!.software) {
    await expect(page.getByTestId('running-on')).toHaveText('WASM · q4');
    await expect(page.getByTestId('running-reason')).toContainText('software renderer, not a GPU');
    await expect(page.getByTestId('webgpu-software')).toContainText('a software renderer, not a GPU: slower than WASM');
  } else {
    await expect(page.getByTestId('running-on')).toContainText('WebGPU');
  }
});

test('offline, the first screen says at once that the hub is unreachable, what works without it, and what Load needs', async ({ page }) => {
  await page.context().route('https://huggingface.co/**', (route) => route.abort('internetdisconnected'));
  await openApp(page);
  // No click: the page asked the hub about the preselected model when it opened.
  const notice = page.getByTestId('hub-offline');
  await expect(notice).toContainText('The Hugging Face hub cannot be reached');
  await expect(page.getByTestId('offline-load-needs')).toContainText('Loading DeepSeek Coder 1.3B Instruct needs a connection to huggingface.co');
  await expect(page.getByTestId('offline-models')).toContainText('Tiny test model (random weights) · Instruct · served by this server');
  await expect(page.getByTestId('offline-models')).toContainText('Tiny test model (random weights) · Base');
  // The test models are named for what they are in the picker too.
  await expect(page.getByTestId('model-select').locator('option')).toContainText([
    'DeepSeek Coder 1.3B Instruct',
    'DeepSeek Coder 1.3B Base',
    'Tiny test model (random weights) · Instruct',
    'Tiny test model (random weights) · Base',
  ]);

  await notice.getByRole('button', { name: 'Select' }).first().click();
  await expect(page.getByTestId('model-select')).toHaveValue(INSTRUCT);
  await expect(page.getByTestId('offline-load-needs')).toHaveCount(0);
  await expect(notice).toContainText('works without it');
});
