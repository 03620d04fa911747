/**
 * The playground's modes (Chat, Prompt, Code infill), its parameters, "View
 * code", themes, the phone layout and accessibility, on WASM with the tiny
 * models. Also takes the README's screenshots.
 */
import { expect, test, type Browser, type Page } from '@playwright/test';
import { endlessCompletions, expectGrowingTokenCount, INSTRUCT, openApp, serveDefaultModelFromMirror, seriousViolations } from './helpers.ts';

const BASE = 'tiny-random/deepseek-coder-base';
const PREFIX = 'def add(a: int, b: int) -> int:\n';
const SUFFIX = '\n\nprint(add(1, 2))\n';

async function load(page: Page, model: string): Promise<void> {
  await page.getByTestId('model-select').selectOption(model);
  await page.getByTestId('device-select').selectOption('wasm');
  await page.getByTestId('load-button').click();
  await expect(page.getByTestId('status')).toHaveAttribute('data-model-id', model, { timeout: 120_000 });
}

async function setParam(page: Page, testid: string, value: string): Promise<void> {
  await page.getByTestId(`${testid}-number`).fill(value);
  await page.getByTestId(`${testid}-number`).blur();
}

/** Short greedy answers, so the tests stay quick. */
async function quickAnswers(page: Page, maxTokens = 12): Promise<void> {
  await setParam(page, 'param-temperature', '0');
  await setParam(page, 'param-max-tokens', String(maxTokens));
}

async function chat(page: Page, text: string): Promise<void> {
  await page.getByTestId('mode-chat').click();
  await page.getByTestId('composer-input').fill(text);
  await page.getByTestId('composer-input').press('Enter');
  await expect(page.getByTestId('send-button')).toBeVisible();
  await expect(page.getByTestId('message-meta').last()).toContainText('tokens');
}

async function generatePrompt(page: Page, prompt: string): Promise<void> {
  await page.getByTestId('mode-prompt').click();
  if (await page.getByTestId('prompt-edit').isVisible()) await page.getByTestId('prompt-edit').click();
  await page.getByTestId('prompt-input').fill(prompt);
  await page.getByTestId('prompt-input').press('Control+Enter');
  await expect(page.getByTestId('prompt-regenerate')).toBeVisible();
}

async function fillHole(page: Page): Promise<void> {
  await page.getByTestId('mode-infill').click();
  if (await page.getByTestId('infill-discard').isVisible()) await page.getByTestId('infill-discard').click();
  await page.getByTestId('infill-prefix').fill(PREFIX);
  await page.getByTestId('infill-suffix').fill(SUFFIX);
  await page.getByTestId('infill-prefix').press('Control+Enter');
  await expect(page.getByTestId('infill-accept')).toBeVisible();
}

function bodyBackground(page: Page): Promise<string> {
  return page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
}

test('before a model is loaded, every mode says what to do', async ({ page }) => {
  await openApp(page);
  await expect(page.getByTestId('messages')).toContainText('Load');
  await page.getByTestId('mode-prompt').click();
  await expect(page.getByTestId('prompt-empty')).toContainText('Load one in the Model panel');
  await expect(page.getByTestId('prompt-generate')).toBeDisabled();
  await page.getByTestId('mode-infill').click();
  await expect(page.getByTestId('infill-empty')).toContainText('Load one in the Model panel');
  await expect(page.getByTestId('infill-fill')).toBeDisabled();
  // The mode is remembered across reloads.
  await page.reload();
  await expect(page.getByTestId('mode-infill')).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('infill-empty')).toBeVisible();
});

