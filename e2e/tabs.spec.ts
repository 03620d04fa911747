import { expect, test, type Page } from '@playwright/test';
import { INSTRUCT, openApp, reloadOnceSaved } from './helpers.ts';

/** Opens the app with the tiny model loaded on WASM and short greedy answers. */
async function openWithModel(page: Page): Promise<void> {
  await openApp(page);
  for (const [testid, value] of [['param-temperature', 0], ['param-max-tokens', 3]] as const) {
    await page.getByTestId(`${testid}-number`).fill(String(value));
    await page.getByTestId(`${testid}-number`).press('Tab');
  }
  await page.getByTestId('model-select').selectOption(INSTRUCT);
  await page.getByTestId('device-select').selectOption('wasm');
  await page.getByTestId('load-button').click();
  await expect(page.getByTestId('running-on')).toHaveText('WASM · q4', { timeout: 120_000 });
}

function send(page: Page, text: string): Promise<void> {
  return page.getByTestId('composer-input').fill(text).then(() => page.getByTestId('composer-input').press('Enter'));
}

const titles = (page: Page) => page.getByTestId('conversation-select');
const questions = async (page: Page) => (await page.getByTestId('message-user').allTextContents()).map((text) => text.trim()).sort();

test('one conversation in two tabs: both tabs’ turns are kept, a rename drops nothing, and new conversations appear without a reload', async ({ context, page }) => {
  const tabA = page;
  const tabB = await context.newPage();
  await openWithModel(tabA);
  await openWithModel(tabB);

  await send(tabA, 'Opening question');
  await expect(tabA.getByTestId('message-meta')).toHaveCount(1);
  // Tab B lists the new conversation without a reload, with its turn.
  await titles(tabB).filter({ hasText: 'Opening question' }).click();
  await expect(tabB.getByTestId('message-user')).toHaveText(['Opening question']);
  await expect(tabB.getByTestId('message-meta')).toHaveCount(1);

  // Both tabs add a turn at once: each writes over a copy that lacks the other's.
  await Promise.all([send(tabA, 'From tab A'), send(tabB, 'From tab B')]);
  const all = ['From tab A', 'From tab B', 'Opening question'];
  for (const tab of [tabA, tabB]) {
    await expect(tab.getByTestId('message-meta')).toHaveCount(3);
    await expect.poll(() => questions(tab)).toEqual(all);
  }

  // A fresh tab reads both turns from storage.
  const fresh = await context.newPage();
  await openApp(fresh);
  await titles(fresh).filter({ hasText: 'Opening question' }).click();
  await expect.poll(() => questions(fresh)).toEqual(all);
  await expect(fresh.getByTestId('message-meta')).toHaveCount(3);

  // A rename in tab B keeps every turn, and reaches the other tabs.
  const item = tabB.getByTestId('conversation-item').filter({ hasText: 'Opening question' });
  await item.hover();
  await item.getByTestId('conversation-rename').click();
  await tabB.getByTestId('conversation-rename-input').fill('Renamed in B');
  await tabB.getByTestId('conversation-rename-input').press('Enter');
  await expect(titles(tabA).filter({ hasText: 'Renamed in B' })).toHaveCount(1);
  await expect.poll(() => questions(tabA)).toEqual(all);
  await reloadOnceSaved(fresh);
  await titles(fresh).filter({ hasText: 'Renamed in B' }).click();
  await expect.poll(() => questions(fresh)).toEqual(all);

  // A delete reaches the other tabs too.
  const renamed = tabA.getByTestId('conversation-item').filter({ hasText: 'Renamed in B' });
  await renamed.hover();
  await renamed.getByTestId('conversation-delete').click();
  await tabA.getByTestId('conversation-delete-confirm').click();
  await expect(titles(tabB).filter({ hasText: 'Renamed in B' })).toHaveCount(0);
  await expect(titles(fresh).filter({ hasText: 'Renamed in B' })).toHaveCount(0);
});

test('a rename in a tab that missed another tab’s turn keeps that turn', async ({ context, page }) => {
  const tabA = page;
  const tabB = await context.newPage();
  await openWithModel(tabA);
  await send(tabA, 'Opening question');
  await expect(tabA.getByTestId('message-meta')).toHaveCount(1);
  await openApp(tabB);
  await titles(tabB).filter({ hasText: 'Opening question' }).click();
  await expect(tabB.getByTestId('message-user')).toHaveText(['Opening question']);

  // Tab A's notices stop reaching tab B, which stays stale: it never hears of the next turn.
  await tabA.evaluate(() => {
    BroadcastChannel.prototype.postMessage = () => undefined;
  });
  await send(tabA, 'Unseen by tab B');
  await expect(tabA.getByTestId('message-meta')).toHaveCount(2);
  await expect(tabA.getByTestId('conversation-list')).toHaveAttribute('data-saving', 'false');
  await expect(tabB.getByTestId('message-user')).toHaveText(['Opening question']);

  const item = tabB.getByTestId('conversation-item').filter({ hasText: 'Opening question' });
  await item.hover();
  await item.getByTestId('conversation-rename').click();
  await tabB.getByTestId('conversation-rename-input').fill('Renamed while stale');
  await tabB.getByTestId('conversation-rename-input').press('Enter');
  // The write merged: tab B now shows the turn it had missed.
  await expect.poll(() => questions(tabB)).toEqual(['Opening question', 'Unseen by tab B']);
  await expect(tabB.getByTestId('conversation-list')).toHaveAttribute('data-saving', 'false');

  const fresh = await context.newPage();
  await openApp(fresh);
  await titles(fresh).filter({ hasText: 'Renamed while stale' }).click();
  await expect.poll(() => questions(fresh)).toEqual(['Opening question', 'Unseen by tab B']);
});
