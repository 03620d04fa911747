import { beforeAll, describe, expect, it } from 'vitest';
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import { TokenTable } from '../../workers/engine/token-text.ts';
import { encodeText, loadDeepSeekTokenizer } from './fixture-tokenizer.ts';

const utf8 = (text: string) => [...new TextEncoder().encode(text)];
const REPLACEMENT = '\uFFFD';

let tokenizer: PreTrainedTokenizer;
let vocabulary: Map<string, number>;
/** Id → the vocabulary's spelling of it. */
let spellings: string[];
let table: TokenTable;

beforeAll(async () => {
  tokenizer = await loadDeepSeekTokenizer();
  vocabulary = tokenizer.get_vocab() as Map<string, number>;
  spellings = [];
  for (const [spelling, id] of vocabulary) spellings[id] = spelling;
  // The same source CausalLM gives its table.
  table = new TokenTable({ vocabulary, decodeOne: (id) => tokenizer.decode([id], { skip_special_tokens: false }) });
});

const encode = (text: string) => encodeText(tokenizer, text);

describe('TokenTable with the real DeepSeek Coder tokenizer: byte-level tokens', () => {
  it('the fixture vocabulary is the one these tests assume', () => {
    expect(vocabulary.size).toBe(32022);
    expect(encode('def f():\n')).toEqual([1551, 267, 10942, 185]);
  });

  it('an ASCII token is its own bytes and text', () => {
    const [id] = encode('def');
    expect(spellings[id]).toBe('def');
    expect(table.bytes(id)).toEqual([0x64, 0x65, 0x66]);
    expect(table.text(id)).toBe('def');
  });

  it('a leading space, spelled Ġ, is byte 0x20', () => {
    const [id] = encode(' f');
    expect(spellings[id]).toBe('Ġf');
    expect(table.bytes(id)).toEqual([0x20, 0x66]);
    expect(table.text(id)).toBe(' f');
  });

  it('a run of spaces is one 0x20 per Ġ', () => {
    const ids = encode('    return');
    expect(ids.map((id) => spellings[id])).toEqual(['ĠĠĠ', 'Ġreturn']);
    expect(table.bytes(ids[0])).toEqual([0x20, 0x20, 0x20]);
    expect(ids.map((id) => table.text(id))).toEqual(['   ', ' return']);
  });

  it('a newline, spelled Ċ, is byte 0x0a; a tab, spelled ĉ, is 0x09', () => {
    const [newline] = encode('\n');
    expect(spellings[newline]).toBe('Ċ');
    expect(table.bytes(newline)).toEqual([0x0a]);
    expect(table.text(newline)).toBe('\n');
    const [tab] = encode('\t');
    expect(spellings[tab]).toBe('ĉ');
    expect(table.bytes(tab)).toEqual([0x09]);
    expect(table.text(tab)).toBe('\t');
  });

  it('a whole multi-byte character in one token is its UTF-8 and its text', () => {
    const ids = encode('你好');
    expect(ids).toHaveLength(2);
    expect(ids.map((id) => table.bytes(id))).toEqual([utf8('你'), utf8('好')]);
    expect(ids.map((id) => table.text(id))).toEqual(['你', '好']);
    const [accented] = encode('é');
    expect(table.bytes(accented)).toEqual([0xc3, 0xa9]);
    expect(table.text(accented)).toBe('é');
  });

  it('an emoji split across tokens: the bytes concatenate to its UTF-8 and each partial token reads U+FFFD', () => {
    const ids = encode('😀');
    expect(ids.length).toBeGreaterThan(1);
    expect(ids.flatMap((id) => table.bytes(id))).toEqual([0xf0, 0x9f, 0x98, 0x80]);
    for (const id of ids) {
      expect(table.text(id)).toBe(REPLACEMENT);
      expect(table.bytes(id).length).toBeGreaterThan(0);
    }
    // the exact split, as this tokenizer makes it
    expect(ids.map((id) => table.bytes(id))).toEqual([[0xf0, 0x9f], [0x98], [0x80]]);
  });

  it('a character split into four single-byte tokens', () => {
    const ids = encode('𝔘');
    expect(ids.map((id) => table.bytes(id))).toEqual([[0xf0], [0x9d], [0x94], [0x98]]);
    expect(ids.map((id) => table.text(id))).toEqual([REPLACEMENT, REPLACEMENT, REPLACEMENT, REPLACEMENT]);
  });

  it('a CJK character split across tokens concatenates to its UTF-8', () => {
    const ids = encode('龘');
    expect(ids.length).toBeGreaterThan(1);
    expect(ids.flatMap((id) => table.bytes(id))).toEqual(utf8('龘'));
    for (const id of ids) expect(table.text(id)).toBe(REPLACEMENT);
  });

  it("every byte-level token's bytes are one byte per character of its spelling", () => {
    const mismatched: number[] = [];
    for (let id = 0; id < 32000; id++) if (table.bytes(id).length !== [...spellings[id]].length) mismatched.push(id);
    expect(mismatched).toEqual([]);
  });

  it('text is always the lenient UTF-8 decoding of bytes', () => {
    const lenient = new TextDecoder('utf-8', { fatal: false });
    for (let id = 0; id < vocabulary.size; id += 37) {
      expect(table.text(id)).toBe(lenient.decode(Uint8Array.from(table.bytes(id))));
    }
  });

  it("for whole-character tokens, text is the tokenizer's own decoding", () => {
    for (let id = 0; id < vocabulary.size; id += 11) {
      const decoded = tokenizer.decode([id], { skip_special_tokens: false });
      if (!decoded.includes(REPLACEMENT)) expect(table.text(id)).toBe(decoded);
    }
  });
});