test('Prompt mode continues the text in place, shows stats, and Escape stops it', async ({ page }) => {
  await openApp(page);
  await quickAnswers(page, 16);
  await load(page, INSTRUCT);

  await generatePrompt(page, 'def fibonacci(n):\n');
  const continuation = (await page.getByTestId('prompt-continuation').textContent()) ?? '';
  expect(continuation.length).toBeGreaterThan(0);
  await expect(page.getByTestId('prompt-output')).toHaveText(`def fibonacci(n):\n${continuation}`);
  await expect(page.getByTestId('run-end')).toHaveText(/Finished|Hit max tokens/);
  await expect(page.getByTestId('run-stats')).toContainText('First token');
  await expect(page.getByTestId('run-stats')).toContainText('Decode');
  await expect(page.getByTestId('context-numbers')).toContainText(/\d+ \/ [\d,]+ tokens/);

  // Editing keeps the continuation as part of the text.
  await page.getByTestId('prompt-edit').click();
  await expect(page.getByTestId('prompt-input')).toHaveValue(`def fibonacci(n):\n${continuation}`);
  await expect(page.getByTestId('prompt-input')).toBeFocused();

  // A long continuation, stopped from the keyboard.
  await setParam(page, 'param-max-tokens', '4096');
  await endlessCompletions(page);
  await page.getByTestId('prompt-input').fill('class Stack:\n');
  await page.getByTestId('prompt-input').press('Control+Enter');
  await expect(page.getByTestId('prompt-stop')).toBeVisible();
  await expect(page.getByTestId('prompt-continuation')).not.toBeEmpty();
  await expect(page.getByTestId('prompt-output')).toBeFocused();
  // While it streams, the status bar counts the tokens and the rate.
  await expect(page.getByTestId('live-rate')).toHaveText(/^≈ [\d.]+ tok\/s$/);
  await expectGrowingTokenCount(page);
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('run-end')).toHaveText('Stopped');
  await expect(page.getByTestId('prompt-generate')).toHaveText('Continue');
  // A stopped run has no engine timings: the counted figures stay.
  await expect(page.getByTestId('live-tokens')).toHaveCount(0);
  await expect(page.getByTestId('run-stats')).toHaveText(/^Stopped at\s*[\d,]+ tokens\s*Decode\s*≈ [\d.]+ tok\/s$/);
});

test('Code infill suggests the base model, then fills the middle in place, highlighted, and copies the merged code', async ({ page }) => {
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await openApp(page);
  await quickAnswers(page, 12);
  await load(page, INSTRUCT);

  await page.getByTestId('mode-infill').click();
  await expect(page.getByTestId('base-model-hint')).toBeVisible();
  await page.getByTestId('switch-to-base').click();
  await expect(page.getByTestId('status')).toHaveAttribute('data-model-id', BASE, { timeout: 120_000 });
  await expect(page.getByTestId('base-model-hint')).toHaveCount(0);

  // Tab indents in the editor; Escape, then Tab, moves on.
  const prefix = page.getByTestId('infill-prefix');
  await prefix.fill('def f():\n');
  await prefix.press('Control+End');
  await prefix.press('Tab');
  await expect(prefix).toHaveValue('def f():\n    ');
  await expect(prefix).toBeFocused();
  await prefix.press('Shift+Tab');
  await expect(prefix).toHaveValue('def f():\n');
  await prefix.press('Escape');
  await prefix.press('Tab');
  await expect(prefix).not.toBeFocused();

  await fillHole(page);
  const middle = (await page.getByTestId('infill-middle').textContent()) ?? '';
  expect(middle.length).toBeGreaterThan(0);
  await expect(page.getByTestId('infill-result')).toHaveText(PREFIX + middle + SUFFIX);
  // Highlighted as Python, the filled part marked.
  await expect(page.getByTestId('infill-result').locator('.hljs-keyword').first()).toHaveText('def');
  await expect(page.getByTestId('infill-middle')).toHaveCSS('background-color', /rgb/);

  await page.getByTestId('infill-copy').click();
  await expect(page.getByTestId('infill-copy')).toHaveText('Copied');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(PREFIX + middle + SUFFIX);

  // Keeping the fill makes it part of the prefix.
  await page.getByTestId('infill-accept').click();
  await expect(page.getByTestId('infill-prefix')).toHaveValue(PREFIX + middle);
  await expect(page.getByTestId('infill-suffix')).toHaveValue(SUFFIX);
});

