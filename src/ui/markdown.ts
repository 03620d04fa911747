import DOMPurify from 'dompurify';
import { Marked } from 'marked';

const marked = new Marked({ gfm: true, breaks: false });

/**
 * Model output as safe HTML. Everything the model writes is untrusted: after
 * rendering, DOMPurify strips scripts, event handlers and javascript: URLs, and
 * images are dropped so the page never loads anything the model names.
 */
export function renderMarkdown(source: string): string {
  const html = marked.parse(source, { async: false });
  return DOMPurify.sanitize(html, { FORBID_TAGS: ['img', 'style', 'form', 'input', 'iframe'], FORBID_ATTR: ['style'] });
}
