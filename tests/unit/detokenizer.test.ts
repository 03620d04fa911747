import { describe, expect, it } from 'vitest';
import { StreamingDetokenizer, type TextDecoderLike } from '../../workers/engine/detokenizer.ts';
import { createRandom } from '../../workers/engine/sampling/random.ts';

/**
 * A byte-level tokenizer double: each id stands for a byte sequence, and decode
 * joins the bytes and decodes them as UTF-8 without `fatal`, so a partial
 * character comes out as U+FFFD, as it does in a real byte-level BPE tokenizer.
 */
class ByteTokenizer implements TextDecoderLike {
  private readonly vocabulary: Uint8Array[] = [];
  readonly windows: number[] = [];

  /** Adds a token for these bytes (or this string's UTF-8) and returns its id. */
  add(piece: string | number[]): number {
    this.vocabulary.push(typeof piece === 'string' ? new TextEncoder().encode(piece) : Uint8Array.from(piece));
    return this.vocabulary.length - 1;
  }

  decode(ids: number[]): string {
    this.windows.push(ids.length);
    const bytes: number[] = [];
    for (const id of ids) bytes.push(...this.vocabulary[id]);
    return new TextDecoder('utf-8').decode(Uint8Array.from(bytes));
  }
}

function pushAll(detokenizer: StreamingDetokenizer, ids: number[]): string[] {
  return ids.map((id) => detokenizer.push(id));
}