test('parameters persist across reloads, reset one by one or all at once, and out-of-range values are flagged then clamped', async ({ page }) => {
  await openApp(page);
  await setParam(page, 'param-temperature', '0.3');
  await setParam(page, 'param-top-k', '40');
  await setParam(page, 'param-frequency-penalty', '-0.5');
  await page.getByTestId('param-seed').fill('123');
  await page.getByTestId('param-stop-input').fill('\\n\\nEND');
  await page.getByTestId('param-stop-input').press('Enter');
  await expect(page.getByTestId('stop-chips')).toHaveText(/\\n\\nEND/);

  await page.reload();
  await expect(page.getByTestId('param-temperature-number')).toHaveValue('0.3');
  await expect(page.getByTestId('param-top-k-number')).toHaveValue('40');
  await expect(page.getByTestId('param-frequency-penalty-number')).toHaveValue('-0.5');
  await expect(page.getByTestId('param-seed')).toHaveValue('123');
  await expect(page.getByTestId('stop-chips')).toHaveText(/\\n\\nEND/);
  expect(await page.evaluate(() => JSON.parse(localStorage.getItem('deepseek-coder-web:params') ?? '{}').stop)).toStrictEqual(['\n\nEND']);

  // One parameter back to its default.
  await page.getByTestId('param-temperature-reset').click();
  await expect(page.getByTestId('param-temperature-number')).toHaveValue('0.7');
  await expect(page.getByTestId('param-temperature-reset')).toHaveCount(0);
  await expect(page.getByTestId('param-top-k-number')).toHaveValue('40');

  // Out of range: flagged while typing, clamped when the field is left.
  const temperature = page.getByTestId('param-temperature-number');
  await temperature.fill('5');
  await expect(temperature).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByTestId('param-temperature-problem')).toHaveText('Temperature must be between 0 and 2.');
  await temperature.blur();
  await expect(temperature).toHaveValue('2');
  await expect(page.getByTestId('param-temperature-problem')).toHaveText('Temperature must be between 0 and 2. Set to 2.');
  await page.getByTestId('param-top-p-number').fill('0');
  await page.getByTestId('param-top-p-number').blur();
  await expect(page.getByTestId('param-top-p-number')).toHaveValue('0.01');

  // Everything back to the defaults, and that persists too.
  await page.getByTestId('params-reset-all').click();
  await expect(page.getByTestId('params-reset-all')).toBeDisabled();
  await page.reload();
  await expect(page.getByTestId('param-temperature-number')).toHaveValue('0.7');
  await expect(page.getByTestId('param-top-p-number')).toHaveValue('0.95');
  await expect(page.getByTestId('param-top-k-number')).toHaveValue('0');
  await expect(page.getByTestId('param-frequency-penalty-number')).toHaveValue('0');
  await expect(page.getByTestId('param-seed')).toHaveValue('');
  await expect(page.getByTestId('stop-chips')).toHaveCount(0);
});

