/**
 * Wraps the text between two character offsets of highlighted HTML (what
 * highlight.js produces: text, character references and nested `<span>`s) in
 * an element, closing the spans open at each boundary and reopening them
 * inside, so the result stays well nested. Offsets count characters of the
 * text the HTML shows, a character reference being one character. An empty
 * range becomes an empty element at that offset.
 */
export function wrapTextRange(html: string, start: number, end: number, open: string, close: string): string {
  const stack: string[] = [];
  let out = '';
  let position = 0;
  let inside = false;
  let index = 0;

  let placed = false;

  const boundary = (): void => {
    if (!placed && position === start) {
      // An empty range still gets its (empty) element, so a view can show where the range is.
      out += '</span>'.repeat(stack.length) + open + (start === end ? close : '') + stack.join('');
      placed = true;
      inside = start < end;
    }
    if (inside && position === end) {
      out += '</span>'.repeat(stack.length) + close + stack.join('');
      inside = false;
    }
  };

  while (index < html.length) {
    const char = html[index];
    if (char === '<') {
      const tagEnd = html.indexOf('>', index) + 1;
      const tag = html.slice(index, tagEnd);
      if (tag.startsWith('</')) stack.pop();
      else stack.push(tag);
      out += tag;
      index = tagEnd;
      continue;
    }
    // Boundaries are placed just before text, never between tags, so no empty spans are left behind.
    boundary();
    const length = char === '&' ? html.indexOf(';', index) + 1 - index : 1;
    out += html.slice(index, index + length);
    index += length;
    position += 1;
  }
  boundary();
  if (inside) out += close;
  return out;
}
