/**
 * Our engine, through the app's in-page API (`window.deepseek`) on the app's
 * own page: greedy (temperature 0), EOS banned with `logit_bias`, timed on the
 * page by wall clock and read from the response's `timings`.
 */
import type { BrowserContext, Page } from 'playwright-core';
import type { RendererMemory } from './browser.ts';
import type { Completion, Device, Dtype, LoadedModel } from '../../src/protocol/types.ts';
import { perSecond, progress, type EngineFigures } from './figures.ts';
import type { BenchOptions } from './options.ts';
import type { BenchPrompts } from './run.ts';

interface StreamedRun {
  text: string;
  completionTokens: number;
  promptTokens: number;
  cachedTokens: number;
  firstMs: number;
  lastMs: number;
  timings: NonNullable<Completion['timings']>;
}

async function openApp(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForFunction(() => window.deepseek !== undefined);
  return page;
}

/** Loads in the page; `threads` sizes the WASM pool, which a page's first load fixes (the WebGPU load reuses the page's). */
async function load(page: Page, model: string, device: Device, dtype: Dtype, threads: number): Promise<{ ms: number; loaded: LoadedModel }> {
  return page.evaluate(
    async ({ model, device, dtype, threads }) => {
      const start = performance.now();
      const loaded = await window.deepseek.load(model, { device, dtype, wasm_threads: threads });
      return { ms: performance.now() - start, loaded };
    },
    { model, device, dtype, threads },
  );
}

/** A raw completion, streamed; the clock starts at the call and stops at each chunk that carries text. */
function complete(page: Page, model: string, prompt: string, maxTokens: number, bannedIds: number[]): Promise<StreamedRun> {
  return page.evaluate(
    async ({ model, prompt, maxTokens, bannedIds }) => {
      const start = performance.now();
      const stream = await window.deepseek.completions.create({
        model,
        prompt,
        max_tokens: maxTokens,
        temperature: 0,
        logit_bias: Object.fromEntries(bannedIds.map((id) => [String(id), -100])),
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      let first: number | null = null;
      let last = 0;
      let timings: Completion['timings'];
      let usage: Completion['usage'];
      for await (const chunk of stream) {
        const now = performance.now() - start;
        const delta = chunk.choices[0]?.text ?? '';
        if (delta) {
          first ??= now;
          last = now;
          text += delta;
        }
        timings = chunk.timings ?? timings;
        usage = chunk.usage ?? usage;
      }
      if (!timings || !usage) throw new Error('The stream carried no timings or usage.');
      return {
        text,
        completionTokens: usage.completion_tokens,
        promptTokens: usage.prompt_tokens,
        cachedTokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
        firstMs: first ?? last,
        lastMs: last,
        timings,
      };
    },
    { model, prompt, maxTokens, bannedIds },
  );
}

type ChatTiming = { ms: number; promptTokens: number; cachedTokens: number };

/** One chat turn, one token: its time to first token, by wall clock. */
function chatFirstToken(page: Page, model: string, messages: BenchPrompts['chat']['history'], bannedIds: number[]): Promise<ChatTiming> {
  return page.evaluate(
    async ({ model, messages, bannedIds }) => {
      const start = performance.now();
      const completion = await window.deepseek.chat.completions.create({
        model,
        messages,
        max_tokens: 1,
        temperature: 0,
        logit_bias: Object.fromEntries(bannedIds.map((id) => [String(id), -100])),
      });
      return {
        ms: performance.now() - start,
        promptTokens: completion.usage.prompt_tokens,
        cachedTokens: completion.usage.prompt_tokens_details?.cached_tokens ?? 0,
      };
    },
    { model, messages, bannedIds },
  );
}

function expectTokens(what: string, actual: number, expected: number): void {
  if (actual !== expected) throw new Error(`ours: ${what} has ${actual} prompt tokens, the other engines get ${expected}: the tokenizations differ.`);
}

export async function runOurs(context: BrowserContext, url: string, options: BenchOptions, prompts: BenchPrompts, memory: RendererMemory): Promise<EngineFigures> {
  const { model, dtype } = options;
  const banned = prompts.bannedIds;
  const cold = await openApp(context, url);
  const coldLoad = await load(cold, model, 'wasm', dtype, options.threads);
  progress('ours', 'load cold', coldLoad.ms);
  // Its renderer exits with the page: its peak is read first.
  memory.sample();
  await cold.close();
  const page = await openApp(context, url);
  const warmLoad = await load(page, model, 'wasm', dtype, options.threads);
  progress('ours', 'load warm', warmLoad.ms);
  if (warmLoad.loaded.wasm_threads !== options.threads) {
    throw new Error(`ours runs ${warmLoad.loaded.wasm_threads} WASM threads, not the ${options.threads} it was asked for.`);
  }
  const loadPeakRendererBytes = memory.peak();

  await complete(page, model, prompts.warmUp.text, 2, banned);
  const main = await complete(page, model, prompts.main.text, options.decodeTokens, banned);
  expectTokens('the main prompt', main.promptTokens, prompts.main.ids.length);
  progress('ours', `${main.promptTokens} prompt tokens and ${main.completionTokens} decoded`, main.lastMs);
  if (main.completionTokens !== options.decodeTokens) throw new Error(`ours decoded ${main.completionTokens} tokens, not ${options.decodeTokens}.`);

  const { history, followUp } = prompts.chat;
  await chatFirstToken(page, model, history, banned);
  const withCache = await chatFirstToken(page, model, followUp, banned);
  expectTokens('the follow-up turn', withCache.promptTokens, prompts.chat.followUpIds.length);
  await complete(page, model, prompts.warmUp.text, 1, banned);
  const withoutCache = await chatFirstToken(page, model, followUp, banned);
  progress('ours', 'follow-up with the KV cache', withCache.ms);
  progress('ours', 'follow-up without', withoutCache.ms);

  let webgpu: EngineFigures['webgpu'] = null;
  if (options.webgpuTokens > 0) {
    const onWasm = await complete(page, model, prompts.short.text, options.webgpuTokens, banned);
    await load(page, model, 'webgpu', dtype === 'q8' ? 'q4' : dtype, options.threads);
    const onGpu = await complete(page, model, prompts.short.text, options.webgpuTokens, banned);
    webgpu = { tokens: onGpu.completionTokens, tokensPerSecond: onGpu.timings.decode_tokens_per_second, agreesWithWasm: onGpu.text === onWasm.text };
  }

  return {
    engine: 'ours',
    threads: warmLoad.loaded.wasm_threads,
    load: { coldMs: coldLoad.ms, warmMs: warmLoad.ms },
    prefill: {
      promptTokens: main.promptTokens,
      ttftMs: main.firstMs,
      tokensPerSecond: perSecond(main.promptTokens, main.firstMs),
      reportedTtftMs: main.timings.time_to_first_token_ms,
      reportedTokensPerSecond: main.timings.prefill_tokens_per_second,
    },
    decode: {
      tokens: main.completionTokens,
      tokensPerSecond: perSecond(main.completionTokens - 1, main.lastMs - main.firstMs),
      reportedTokensPerSecond: main.timings.decode_tokens_per_second,
    },
    followUp: { promptTokens: withCache.promptTokens, cachedTokens: withCache.cachedTokens, withCacheMs: withCache.ms, withoutCacheMs: withoutCache.ms },
    peakRendererBytes: 0,
    loadPeakRendererBytes,
    webgpu,
    output: { text: main.text, tokens: null },
  };
}
