import { Lexer, Marked, type Links, type Token, type Tokens } from 'marked';
import { hasHiddenChars, revealInHtml } from '../format-chars.ts';
import { escapeHtml, grammarFor, highlightCode } from './highlight.ts';

/** Links may only point at the web or at mail: no javascript:, data:, blob: or relative URLs into the app. */
export function isSafeUrl(href: string): boolean {
  return /^(?:https?:\/\/|mailto:)/i.test(href.trim());
}

/** What the header of a code block shows: the fence's language as written, or "code". */
export function codeLabel(info: string | undefined): string {
  return info?.trim().split(/\s+/)[0]?.toLowerCase() || 'code';
}

/** Shown above code that holds bidi controls or other invisible characters, as code hosts warn. */
export const HIDDEN_CHARS_WARNING =
  'This code contains hidden Unicode characters (shown as U+…): they can make it read differently from what it does.';

/**
 * The markup of a code block. CodeBlock.svelte renders the same structure for
 * blocks that are still streaming, so a finished block looks exactly alike.
 */
export function codeBlockHtml(label: string, grammar: string | null, highlighted: string, hiddenChars: boolean): string {
  const language = grammar ? ` language-${grammar}` : '';
  const warning = hiddenChars ? `<p class="code-warning">${HIDDEN_CHARS_WARNING}</p>` : '';
  return (
    `<div class="code-block"><div class="code-head"><span class="code-lang">${escapeHtml(label)}</span>` +
    `<button type="button" class="code-copy">Copy</button></div>${warning}` +
    `<pre><code class="hljs${language}">${highlighted}</code></pre></div>\n`
  );
}

/**
 * GFM with four changes for untrusted text: raw HTML is shown as text instead
 * of being interpreted, images become plain links (nothing loads by itself),
 * links with anything but an http(s) or mailto URL keep only their text, and
 * characters that would reorder or hide text are shown (see format-chars.ts).
 */
export const markdown = new Marked({ gfm: true, breaks: false });
markdown.use({
  renderer: {
    code({ text, lang }: Tokens.Code): string {
      return codeBlockHtml(codeLabel(lang), grammarFor(lang ?? ''), highlightCode(text, grammarFor(lang ?? '')), hasHiddenChars(text, 'code'));
    },
    codespan({ text }: Tokens.Codespan): string {
      return `<code>${revealInHtml(escapeHtml(text), 'code')}</code>`;
    },
    // Leaf text only: bidi controls in prose are shown where they stand, so "\u202Egnp.exe" cannot pass for "exe.png".
    text(token: Tokens.Text | Tokens.Escape): string | false {
      if ('tokens' in token && token.tokens) return false;
      return revealInHtml('escaped' in token && token.escaped ? token.text : escapeHtml(token.text), 'text');
    },
    html(token: Tokens.HTML | Tokens.Tag): string {
      return 'block' in token && token.block
        ? `<p class="raw-html">${escapeHtml(token.text.replace(/\n+$/, ''))}</p>\n`
        : escapeHtml(token.text);
    },
    image({ href, text }: Tokens.Image): string {
      const label = escapeHtml(text || href);
      return isSafeUrl(href) ? `<a href="${escapeHtml(href)}">${label}</a>` : label;
    },
    link(token: Tokens.Link): string | false {
      return isSafeUrl(token.href) ? false : this.parser.parseInline(token.tokens);
    },
  },
});

/** The block tokens of `source`, with reference definitions from earlier text already known. */
export function lexBlocks(source: string, knownLinks: Links): { tokens: Token[]; links: Links } {
  const lexer = new Lexer(markdown.defaults);
  Object.assign(lexer.tokens.links, knownLinks);
  const tokens = lexer.lex(source);
  return { tokens, links: tokens.links };
}

/** HTML for block tokens; not sanitized yet (see sanitize.ts). */
export function renderTokens(tokens: Token[]): string {
  return markdown.parser(tokens);
}

/** The whole of `source` in one pass: what the streamed blocks add up to. */
export function renderMarkdown(source: string): string {
  return markdown.parse(source, { async: false });
}
