import { describe, expect, it } from 'vitest';
import { headerRules, headersFile, headersFor, matches, notFoundPage } from '../../scripts/security-headers.ts';

interface Block {
  path: string;
  headers: [name: string, value: string][];
}

/** A `_headers` file read back the way Netlify and Cloudflare Pages read it: an unindented path, then indented `Name: value` lines. */
function parseHeadersFile(text: string): Block[] {
  const blocks: Block[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (!/^\s/.test(line)) {
      blocks.push({ path: line.trim(), headers: [] });
      continue;
    }
    const colon = line.indexOf(':');
    blocks.at(-1)!.headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return blocks;
}

/**
 * What a host sends for a path under every matching block, in the two ways
 * hosts merge them: Cloudflare Pages joins the values of one header with a
 * comma ("inherit all rules' headers"), Netlify keeps the last one.
 */
function hostHeaders(blocks: Block[], path: string, merge: 'join' | 'last'): Record<string, string> {
  const sent: Record<string, string> = {};
  for (const block of blocks.filter((candidate) => matches(candidate.path, path))) {
    for (const [name, value] of block.headers) sent[name] = merge === 'join' && sent[name] ? `${sent[name]}, ${value}` : value;
  }
  return sent;
}

const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
const APP_FRAMING = { 'Content-Security-Policy': "frame-ancestors 'self'", 'X-Frame-Options': 'SAMEORIGIN' };
const hosts = ['https://blog.example', 'https://docs.example'];
const PAGES = ['/', '/index.html', '/404.html', '/embed.html', '/embed'];
/** Files that are not pages (the host SDK has its own test). */
const NOT_PAGES = ['/assets/index-abc.js', '/sw.js', '/manifest.webmanifest', '/ort/ort-wasm-simd-threaded.asyncify.wasm'];

describe("the build's _headers file", () => {
  it('sets no header twice on any path, so every way of merging rules gives the same answer', () => {
    for (const path of [...PAGES, ...NOT_PAGES, '/deepseek-widget.js']) {
      const names = headerRules(hosts).filter((rule) => matches(rule.pattern, path)).flatMap((rule) => Object.keys(rule.headers));
      expect(new Set(names).size, path).toBe(names.length);
    }
  });

  it('reads, on Netlify and on Cloudflare Pages, as headersFor says for every page', () => {
    const blocks = parseHeadersFile(headersFile('/', hosts));
    for (const path of PAGES) {
      expect(hostHeaders(blocks, path, 'join'), path).toEqual(headersFor(path, hosts));
      expect(hostHeaders(blocks, path, 'last'), path).toEqual(headersFor(path, hosts));
    }
  });

  it('frames the app only from its own pages, and keeps every path cross-origin isolated', () => {
    const blocks = parseHeadersFile(headersFile('/', hosts));
    for (const path of ['/', '/index.html']) expect(hostHeaders(blocks, path, 'join')).toEqual({ ...ISOLATION, ...APP_FRAMING });
    for (const path of NOT_PAGES) expect(hostHeaders(blocks, path, 'join'), path).toEqual(ISOLATION);
  });

  it('lets the allow-listed hosts frame the widget page, with no X-Frame-Options', () => {
    const blocks = parseHeadersFile(headersFile('/', hosts));
    for (const path of ['/embed.html', '/embed']) {
      expect(hostHeaders(blocks, path, 'join'), path).toEqual({
        ...ISOLATION,
        'Content-Security-Policy': "frame-ancestors 'self' https://blog.example https://docs.example",
        'Cross-Origin-Resource-Policy': 'cross-origin',
      });
    }
  });

  it('lets any site import the host SDK, isolated or not', () => {
    const blocks = parseHeadersFile(headersFile('/', hosts));
    expect(hostHeaders(blocks, '/deepseek-widget.js', 'join')).toEqual({
      ...ISOLATION,
      'Access-Control-Allow-Origin': '*',
      'Cross-Origin-Resource-Policy': 'cross-origin',
    });
  });

  it('writes the paths under the app’s base', () => {
    const paths = parseHeadersFile(headersFile('/coder/', hosts)).map((block) => block.path);
    expect(paths).toEqual(['/coder/*', '/coder/', '/coder/index.html', '/coder/404.html', '/coder/embed.html', '/coder/embed', '/coder/deepseek-widget.js']);
  });
});

describe('headersFor in the dev and preview servers', () => {
  it('frames a path no page rule names as the app, since those servers answer it with index.html', () => {
    expect(headersFor('/some/route', hosts)).toEqual({ ...ISOLATION, ...APP_FRAMING });
    expect(headersFor('/assets/index-abc.js', hosts)).toEqual({ ...ISOLATION, ...APP_FRAMING });
  });
});

describe("the build's 404.html", () => {
  it('runs no script and links back to the app under its base', () => {
    const page = notFoundPage('/coder/');
    expect(page).not.toMatch(/<script/i);
    expect(page).toContain('<a href="/coder/">');
  });
});