test('View code shows the exact call, streamed or not, and all four snippets run in the page', async ({ page }) => {
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await openApp(page);
  await quickAnswers(page, 8);
  await load(page, INSTRUCT);
  await chat(page, 'hi');

  await page.getByTestId('view-code-button').click();
  const dialog = page.getByTestId('view-code-dialog');
  await expect(dialog).toBeVisible();
  // Streamed by default, as the playground sends it.
  await expect(page.getByTestId('view-code-stream')).toBeChecked();
  const streamedClient = (await page.getByTestId('code-client').textContent()) ?? '';
  const streamedFetch = (await page.getByTestId('code-fetch').textContent()) ?? '';
  expect(streamedClient.split('\n').slice(0, 4)).toStrictEqual([
    'const stream = await deepseek.chat.completions.create({',
    `  model: "${INSTRUCT}",`,
    '  messages: [',
    '    { role: "user", content: "hi" },',
  ]);
  expect(streamedClient).toContain('\n  temperature: 0,\n  top_p: 0.95,\n  max_tokens: 8,\n  stream: true,\n});');
  expect(streamedFetch).toContain('getReader()');

  await page.getByTestId('view-code-stream').uncheck();
  const client = (await page.getByTestId('code-client').textContent()) ?? '';
  const fetchCode = (await page.getByTestId('code-fetch').textContent()) ?? '';
  expect(client.split('\n')[0]).toBe('const completion = await deepseek.chat.completions.create({');
  expect(client).toContain('\n  temperature: 0,\n  top_p: 0.95,\n  max_tokens: 8,\n});\nconsole.log(completion.choices[0].message.content);');
  expect(client).not.toContain('top_k');
  expect(fetchCode).toContain('fetch("/v1/chat/completions", {');

  await page.getByTestId('copy-client').click();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(client);

  // The snippets run as they are: the in-page API, and HTTP through the service worker; greedy, so all four agree.
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  const run = (code: string) =>
    page.evaluate(async (source) => {
      const logged: unknown[] = [];
      const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (...args: unknown[]) => Promise<void>;
      await new AsyncFunction('console', source)({ log: (value: unknown) => logged.push(value) });
      return logged;
    }, code);
  const [viaClient] = await run(client);
  expect(typeof viaClient).toBe('string');
  expect(await run(fetchCode)).toStrictEqual([viaClient]);
  expect(await run(streamedClient)).toStrictEqual([viaClient]);
  expect(await run(streamedFetch)).toStrictEqual([viaClient]);

  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('view-code-button')).toBeFocused();

  // Prompt mode shows the completions call.
  await page.getByTestId('mode-prompt').click();
  await page.getByTestId('view-code-button').click();
  await expect(page.getByTestId('code-client')).toContainText('deepseek.completions.create({');
  await expect(page.getByTestId('code-client')).toContainText('prompt: "');
  await expect(page.getByTestId('code-fetch')).toContainText('fetch("/v1/completions", {');
  await page.getByTestId('view-code-close').click();
  await expect(dialog).toBeHidden();
});

test('keyboard: arrow keys move between modes, focus rings show, Ctrl+Enter generates in Prompt mode', async ({ page }) => {
  await openApp(page);
  await quickAnswers(page, 6);
  await load(page, INSTRUCT);
  await page.getByTestId('mode-chat').click();
  await page.getByTestId('mode-chat').press('ArrowRight');
  await expect(page.getByTestId('mode-prompt')).toBeFocused();
  await expect(page.getByTestId('mode-prompt')).toHaveAttribute('aria-selected', 'true');
  await expect(page.locator('#panel-prompt')).toBeVisible();
  await expect(page.locator('#panel-chat')).toBeHidden();
  await page.keyboard.press('End');
  await expect(page.getByTestId('mode-infill')).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId('mode-chat')).toBeFocused();
  await page.keyboard.press('End');
  await page.keyboard.press('ArrowLeft');
  await expect(page.getByTestId('mode-prompt')).toBeFocused();
  expect(await page.getByTestId('mode-prompt').evaluate((tab) => getComputedStyle(tab).outlineStyle)).toBe('solid');

  // Tab from the selected tab reaches the prompt editor; Ctrl+Enter there generates.
  await page.getByTestId('prompt-input').focus();
  await page.keyboard.type('x = ');
  await page.keyboard.press('Control+Enter');
  await expect(page.getByTestId('prompt-regenerate')).toBeVisible();
  await expect(page.getByTestId('prompt-output')).toContainText('x = ');
});

test('theme: follows the system by default; light and dark are remembered', async ({ browser }) => {
  const context = await browser.newContext({ colorScheme: 'dark' });
  const page = await context.newPage();
  await openApp(page);
  const dark = await bodyBackground(page);
  await expect(page.getByTestId('theme-system')).toBeChecked();
  await page.emulateMedia({ colorScheme: 'light' });
  const light = await bodyBackground(page);
  expect(light).not.toBe(dark);

  await page.emulateMedia({ colorScheme: 'dark' });
  await page.getByTestId('theme-light').check();
  expect(await bodyBackground(page)).toBe(light);
  await page.reload();
  await expect(page.getByTestId('theme-light')).toBeChecked();
  expect(await bodyBackground(page)).toBe(light);

  await page.emulateMedia({ colorScheme: 'light' });
  await page.getByTestId('theme-dark').check();
  expect(await bodyBackground(page)).toBe(dark);
  await page.getByTestId('theme-system').check();
  expect(await bodyBackground(page)).toBe(light);
  await context.close();
});

