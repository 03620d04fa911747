import { test } from '@playwright/test';
import { openApp } from './helpers.ts';
for (const model of ['tiny-random/deepseek-coder-instruct/deepseek-coder-instruct.Q8_0.gguf', 'tiny-random/deepseek-coder-instruct-kquant/deepseek-coder-instruct-kquant.Q4_K_M.gguf']) {
  test(`debug ${model}`, async ({ page }) => {
    await openApp(page);
    page.on('console', (m) => console.log('CONSOLE', m.text().slice(0, 300)));
    page.context().on('request', (r) => console.log('REQ', r.url(), r.headers().range ?? ''));
    const result = await page.evaluate(async (model) => {
      try { await window.deepseek.load(model, { device: 'wasm', dtype: 'q4' }); return 'ok'; } catch (e) { return JSON.stringify((e as any).error); }
    }, model);
    console.log('RESULT', model, result);
    console.log('LIST', JSON.stringify(await page.evaluate(async () => (await window.deepseek.cache.list()).data)).slice(0, 1500));
  });
}
