/** One engine's figures from a benchmark run: what the table, the ratios and the JSON file show. */
import type { EngineName } from './options.ts';

export interface EngineFigures {
  engine: EngineName;
  /** WASM threads the engine reported it runs with. */
  threads: number;
  /** Fresh profile (downloads everything), then a new page in the same profile (the browser's cache). */
  load: { coldMs: number; warmMs: number };
  /** Wall clock on the page; `reported*`: the engine's own figures, where it has them. */
  prefill: { promptTokens: number; ttftMs: number; tokensPerSecond: number; reportedTtftMs?: number; reportedTokensPerSecond?: number };
  decode: { tokens: number; tokensPerSecond: number; reportedTokensPerSecond?: number };
  /** First token of a chat's next turn after `promptTokens − ` its last turn of history, from the cache and from scratch. */
  followUp: { promptTokens: number; cachedTokens: number; withCacheMs: number; withoutCacheMs: number } | null;
  /** The highest VmHWM of the renderer processes that ran the engine (the page and its workers). */
  peakRendererBytes: number;
  /** The same over the cold and the warm load alone, before anything is generated. */
  loadPeakRendererBytes: number;
  /** A short greedy run on WebGPU (SwiftShader): a correctness and relative check only. */
  webgpu: { tokens: number; tokensPerSecond: number; agreesWithWasm: boolean } | null;
  /** The main run's greedy output, to check the engines decode the same tokens. */
  output: { text: string; tokens: number[] | null };
}

/** Tokens per second over a span, or 0 when the span is empty. */
export function perSecond(tokens: number, ms: number): number {
  return ms > 0 ? (tokens * 1000) / ms : 0;
}

/** One measured step, printed as it lands: at full size an engine's run takes many minutes. */
export function progress(engine: EngineName, step: string, ms: number): void {
  console.log(`  ${engine}: ${step} ${ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`}`);
}
