import DOMPurify from 'dompurify';

/**
 * The last word on what the model's text may put in the page. The renderer
 * already escapes raw HTML and drops images and unsafe links; this allow-list
 * is the second line: only the elements the renderer and highlighter emit, no
 * style, src, srcset, action or event attributes, no URL but http(s) and
 * mailto. Nothing left can run script or make the page load anything.
 */
const purifier = DOMPurify(window);
purifier.setConfig({
  ALLOWED_TAGS: [
    'a', 'blockquote', 'br', 'button', 'code', 'del', 'div', 'em', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr',
    'input', 'li', 'ol', 'p', 'pre', 's', 'span', 'strong', 'table', 'tbody', 'td', 'th', 'thead', 'tr', 'ul',
  ],
  ALLOWED_ATTR: ['align', 'checked', 'class', 'disabled', 'href', 'start', 'title', 'type'],
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
  ALLOWED_URI_REGEXP: /^(?:https?:\/\/|mailto:)/i,
});
purifier.addHook('afterSanitizeAttributes', (node) => {
  if (node instanceof HTMLAnchorElement && node.hasAttribute('href')) {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  } else if (node instanceof HTMLInputElement) {
    // Task-list boxes only, and read-only.
    node.setAttribute('type', 'checkbox');
    node.setAttribute('disabled', '');
  } else if (node instanceof HTMLButtonElement) {
    node.setAttribute('type', 'button');
  }
});

export function sanitizeHtml(html: string): string {
  return purifier.sanitize(html);
}
