/** How often the live figures change on screen: often enough to feel live, seldom enough to read. */
const REFRESH_INTERVAL_MS = 250;

/** What the status bar shows while an answer streams, before the engine's own timings arrive. */
export interface LiveDecode {
  tokens: number;
  /** Tokens a second after the first one, as the engine's `decode_tokens_per_second` counts; null until there are two. */
  tokensPerSecond: number | null;
}

/**
 * Counts a streaming answer's tokens from its chunks. The engine sends a chunk
 * a token, except where it holds text back (a character split across tokens,
 * the start of a possible stop string), so the count can run a little short;
 * the exact figures in the final chunk's timings replace it.
 */
export class LiveDecodeCounter {
  private tokens = 0;
  private firstAt = 0;
  private lastAt = 0;
  private refreshedAt = Number.NEGATIVE_INFINITY;

  /** Records a chunk with text, at `at` milliseconds. Returns the figures when it is time to show new ones, else null. */
  record(at: number): LiveDecode | null {
    this.tokens += 1;
    if (this.tokens === 1) this.firstAt = at;
    this.lastAt = at;
    if (at - this.refreshedAt < REFRESH_INTERVAL_MS) return null;
    this.refreshedAt = at;
    return this.figures();
  }

  /** The figures as of the last chunk; null before the first. */
  figures(): LiveDecode | null {
    if (this.tokens === 0) return null;
    const span = this.lastAt - this.firstAt;
    return { tokens: this.tokens, tokensPerSecond: this.tokens > 1 && span > 0 ? ((this.tokens - 1) * 1000) / span : null };
  }
}
