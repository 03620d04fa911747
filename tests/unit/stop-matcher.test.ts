import { describe, expect, it } from 'vitest';
import { StopMatcher } from '../../workers/engine/stop-matcher.ts';
import { createRandom, type RandomSource } from '../../workers/engine/sampling/random.ts';

/**
 * Feeds chunks until a stop; returns each push's text, the total emitted text, whether it stopped,
 * the stop's `matched` and `after`, and how much of the input the pushes consumed.
 */
function feed(matcher: StopMatcher, chunks: string[]) {
  const pieces: string[] = [];
  let stopped = false;
  let matched: string | undefined;
  let after: string | undefined;
  let consumed = 0;
  for (const chunk of chunks) {
    const result = matcher.push(chunk);
    consumed += chunk.length;
    pieces.push(result.text);
    if (result.stopped) {
      ({ matched, after } = result);
      stopped = true;
      break;
    }
  }
  const flushed = stopped ? '' : matcher.flush();
  return { pieces, flushed, stopped, matched, after, consumed, output: pieces.join('') + flushed };
}

/** Splits text into random chunks (some empty, some long). */
function randomChunks(text: string, random: RandomSource): string[] {
  const chunks: string[] = [];
  let i = 0;
  while (i < text.length) {
    const r = random.next();
    const size = r < 0.1 ? 0 : r < 0.6 ? 1 : 1 + Math.floor(random.next() * 8);
    chunks.push(text.slice(i, i + size));
    i += size;
  }
  return chunks;
}

