import { expect, type Page } from '@playwright/test';
import type { Device, Dtype, LoadedModel } from '../src/protocol/index.ts';

export const INSTRUCT = 'tiny-random/deepseek-coder-instruct';
/** A prompt whose greedy answer on the tiny instruct model runs for dozens of tokens before EOS. */
export const LONG_PROMPT = 'Explain closures';

export async function openApp(page: Page): Promise<void> {
  await page.goto('/');
  await page.waitForFunction(() => window.deepseek !== undefined);
}

/**
 * Reloads once every conversation write has committed: an unloading page
 * aborts IndexedDB transactions still in flight, as a closing tab would.
 */
export async function reloadOnceSaved(page: Page): Promise<void> {
  await expect(page.getByTestId('conversation-list')).toHaveAttribute('data-saving', 'false');
  await page.reload();
}

export function loadModel(page: Page, device: Device, dtype: Dtype): Promise<LoadedModel> {
  return page.evaluate(([id, device, dtype]) => window.deepseek.load(id, { device, dtype }), [INSTRUCT, device, dtype] as const);
}

/** Runs `body` in the page and returns the OpenAI error object it threw, or null. */
export function errorFrom(page: Page, body: unknown): Promise<{ error: Record<string, unknown>; status: number } | null> {
  return page.evaluate(async (request) => {
    try {
      await window.deepseek.chat.completions.create(request as never);
      return null;
    } catch (thrown) {
      const error = thrown as { error: Record<string, unknown>; status: number };
      return { error: error.error, status: error.status };
    }
  }, body);
}