describe('StreamingDetokenizer', () => {
  it('emits whole-character tokens as they come', () => {
    const tokenizer = new ByteTokenizer();
    const ids = ['Hello', ',', ' world', '!'].map((piece) => tokenizer.add(piece));
    expect(pushAll(new StreamingDetokenizer(tokenizer), ids)).toEqual(['Hello', ',', ' world', '!']);
  });

  it('emits the same token twice in a row', () => {
    const tokenizer = new ByteTokenizer();
    const a = tokenizer.add('ab');
    expect(pushAll(new StreamingDetokenizer(tokenizer), [a, a, a])).toEqual(['ab', 'ab', 'ab']);
  });

  it('holds back a 3-byte character split over 3 tokens until it is complete', () => {
    const tokenizer = new ByteTokenizer();
    // '€' is E2 82 AC
    const ids = [[0xe2], [0x82], [0xac]].map((bytes) => tokenizer.add(bytes));
    expect(pushAll(new StreamingDetokenizer(tokenizer), ids)).toEqual(['', '', '€']);
  });

  it('flush gives a character cut off by the end of generation as U+FFFD, as decoding the whole answer does', () => {
    const tokenizer = new ByteTokenizer();
    const a = tokenizer.add('a');
    const e1 = tokenizer.add([0xe2]);
    const e2 = tokenizer.add([0x82]);
    const detokenizer = new StreamingDetokenizer(tokenizer);
    const emitted = pushAll(detokenizer, [a, e1, e2]);
    expect(emitted).toEqual(['a', '', '']);
    const tail = detokenizer.flush();
    expect(emitted.join('') + tail).toBe(tokenizer.decode([a, e1, e2]));
    expect(tail).toBe('\uFFFD');
    expect(detokenizer.flush()).toBe('');
  });

  it('flush gives nothing when every token was emitted', () => {
    const tokenizer = new ByteTokenizer();
    const detokenizer = new StreamingDetokenizer(tokenizer);
    pushAll(detokenizer, [tokenizer.add('x'), tokenizer.add('€')]);
    expect(detokenizer.flush()).toBe('');
  });

  it('emits text around a split character in the right places', () => {
    const tokenizer = new ByteTokenizer();
    const a = tokenizer.add('a');
    const e1 = tokenizer.add([0xe2]);
    const e2 = tokenizer.add([0x82]);
    const e3 = tokenizer.add([0xac]);
    const b = tokenizer.add(' b');
    expect(pushAll(new StreamingDetokenizer(tokenizer), [a, e1, e2, e3, b])).toEqual(['a', '', '', '€', ' b']);
  });

  it('emits a completed character together with text in the same token', () => {
    const tokenizer = new ByteTokenizer();
    const first = tokenizer.add([0x78, 0xe2, 0x82]); // 'x' + first two bytes of '€'
    const second = tokenizer.add([0xac, 0x31]); // last byte of '€' + '1'
    // 'x' is final but is held with the partial character; that is allowed, it must just not be lost
    const out = pushAll(new StreamingDetokenizer(tokenizer), [first, second]);
    expect(out[1].endsWith('€1')).toBe(true);
    expect(out.join('')).toBe('x€1');
    expect(out.join('')).not.toContain('\uFFFD');
  });

  it('handles a 4-byte character (surrogate pair in JS) split over 4 tokens', () => {
    const tokenizer = new ByteTokenizer();
    // '😀' is F0 9F 98 80
    const ids = [[0xf0], [0x9f], [0x98], [0x80]].map((bytes) => tokenizer.add(bytes));
    const end = tokenizer.add('!');
    expect(pushAll(new StreamingDetokenizer(tokenizer), [...ids, end])).toEqual(['', '', '', '😀', '!']);
  });

  it('handles two split characters back to back', () => {
    const tokenizer = new ByteTokenizer();
    // '中' E4 B8 AD, 'é' C3 A9, split as [E4] [B8 AD C3] [A9]
    const ids = [[0xe4], [0xb8, 0xad, 0xc3], [0xa9]].map((bytes) => tokenizer.add(bytes));
    const out = pushAll(new StreamingDetokenizer(tokenizer), ids);
    expect(out.join('')).toBe('中é');
    expect(out[0]).toBe('');
    expect(out[2].endsWith('é')).toBe(true);
    for (const piece of out) expect(piece).not.toContain('\uFFFD');
  });

  it('a token that decodes to nothing emits nothing and does not disturb what follows', () => {
    const tokenizer = new ByteTokenizer();
    const empty = tokenizer.add([]);
    const hi = tokenizer.add('hi');
    const there = tokenizer.add(' there');
    expect(pushAll(new StreamingDetokenizer(tokenizer), [hi, empty, there, empty])).toEqual(['hi', '', ' there', '']);
  });

  it('an invalid byte comes out as U+FFFD once text follows it', () => {
    const tokenizer = new ByteTokenizer();
    const bad = tokenizer.add([0xff]);
    const a = tokenizer.add('a');
    const out = pushAll(new StreamingDetokenizer(tokenizer), [bad, a]);
    expect(out).toEqual(['', '\uFFFDa']);
  });

  it('decodes only a short window per step, however long the output', () => {
    const tokenizer = new ByteTokenizer();
    const word = tokenizer.add('word ');
    const detokenizer = new StreamingDetokenizer(tokenizer);
    let text = '';
    for (let i = 0; i < 2000; i++) text += detokenizer.push(word);
    expect(text).toBe('word '.repeat(2000));
    expect(Math.max(...tokenizer.windows)).toBeLessThanOrEqual(2);
  });

  it('random byte splits of mixed-script text reassemble exactly, with no U+FFFD ever emitted', () => {
    const random = createRandom(2718);
    const alphabet = ['a', 'Z', ' ', '\n', 'é', 'ß', '€', '中', '文', '😀', '🚀', '→', 'ø', '{', '}'];
    for (let trial = 0; trial < 300; trial++) {
      let text = '';
      const length = 1 + Math.floor(random.next() * 30);
      for (let i = 0; i < length; i++) text += alphabet[Math.floor(random.next() * alphabet.length)];
      const bytes = Array.from(new TextEncoder().encode(text));

      const tokenizer = new ByteTokenizer();
      const ids: number[] = [];
      for (let i = 0; i < bytes.length; ) {
        const size = 1 + Math.floor(random.next() * 4);
        ids.push(tokenizer.add(bytes.slice(i, i + size)));
        i += size;
      }

      const detokenizer = new StreamingDetokenizer(tokenizer);
      let emitted = '';
      for (const id of ids) {
        const piece = detokenizer.push(id);
        expect(piece).not.toContain('\uFFFD');
        emitted += piece;
        expect(text.startsWith(emitted)).toBe(true);
      }
      expect(emitted).toBe(text);
    }
  });
});
