import { describe, expect, it } from 'vitest';
import { headersFile, headersFor } from '../../scripts/security-headers.ts';

/** A `_headers` file read back the way Netlify and Cloudflare Pages read it: an unindented path, then indented `Name: value` lines. */
function parseHeadersFile(text: string): { path: string; headers: Record<string, string> }[] {
  const blocks: { path: string; headers: Record<string, string> }[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (!/^\s/.test(line)) {
      blocks.push({ path: line.trim(), headers: {} });
      continue;
    }
    const colon = line.indexOf(':');
    blocks.at(-1)!.headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return blocks;
}

const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

describe("the build's _headers file", () => {
  const hosts = ['https://blog.example', 'https://docs.example'];

  it('frames the app (/ and everything under it) only from its own pages, and keeps it cross-origin isolated', () => {
    const blocks = parseHeadersFile(headersFile('/', hosts));
    expect(blocks.find((block) => block.path === '/*')?.headers).toEqual({
      ...ISOLATION,
      'Content-Security-Policy': "frame-ancestors 'self'",
      'X-Frame-Options': 'SAMEORIGIN',
    });
  });

  it('lets the allow-listed hosts frame the widget page, with no X-Frame-Options', () => {
    const blocks = parseHeadersFile(headersFile('/', hosts));
    const embed = blocks.find((block) => block.path === '/embed.html');
    expect(embed?.headers).toEqual({
      ...ISOLATION,
      'Content-Security-Policy': "frame-ancestors 'self' https://blog.example https://docs.example",
      'Cross-Origin-Resource-Policy': 'cross-origin',
    });
    // The widget's rule comes before the catch-all, so hosts that take the first match give it the widget's headers.
    expect(blocks.findIndex((block) => block.path === '/embed.html')).toBeLessThan(blocks.findIndex((block) => block.path === '/*'));
  });

  it('writes the paths under the app’s base', () => {
    const paths = parseHeadersFile(headersFile('/coder/', hosts)).map((block) => block.path);
    expect(paths).toEqual(['/coder/embed.html', '/coder/embed', '/coder/*']);
  });

  it('says what headersFor sends in the dev and preview servers, for every rule', () => {
    const blocks = parseHeadersFile(headersFile('/', hosts));
    for (const block of blocks) {
      const path = block.path.endsWith('*') ? '/index.html' : block.path;
      expect(headersFor(path, hosts), block.path).toEqual(block.headers);
    }
  });
});
