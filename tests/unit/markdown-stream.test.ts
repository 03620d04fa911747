import { describe, expect, it } from 'vitest';
import { highlightCode, IncrementalHighlighter } from '../../src/ui/markdown/highlight.ts';
import { codeBlockHtml, renderMarkdown } from '../../src/ui/markdown/render.ts';
import { MarkdownStream, type Block } from '../../src/ui/markdown/stream.ts';

function joined(blocks: readonly Block[]): string {
  return blocks
    .map((block) =>
      block.kind === 'html' ? block.html : codeBlockHtml(block.label, block.grammar, block.segments.map((segment) => segment.html).join(''), block.hiddenChars),
    )
    .join('');
}

/** Feeds `source` in pieces of `size` characters, as tokens arrive, and returns the stream with its last blocks. */
function streamed(source: string, size: number): { stream: MarkdownStream; blocks: readonly Block[]; updates: number } {
  const stream = new MarkdownStream();
  let blocks: readonly Block[] = [];
  let updates = 0;
  for (let end = size; end < source.length + size; end += size) {
    blocks = stream.update(source.slice(0, end));
    updates += 1;
  }
  return { stream, blocks, updates };
}

const PYTHON = `def quicksort(items):
    """Sort a list.

    Uses the middle element as the pivot.
    """
    if len(items) <= 1:
        return items
    pivot = items[len(items) // 2]  # middle

    left = [x for x in items if x < pivot]
    return quicksort(left) + [pivot] + quicksort([x for x in items if x > pivot])
`;

const TYPESCRIPT = `/**
 * A debounced function.
 */
export function debounce<T extends unknown[]>(fn: (...args: T) => void, ms = 200) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const label = \`waiting \${ms}
ms\`;
  return (...args: T) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
`;

const DOCUMENTS: Record<string, string> = {
  'paragraphs and headings': '# Title\n\nFirst paragraph with **bold**, _em_ and `code`.\nStill the first.\n\nSecond paragraph.\n\n## Sub\nText right under.\n',
  'fences with blank lines': `Here is the code:\n\n\`\`\`python\n${PYTHON}\`\`\`\n\nAnd in TypeScript:\n\n\`\`\`ts\n${TYPESCRIPT}\`\`\`\nDone.`,
  'an unclosed fence at the end': `Start.\n\n\`\`\`js\nconst a = 1;\n\nconst b = "two";\n`,
  'fences closed by longer or tilde markers': '````md\n```\nnot closed by three\n```\n`````\n\n~~~\nplain ``` text\n  ~~~~\nafter\n\n  ```js\n  indented()\n  ```\n',
  'a fence without a language': '```\nplain <text> & more\n\n  indented\n```\n',
  'tight and loose lists': '- one\n- two\n  - nested\n- three\n\n1. first\n\n2. second\n\n   continued\n3. third\n\nAfter the list.',
  'a list item with a fence': '1. Install:\n\n   ```bash\n   npm install marked\n   ```\n\n2. Run it.\n',
  tables: '| Name | Value |\n|:-----|------:|\n| a | 1 |\n| b | 2 |\n\nText.\n\n| x |\n|---|\n| y |',
  'quotes, rules and setext headings': '> quoted\n> more\n\n---\n\nSetext\n======\n\nAnother\n---\n\nEnd',
  'indented code': 'Para.\n\n    indented code\n\n    more code\nAfter.',
  'raw html and unsafe links': '<div onclick="x()">hi</div>\n\nInline <b>tag</b> and [bad](javascript:alert(1)) and [good](https://example.com).\n\n![img](http://127.0.0.1:1/x.png)',
  'a reference link defined after its use': 'See [the docs][docs] and [docs].\n\nMore text.\n\n[docs]: https://example.com/docs "Docs"\n',
  'windows line endings': 'Line one\r\nline two\r\n\r\n```c\r\nint main(void) {\r\n  return 0;\r\n}\r\n```\r\n',
  'task lists': '- [ ] todo\n- [x] done\n',
};

