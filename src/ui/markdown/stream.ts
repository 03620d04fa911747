import type { Links, Token, Tokens } from 'marked';
import { hasHiddenChars } from '../format-chars.ts';
import { grammarFor, IncrementalHighlighter, type CodeSegment } from './highlight.ts';
import { codeLabel, lexBlocks, renderTokens } from './render.ts';

export interface HtmlBlock {
  readonly kind: 'html';
  readonly id: number;
  /** Rendered but not yet sanitized: the view sanitizes it once per distinct value. */
  readonly html: string;
}

export interface CodeBlock {
  readonly kind: 'code';
  readonly id: number;
  readonly label: string;
  readonly grammar: string | null;
  readonly segments: readonly CodeSegment[];
  /** Whether the code holds bidi controls or other invisible characters, which the view warns about. */
  readonly hiddenChars: boolean;
}

export type Block = HtmlBlock | CodeBlock;

/** Work done so far, so tests can prove it stays proportional to the new text. */
export interface StreamStats {
  /** Characters handed to marked's lexer. */
  lexedChars: number;
  /** Blocks rendered to HTML by marked, code blocks excluded. */
  renderedBlocks: number;
}

/** How much already-consumed text `update` compares to tell an appended source from a different one. */
const CONTINUITY_WINDOW = 64;

/**
 * An unclosed fenced code block that is the only open block: until a closing
 * fence arrives, everything after it is its code, so new text is scanned for
 * that fence instead of lexing the whole block again.
 */
interface OpenFence {
  readonly lang: string | undefined;
  /** Where the code starts in the open text, after the opening line. */
  readonly codeStart: number;
  /** A line that closes this fence: its own marker character, at least as many, then only spaces. */
  readonly closing: RegExp;
  /** The start of the last, possibly unfinished line, from which the next update scans. */
  lineStart: number;
}

/** A block at the end of the text that later text may still change, with what was rendered for it last. */
interface OpenSlot {
  readonly id: number;
  source: string;
  block: Block | null;
  code: IncrementalHighlighter | null;
}

/**
 * Markdown that arrives a few characters at a time, rendered at a cost
 * proportional to what is new. The text is cut into top-level blocks with
 * marked's lexer, run only on the text after the last finished block. A block
 * is finished once another block follows it (a list once two do, as "2" after
 * a blank line may still become its next item): it is rendered once and then
 * returned as the same object, so a keyed view never touches it again. Only
 * the open blocks at the end are rendered again, and an open code block is
 * highlighted incrementally.
 */
export class MarkdownStream {
  /** The source consumed so far, with line endings normalized to \n. */
  private text = '';
  private consumed = 0;
  private consumedTail = '';
  private frozenLength = 0;
  private readonly frozen: Block[] = [];
  private readonly frozenSources = new Map<number, string>();
  /** Reference definitions in finished blocks: known to every later lex. */
  private frozenLinks: Links = {};
  /** The definitions that finished blocks were last rendered with. */
  private renderedLinks: Links = {};
  private nextId = 0;
  private open: OpenSlot[] = [];
  private openFence: OpenFence | null = null;
  private blocks: readonly Block[] = [];
  readonly stats: StreamStats = { lexedChars: 0, renderedBlocks: 0 };

  /** How many of the blocks are final: later text can only change the ones after them. */
  get finishedCount(): number {
    return this.frozen.length;
  }

  update(source: string): readonly Block[] {
    if (!this.continues(source)) this.reset();
    // A trailing \r may be the first half of a \r\n still on its way.
    const end = source.endsWith('\r') ? source.length - 1 : source.length;
    if (end <= this.consumed) return this.blocks;
    this.text += source.slice(this.consumed, end).replace(/\r\n?/g, '\n');
    this.consumed = end;
    this.consumedTail = source.slice(Math.max(0, end - CONTINUITY_WINDOW), end);

    const tail = this.text.slice(this.frozenLength);
    const code = this.openFence && this.continueFence(this.openFence, tail);
    if (code) {
      this.blocks = [...this.frozen, this.renderCode(this.slot(0), code)];
      return this.blocks;
    }
    this.stats.lexedChars += tail.length;
    const { tokens, links } = lexBlocks(tail, this.frozenLinks);
    const finished = finishedCount(tokens);
    for (const token of tokens.slice(0, finished)) this.freeze(token, links);
    this.relinkFinished(links);
    const openTokens = tokens.slice(finished).filter((token) => token.type !== 'space');
    const openBlocks = openTokens.map((token, index) => this.renderOpen(this.slot(index), token));
    this.open.length = openTokens.length;
    this.openFence = openTokens.length === 1 ? unclosedFence(openTokens[0], tail) : null;
    this.blocks = [...this.frozen, ...openBlocks];
    return this.blocks;
  }

  /**
   * The open fence's code token for the new text, as marked would lex it, or
   * null once a closing fence has arrived (then the lexer takes over again).
   */
  private continueFence(fence: OpenFence, tail: string): Tokens.Code | null {
    for (let lineStart = fence.lineStart; ; ) {
      const lineEnd = tail.indexOf('\n', lineStart);
      if (fence.closing.test(tail.slice(lineStart, lineEnd < 0 ? tail.length : lineEnd))) return null;
      if (lineEnd < 0) {
        fence.lineStart = lineStart;
        break;
      }
      lineStart = lineEnd + 1;
    }
    // The code as marked's fence tokenizer gives it: without the line end before where the closing
    // fence would be, and with one line end put back when the code is empty or ends in a blank line.
    const body = tail.slice(fence.codeStart);
    const code = body.endsWith('\n') ? body.slice(0, -1) : body;
    return { type: 'code', raw: tail, lang: fence.lang, text: body !== '' && (code === '' || code.endsWith('\n')) ? `${code}\n` : code };
  }

