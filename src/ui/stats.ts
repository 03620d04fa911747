/** How much of the model's context the last request filled, and the KV-cache memory that takes. */
export interface ContextUse {
  usedTokens: number;
  contextLength: number;
  /** 0..1; above 1 cannot happen, since the engine refuses requests that do not fit. */
  fraction: number;
  /** 'ok' below 75 %, 'high' to 90 %, 'full' beyond: the next turn may not fit. */
  level: 'ok' | 'high' | 'full';
  /** null when the cost per token is unknown. */
  kvBytes: number | null;
  kvCapacityBytes: number | null;
}

/**
 * Every token in the context keeps its keys and values in every layer: that is
 * the KV cache, `kvBytesPerToken` each (192 KiB for DeepSeek Coder 1.3B in fp16).
 */
export function contextUse(usedTokens: number, contextLength: number, kvBytesPerToken: number | null): ContextUse {
  const used = Math.max(0, Math.min(usedTokens, contextLength));
  const fraction = contextLength > 0 ? used / contextLength : 0;
  return {
    usedTokens: used,
    contextLength,
    fraction,
    level: fraction >= 0.9 ? 'full' : fraction >= 0.75 ? 'high' : 'ok',
    kvBytes: kvBytesPerToken === null ? null : used * kvBytesPerToken,
    kvCapacityBytes: kvBytesPerToken === null ? null : contextLength * kvBytesPerToken,
  };
}