async function noSidewaysScroll(page: Page): Promise<void> {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
}

/**
 * Visible controls smaller than 40 × 40 px, described for the failure message, measured once every CSS
 * transition has ended: while the drawer slides in,
 * a box's width is the difference of two transformed edges, which float rounding can put a hair under 40.
 */
function smallTapTargets(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    // Transitions only: a spinner's animation never finishes. A cancelled one rejects, and is over too.
    const transitions = document.getAnimations().filter((animation) => animation instanceof CSSTransition);
    await Promise.all(transitions.map((transition) => transition.finished.catch(() => undefined)));
    const controls = document.querySelectorAll<HTMLElement>('button, select, input, textarea, [role="tab"], label:has(> input[type="radio"])');
    return [...controls]
      .filter((control) => control.checkVisibility({ visibilityProperty: true, opacityProperty: false }))
      .filter((control) => !(control instanceof HTMLInputElement && control.type === 'radio'))
      .map((control) => ({ control, box: control.getBoundingClientRect() }))
      .filter(({ box }) => box.width > 0 && (box.height < 40 || box.width < 40))
      .map(({ control, box }) => `${control.tagName.toLowerCase()} "${(control.getAttribute('aria-label') ?? control.textContent ?? '').trim().slice(0, 30)}" ${Math.round(box.width)}×${Math.round(box.height)}`);
  });
}

test('at 375 px: no sideways scrolling, the sidebar is a drawer, tap targets are at least 40 px', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 375, height: 812 }, hasTouch: true });
  const page = await context.newPage();
  await openApp(page);
  await expect(page.locator('#sidebar')).toBeHidden();
  for (const mode of ['chat', 'prompt', 'infill']) {
    await page.getByTestId(`mode-${mode}`).click();
    await noSidewaysScroll(page);
    expect(await smallTapTargets(page), mode).toStrictEqual([]);
  }

  await page.getByTestId('drawer-toggle').click();
  await expect(page.locator('#sidebar')).toBeVisible();
  await expect(page.getByTestId('drawer-close')).toBeFocused();
  await noSidewaysScroll(page);
  expect(await smallTapTargets(page), 'drawer').toStrictEqual([]);
  await setParam(page, 'param-temperature', '0');
  await setParam(page, 'param-max-tokens', '12');
  await load(page, INSTRUCT);
  await page.keyboard.press('Escape');
  await expect(page.locator('#sidebar')).toBeHidden();
  await expect(page.getByTestId('drawer-toggle')).toBeFocused();

  // One button steps through the themes where three do not fit.
  await expect(page.getByTestId('theme-toggle')).toBeHidden();
  await page.getByTestId('theme-cycle').click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  await page.getByTestId('theme-cycle').click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');

  await chat(page, 'Write a quicksort in Python');
  await noSidewaysScroll(page);
  await generatePrompt(page, 'def fibonacci(n):\n');
  await noSidewaysScroll(page);
  await page.getByTestId('view-code-button').click();
  await noSidewaysScroll(page);
  await context.close();
});

