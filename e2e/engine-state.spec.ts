import { expect, test, type Page } from '@playwright/test';
import type { ChatCompletionRequest } from '../src/protocol/index.ts';
import { conversationFile } from './chat-fixtures.ts';
import { END_OF_SEQUENCE, INSTRUCT, openApp } from './helpers.ts';

const BASE = 'tiny-random/deepseek-coder-base';

/** From now on the page's chat answers ban end-of-sequence, so they stream until stopped or max_tokens. */
async function endlessChat(page: Page): Promise<void> {
  await page.evaluate((banned) => {
    const completions = window.deepseek.chat.completions;
    const create = completions.create;
    const logitBias = Object.fromEntries(banned.map((token) => [token, -100]));
    completions.create = ((body: ChatCompletionRequest, options) => create({ ...body, logit_bias: logitBias }, options)) as typeof create;
  }, END_OF_SEQUENCE);
}

test('the header and the device panel follow a load made through window.deepseek', async ({ page }) => {
  await openApp(page);
  await expect(page.getByTestId('status')).toContainText('No model loaded');
  await page.evaluate((id) => window.deepseek.load(id, { device: 'wasm', dtype: 'q4' }), INSTRUCT);
  await expect(page.getByTestId('status')).toHaveAttribute('data-model-id', INSTRUCT);
  await expect(page.getByTestId('status')).toContainText('WASM q4');
  await expect(page.getByTestId('running-on')).toHaveText('WASM · q4');
  // The playground can chat with it at once.
  await expect(page.getByTestId('composer-input')).toBeEnabled();

  await page.evaluate(() => window.deepseek.unload());
  await expect(page.getByTestId('status')).toContainText('No model loaded');
});

test('a load asked for while an answer streams says it waits, the old model keeps serving, and Stop lets it run', async ({ page }) => {
  await openApp(page);
  await page.evaluate((id) => window.deepseek.load(id, { device: 'wasm', dtype: 'q4' }), INSTRUCT);
  await expect(page.getByTestId('status')).toHaveAttribute('data-model-id', INSTRUCT);
  await endlessChat(page);
  await page.getByTestId('param-max-tokens-number').fill('4000');
  await page.getByTestId('param-max-tokens-number').press('Tab');

  await page.getByTestId('composer-input').fill('Explain closures');
  await page.getByTestId('composer-input').press('Enter');
  await expect(page.getByTestId('stop-button')).toBeVisible();
  // The meter counts the prompt as soon as the request starts, and the answer's tokens as they come.
  await expect(page.getByTestId('context-numbers')).toHaveText(/^[1-9][\d,]* \/ [\d,]+ tokens$/);
  const counted = async () => Number(((await page.getByTestId('context-numbers').textContent()) ?? '').split('/')[0].replace(/\D/g, ''));
  const first = await counted();
  await expect.poll(counted).toBeGreaterThan(first);

  await page.getByTestId('model-select').selectOption(BASE);
  await page.getByTestId('device-select').selectOption('wasm');
  await page.getByTestId('load-button').click();
  const queued = page.getByTestId('queued-load');
  await expect(queued).toContainText('loads once the answer being written now is finished');
  await expect(page.getByTestId('load-button')).toHaveText('Waiting…');
  await expect(page.getByTestId('status')).toContainText('loads next');
  // The model answering now stays the loaded one for every caller until the load starts.
  expect(await page.evaluate(() => window.deepseek.loaded?.id)).toBe(INSTRUCT);
  expect(await page.evaluate((id) => window.deepseek.models.retrieve(id).then((model) => model.loaded), INSTRUCT)).toBe(true);
  await expect(page.getByTestId('stop-button')).toBeVisible();
  // An API request for it, made while the load waits, is served by it once the answer ahead is done: no 404.
  await page.evaluate((id) => {
    (window as Window & { meanwhile?: Promise<string> }).meanwhile = window.deepseek.chat.completions
      .create({ model: id, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 })
      .then((completion) => completion.model, (error: { status: number }) => `failed ${error.status}`);
  }, INSTRUCT);

  await page.getByTestId('stop-for-load').click();
  await expect(page.getByTestId('message-meta')).toContainText('Stopped');
  expect(await page.evaluate(() => (window as Window & { meanwhile?: Promise<string> }).meanwhile)).toBe(INSTRUCT);
  await expect(page.getByTestId('status')).toHaveAttribute('data-model-id', BASE, { timeout: 60_000 });
  await expect(queued).toHaveCount(0);
});

test('an imported conversation says what the meters know, and no "after the first answer" under an answer', async ({ page }) => {
  await openApp(page);
  await page.evaluate((id) => window.deepseek.load(id, { device: 'wasm', dtype: 'q4' }), INSTRUCT);
  await expect(page.getByTestId('run-stats')).toHaveText('Timings appear after the first answer.');
  const file = conversationFile('Imported', [
    { role: 'user', content: 'Reverse a list in Python.' },
    { role: 'assistant', content: 'Use `items[::-1]`, or `items.reverse()` to reverse in place.' },
  ]);
  await page.getByTestId('import-input').setInputFiles({ name: 'imported.json', mimeType: 'application/json', buffer: Buffer.from(file) });
  await expect(page.getByTestId('message-assistant')).toContainText('items[::-1]');
  await expect(page.getByTestId('run-stats')).toHaveText('No timings for this answer: it was not made on this page. The next one is timed.');
  await expect(page.getByTestId('context-numbers')).toContainText('not counted yet, of 16,384 tokens; counted when the next answer starts');
});
