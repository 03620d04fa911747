/** What the detokenizer needs from a tokenizer. */
export interface TextDecoderLike {
  decode(ids: number[]): string;
}

/**
 * Turns a growing token list into text deltas that are always complete UTF-8.
 * DeepSeek's byte-level BPE can split one character over several tokens; a
 * partial character decodes to U+FFFD, which is held back until it completes.
 * Each step decodes only a short window (from the last emitted boundary), so the
 * cost per token does not grow with the length of the answer.
 */
export class StreamingDetokenizer {
  private readonly tokens: number[] = [];
  private prefixOffset = 0;
  private readOffset = 0;

  constructor(private readonly tokenizer: TextDecoderLike) {}

  /** Adds one token and returns the text that became final (possibly empty). */
  push(token: number): string {
    this.tokens.push(token);
    const { prefixText, fullText } = this.window();
    if (fullText.length <= prefixText.length || fullText.endsWith('\uFFFD')) return '';
    this.prefixOffset = this.readOffset;
    this.readOffset = this.tokens.length;
    return fullText.slice(prefixText.length);
  }

  /**
   * The text still held back when generation ends: a character the model never
   * finished, as U+FFFD (what decoding the whole answer gives). Empty when
   * everything was emitted.
   */
  flush(): string {
    const { prefixText, fullText } = this.window();
    this.prefixOffset = this.readOffset = this.tokens.length;
    return fullText.length > prefixText.length ? fullText.slice(prefixText.length) : '';
  }

  /** The text already emitted from the window, and the whole window's text. */
  private window(): { prefixText: string; fullText: string } {
    return {
      prefixText: this.tokenizer.decode(this.tokens.slice(this.prefixOffset, this.readOffset)),
      fullText: this.tokenizer.decode(this.tokens.slice(this.prefixOffset)),
    };
  }
}