  private continues(source: string): boolean {
    const start = this.consumed - this.consumedTail.length;
    return source.length >= this.consumed && source.slice(start, this.consumed) === this.consumedTail;
  }

  private reset(): void {
    this.text = '';
    this.consumed = 0;
    this.consumedTail = '';
    this.frozenLength = 0;
    this.frozen.length = 0;
    this.frozenSources.clear();
    this.frozenLinks = {};
    this.renderedLinks = {};
    this.open = [];
    this.openFence = null;
  }

  private slot(index: number): OpenSlot {
    this.open[index] ??= { id: this.nextId++, source: '', block: null, code: null };
    return this.open[index];
  }

  private freeze(token: Token, links: Links): void {
    this.frozenLength += token.raw.length;
    if (token.type === 'space') return;
    if (token.type === 'def') {
      const tag = (token as Tokens.Def).tag;
      this.frozenLinks[tag] ??= links[tag];
    }
    const block = this.renderOpen(this.slot(0), token);
    this.open.shift();
    this.frozen.push(block);
    if (block.kind === 'html') this.frozenSources.set(block.id, token.raw);
  }

  /** The block for `token`, reusing what its slot rendered last time when the token is unchanged. */
  private renderOpen(slot: OpenSlot, token: Token): Block {
    if (token.type === 'code') return this.renderCode(slot, token as Tokens.Code);
    if (token.raw !== slot.source || slot.block?.kind !== 'html') {
      slot.source = token.raw;
      slot.block = { kind: 'html', id: slot.id, html: this.render(token) };
      slot.code = null;
    }
    return slot.block;
  }

  private renderCode(slot: OpenSlot, token: Tokens.Code): CodeBlock {
    const grammar = grammarFor(token.lang ?? '');
    if (!slot.code || slot.code.grammar !== grammar || !slot.code.continues(token.text)) {
      slot.code = new IncrementalHighlighter(grammar);
    }
    const block: CodeBlock = {
      kind: 'code',
      id: slot.id,
      label: codeLabel(token.lang),
      grammar,
      segments: slot.code.update(token.text),
      hiddenChars: hasHiddenChars(token.text, 'code'),
    };
    slot.source = token.raw;
    slot.block = block;
    return block;
  }

  private render(token: Token): string {
    this.stats.renderedBlocks += 1;
    return renderTokens([token]);
  }

  /**
   * A reference definition may come after the links that use it. When the
   * definitions in view change, finished blocks that may mention a changed
   * label are rendered again, as a full render would show them.
   */
  private relinkFinished(links: Links): void {
    const changed = new Set([...Object.keys(links), ...Object.keys(this.renderedLinks)]);
    for (const tag of changed) {
      if (sameLink(links[tag], this.renderedLinks[tag])) changed.delete(tag);
    }
    if (changed.size === 0) return;
    this.renderedLinks = { ...links };
    for (const [index, block] of this.frozen.entries()) {
      const source = this.frozenSources.get(block.id);
      if (source === undefined || !mentionsAny(source, changed)) continue;
      const { tokens } = lexBlocks(source, links);
      this.stats.renderedBlocks += 1;
      this.frozen[index] = { kind: 'html', id: block.id, html: renderTokens(tokens) };
    }
  }
}

/**
 * The fence state for a lone open token that is an unclosed fenced code block
 * starting at column 0 with its opening line complete, else null (indented
 * fences have their indentation taken off every line: the lexer handles those).
 */
function unclosedFence(token: Token, tail: string): OpenFence | null {
  if (token.type !== 'code' || token.raw !== tail) return null;
  const opener = /^(`{3,}|~{3,})[^\n]*\n/.exec(tail);
  if (!opener) return null;
  const marker = opener[1];
  const closing = new RegExp(`^ {0,3}${marker[0] === '`' ? '`' : '~'}{${marker.length},} *$`);
  let lineStart = opener[0].length;
  for (let lineEnd = tail.indexOf('\n', lineStart); lineEnd >= 0; lineEnd = tail.indexOf('\n', lineStart)) {
    if (closing.test(tail.slice(lineStart, lineEnd))) return null;
    lineStart = lineEnd + 1;
  }
  if (closing.test(tail.slice(lineStart))) return null;
  return { lang: (token as Tokens.Code).lang, codeStart: opener[0].length, closing, lineStart };
}

/**
 * How many leading tokens later text can no longer change. A block is final
 * once another block follows it; a list only once two do, since a paragraph
 * such as "2" after a blank line may still grow into the list's next item.
 */
function finishedCount(tokens: Token[]): number {
  let blocksAfter = tokens.filter((token) => token.type !== 'space').length;
  for (const [index, token] of tokens.entries()) {
    if (token.type === 'space') continue;
    blocksAfter -= 1;
    if (blocksAfter < (token.type === 'list' ? 2 : 1)) return index;
  }
  return tokens.length;
}

function sameLink(a: Links[string] | undefined, b: Links[string] | undefined): boolean {
  return a?.href === b?.href && a?.title === b?.title;
}

/** Whether a block may reference one of these labels (marked's tags are lowercased with whitespace collapsed). */
function mentionsAny(source: string, tags: Set<string>): boolean {
  if (!source.includes('[')) return false;
  const normalized = source.toLowerCase().replace(/\s+/g, ' ');
  return [...tags].some((tag) => normalized.includes(tag));
}