describe('TokenTable with the real DeepSeek Coder tokenizer: added tokens', () => {
  it('<|EOT|> (32021) is its UTF-8 text', () => {
    expect(vocabulary.get('<|EOT|>')).toBe(32021);
    expect(table.bytes(32021)).toEqual(utf8('<|EOT|>'));
    expect(table.text(32021)).toBe('<|EOT|>');
  });

  it("'õ' (32000) is c3 b5, its UTF-8, not the byte 0xf5 its spelling stands for in the byte alphabet", () => {
    expect(spellings[32000]).toBe('õ');
    expect(table.bytes(32000)).toEqual([0xc3, 0xb5]);
    expect(table.text(32000)).toBe('õ');
  });

  it('all 13 single-character added tokens (32000..32012) are their characters in UTF-8', () => {
    const characters = [...'õ÷ÁýÀÿøúþüùöû'];
    characters.forEach((character, offset) => {
      expect(spellings[32000 + offset]).toBe(character);
      expect(table.bytes(32000 + offset)).toEqual(utf8(character));
      expect(table.text(32000 + offset)).toBe(character);
    });
  });

  it("text typed with such a character encodes to the added token, whose bytes are still the text's", () => {
    const ids = encode('über');
    expect(ids[0]).toBe(32009);
    expect(ids.flatMap((id) => table.bytes(id))).toEqual(utf8('über'));
  });

  it('the special and FIM tokens are their UTF-8 text, full-width bars and ▁ included', () => {
    for (const [id, text] of [
      [32013, '<｜begin▁of▁sentence｜>'],
      [32014, '<｜end▁of▁sentence｜>'],
      [32015, '<｜fim▁hole｜>'],
      [32016, '<｜fim▁begin｜>'],
      [32017, '<｜fim▁end｜>'],
      [32018, '<pad>'],
      [32019, '<|User|>'],
      [32020, '<|Assistant|>'],
    ] as const) {
      expect(table.bytes(id)).toEqual(utf8(text));
      expect(table.text(id)).toBe(text);
    }
  });
});

describe('TokenTable: whole texts', () => {
  for (const text of [
    'def héllo():\n\treturn "你好, 😀"  # ✓ done',
    'über straße — naïve façade',
    'x = [1, 2, 3]\r\n<|EOT|>',
    '龘𝔘😀✓',
  ]) {
    it(`the bytes of the tokens of ${JSON.stringify(text)} are its UTF-8`, () => {
      const ids = encode(text);
      expect(ids.flatMap((id) => table.bytes(id))).toEqual(utf8(text));
      expect(new TextDecoder().decode(Uint8Array.from(ids.flatMap((id) => table.bytes(id))))).toBe(text);
    });
  }

  it('asking twice gives the same answer', () => {
    const [id] = encode('😀');
    const first = table.bytes(id);
    expect(table.bytes(id)).toEqual(first);
    expect(table.text(id)).toBe(table.text(id));
  });
});
