/**
 * Characters that change how text reads without showing themselves. Bidi
 * controls (embeddings, overrides, isolates) reorder what follows them, so
 * "\u202Egnp.exe" displays as "exe.png" and a "Trojan Source" code block reads
 * differently from what it runs. Code hosts show them; so does this app.
 *
 * A revealed character stays in the text, inside a span of its own that CSS
 * isolates (so it reorders nothing around it) and labels with its code point
 * (`::before { content: attr(title) }`). Copying the text, or reading
 * `textContent`, therefore still gives the true text, character for character.
 */

/** The explicit bidi controls: LRE, RLE, PDF, LRO, RLO (U+202A–U+202E) and LRI, RLI, FSI, PDI (U+2066–U+2069). */
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/g;

/**
 * What code shows besides the bidi controls: the other invisible format
 * characters (soft hyphen, Arabic letter mark, Mongolian vowel separator,
 * zero-width space and joiners, LRM/RLM, word joiner and invisible operators,
 * byte order mark). Prose keeps these hidden: they are part of ordinary
 * writing there (joiners in emoji, marks in right-to-left text).
 */
const INVISIBLE_IN_CODE = /[\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;

export type RevealScope = 'code' | 'text';

function patternFor(scope: RevealScope): RegExp {
  return scope === 'code' ? INVISIBLE_IN_CODE : BIDI_CONTROL;
}

/** "U+202E": how a revealed character is labelled. */
export function codePointLabel(char: string): string {
  return `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Whether `text` holds a character this scope reveals. */
export function hasHiddenChars(text: string, scope: RevealScope): boolean {
  const pattern = patternFor(scope);
  pattern.lastIndex = 0;
  return pattern.test(text);
}

export type TextPart = { kind: 'text'; text: string } | { kind: 'hidden'; char: string; label: string };

/** `text` cut into plain runs and the characters to reveal, in order; joined back they are `text` again. */
export function splitHidden(text: string, scope: RevealScope): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const match of text.matchAll(patternFor(scope))) {
    if (match.index > last) parts.push({ kind: 'text', text: text.slice(last, match.index) });
    parts.push({ kind: 'hidden', char: match[0], label: codePointLabel(match[0]) });
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push({ kind: 'text', text: text.slice(last) });
  return parts;
}

/**
 * Wraps each character to reveal in HTML that holds only text and markup
 * (the renderer's escaped text, the highlighter's spans): none of these
 * characters can be part of a tag, since escaping and highlighting emit none.
 */
export function revealInHtml(html: string, scope: RevealScope): string {
  return html.replace(patternFor(scope), (char) => `<span class="hidden-char" title="${codePointLabel(char)}">${char}</span>`);
}
