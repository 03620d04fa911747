/**
 * The tokenizer's vocabulary as the grammar engine needs it. DeepSeek Coder's
 * tokenizer is byte-level BPE (GPT-2's ByteLevel): each vocabulary entry spells
 * its bytes with GPT-2's printable stand-ins, which is what xgrammar's
 * `byte_level` vocabulary type decodes. Comparing spellings therefore compares
 * bytes, and printable ASCII (quotes, backslashes, brackets) stands for
 * itself, so the closing plan (see constraint.ts) works on spellings directly.
 */
import type { PreTrainedTokenizer } from '@huggingface/transformers';

export interface GrammarVocabulary {
  /**
   * The spelling of each id below the logits width. Added tokens (chat and FIM
   * markers, EOS, and a few single characters that byte-level tokens also
   * spell) and ids with no tokenizer entry are '' so the grammar never allows
   * them; stop tokens come in separately.
   */
  spellings: string[];
  idsBySpelling: Map<string, number>;
  longestSpelling: number;
  stopTokenIds: number[];
  /** Tokens made only of `}` and `]`, longest first: what ends objects and arrays. */
  closingTokens: number[];
  /** A `"` and then only `}` and `]`, longest first: what ends a string and then objects and arrays. */
  quoteClosingTokens: number[];
  /** What a completion needs when nothing closes yet: a colon, a comma, the shortest number. */
  fillerTokens: number[];
}

export function grammarVocabulary(tokenizer: PreTrainedTokenizer, vocabSize: number, stopTokenIds: readonly number[]): GrammarVocabulary {
  const added = tokenizer._tokenizer.get_added_tokens_decoder();
  const spellings = new Array<string>(vocabSize).fill('');
  const idsBySpelling = new Map<string, number>();
  let longestSpelling = 0;
  for (const [spelling, id] of tokenizer.get_vocab()) {
    if (id >= vocabSize || added.has(id)) continue;
    spellings[id] = spelling;
    idsBySpelling.set(spelling, id);
    longestSpelling = Math.max(longestSpelling, spelling.length);
  }
  const longestFirst = (pattern: RegExp) =>
    [...idsBySpelling]
      .filter(([spelling]) => pattern.test(spelling))
      .sort(([a], [b]) => b.length - a.length)
      .map(([, id]) => id);
  return {
    spellings,
    idsBySpelling,
    longestSpelling,
    stopTokenIds: [...stopTokenIds],
    closingTokens: longestFirst(/^[}\]]+$/),
    quoteClosingTokens: longestFirst(/^"[}\]]*$/),
    fillerTokens: [':', ',', '0'].flatMap((spelling) => idsBySpelling.get(spelling) ?? []),
  };
}
