import { expect, test, type Page } from '@playwright/test';
import { expectGrowingTokenCount, INSTRUCT, openApp, reloadOnceSaved } from './helpers.ts';

/** With seed 21 at temperature 1, the tiny instruct model answers this with about 500 tokens. */
const LONG_ANSWER = 'Another long one';

async function loadThroughUi(page: Page, device: 'wasm' | 'webgpu'): Promise<void> {
  await page.getByTestId('model-select').selectOption(INSTRUCT);
  await page.getByTestId('device-select').selectOption(device);
  await page.getByTestId('load-button').click();
  await expect(page.getByTestId('running-on')).toHaveText(device === 'wasm' ? 'WASM · q4' : 'WebGPU · q4', { timeout: 120_000 });
  await expect(page.getByTestId('status')).toHaveAttribute('data-model-id', INSTRUCT);
}

test('load in the UI shows device details, then a chat answer streams in', async ({ page }) => {
  await page.setViewportSize({ width: 1360, height: 860 });
  await openApp(page);
  await expect(page.getByTestId('device-info')).toContainText('WASM threads');
  await page.getByTestId('param-temperature-number').fill('0');
  await loadThroughUi(page, 'wasm');

  const input = page.getByTestId('composer-input');
  await input.fill('Write a quicksort in Python');
  await input.press('Enter');
  await expect(page.getByTestId('message-user')).toHaveText(/Write a quicksort in Python/);
  const answer = page.getByTestId('message-assistant');
  // Streaming: text appears while the Stop button is still showing.
  await expect(page.getByTestId('stop-button')).toBeVisible();
  await expect(answer.locator('.markdown')).not.toBeEmpty();
  await expect(page.getByTestId('message-meta')).toContainText('tokens');
  await expect(page.getByTestId('send-button')).toBeVisible();
  await expect(input).toBeEnabled();
  // Screen readers hear that it finished, not every streamed word.
  await expect(page.getByTestId('chat-announcement')).toHaveText('Answer finished.');
  await expect(page.locator('[aria-live]:has([data-testid="message-assistant"])')).toHaveCount(0);
});

test('the page shows a helpful error when a load fails, and can load again', async ({ page }) => {
  await openApp(page);
  await page.getByTestId('device-select').selectOption('wasm');
  // The hub is cut off, whatever network the test machine has: the load must fail cleanly.
  let hubRequests = 0;
  await page.context().route('https://huggingface.co/**', (route) => {
    hubRequests += 1;
    return route.abort('internetdisconnected');
  });
  await page.getByTestId('model-select').selectOption('onnx-community/deepseek-coder-1.3b-instruct-ONNX');
  await page.getByTestId('load-button').click();
  await expect(page.getByTestId('load-error')).toBeVisible({ timeout: 60_000 });
  await page.screenshot({ path: 'test-results/load-error.png' });
  expect(hubRequests).toBeGreaterThan(0);
  await loadThroughUi(page, 'wasm');
  await expect(page.getByTestId('load-error')).toHaveCount(0);
});

test('Stop interrupts a streaming answer on WebGPU', async ({ page }) => {
  await openApp(page);
  await page.getByTestId('param-temperature-number').fill('0');
  await loadThroughUi(page, 'webgpu');
  await page.getByTestId('composer-input').fill('Explain closures');
  await page.getByTestId('send-button').click();
  const answer = page.getByTestId('message-assistant');
  await expect(answer.locator('.markdown')).not.toBeEmpty({ timeout: 120_000 });
  await page.getByTestId('stop-button').click();
  await expect(page.getByTestId('message-meta')).toContainText('Stopped');
  await expect(page.getByTestId('send-button')).toBeVisible();
  // The engine is free again: the next question is answered.
  await page.getByTestId('param-max-tokens-number').fill('2');
  await page.getByTestId('composer-input').fill('hi');
  await page.getByTestId('composer-input').press('Enter');
  await expect(page.getByTestId('message-meta').nth(1)).toContainText('tokens', { timeout: 120_000 });
});

test('Escape stops generation from the keyboard', async ({ page }) => {
  await openApp(page);
  await page.getByTestId('param-temperature-number').fill('0');
  await loadThroughUi(page, 'webgpu');
  const input = page.getByTestId('composer-input');
  await input.fill('Explain closures');
  await input.press('Enter');
  await expect(page.getByTestId('message-assistant').locator('.markdown')).not.toBeEmpty({ timeout: 120_000 });
  await input.press('Escape');
  await expect(page.getByTestId('message-meta')).toContainText('Stopped');
});

// The README's screenshots come from e2e/modes.spec.ts, with a conversation that shows a code block.
test('an answer streams in under the dark color scheme too', async ({ browser }) => {
  const context = await browser.newContext({ colorScheme: 'dark', viewport: { width: 1360, height: 860 } });
  const page = await context.newPage();
  await openApp(page);
  await page.getByTestId('param-temperature-number').fill('0');
  await loadThroughUi(page, 'wasm');
  await page.getByTestId('composer-input').fill('How do I reverse a list in Python?');
  await page.getByTestId('composer-input').press('Enter');
  await expect(page.getByTestId('message-meta')).toContainText('tokens');
  await context.close();
});

test('on WASM: Shift+Enter adds a line, Enter sends, Escape stops, and a reload mid-answer keeps what had arrived', async ({ page }) => {
  await openApp(page);
  // This seed's answer to LONG_ANSWER runs for about 500 tokens, long enough to act while it streams.
  await page.getByTestId('param-temperature-number').fill('1');
  await page.getByTestId('param-max-tokens-number').fill('2000');
  await page.getByTestId('param-seed').fill('21');
  await loadThroughUi(page, 'wasm');
  const input = page.getByTestId('composer-input');
  await input.fill('first line');
  await input.press('Shift+Enter');
  await input.pressSequentially('second line');
  await expect(input).toHaveValue('first line\nsecond line');
  await expect(page.getByTestId('message-user')).toHaveCount(0);

  await input.fill(LONG_ANSWER);
  await input.press('Enter');
  await expect(page.getByTestId('message-user')).toHaveText(LONG_ANSWER);
  await expect(input).toHaveValue('');
  const answer = page.getByTestId('message-assistant');
  await expect(answer.locator('.markdown')).not.toBeEmpty();
  await expect(page.getByTestId('live-rate')).toHaveText(/^≈ [\d.]+ tok\/s$/);
  await expectGrowingTokenCount(page);
  await input.press('Escape');
  await expect(page.getByTestId('message-meta')).toContainText('Stopped');
  await expect(page.getByTestId('chat-announcement')).toHaveText('Answer stopped.');
  await expect(page.getByTestId('run-stats')).toContainText(/Stopped at\s*[\d,]+ tokens/);

  // The stopped answer's figures belong to its conversation.
  await page.getByTestId('new-conversation').click();
  await expect(page.getByTestId('run-stats')).toHaveText('Timings appear after the first answer.');
  await input.fill(LONG_ANSWER);
  await input.press('Enter');
  await expect(answer.locator('.markdown')).not.toBeEmpty();
  // Past the 2 s between saves while an answer streams.
  await page.waitForTimeout(3_000);
  await expect(page.getByTestId('stop-button')).toBeVisible();
  await reloadOnceSaved(page);
  await expect(answer.locator('.markdown')).not.toBeEmpty();
  await expect(page.getByTestId('message-meta')).toContainText('Stopped');
});
