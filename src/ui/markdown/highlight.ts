import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import csharp from 'highlight.js/lib/languages/csharp';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import kotlin from 'highlight.js/lib/languages/kotlin';
import markdown from 'highlight.js/lib/languages/markdown';
import php from 'highlight.js/lib/languages/php';
import python from 'highlight.js/lib/languages/python';
import ruby from 'highlight.js/lib/languages/ruby';
import rust from 'highlight.js/lib/languages/rust';
import shell from 'highlight.js/lib/languages/shell';
import sql from 'highlight.js/lib/languages/sql';
import swift from 'highlight.js/lib/languages/swift';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import { revealInHtml } from '../format-chars.ts';

/**
 * Only the core and the languages people ask a coding model about, so the
 * bundle stays small; other fences render as escaped plain text.
 */
const highlighter = hljs.newInstance();
const LANGUAGES = {
  bash, c, cpp, csharp, css, diff, go, java, javascript, json, kotlin, markdown,
  php, python, ruby, rust, shell, sql, swift, typescript, xml, yaml,
};
for (const [name, language] of Object.entries(LANGUAGES)) highlighter.registerLanguage(name, language);

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** The registered grammar for a fence's info string ("py", "c++", "ts {1,3}"), or null when there is none. */
export function grammarFor(info: string): string | null {
  const name = info.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  if (name === '') return null;
  const language = highlighter.getLanguage(name);
  return language ? (Object.keys(LANGUAGES).find((key) => highlighter.getLanguage(key) === language) ?? null) : null;
}

interface Highlighted {
  html: string;
  /** Whether the grammar is back at its top level after this text, so what follows can be highlighted on its own. */
  atTopLevel: boolean;
}

/** Highlighted code, with its invisible characters shown (see format-chars.ts). */
function highlight(code: string, grammar: string | null): Highlighted {
  if (grammar === null) return { html: revealInHtml(escapeHtml(code), 'code'), atTopLevel: true };
  const result = highlighter.highlight(code, { language: grammar, ignoreIllegals: true });
  return { html: revealInHtml(result.value, 'code'), atTopLevel: result._top === highlighter.getLanguage(grammar) };
}

/** The whole of a finished code block, in one pass. */
export function highlightCode(code: string, grammar: string | null): string {
  return highlight(code, grammar).html;
}

export interface CodeSegment {
  /** Stable while the segment exists, for keyed rendering. */
  readonly id: number;
  readonly html: string;
}

/**
 * Highlights a code block that grows at its end, at a cost proportional to the
 * new text. The code is cut into segments at line ends where the grammar is at
 * its top level (not inside a string or comment); those segments are final and
 * never highlighted again, only the open one at the end is.
 *
 * The last line end is never a cut: marked drops a fence's final newline once
 * the closing fence arrives, so the code seen then still starts with every
 * segment cut before it.
 */
export class IncrementalHighlighter {
  private readonly frozen: CodeSegment[] = [];
  private frozenLength = 0;
  private lastFrozenText = '';
  /** How much of the text after the frozen segments was already tried as a cut, and failed. */
  private triedLength = 0;
  private nextId = 0;
  private openId = this.nextId++;
  private open: CodeSegment | null = null;
  private openText = '';
  /** Characters highlighted so far, for tests that the work stays proportional to the new text. */
  highlightedChars = 0;

  constructor(readonly grammar: string | null) {}

  /** Whether `code` extends what this highlighter has already cut into segments. */
  continues(code: string): boolean {
    const end = this.frozenLength;
    return code.length >= end && code.slice(end - this.lastFrozenText.length, end) === this.lastFrozenText;
  }

  /** Segments for `code`, which must continue the code of the previous call (see `continues`). */
  update(code: string): readonly CodeSegment[] {
    let rest = code.slice(this.frozenLength);
    const cut = rest.lastIndexOf('\n', rest.length - 2) + 1;
    // A cut is tried once per newly ended line, so a long string or comment is not highlighted twice per token.
    if (cut > this.triedLength) {
      const candidate = rest.slice(0, cut);
      const result = this.run(candidate);
      if (result.atTopLevel) {
        this.frozen.push({ id: this.openId, html: result.html });
        this.frozenLength += cut;
        this.lastFrozenText = candidate;
        this.triedLength = 0;
        this.openId = this.nextId++;
        this.openText = '';
        this.open = null;
        rest = rest.slice(cut);
      } else {
        this.triedLength = cut;
      }
    }
    if (rest !== this.openText) {
      this.openText = rest;
      this.open = rest === '' ? null : { id: this.openId, html: this.run(rest).html };
    }
    return this.open ? [...this.frozen, this.open] : [...this.frozen];
  }

  private run(code: string): Highlighted {
    this.highlightedChars += code.length;
    return highlight(code, this.grammar);
  }
}
