import { expect, test, type Page } from '@playwright/test';
import type { LoadProgress } from '../src/protocol/index.ts';
import { INSTRUCT, openApp } from './helpers.ts';

const Q4_0 = `${INSTRUCT}/deepseek-coder-instruct.Q4_0.gguf`;

async function loadWithProgress(page: Page, model: string, device: 'wasm' | 'webgpu', dtype = 'q4'): Promise<string[]> {
  return page.evaluate(
    async ({ model, device, dtype }) => {
      const stages: string[] = [];
      await window.deepseek.load(model, { device, dtype: dtype as 'q4', onProgress: (progress: LoadProgress) => stages.push(progress.stage) });
      return stages;
    },
    { model, device, dtype },
  );
}

function greedy(page: Page, model: string, maxTokens = 12): Promise<string> {
  return page.evaluate(
    async ({ model, maxTokens }) =>
      (await window.deepseek.completions.create({ model, prompt: 'def fibonacci(n):', max_tokens: maxTokens, temperature: 0 })).choices[0].text,
    { model, maxTokens },
  );
}

test('a Q4_0 GGUF converts in the tab on WASM and answers as the q4 ONNX graph of the same weights does', async ({ page }) => {
  await openApp(page);
  const stages = await loadWithProgress(page, Q4_0, 'wasm');
  expect(stages).toContain('convert');
  const converted = await greedy(page, Q4_0);
  await page.evaluate((model) => window.deepseek.load(model, { device: 'wasm', dtype: 'q4' }), INSTRUCT);
  expect(converted).toBe(await greedy(page, INSTRUCT));
});
