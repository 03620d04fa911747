import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import type { LoadProgress } from '../src/protocol/index.ts';
import { openApp, watchDownloads } from '../e2e/helpers.ts';

const FULL = 'full-random/deepseek-coder-1.3b-instruct';
const GRAPH = 'onnx/model_quantized.onnx';
const graphPath = join('fixtures/hub', FULL, GRAPH);

test.skip(!existsSync(graphPath), 'run `npm run fixtures:full` first');

interface LoadTrace {
  ms: number;
  prepareMs: number;
  stages: string[];
  totalBytes: number;
}

/** Loads the full model's q8 graph on WASM, timing the download and the session build. */
function load(page: import('@playwright/test').Page, signalAfterBytes?: number): Promise<LoadTrace | { cancelledAt: number }> {
  return page.evaluate(
    async ([model, abortAfter]) => {
      const controller = new AbortController();
      const started = performance.now();
      let prepareAt = 0;
      let loaded = 0;
      const stages: string[] = [];
      let totalBytes = 0;
      try {
        await window.deepseek.load(model, {
          device: 'wasm',
          dtype: 'q8',
          signal: controller.signal,
          onProgress: (progress: LoadProgress) => {
            if (stages.at(-1) !== progress.stage) stages.push(progress.stage);
            if (progress.stage === 'prepare') prepareAt = performance.now();
            loaded = progress.loaded_bytes;
            totalBytes = progress.total_bytes;
            if (abortAfter !== null && loaded > abortAfter) controller.abort();
          },
        });
      } catch (error) {
        if (controller.signal.aborted) return { cancelledAt: loaded };
        throw error;
      }
      const ended = performance.now();
      return { ms: ended - started, prepareMs: ended - prepareAt, stages, totalBytes };
    },
    [FULL, signalAfterBytes ?? null] as const,
  ) as Promise<LoadTrace | { cancelledAt: number }>;
}

test('a 1.35 GB graph: progress to the last byte, the session build said, a cut resumed with a Range request, a reload served from the cache', async ({
  playwright,
  baseURL,
  launchOptions,
}) => {
  // A profile on disk, as a person's browser has: Playwright's default contexts are private windows,
  // whose in-memory Cache Storage refuses a 1.35 GB entry (QuotaExceededError).
  const profile = mkdtempSync(join(tmpdir(), 'full-size-profile-'));
  const context = await playwright.chromium.launchPersistentContext(profile, { ...launchOptions, baseURL });
  try {
    await checkFullSize(context);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
});

async function checkFullSize(context: import('@playwright/test').BrowserContext): Promise<void> {
  const page = await context.newPage();
  const graphBytes = statSync(graphPath).size;
  const downloads = watchDownloads(context, FULL);
  await openApp(page);

  // Cut a third of the way in: the bytes so far are kept.
  const cut = await load(page, graphBytes / 3);
  expect(cut).toHaveProperty('cancelledAt');
  const partial = (await page.evaluate(() => window.deepseek.cache.list())).data.find((model) => model.id === FULL)?.partial_bytes ?? 0;
  expect(partial).toBeGreaterThan(graphBytes / 4);

  // The next load asks only for the rest of the graph.
  downloads.length = 0;
  const cold = (await load(page)) as LoadTrace;
  expect(downloads.filter((download) => download.path === GRAPH)).toEqual([{ path: GRAPH, range: `bytes=${partial}-` }]);
  expect(cold.stages).toEqual(['download', 'prepare', 'ready']);
  expect(cold.totalBytes).toBeGreaterThan(graphBytes);
  const listed = (await page.evaluate(() => window.deepseek.cache.list())).data.find((model) => model.id === FULL)!;
  expect(listed.files.find((file) => file.path === GRAPH)?.bytes).toBe(graphBytes);

  const answer = await page.evaluate(
    (model) => window.deepseek.completions.create({ model, prompt: 'def add(a, b):', max_tokens: 2, temperature: 0 }),
    FULL,
  );
  expect(answer.usage?.completion_tokens).toBeGreaterThan(0);

  // After a reload, the model comes from Cache Storage: no model file crosses the network.
  await page.reload();
  await page.waitForFunction(() => window.deepseek !== undefined);
  downloads.length = 0;
  const warm = (await load(page)) as LoadTrace;
  expect(downloads).toEqual([]);
  console.log(
    `full-size q8 on WASM: cold load (rest of the graph) ${(cold.ms / 1000).toFixed(1)} s, of which the session build ${(cold.prepareMs / 1000).toFixed(1)} s; warm load ${(warm.ms / 1000).toFixed(1)} s, of which the session build ${(warm.prepareMs / 1000).toFixed(1)} s`,
  );
}
