/**
 * Benchmark-only page (in `--mode test` builds, never in production): wllama
 * (llama.cpp in WebAssembly) on the GGUF export of the same weights, driven
 * by scripts/bench-full.ts and e2e/fidelity.spec.ts. Its WASM files are served
 * from the app's own origin; wllama starts its own Web Worker.
 *
 * It runs wllama's low-level API, the loop its own createCompletion runs
 * (decode the prompt, then sample, accept and decode one token at a time), so
 * that it takes the same token ids as the other engines and keeps its KV cache
 * between requests as createCompletion's `useCache` does.
 */
import { Wllama } from '@wllama/wllama';
import singleThreadWasm from '@wllama/wllama/esm/single-thread/wllama.wasm?url';
import multiThreadWasm from '@wllama/wllama/esm/multi-thread/wllama.wasm?url';
import type { BenchEngine, GenerateRun, TopLogprob } from './bench-types.ts';

let wllama: Wllama | null = null;
/** The ids whose keys and values llama.cpp's KV cache holds, in order. */
let cachedIds: number[] = [];

function model(): Wllama {
  if (!wllama) throw new Error('No model loaded.');
  return wllama;
}

function sharedPrefix(a: number[], b: number[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

/** Feeds `ids` through the model, reusing the cached prefix they share when asked; the logits after the last id are then ready. */
async function feed(ids: number[], reuseCache: boolean): Promise<number> {
  const engine = model();
  // Always compute the last id, so its logits are fresh.
  const keep = reuseCache ? Math.min(sharedPrefix(cachedIds, ids), ids.length - 1) : 0;
  if (keep === 0) await engine.kvClear();
  else await engine.kvRemove(keep, -1);
  await engine.decode(ids.slice(keep), {});
  cachedIds = [...ids];
  return keep;
}

const engine: BenchEngine = {
  async load(options) {
    if (options.device !== 'wasm') throw new Error('wllama runs on the CPU (WASM) only.');
    wllama = new Wllama({ 'single-thread/wllama.wasm': singleThreadWasm, 'multi-thread/wllama.wasm': multiThreadWasm }, { suppressNativeLog: true });
    const url = new URL(`${import.meta.env.BASE_URL}hf-mirror/${options.model}/resolve/main/${options.variant}`, location.origin).href;
    const start = performance.now();
    await wllama.loadModelFromUrl(url, { n_threads: options.threads, n_ctx: options.contextTokens, n_batch: 512 });
    cachedIds = [];
    return { loadMs: performance.now() - start, threads: wllama.getNumThreads() };
  },

  async generate(options) {
    const engine = model();
    const start = performance.now();
    const cachedTokens = await feed(options.ids, options.reuseCache);
    await engine.samplingInit({ temp: 0, top_k: 1, logit_bias: options.bannedIds.map((token) => ({ token, bias: -Infinity })) });
    const tokens: number[] = [];
    const stamps: number[] = [];
    for (;;) {
      const { token } = await engine.samplingSample();
      tokens.push(token);
      stamps.push(performance.now());
      if (tokens.length === options.maxNewTokens) break;
      await engine.samplingAccept([token]);
      await engine.decode([token], {});
      cachedIds.push(token);
    }
    const end = performance.now();
    const run: GenerateRun = {
      promptTokens: options.ids.length,
      cachedTokens,
      tokens,
      ttftMs: stamps[0] - start,
      decodeMs: stamps[stamps.length - 1] - stamps[0],
      totalMs: end - start,
    };
    return run;
  },

  async dispose() {
    await wllama?.exit();
    wllama = null;
    cachedIds = [];
  },
};

window.benchEngine = engine;

window.benchTopLogprobs = async (ids, k) => {
  await feed(ids, false);
  // wllama softmaxes llama.cpp's raw logits for the last position: log p is the log-probability.
  const top = await model().getLogits(k);
  return top.map(({ token, p }): TopLogprob => ({ id: token, logprob: Math.log(p) }));
};

window.benchTokenize = (text) => model().tokenize(text, true);
