import { expect, test, type Locator } from '@playwright/test';
import { openApp } from './helpers.ts';

/** The classic Trojan Source line: an RLO and isolates make the check look commented out while it runs. */
const TROJAN = 'if (isAdmin) { /*\u202E } \u2066if (isAdmin)\u2069 \u2066 begin admins only */\n  grant();\n}';
const FILE_NAME = '\u202Egnp.exe';
const ANSWER = `Here is ${FILE_NAME} again.\n\n\`\`\`js\n${TROJAN}\n\`\`\``;

const CONVERSATION = JSON.stringify({
  format: 'deepseek-coder-web.conversation',
  version: 1,
  title: FILE_NAME,
  messages: [
    { role: 'user', content: `Is ${FILE_NAME} safe?` },
    { role: 'assistant', content: ANSWER, finish: 'stop' },
  ],
});

/** The label a revealed character shows: its `::before` content. */
function badges(scope: Locator): Promise<string[]> {
  return scope.locator('.hidden-char').evaluateAll((elements) => elements.map((element) => getComputedStyle(element, '::before').content));
}

test.use({ permissions: ['clipboard-read', 'clipboard-write'] });

test('bidi controls in titles, messages and code blocks are shown and isolated, and Copy copies the true text', async ({ page }) => {
  await openApp(page);
  await page.getByTestId('import-input').setInputFiles({ name: 'bidi.json', mimeType: 'application/json', buffer: Buffer.from(CONVERSATION) });
  const clipboard = () => page.evaluate(() => navigator.clipboard.readText());

  // The title: the override is shown by its code point, inside an isolate, and the text itself is unchanged.
  const title = page.getByTestId('conversation-title');
  await expect(title).toHaveText(FILE_NAME);
  expect(await badges(title)).toEqual(['"U+202E"']);
  expect(await title.evaluate((element) => getComputedStyle(element).unicodeBidi)).toBe('isolate');

  // The user's message: shown, and each line takes its own direction.
  const question = page.getByTestId('message-user');
  expect(await badges(question)).toEqual(['"U+202E"']);
  const userText = question.locator('.user-text');
  await expect(userText).toHaveAttribute('dir', 'auto');
  expect(await userText.evaluate((element) => getComputedStyle(element).unicodeBidi)).toBe('plaintext');

  // The answer: the file name in prose and every control in the code, with a warning over the code.
  const answer = page.getByTestId('message-assistant');
  expect(await badges(answer.locator('p').first())).toEqual(['"U+202E"']);
  const code = answer.locator('.code-block');
  await expect(code.locator('.code-warning')).toContainText('hidden Unicode characters');
  expect(await badges(code)).toEqual(['"U+202E"', '"U+2066"', '"U+2069"', '"U+2066"']);
  expect(await code.locator('pre').evaluate((element) => getComputedStyle(element).direction)).toBe('ltr');

  // Copy gives the characters as they are, not the labels.
  await code.locator('.code-copy').click();
  await expect(code.locator('.code-copy')).toHaveText('Copied');
  expect(await clipboard()).toBe(TROJAN);
  await answer.hover();
  await answer.getByTestId('message-copy').click();
  expect(await clipboard()).toBe(ANSWER);
});
