import { describe, expect, it } from 'vitest';
import { wrapTextRange } from '../../src/ui/mark-range.ts';

const wrap = (html: string, start: number, end: number) => wrapTextRange(html, start, end, '<mark>', '</mark>');

describe('wrapTextRange', () => {
  it('wraps a range of plain text', () => {
    expect(wrap('abcdef', 2, 4)).toBe('ab<mark>cd</mark>ef');
    expect(wrap('abc', 0, 3)).toBe('<mark>abc</mark>');
  });

  it('counts a character reference as one character', () => {
    expect(wrap('a&lt;b&amp;c', 1, 3)).toBe('a<mark>&lt;b</mark>&amp;c');
  });

  it('closes and reopens the spans open at each boundary, so the markup stays nested', () => {
    const html = '<span class="hljs-string">&quot;hello world&quot;</span>;';
    expect(wrap(html, 3, 8)).toBe(
      '<span class="hljs-string">&quot;he</span><mark><span class="hljs-string">llo w</span></mark><span class="hljs-string">orld&quot;</span>;',
    );
  });

  it('handles nested spans and a range that ends after the last character', () => {
    const html = '<span class="a">x<span class="b">yz</span></span>';
    expect(wrap(html, 2, 3)).toBe('<span class="a">x<span class="b">y</span></span><mark><span class="a"><span class="b">z</span></span></mark>');
  });

  it('puts an empty element at an empty range, also at either end', () => {
    expect(wrap('<span class="k">def</span> f', 2, 2)).toBe('<span class="k">de</span><mark></mark><span class="k">f</span> f');
    expect(wrap('ab', 0, 0)).toBe('<mark></mark>ab');
    expect(wrap('ab', 2, 2)).toBe('ab<mark></mark>');
    expect(wrap('', 0, 0)).toBe('<mark></mark>');
  });

  it('keeps every character of the text, in order', () => {
    const html = '<span class="k">def</span> <span class="t">f</span>(x):\n    <span class="k">return</span> x &amp; 1';
    const text = (markup: string) => markup.replace(/<[^>]+>/g, '');
    for (let start = 0; start <= 20; start += 3) {
      expect(text(wrap(html, start, start + 5))).toBe(text(html));
    }
  });
});
