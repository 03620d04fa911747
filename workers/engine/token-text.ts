/**
 * Token ids to their exact bytes and text, for log probabilities. DeepSeek
 * Coder's tokenizer is byte-level BPE: a vocabulary entry spells raw bytes with
 * GPT-2's printable stand-ins, so one token may hold part of a UTF-8 character.
 * Added tokens (FIM markers, <|EOT|>, ...) are plain text instead.
 */

/** GPT-2's byte ↔ printable character table: printable bytes stand for themselves, the rest shift to 256 and up. */
function byteLevelAlphabet(): Map<string, number> {
  const printable = (byte: number) => (byte >= 33 && byte <= 126) || (byte >= 161 && byte <= 172) || (byte >= 174 && byte <= 255);
  const table = new Map<string, number>();
  let shifted = 0;
  for (let byte = 0; byte < 256; byte++) {
    table.set(String.fromCodePoint(printable(byte) ? byte : 256 + shifted++), byte);
  }
  return table;
}

const ALPHABET = byteLevelAlphabet();
const utf8 = new TextEncoder();
const lenientUtf8 = new TextDecoder('utf-8', { fatal: false });

export interface TokenSource {
  /** Token string → id, as the tokenizer's vocabulary has it. */
  vocabulary: ReadonlyMap<string, number>;
  /** The tokenizer's own decoding of a single token. */
  decodeOne(id: number): string;
}

export class TokenTable {
  private readonly spellings: string[] = [];
  private readonly cache = new Map<number, { text: string; bytes: number[] }>();

  constructor(private readonly source: TokenSource) {
    for (const [spelling, id] of source.vocabulary) this.spellings[id] = spelling;
  }

  private entry(id: number): { text: string; bytes: number[] } {
    const cached = this.cache.get(id);
    if (cached) return cached;
    const decoded = this.source.decodeOne(id);
    const spelling = this.spellings[id] ?? '';
    const asBytes = [...spelling].map((char) => ALPHABET.get(char));
    const byteLevel = asBytes.every((byte) => byte !== undefined) ? (asBytes as number[]) : null;
    // An added token can also be spelled in the byte alphabet ("õ"); the tokenizer's own decoding tells them apart.
    const bytes =
      byteLevel && lenientUtf8.decode(Uint8Array.from(byteLevel)) === decoded ? byteLevel : [...utf8.encode(decoded)];
    const entry = { text: lenientUtf8.decode(Uint8Array.from(bytes)), bytes };
    this.cache.set(id, entry);
    return entry;
  }

  /** The token's text; a partial character shows as U+FFFD. */
  text(id: number): string {
    return this.entry(id).text;
  }

  bytes(id: number): number[] {
    return this.entry(id).bytes;
  }
}