test('no serious or critical axe violations in any mode, light and dark, with a model loaded and answers shown', async ({ page }) => {
  test.setTimeout(300_000);
  await page.setViewportSize({ width: 1360, height: 860 });
  await openApp(page);
  await quickAnswers(page, 10);
  await load(page, INSTRUCT);
  await chat(page, 'Write a quicksort in Python');
  await generatePrompt(page, 'def fibonacci(n):\n');
  await fillHole(page);

  for (const theme of ['light', 'dark'] as const) {
    await page.getByTestId(`theme-${theme}`).check();
    for (const mode of ['chat', 'prompt', 'infill'] as const) {
      await page.getByTestId(`mode-${mode}`).click();
      expect(await seriousViolations(page), `${mode}, ${theme}`).toStrictEqual([]);
    }
    await page.getByTestId('view-code-button').click();
    expect(await seriousViolations(page), `View code, ${theme}`).toStrictEqual([]);
    await page.keyboard.press('Escape');
  }

  // The library and the device details, opened; then a phone, with the drawer open.
  await page.getByTestId('library-toggle').click();
  await page.getByTestId('device-summary').click();
  await expect(page.getByTestId('model-card').first()).toBeVisible();
  expect(await seriousViolations(page), 'library and device details').toStrictEqual([]);
  await page.setViewportSize({ width: 375, height: 812 });
  await page.getByTestId('mode-chat').click();
  expect(await seriousViolations(page), 'phone, chat').toStrictEqual([]);
  await page.getByTestId('drawer-toggle').click();
  await expect(page.getByTestId('drawer-close')).toBeFocused();
  expect(await seriousViolations(page), 'phone, drawer open').toStrictEqual([]);
});

/**
 * A short conversation with a code block, imported as a file, as someone might have had it with the 1.3B model.
 * It carries no timings: speed figures on a screenshot would be read as the product's, and none were measured.
 */
const SHOWCASE = {
  format: 'deepseek-coder-web.conversation',
  version: 1,
  title: 'Reverse a list in Python',
  systemPrompt: '',
  createdAt: 1_763_780_000_000,
  updatedAt: 1_763_780_060_000,
  messages: [
    { role: 'user', content: 'How do I reverse a list in Python without changing the original?' },
    {
      role: 'assistant',
      content:
        'Use slicing with a step of `-1`: it returns a new list and leaves the original alone.\n\n```python\nnumbers = [1, 2, 3, 4]\nbackwards = numbers[::-1]\n\nprint(backwards)  # [4, 3, 2, 1]\nprint(numbers)    # [1, 2, 3, 4]\n```\n\nTo loop backwards without a copy, use `reversed(numbers)`.',
      finish: 'stop',
      usage: { prompt_tokens: 62, completion_tokens: 74, total_tokens: 136 },
    },
  ],
};

async function showcase(browser: Browser, options: { colorScheme: 'light' | 'dark'; width: number; height: number; path: string }): Promise<void> {
  const context = await browser.newContext({ colorScheme: options.colorScheme, viewport: { width: options.width, height: options.height } });
  const page = await context.newPage();
  // Online, as people use it: the hub answers the page's first lookup (the mirror plays it), so no "hub cannot be
  // reached" notice. The model loaded is the tiny test model, and the header says so.
  await serveDefaultModelFromMirror(page, test.info().project.use.baseURL!);
  await openApp(page);
  const phone = options.width < 760;
  if (phone) await page.getByTestId('drawer-toggle').click();
  await setParam(page, 'param-temperature', '0.2');
  await load(page, INSTRUCT);
  await page.getByTestId('section-toggle-model').click();
  await page.getByTestId('import-input').setInputFiles({ name: 'reverse-a-list.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(SHOWCASE)) });
  if (phone) await page.getByTestId('drawer-close').click();
  await page.getByTestId('mode-chat').click();
  await expect(page.getByTestId('message-assistant').locator('pre code')).toContainText('backwards = numbers[::-1]');
  // From the top: the question, then the answer; the sidebar from its first panel.
  await page.getByTestId('messages').evaluate((messages) => messages.scrollTo(0, 0));
  for (const pane of await page.locator('#sidebar, #sidebar > aside').all()) await pane.evaluate((element) => element.scrollTo(0, 0));
  await page.mouse.move(0, 0);
  await page.screenshot({ path: options.path });
  await context.close();
}

test('screenshots: desktop light and dark, and a phone', async ({ browser }) => {
  test.setTimeout(300_000);
  await showcase(browser, { colorScheme: 'light', width: 1280, height: 800, path: 'test-results/screenshots/desktop-light.png' });
  await showcase(browser, { colorScheme: 'dark', width: 1280, height: 800, path: 'test-results/screenshots/desktop-dark.png' });
  await showcase(browser, { colorScheme: 'light', width: 390, height: 844, path: 'test-results/screenshots/phone.png' });
});
