/**
 * Bare transformers.js for the side-by-side benchmark: `model.generate` with a
 * TextStreamer, on the same model files, from the same mirror and the same ORT
 * build as the app (same-origin wasmPaths, as workers/engine/browser-host.ts
 * sets them). None of the app's engine code runs here.
 */
import { AutoModelForCausalLM, AutoTokenizer, DynamicCache, Tensor, TextStreamer, env, type PreTrainedModel } from '@huggingface/transformers';
import type { EngineLoadOptions, GenerateOptions, GenerateRun } from './bench-types.ts';

export type WorkerRequest =
  | { id: number; kind: 'load'; options: EngineLoadOptions }
  | { id: number; kind: 'generate'; options: GenerateOptions }
  | { id: number; kind: 'dispose' };
export type WorkerReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; message: string };

interface Loaded {
  model: PreTrainedModel;
  streamerTokenizer: Awaited<ReturnType<typeof AutoTokenizer.from_pretrained>>;
}

let loaded: Loaded | null = null;
/** What the KV cache holds: the tokens fed through the model so far, and their keys and values. */
let cached: { ids: number[]; cache: DynamicCache } | null = null;

async function load(options: EngineLoadOptions): Promise<{ loadMs: number; threads: number }> {
  const wasm = env.backends.onnx.wasm;
  if (!wasm) throw new Error('onnxruntime-web did not initialise its WASM backend.');
  const ortBase = new URL(`${import.meta.env.BASE_URL}ort/`, self.location.origin).href;
  wasm.wasmPaths = { mjs: `${ortBase}ort-wasm-simd-threaded.asyncify.mjs`, wasm: `${ortBase}ort-wasm-simd-threaded.asyncify.wasm` };
  wasm.numThreads = options.threads;
  env.remoteHost = new URL(`${import.meta.env.BASE_URL}hf-mirror/`, self.location.origin).href;
  env.allowRemoteModels = true;
  env.allowLocalModels = false;
  const start = performance.now();
  const streamerTokenizer = await AutoTokenizer.from_pretrained(options.model);
  const model = await AutoModelForCausalLM.from_pretrained(options.model, {
    device: options.device,
    dtype: options.variant as 'q4',
  });
  loaded = { model, streamerTokenizer };
  return { loadMs: performance.now() - start, threads: wasm.numThreads ?? 1 };
}

function sharedPrefix(a: number[], b: number[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

async function generate(options: GenerateOptions): Promise<GenerateRun> {
  if (!loaded) throw new Error('No model loaded.');
  // transformers.js feeds only the ids past the cache's length, so a cache is reused only when the new ids extend it exactly.
  const reusable = options.reuseCache && cached && sharedPrefix(cached.ids, options.ids) === cached.ids.length && cached.ids.length < options.ids.length;
  if (!reusable && cached) {
    await cached.cache.dispose();
    cached = null;
  }
  const cachedTokens = reusable && cached ? cached.ids.length : 0;
  const stamps: number[] = [];
  const streamer = new TextStreamer(loaded.streamerTokenizer, {
    skip_prompt: true,
    skip_special_tokens: false,
    callback_function: () => {},
    token_callback_function: () => stamps.push(performance.now()),
  });
  const input_ids = new Tensor('int64', BigInt64Array.from(options.ids.map(BigInt)), [1, options.ids.length]);
  // Without a mask as long as the ids, generate() would run every id again on top of the cache.
  const attention_mask = new Tensor('int64', new BigInt64Array(options.ids.length).fill(1n), [1, options.ids.length]);
  const start = performance.now();
  const output = (await loaded.model.generate({
    inputs: input_ids,
    attention_mask,
    max_new_tokens: options.maxNewTokens,
    do_sample: false,
    bad_words_ids: options.bannedIds.map((id) => [id]),
    streamer,
    return_dict_in_generate: true,
    ...(reusable && cached && { past_key_values: cached.cache }),
  })) as unknown as { sequences: Tensor; past_key_values: DynamicCache };
  const end = performance.now();
  const sequence = Array.from(output.sequences.data as BigInt64Array, Number);
  const tokens = sequence.slice(options.ids.length);
  if (options.reuseCache) {
    // The last generated token was sampled but never fed through the model.
    cached = { ids: sequence.slice(0, -1), cache: output.past_key_values };
  } else {
    await output.past_key_values.dispose();
    cached = null;
  }
  const first = stamps[0] ?? end;
  return {
    promptTokens: options.ids.length,
    cachedTokens,
    tokens,
    ttftMs: first - start,
    decodeMs: (stamps.at(-1) ?? end) - first,
    totalMs: end - start,
  };
}

async function dispose(): Promise<null> {
  await cached?.cache.dispose();
  cached = null;
  await loaded?.model.dispose();
  loaded = null;
  return null;
}

self.onmessage = async (event: MessageEvent<WorkerRequest>) => {
  const request = event.data;
  try {
    const result =
      request.kind === 'load' ? await load(request.options) : request.kind === 'generate' ? await generate(request.options) : await dispose();
    self.postMessage({ id: request.id, ok: true, result } satisfies WorkerReply);
  } catch (error) {
    self.postMessage({ id: request.id, ok: false, message: error instanceof Error ? error.message : String(error) } satisfies WorkerReply);
  }
};
