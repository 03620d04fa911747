import AxeBuilder from '@axe-core/playwright';
import { expect, type BrowserContext, type Page } from '@playwright/test';
import { DEFAULT_MODEL_ID, type Device, type Dtype, type LoadedModel } from '../src/protocol/index.ts';

export const INSTRUCT = 'tiny-random/deepseek-coder-instruct';
/** A prompt whose greedy answer on the tiny instruct model runs for dozens of tokens before EOS. */
export const LONG_PROMPT = 'Explain closures';
/** The tiny instruct model's end-of-sequence tokens (its own and the base model's). */
export const END_OF_SEQUENCE = [32014, 32021];

/**
 * The page's one question to the hub when it opens: the preselected model's size, and whether the hub answers at all,
 * so an offline first screen says so at once. Every other request of the tests stays on the app's origin.
 */
export function isStartupHubLookup(url: URL): boolean {
  return url.origin === 'https://huggingface.co' && url.pathname.includes(`/${DEFAULT_MODEL_ID}/`);
}

/**
 * A reachable hub, played by the test server's mirror: the preselected model's id serves the tiny instruct model's files,
 * so the first screen is the one people see online (no "hub cannot be reached" notice); every other hub request fails as
 * it does offline. The sizes and geometry it reports are the tiny model's.
 */
export async function serveDefaultModelFromMirror(page: Page, baseURL: string): Promise<void> {
  await page.context().route('https://huggingface.co/**', async (route) => {
    const url = new URL(route.request().url());
    if (!isStartupHubLookup(url)) return route.abort('internetdisconnected');
    const local = new URL(`/hf-mirror${url.pathname.replace(`/${DEFAULT_MODEL_ID}/`, `/${INSTRUCT}/`)}${url.search}`, baseURL);
    return route.fulfill({ response: await route.fetch({ url: local.href }) });
  });
}

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

/** The live token count in the status bar goes up while an answer streams. */
export async function expectGrowingTokenCount(page: Page): Promise<void> {
  const count = async () => Number(((await page.getByTestId('live-tokens').textContent()) ?? '').replace(/\D/g, ''));
  const first = await count();
  expect(first).toBeGreaterThan(0);
  await expect.poll(count).toBeGreaterThan(first);
}

/**
 * From now on, raw completions from the page ban the end-of-sequence tokens,
 * so they run to max_tokens: the random-weight model otherwise may stop
 * before a test can act on the stream.
 */
export async function endlessCompletions(page: Page): Promise<void> {
  await page.evaluate((banned) => {
    const completions = window.deepseek.completions;
    const create = completions.create;
    const logitBias = Object.fromEntries(banned.map((token) => [token, -100]));
    completions.create = ((body, options) => create({ ...body, logit_bias: logitBias }, options)) as typeof create;
  }, END_OF_SEQUENCE);
}

/** Axe's serious and critical findings on the page, or on the part `include` selects, as readable lines. */
export async function seriousViolations(page: Page, include?: string): Promise<string[]> {
  const builder = new AxeBuilder({ page });
  const results = await (include ? builder.include(include) : builder).analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(' ')).join(', ')})`);
}

export interface Download {
  path: string;
  range: string | null;
}

/**
 * Files of one model the page fetches in hub layout, leaving out transformers.js's
 * one-byte size probes. Other models' lookups (the library asks the hub about the
 * whole catalog when it opens) may land at any time, so they are not counted.
 */
export function watchDownloads(context: BrowserContext, modelId: string): Download[] {
  const downloads: Download[] = [];
  const prefix = `/${modelId}/resolve/main/`;
  context.on('request', (request) => {
    const { pathname } = new URL(request.url());
    const at = pathname.indexOf(prefix);
    const range = request.headers()['range'] ?? null;
    if (at >= 0 && range !== 'bytes=0-0') downloads.push({ path: pathname.slice(at + prefix.length), range });
  });
  return downloads;
}
