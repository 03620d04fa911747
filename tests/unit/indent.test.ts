import { describe, expect, it } from 'vitest';
import { indent } from '../../src/ui/indent.ts';

/** Writes a text with its selection marked as [ and ] (or a caret as |), for readable cases. */
function mark(text: string, start: number, end: number): string {
  return start === end ? `${text.slice(0, start)}|${text.slice(start)}` : `${text.slice(0, start)}[${text.slice(start, end)}]${text.slice(end)}`;
}

function apply(marked: string, outdent = false): string {
  const caret = marked.indexOf('|');
  const start = caret >= 0 ? caret : marked.indexOf('[');
  const end = caret >= 0 ? caret : marked.indexOf(']') - 1;
  const text = marked.replace(/[|[\]]/g, '');
  const edit = indent(text, start, end, outdent);
  return mark(edit.text, edit.start, edit.end);
}

describe('indent', () => {
  it('inserts four spaces at the caret', () => {
    expect(apply('def f():\n|return 1')).toBe('def f():\n    |return 1');
    expect(apply('x = |1')).toBe('x =     |1');
  });

  it('replaces a selection inside one line with four spaces', () => {
    expect(apply('a[bc]d')).toBe('a    |d');
  });

  it('indents every line a multi-line selection touches, keeping the selection on the same text', () => {
    expect(apply('if x:\n  [a = 1\nb] = 2\nc = 3')).toBe('if x:\n      [a = 1\n    b] = 2\nc = 3');
  });

  it('leaves the next line alone when the selection ends just after a newline', () => {
    expect(apply('[a\nb\n]c')).toBe('    [a\n    b\n]c');
  });

  it('outdents by up to four spaces or one tab per line', () => {
    expect(apply('      [a\n\tb\nc]', true)).toBe('  [a\nb\nc]');
    expect(apply('  x = |1', true)).toBe('x = |1');
  });

  it('puts a caret that sat inside removed indentation at the start of the line', () => {
    expect(apply('a\n  |  b', true)).toBe('a\n|b');
  });

  it('indents the last line even without a trailing newline, and an empty text', () => {
    expect(apply('a\n[b]', false)).toBe('a\n    |');
    expect(apply('a\n[b\nc]')).toBe('a\n    [b\n    c]');
    expect(apply('|')).toBe('    |');
    expect(apply('|', true)).toBe('|');
  });
});
