/**
 * Bare transformers.js and wllama, each on its benchmark page
 * (e2e/pages/bench-*.html), given the same token ids as our engine.
 */
import type { BrowserContext, Page } from 'playwright-core';
import type { RendererMemory } from './browser.ts';
import type { EngineLoad, EngineLoadOptions, GenerateOptions, GenerateRun } from '../../e2e/pages/bench-types.ts';
import { perSecond, progress, type EngineFigures } from './figures.ts';
import type { BenchOptions } from './options.ts';
import type { BenchPrompts } from './run.ts';

export type PageEngine = 'transformers.js' | 'wllama';

const PAGES: Record<PageEngine, string> = {
  'transformers.js': 'e2e/pages/bench-transformers.html',
  wllama: 'e2e/pages/bench-wllama.html',
};

export async function openEnginePage(context: BrowserContext, url: string, engine: PageEngine): Promise<Page> {
  const page = await context.newPage();
  await page.goto(new URL(PAGES[engine], url).href);
  await page.waitForFunction(() => window.benchEngine !== undefined);
  return page;
}

export function loadEngine(page: Page, options: EngineLoadOptions): Promise<EngineLoad> {
  return page.evaluate((options) => window.benchEngine!.load(options), options);
}

export function generate(page: Page, options: GenerateOptions): Promise<GenerateRun> {
  return page.evaluate((options) => window.benchEngine!.generate(options), options);
}

/**
 * llama.cpp tokenizes with the vocabulary and merges in the GGUF's metadata:
 * it must give exactly the ids built with the model's tokenizer.json, or the
 * engines would not compute the same thing.
 */
export async function expectSameTokenization(page: Page, prompts: BenchPrompts): Promise<void> {
  const cases: [string, string, number[]][] = [
    ['the main prompt', prompts.main.text, prompts.main.ids.slice(1)],
    ['the follow-up chat', prompts.chat.followUpText, prompts.chat.followUpIds],
  ];
  for (const [what, text, ids] of cases) {
    const theirs = await page.evaluate((text) => window.benchTokenize!(text), text);
    const same = sharedLength(theirs, ids);
    if (same !== ids.length || theirs.length !== ids.length) {
      throw new Error(`wllama tokenizes ${what} differently: ${theirs.length} tokens against ${ids.length}, the first ${same} the same.`);
    }
  }
}

function sharedLength(a: number[], b: number[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

function sameTokens(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

export async function runPageEngine(
  engine: PageEngine,
  context: BrowserContext,
  url: string,
  options: BenchOptions,
  prompts: BenchPrompts,
  gguf: string,
  memory: RendererMemory,
): Promise<EngineFigures> {
  const loadOptions: EngineLoadOptions = {
    model: options.model,
    variant: engine === 'wllama' ? gguf : options.dtype,
    device: 'wasm',
    threads: options.threads,
    contextTokens: Math.max(prompts.chat.followUpIds.length, prompts.main.ids.length + options.decodeTokens) + 64,
  };
  const bannedIds = prompts.bannedIds;
  const cold = await openEnginePage(context, url, engine);
  const coldLoad = await loadEngine(cold, loadOptions);
  progress(engine, 'load cold', coldLoad.loadMs);
  // Its renderer exits with the page: its peak is read first.
  memory.sample();
  await cold.evaluate(() => window.benchEngine!.dispose());
  await cold.close();
  const page = await openEnginePage(context, url, engine);
  const warmLoad = await loadEngine(page, loadOptions);
  progress(engine, 'load warm', warmLoad.loadMs);
  if (warmLoad.threads !== options.threads) throw new Error(`${engine} runs ${warmLoad.threads} threads, not ${options.threads}.`);
  const loadPeakRendererBytes = memory.peak();

  if (engine === 'wllama') await expectSameTokenization(page, prompts);

  await generate(page, { ids: prompts.warmUp.ids, maxNewTokens: 2, bannedIds, reuseCache: false });
  const main = await generate(page, { ids: prompts.main.ids, maxNewTokens: options.decodeTokens, bannedIds, reuseCache: false });
  progress(engine, `${main.promptTokens} prompt tokens and ${main.tokens.length} decoded`, main.totalMs);
  if (main.tokens.length !== options.decodeTokens) throw new Error(`${engine} decoded ${main.tokens.length} tokens, not ${options.decodeTokens}.`);

  const { historyIds, followUpIds } = prompts.chat;
  await generate(page, { ids: historyIds, maxNewTokens: 1, bannedIds, reuseCache: true });
  const withCache = await generate(page, { ids: followUpIds, maxNewTokens: 1, bannedIds, reuseCache: true });
  const withoutCache = await generate(page, { ids: followUpIds, maxNewTokens: 1, bannedIds, reuseCache: false });
  progress(engine, 'follow-up with the KV cache', withCache.ttftMs);
  progress(engine, 'follow-up without', withoutCache.ttftMs);

  let webgpu: EngineFigures['webgpu'] = null;
  if (engine === 'transformers.js' && options.webgpuTokens > 0) {
    const short = { ids: prompts.short.ids, maxNewTokens: options.webgpuTokens, bannedIds, reuseCache: false };
    const onWasm = await generate(page, short);
    await page.evaluate(() => window.benchEngine!.dispose());
    await loadEngine(page, { ...loadOptions, device: 'webgpu', variant: options.dtype === 'q8' ? 'q4' : options.dtype });
    const onGpu = await generate(page, short);
    webgpu = { tokens: onGpu.tokens.length, tokensPerSecond: perSecond(onGpu.tokens.length - 1, onGpu.decodeMs), agreesWithWasm: sameTokens(onGpu.tokens, onWasm.tokens) };
  }

  return {
    engine,
    threads: warmLoad.threads,
    load: { coldMs: coldLoad.loadMs, warmMs: warmLoad.loadMs },
    prefill: {
      promptTokens: main.promptTokens,
      ttftMs: main.ttftMs,
      tokensPerSecond: perSecond(main.promptTokens, main.ttftMs),
    },
    decode: {
      tokens: main.tokens.length,
      tokensPerSecond: perSecond(main.tokens.length - 1, main.decodeMs),
    },
    followUp: { promptTokens: followUpIds.length, cachedTokens: withCache.cachedTokens, withCacheMs: withCache.ttftMs, withoutCacheMs: withoutCache.ttftMs },
    peakRendererBytes: 0,
    loadPeakRendererBytes,
    webgpu,
    output: { text: '', tokens: main.tokens },
  };
}
