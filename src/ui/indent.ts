/** A textarea's text and selection after an edit. */
export interface TextEdit {
  text: string;
  start: number;
  end: number;
}

export const INDENT_UNIT = '    ';

interface LineChange {
  /** Where the line starts in the original text. */
  at: number;
  removed: number;
  inserted: string;
}

/**
 * Tab in a code editor, as code editors do it: with the caret (or a selection
 * inside one line) it inserts four spaces; with a selection across lines it
 * indents every line the selection touches. Shift+Tab (`outdent`) removes up
 * to four leading spaces, or one tab, from each of those lines.
 */
export function indent(text: string, start: number, end: number, outdent = false): TextEdit {
  if (!outdent && !text.slice(start, end).includes('\n')) {
    const caret = start + INDENT_UNIT.length;
    return { text: text.slice(0, start) + INDENT_UNIT + text.slice(end), start: caret, end: caret };
  }
  // A selection ending just after a newline does not reach into the next line.
  const last = end > start && text[end - 1] === '\n' ? end - 1 : end;
  const changes: LineChange[] = [];
  for (let at = text.lastIndexOf('\n', start - 1) + 1; at <= last; at = text.indexOf('\n', at) + 1) {
    const leading = /^(\t| {1,4})?/.exec(text.slice(at))?.[0] ?? '';
    changes.push(outdent ? { at, removed: leading.length, inserted: '' } : { at, removed: 0, inserted: INDENT_UNIT });
    if (text.indexOf('\n', at) === -1) break;
  }
  let result = text;
  for (const change of [...changes].reverse()) {
    result = result.slice(0, change.at) + change.inserted + result.slice(change.at + change.removed);
  }
  // Positions move with their line; one inside removed indentation lands where the indentation was.
  const move = (position: number): number =>
    changes.reduce((moved, { at, removed, inserted }) => {
      if (position >= at + removed) return moved + inserted.length - removed;
      return position > at ? moved - (position - at) : moved;
    }, position);
  return { text: result, start: move(start), end: move(end) };
}
