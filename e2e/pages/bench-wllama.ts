/**
 * Benchmark-only page (in `--mode test` builds, never in production): wllama
 * (llama.cpp in WebAssembly) on the GGUF export of the same weights, driven
 * by scripts/bench-full.ts and e2e/fidelity.spec.ts. Its WASM file is served
 * from the app's own origin; wllama starts its own Web Worker.
 */
import { Wllama, type RawCompletionParams, type RawCompletionResponse } from '@wllama/wllama';
import wllamaWasm from '@wllama/wllama/esm/wasm/wllama.wasm?url';
import type { BenchEngine, GenerateRun, TopLogprob } from './bench-types.ts';

/**
 * llama-server's completion parameters beyond wllama's typings, which it
 * passes through: a prompt of token ids, per-request cache use, top
 * candidates from the raw logits, and the generated ids.
 */
type ServerCompletionParams = Omit<RawCompletionParams, 'prompt' | 'logit_bias'> & {
  prompt: number[] | string;
  logit_bias?: Record<string, number>;
  cache_prompt: boolean;
  n_probs?: number;
  post_sampling_probs?: boolean;
  return_tokens?: boolean;
};

/** The parts of llama-server's answer the benchmark reads; wllama types `logprobs` as the legacy OpenAI shape. */
interface ServerCompletion {
  usage: RawCompletionResponse['usage'];
  timings?: RawCompletionResponse['timings'];
  tokens?: number[];
  choices: { logprobs: { content?: { id: number; top_logprobs: { id: number; logprob: number }[] }[] } | null }[];
}

let wllama: Wllama | null = null;

function model(): Wllama {
  if (!wllama) throw new Error('No model loaded.');
  return wllama;
}

function complete(params: ServerCompletionParams): Promise<ServerCompletion> {
  return model().createCompletion({ ...(params as unknown as RawCompletionParams), stream: false }) as unknown as Promise<ServerCompletion>;
}

const engine: BenchEngine = {
  async load(options) {
    wllama = new Wllama({ default: wllamaWasm }, { suppressNativeLog: true, allowOffline: true });
    // Never the CDN builds wllama offers for browsers without JSPI.
    wllama.setCompat(null);
    const url = new URL(`${import.meta.env.BASE_URL}hf-mirror/${options.model}/resolve/main/${options.variant}`, location.origin).href;
    const start = performance.now();
    await wllama.loadModelFromUrl(url, {
      n_threads: options.threads,
      n_ctx: options.contextTokens,
      n_batch: 512,
      n_gpu_layers: options.device === 'webgpu' ? 999 : 0,
      // One slot, so a later request finds the cache the earlier one left.
      n_parallel: 1,
      warmup: false,
    });
    return { loadMs: performance.now() - start, threads: wllama.getNumThreads() };
  },

  async generate(options) {
    const stamps: number[] = [];
    const tokens: number[] = [];
    let timings: RawCompletionResponse['timings'];
    let cachedTokens = 0;
    const start = performance.now();
    const params: ServerCompletionParams = {
      prompt: options.ids,
      max_tokens: options.maxNewTokens,
      temperature: 0,
      top_k: 1,
      ignore_eos: true,
      logit_bias: Object.fromEntries(options.bannedIds.map((id) => [String(id), -100])),
      cache_prompt: options.reuseCache,
      return_tokens: true,
    };
    await model().createCompletion({
      ...(params as unknown as RawCompletionParams),
      stream: true,
      onData: (chunk) => {
        const ids = (chunk as unknown as { tokens?: number[] }).tokens ?? [];
        for (const id of ids) {
          tokens.push(id);
          stamps.push(performance.now());
        }
        if (chunk.timings) {
          timings = chunk.timings;
          cachedTokens = chunk.timings.cache_n;
        }
      },
    });
    const end = performance.now();
    const first = stamps[0] ?? end;
    const run: GenerateRun = {
      promptTokens: options.ids.length,
      cachedTokens,
      tokens,
      ttftMs: first - start,
      decodeMs: (stamps.at(-1) ?? end) - first,
      totalMs: end - start,
    };
    if (timings) run.reported = { prefillTokensPerSecond: timings.prompt_per_second, decodeTokensPerSecond: timings.predicted_per_second };
    return run;
  },

  async dispose() {
    await wllama?.exit();
    wllama = null;
  },
};

window.benchEngine = engine;

window.benchTopLogprobs = async (ids, k) => {
  const completion = await complete({ prompt: ids, max_tokens: 1, temperature: 0, top_k: 1, n_probs: k, post_sampling_probs: false, cache_prompt: false });
  const first = completion.choices[0]?.logprobs?.content?.[0];
  if (!first) throw new Error('llama.cpp returned no log probabilities.');
  return first.top_logprobs.map(({ id, logprob }): TopLogprob => ({ id, logprob }));
};

window.benchSharedPrefix = async (text, ids) => {
  await complete({ prompt: text, max_tokens: 1, temperature: 0, top_k: 1, cache_prompt: true });
  const again = await complete({ prompt: ids, max_tokens: 1, temperature: 0, top_k: 1, cache_prompt: true });
  return again.timings?.cache_n ?? 0;
};