describe('StopMatcher', () => {
  it('passes text straight through when there are no stops', () => {
    const matcher = new StopMatcher([]);
    expect(matcher.push('abc')).toEqual({ text: 'abc', stopped: false });
    expect(matcher.push('</s')).toEqual({ text: '</s', stopped: false });
    expect(matcher.push('')).toEqual({ text: '', stopped: false });
    expect(matcher.flush()).toBe('');
  });

  it('emits text that cannot start a stop at once', () => {
    const matcher = new StopMatcher(['STOP']);
    expect(matcher.push('hello ')).toEqual({ text: 'hello ', stopped: false });
    expect(matcher.push('world')).toEqual({ text: 'world', stopped: false });
  });

  it('stops on a stop string inside one push, saying which stop and what followed it', () => {
    const matcher = new StopMatcher(['###']);
    expect(matcher.push('foo###bar')).toEqual({ text: 'foo', stopped: true, matched: '###', after: 'bar' });
  });

  it('stops on a stop string at the very start', () => {
    expect(new StopMatcher(['STOP']).push('STOP and more')).toEqual({
      text: '',
      stopped: true,
      matched: 'STOP',
      after: ' and more',
    });
    expect(new StopMatcher(['\n\n']).push('\n\nrest')).toEqual({ text: '', stopped: true, matched: '\n\n', after: 'rest' });
    expect(new StopMatcher(['END']).push('END')).toEqual({ text: '', stopped: true, matched: 'END', after: '' });
  });

  it('a stop that is the whole first push stops with nothing before or after it', () => {
    const matcher = new StopMatcher(['<|EOT|>']);
    expect(matcher.push('<|EOT|>')).toEqual({ text: '', stopped: true, matched: '<|EOT|>', after: '' });
    expect(matcher.flush()).toBe('');
  });

  it('finds a stop string split across pushes and holds its prefix back', () => {
    const matcher = new StopMatcher(['###']);
    expect(matcher.push('ab#')).toEqual({ text: 'ab', stopped: false });
    expect(matcher.push('#')).toEqual({ text: '', stopped: false });
    expect(matcher.push('#cd')).toEqual({ text: '', stopped: true, matched: '###', after: 'cd' });
  });

  it('a stop split across tokens keeps the text after it from the last token only', () => {
    const matcher = new StopMatcher(['</answer>']);
    expect(matcher.push('42</ans')).toEqual({ text: '42', stopped: false });
    expect(matcher.push('wer> trailing')).toEqual({ text: '', stopped: true, matched: '</answer>', after: ' trailing' });
  });

  it('finds a stop string split one character per push', () => {
    const matcher = new StopMatcher(['<|EOT|>']);
    const results = [...'x<|EOT|'].map((c) => matcher.push(c));
    expect(results).toEqual([{ text: 'x', stopped: false }, ...new Array(6).fill({ text: '', stopped: false })]);
    expect(matcher.push('>')).toEqual({ text: '', stopped: true, matched: '<|EOT|>', after: '' });
  });

  it('releases held text once it turns out not to be a stop', () => {
    const matcher = new StopMatcher(['</s>']);
    expect(matcher.push('a<')).toEqual({ text: 'a', stopped: false });
    expect(matcher.push('/')).toEqual({ text: '', stopped: false });
    expect(matcher.push('x')).toEqual({ text: '</x', stopped: false });
    expect(matcher.push('</s')).toEqual({ text: '', stopped: false });
    expect(matcher.push('</s>')).toEqual({ text: '</s', stopped: true, matched: '</s>', after: '' });
  });

  it('releases only the part of the held text that can no longer start a stop', () => {
    const matcher = new StopMatcher(['aab']);
    expect(matcher.push('aa')).toEqual({ text: '', stopped: false });
    // 'aaa': the tail 'aa' may still become 'aab', the first 'a' cannot
    expect(matcher.push('a')).toEqual({ text: 'a', stopped: false });
    expect(matcher.push('b')).toEqual({ text: '', stopped: true, matched: 'aab', after: '' });
  });

  it('flush returns held text at the end, once', () => {
    const matcher = new StopMatcher(['STOP']);
    expect(matcher.push('abcST')).toEqual({ text: 'abc', stopped: false });
    expect(matcher.flush()).toBe('ST');
    expect(matcher.flush()).toBe('');
  });

  it('flush returns nothing when nothing is held', () => {
    const matcher = new StopMatcher(['STOP']);
    expect(matcher.push('abc')).toEqual({ text: 'abc', stopped: false });
    expect(matcher.flush()).toBe('');
  });

  it('with several stops, the earliest match in the text wins whatever the list order', () => {
    expect(new StopMatcher(['B', 'A']).push('xAyB')).toEqual({ text: 'x', stopped: true, matched: 'A', after: 'yB' });
    expect(new StopMatcher(['A', 'B']).push('xAyB')).toEqual({ text: 'x', stopped: true, matched: 'A', after: 'yB' });
    expect(new StopMatcher(['yB', 'xA']).push('_xAyB')).toEqual({ text: '_', stopped: true, matched: 'xA', after: 'yB' });
  });

  it('with four stops, each one is reported when it is the one that occurs', () => {
    const stops = ['\n\n', '```', '<|EOT|>', 'END'];
    for (const stop of stops) {
      expect(new StopMatcher(stops).push(`code${stop}tail`)).toEqual({ text: 'code', stopped: true, matched: stop, after: 'tail' });
    }
  });

  it('with several stops split across pushes, the one that completes first is reported', () => {
    const matcher = new StopMatcher(['<tool_call>', '<|EOT|>']);
    expect(matcher.push('Let me check. <to')).toEqual({ text: 'Let me check. ', stopped: false });
    expect(matcher.push('ol_')).toEqual({ text: '', stopped: false });
    expect(matcher.push('call>{"name"')).toEqual({ text: '', stopped: true, matched: '<tool_call>', after: '{"name"' });
  });

  it('overlapping stops: "abc" and "bcd" in "abcd" stop before "a"', () => {
    for (const stops of [
      ['abc', 'bcd'],
      ['bcd', 'abc'],
    ]) {
      expect(new StopMatcher(stops).push('abcd')).toEqual({ text: '', stopped: true, matched: 'abc', after: 'd' });
      expect(new StopMatcher(stops).push('zabcd')).toEqual({ text: 'z', stopped: true, matched: 'abc', after: 'd' });
      // one character at a time, 'abc' completes first
      expect(feed(new StopMatcher(stops), [...'zabcd'])).toMatchObject({ output: 'z', stopped: true });
    }
  });

  it('overlapping prefixes: the held tail is the longest that can still start a stop', () => {
    // 'xxy' after 'x': 'x' and 'xx' are both prefixes; both stay held until 'z' rules 'xxy' out
    const matcher = new StopMatcher(['xxy']);
    expect(matcher.push('x')).toEqual({ text: '', stopped: false });
    expect(matcher.push('x')).toEqual({ text: '', stopped: false });
    expect(matcher.push('x')).toEqual({ text: 'x', stopped: false });
    expect(matcher.push('z')).toEqual({ text: 'xxz', stopped: false });
    expect(matcher.push('xx')).toEqual({ text: '', stopped: false });
    expect(matcher.push('y!')).toEqual({ text: '', stopped: true, matched: 'xxy', after: '!' });
  });

  it('held text that was a prefix of one stop can turn into another', () => {
    // 'ab' is a prefix of 'abx'; on 'c' only 'bc' (prefix of 'bcd') stays held
    const matcher = new StopMatcher(['abx', 'bcd']);
    expect(matcher.push('a')).toEqual({ text: '', stopped: false });
    expect(matcher.push('b')).toEqual({ text: '', stopped: false });
    expect(matcher.push('c')).toEqual({ text: 'a', stopped: false });
    expect(matcher.push('d')).toEqual({ text: '', stopped: true, matched: 'bcd', after: '' });
  });

  it('a stop that is a prefix of another stops as soon as it is complete', () => {
    const matcher = new StopMatcher(['ab', 'abcd']);
    expect(matcher.push('xa')).toEqual({ text: 'x', stopped: false });
    expect(matcher.push('b')).toEqual({ text: '', stopped: true, matched: 'ab', after: '' });
  });

  it('after includes a later stop string: only the first match ends the output', () => {
    expect(new StopMatcher(['|']).push('a|b|c')).toEqual({ text: 'a', stopped: true, matched: '|', after: 'b|c' });
  });

  it('no stops: matched and after are absent', () => {
    const result = new StopMatcher([]).push('anything ### here');
    expect(result).toStrictEqual({ text: 'anything ### here', stopped: false });
    expect('matched' in result).toBe(false);
  });

  it('handles multi-line stop strings', () => {
    const matcher = new StopMatcher(['\n```\n']);
    const { output, stopped } = feed(matcher, ['print(1)\n', '``', '`\n', 'more']);
    expect(output).toBe('print(1)');
    expect(stopped).toBe(true);
  });

  describe('never emits a character of a stop string (random chunkings)', () => {
    const stops = ['<|EOT|>', 'END', '\n\n\n'];
    const texts = [
      // near misses everywhere, then a real stop
      'def f():\n\n    return "<|EO" + "EN" + "E N D" # <|EOT| >\n\nENthe END of it <|EOT|>',
      // stop right at the start
      'ENDING',
      // a stop made of a near-miss prefix
      'EEEENNNENEND',
      '<<|<|E<|EO<|EOT<|EOT|<|EOT|>',
      'a\n\nb\n\n\nc',
    ];

    for (const [t, text] of texts.entries()) {
      it(`text #${t}`, () => {
        const earliest = Math.min(...stops.map((s) => text.indexOf(s)).filter((i) => i !== -1));
        const expected = text.slice(0, earliest);
        const random = createRandom(1000 + t);
        for (let trial = 0; trial < 300; trial++) {
          const matcher = new StopMatcher(stops);
          const chunks = randomChunks(text, random);
          const { pieces, output, stopped } = feed(matcher, chunks);
          // every emitted prefix is a prefix of the expected output: nothing past the stop leaks
          let soFar = '';
          for (const piece of pieces) {
            soFar += piece;
            expect(expected.startsWith(soFar)).toBe(true);
          }
          expect(output).toBe(expected);
          expect(stopped).toBe(true);
        }
      });
    }

    it('text without any stop comes out whole, via pushes plus flush', () => {
      const text = 'almost <|EOT| and EN and \n\n but never the real thing <|EO';
      const random = createRandom(77);
      for (let trial = 0; trial < 300; trial++) {
        const { pieces, output, stopped } = feed(new StopMatcher(stops), randomChunks(text, random));
        let soFar = '';
        for (const piece of pieces) {
          soFar += piece;
          expect(text.startsWith(soFar)).toBe(true);
        }
        expect(stopped).toBe(false);
        expect(output).toBe(text);
      }
    });

    it('random texts over a small alphabet match a brute-force reference', () => {
      const alphabet = 'abcE\nND';
      const random = createRandom(4242);
      const localStops = ['abc', 'cab', 'END'];
      for (let trial = 0; trial < 2000; trial++) {
        const length = Math.floor(random.next() * 20);
        let text = '';
        for (let i = 0; i < length; i++) text += alphabet[Math.floor(random.next() * alphabet.length)];
        const hits = localStops.map((s) => text.indexOf(s)).filter((i) => i !== -1);
        const earliest = Math.min(...hits);
        const expected = hits.length ? text.slice(0, earliest) : text;
        const { output, stopped, matched, after, consumed } = feed(new StopMatcher(localStops), randomChunks(text, random));
        expect(output).toBe(expected);
        expect(stopped).toBe(hits.length > 0);
        if (hits.length > 0) {
          // no two of these stops can start at the same place, so the earliest one is unique
          const stop = localStops.find((s) => text.indexOf(s) === earliest);
          expect(matched).toBe(stop);
          // `after` is what the pushes so far held past the stop, no more
          expect(after).toBe(text.slice(earliest + (stop ?? '').length, consumed));
        }
      }
    });
  });
});
