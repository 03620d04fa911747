/**
 * What the benchmark's engine pages (bare transformers.js, wllama) answer to
 * the Node driver (scripts/bench-full.ts). Figures are wall-clock
 * milliseconds measured on the page, plus what the engine reports itself.
 */

export interface EngineLoadOptions {
  /** Hub id of the model under the app's /hf-mirror/. */
  model: string;
  /** ONNX dtype (transformers.js) or GGUF file name in the model's repository (wllama). */
  variant: string;
  device: 'wasm' | 'webgpu';
  threads: number;
  /** Tokens the context must hold (wllama sizes its KV cache up front). */
  contextTokens: number;
}

export interface EngineLoad {
  loadMs: number;
  /** WASM threads the runtime reports it runs with. */
  threads: number;
}

export interface GenerateOptions {
  /** The prompt as token ids, BOS included: every engine sees exactly these. */
  ids: number[];
  maxNewTokens: number;
  /** Token ids that must never be sampled (EOS), so every run decodes the full count. */
  bannedIds: number[];
  /**
   * Keep the KV cache for the next call and reuse what the previous call left,
   * where the ids extend it. False starts from an empty cache.
   */
  reuseCache: boolean;
}

export interface GenerateRun {
  promptTokens: number;
  /** Prompt tokens served from the KV cache rather than computed. */
  cachedTokens: number;
  tokens: number[];
  /** From the call to the first generated token, wall clock. */
  ttftMs: number;
  /** From the first to the last generated token, wall clock. */
  decodeMs: number;
  totalMs: number;
}

/** One candidate of a next-token distribution. */
export interface TopLogprob {
  id: number;
  logprob: number;
}

export interface BenchEngine {
  load(options: EngineLoadOptions): Promise<EngineLoad>;
  generate(options: GenerateOptions): Promise<GenerateRun>;
  dispose(): Promise<void>;
}

declare global {
  interface Window {
    benchEngine?: BenchEngine;
    /** wllama only: the next-token distribution after `ids`, its `k` most likely tokens (llama.cpp's raw logits, log-softmaxed). */
    benchTopLogprobs?: (ids: number[], k: number) => Promise<TopLogprob[]>;
    /** wllama only: llama.cpp's tokenization of `text` from the GGUF's vocabulary, special tokens parsed, no BOS added. */
    benchTokenize?: (text: string) => Promise<number[]>;
  }
}
