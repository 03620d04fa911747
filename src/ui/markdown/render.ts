import { Lexer, Marked, type Links, type Token, type Tokens } from 'marked';
import { escapeHtml, grammarFor, highlightCode } from './highlight.ts';

/** Links may only point at the web or at mail: no javascript:, data:, blob: or relative URLs into the app. */
export function isSafeUrl(href: string): boolean {
  return /^(?:https?:\/\/|mailto:)/i.test(href.trim());
}

/** What the header of a code block shows: the fence's language as written, or "code". */
export function codeLabel(info: string | undefined): string {
  return info?.trim().split(/\s+/)[0]?.toLowerCase() || 'code';
}

/**
 * The markup of a code block. CodeBlock.svelte renders the same structure for
 * blocks that are still streaming, so a finished block looks exactly alike.
 */
export function codeBlockHtml(label: string, grammar: string | null, highlighted: string): string {
  const language = grammar ? ` language-${grammar}` : '';
  return (
    `<div class="code-block"><div class="code-head"><span class="code-lang">${escapeHtml(label)}</span>` +
    `<button type="button" class="code-copy">Copy</button></div>` +
    `<pre><code class="hljs${language}">${highlighted}</code></pre></div>\n`
  );
}

/**
 * GFM with three changes for untrusted text: raw HTML is shown as text instead
 * of being interpreted, images become plain links (nothing loads by itself),
 * and links with anything but an http(s) or mailto URL keep only their text.
 */
export const markdown = new Marked({ gfm: true, breaks: false });
markdown.use({
  renderer: {
    code({ text, lang }: Tokens.Code): string {
      return codeBlockHtml(codeLabel(lang), grammarFor(lang ?? ''), highlightCode(text, grammarFor(lang ?? '')));
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