describe('MarkdownStream', () => {
  for (const [name, source] of Object.entries(DOCUMENTS)) {
    it(`adds up to a full render: ${name}`, () => {
      const expected = renderMarkdown(source.replace(/\r\n?/g, '\n'));
      for (const size of [1, 3, 7, 40, source.length]) {
        expect(joined(streamed(source, size).blocks), `pieces of ${size}`).toBe(expected);
      }
    });
  }

  it('matches a full render of every prefix while streaming', () => {
    for (const [name, source] of Object.entries(DOCUMENTS)) {
      const stream = new MarkdownStream();
      for (let end = 1; end <= source.length; end += 1) {
        const prefix = source.slice(0, end);
        // A trailing \r waits for the \n that may follow it.
        const visible = prefix.endsWith('\r') ? prefix.slice(0, -1) : prefix;
        expect(joined(stream.update(prefix)), `${name}, prefix of ${end}`).toBe(renderMarkdown(visible.replace(/\r\n?/g, '\n')));
      }
    }
  });

  it('never renders a finished block again', () => {
    const source = Object.values(DOCUMENTS).filter((doc) => !doc.includes('[docs]')).join('\n\n');
    const stream = new MarkdownStream();
    const finished = new Map<number, Block>();
    let renders = 0;
    for (let end = 2; end <= source.length + 1; end += 2) {
      const blocks = stream.update(source.slice(0, end));
      const finishedBefore = finished.size;
      for (const block of blocks.slice(0, stream.finishedCount)) {
        const seen = finished.get(block.id);
        if (seen) expect(block).toBe(seen);
        else finished.set(block.id, block);
      }
      // At most the open block at the end, the list still open before it, and what finished just now.
      expect(stream.stats.renderedBlocks - renders).toBeLessThanOrEqual(2 + finished.size - finishedBefore);
      renders = stream.stats.renderedBlocks;
    }
    expect(finished.size).toBeGreaterThan(20);
  });

  it('lexes only the open block and the new text', () => {
    const paragraphs = Array.from({ length: 200 }, (_, index) => `Paragraph ${index} says something short.`).join('\n\n');
    const stream = new MarkdownStream();
    let longestTail = 0;
    for (let end = 4; end <= paragraphs.length; end += 4) {
      const before = stream.stats.lexedChars;
      stream.update(paragraphs.slice(0, end));
      longestTail = Math.max(longestTail, stream.stats.lexedChars - before);
    }
    expect(longestTail).toBeLessThan(50);
  });

  it('does not lex a long open code block again for every token', () => {
    const code = Array.from({ length: 300 }, (_, index) => `    total += values[${index}]  # step ${index}`).join('\n');
    const source = `Sum them:\n\n\`\`\`python\ndef total(values):\n${code}\n\`\`\`\n\nDone.`;
    const stream = new MarkdownStream();
    let lexed = 0;
    for (let end = 3; end <= source.length; end += 3) {
      const before = stream.stats.lexedChars;
      stream.update(source.slice(0, end));
      lexed += stream.stats.lexedChars - before;
    }
    expect(joined(stream.update(source))).toBe(renderMarkdown(source));
    // Lexed in full only when it opens and when it closes, not once per token.
    expect(lexed).toBeLessThan(source.length * 4);
  });

  it('starts over when the source is replaced rather than extended', () => {
    const stream = new MarkdownStream();
    stream.update('# One\n\nfirst text');
    expect(joined(stream.update('Other *text*'))).toBe(renderMarkdown('Other *text*'));
  });
});

describe('IncrementalHighlighter', () => {
  for (const [grammar, code] of [['python', PYTHON], ['typescript', TYPESCRIPT], [null, PYTHON]] as const) {
    it(`highlights ${grammar ?? 'plain text'} in segments that add up to one pass`, () => {
      const highlighter = new IncrementalHighlighter(grammar);
      let segments = highlighter.update('');
      for (let end = 1; end <= code.length; end += 1) segments = highlighter.update(code.slice(0, end));
      expect(segments.map((segment) => segment.html).join('')).toBe(highlightCode(code, grammar));
    });
  }

  it('highlights each character a bounded number of times however long the block', () => {
    const code = Array.from({ length: 300 }, (_, index) => `const value${index} = compute(${index}, "text");`).join('\n');
    const highlighter = new IncrementalHighlighter('javascript');
    for (let end = 1; end <= code.length; end += 1) highlighter.update(code.slice(0, end));
    // Each line is highlighted per token while it is being written (about half its length on average) and once more when cut.
    const lineLength = code.length / 300;
    expect(highlighter.highlightedChars / code.length).toBeLessThan(lineLength * 1.5);
  });

  it('keeps finished segments as the same objects', () => {
    const highlighter = new IncrementalHighlighter('python');
    const first = highlighter.update('a = 1\nb = 2\nc = 3\n');
    const later = highlighter.update('a = 1\nb = 2\nc = 3\nd = 4\ne = 5');
    expect(later[0]).toBe(first[0]);
  });
});
