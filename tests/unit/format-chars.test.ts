import { describe, expect, it } from 'vitest';
import { codePointLabel, hasHiddenChars, revealInHtml, splitHidden } from '../../src/ui/format-chars.ts';
import { renderMarkdown } from '../../src/ui/markdown/render.ts';
import { MarkdownStream } from '../../src/ui/markdown/stream.ts';

/** The text a browser's textContent gives for the renderer's HTML: tags dropped, entities decoded. */
function textOf(html: string): string {
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    .replace(/&(lt|gt|amp|quot);/g, (_, name: string) => ({ lt: '<', gt: '>', amp: '&', quot: '"' })[name] ?? '');
}

/** The classic Trojan Source line: the comment's closing marker hides behind an RLO, so code after it looks commented out. */
const TROJAN = 'if (isAdmin) { /*\u202E } \u2066if (isAdmin)\u2069 \u2066 begin admins only */\n  grant();\n}';

describe('splitHidden', () => {
  it('cuts out every bidi control in text, and joins back to the same string', () => {
    const text = 'a\u202Ab\u202Bc\u202Cd\u202De\u202Ef\u2066g\u2067h\u2068i\u2069j';
    const parts = splitHidden(text, 'text');
    expect(parts.filter((part) => part.kind === 'hidden').map((part) => part.kind === 'hidden' && part.label)).toEqual([
      'U+202A', 'U+202B', 'U+202C', 'U+202D', 'U+202E', 'U+2066', 'U+2067', 'U+2068', 'U+2069',
    ]);
    expect(parts.map((part) => (part.kind === 'text' ? part.text : part.char)).join('')).toBe(text);
  });

  it('leaves joiners and marks alone in prose, and shows them in code', () => {
    const text = 'family \u{1F468}\u200D\u{1F469} and \u200Bzero width, \u200F mark';
    expect(hasHiddenChars(text, 'text')).toBe(false);
    expect(splitHidden(text, 'code').filter((part) => part.kind === 'hidden').map((part) => part.kind === 'hidden' && part.label)).toEqual([
      'U+200D', 'U+200B', 'U+200F',
    ]);
    expect(codePointLabel('\uFEFF')).toBe('U+FEFF');
  });
});

describe('revealInHtml', () => {
  it('wraps each character in a labelled span that still holds it', () => {
    expect(revealInHtml('a\u202Eb', 'text')).toBe('a<span class="hidden-char" title="U+202E">\u202E</span>b');
  });
});

describe('markdown with hidden characters', () => {
  it('shows the bidi controls of a Trojan Source code block, warns, and keeps the true text for Copy', () => {
    const source = '```js\n' + TROJAN + '\n```\n';
    const html = renderMarkdown(source);
    expect(html).toContain('class="code-warning"');
    for (const label of ['U+202E', 'U+2066', 'U+2069']) expect(html).toContain(`title="${label}"`);
    const code = /<code[^>]*>([\s\S]*)<\/code>/.exec(html)?.[1] ?? '';
    expect(textOf(code)).toBe(TROJAN);
  });

  it('warns while the block streams, as it does once finished', () => {
    const stream = new MarkdownStream();
    const blocks = stream.update('```python\nx = "\u202Eabc"');
    expect(blocks.at(-1)).toMatchObject({ kind: 'code', hiddenChars: true });
    const plain = new MarkdownStream().update('```python\nx = "abc"');
    expect(plain.at(-1)).toMatchObject({ kind: 'code', hiddenChars: false });
  });

  it('shows bidi controls in prose, inline code and link text, so a file name cannot pass for another', () => {
    const html = renderMarkdown('Open \u202Egnp.exe, run `rm \u202E-rf`, see [\u202Edocs](https://example.com/\u202E).');
    expect(html.match(/class="hidden-char"/g)).toHaveLength(3);
    expect(html).toContain('href="https://example.com/');
    expect(html).not.toContain('code-warning');
    expect(textOf(html)).toBe('<p>Open \u202Egnp.exe, run rm \u202E-rf, see \u202Edocs.</p>\n'.replace(/<[^>]*>/g, ''));
  });

  it('renders text without such characters exactly as before', () => {
    expect(renderMarkdown('plain *text* and `code`')).toBe('<p>plain <em>text</em> and <code>code</code></p>\n');
  });
});
