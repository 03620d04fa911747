/**
 * The headers the app's responses carry, by path: the same in the dev server,
 * the preview server and, through the `_headers` file written into every build,
 * on a production host.
 *
 * - Cross-origin isolation (COOP and COEP): SharedArrayBuffer, hence multi-threaded
 *   WASM. The hub sends CORS headers, so it still loads.
 * - Framing: only the app's own pages may frame it (CSP `frame-ancestors`, with
 *   `X-Frame-Options` for browsers without it), so no other site can lay it under
 *   a decoy and steer clicks into it. A `<meta>` CSP cannot say `frame-ancestors`:
 *   only a response header can.
 */

import { embedFramingHeaders } from './embed-framing.ts';

export type HeaderSet = Record<string, string>;

const ISOLATION_HEADERS: HeaderSet = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

const SAME_ORIGIN_FRAMING: HeaderSet = {
  'Content-Security-Policy': "frame-ancestors 'self'",
  'X-Frame-Options': 'SAMEORIGIN',
};

/** The host SDK, which other sites import as a module: CORS, and CORP for hosts that are cross-origin isolated. */
const SDK_FILE = 'deepseek-widget.js';
const SDK_HEADERS: HeaderSet = {
  'Access-Control-Allow-Origin': '*',
  'Cross-Origin-Resource-Policy': 'cross-origin',
};

/** The page a build serves for paths it has no file for (see notFoundPage). */
export const NOT_FOUND_FILE = '404.html';

export interface HeaderRule {
  /** The paths it covers, relative to the app's base: one exact path, or a prefix ending in `*`. */
  pattern: string;
  headers: HeaderSet;
}

/**
 * Every rule that matches a path applies, as on Netlify and Cloudflare Pages,
 * which merge them in ways that differ (Cloudflare joins two values of one header
 * with a comma, so two CSPs are both enforced; Netlify keeps one). So no header
 * is set by two rules that can match the same path, and every host reads the
 * file the same way: isolation on every path, and framing on each page by its
 * own exact rule. `/embed` is the path those hosts serve `embed.html` at.
 * The host SDK gets the headers other sites need to import it.
 */
export function headerRules(widgetHostOrigins: readonly string[]): HeaderRule[] {
  const embed = embedFramingHeaders([...widgetHostOrigins]);
  return [
    { pattern: '/*', headers: ISOLATION_HEADERS },
    { pattern: '/', headers: SAME_ORIGIN_FRAMING },
    { pattern: '/index.html', headers: SAME_ORIGIN_FRAMING },
    { pattern: `/${NOT_FOUND_FILE}`, headers: SAME_ORIGIN_FRAMING },
    { pattern: '/embed.html', headers: embed },
    { pattern: '/embed', headers: embed },
    { pattern: `/${SDK_FILE}`, headers: SDK_HEADERS },
  ];
}

export function matches(pattern: string, path: string): boolean {
  return pattern.endsWith('*') ? path.startsWith(pattern.slice(0, -1)) : path === pattern;
}

/**
 * The headers for a path relative to the app's base (`/index.html`, `/v1/models`):
 * all matching rules. A path no page rule names gets the app's framing as well,
 * because the dev and preview servers answer such paths with index.html (a
 * build ships `404.html` instead, so production hosts do not).
 */
export function headersFor(path: string, widgetHostOrigins: readonly string[] = []): HeaderSet {
  const matching = headerRules(widgetHostOrigins).filter((rule) => matches(rule.pattern, path));
  const framed = matching.some((rule) => 'Content-Security-Policy' in rule.headers);
  return Object.assign({}, ...matching.map((rule) => rule.headers), framed ? {} : SAME_ORIGIN_FRAMING) as HeaderSet;
}

/**
 * The rules as a `_headers` file, the format Netlify and Cloudflare Pages read
 * (other hosts need the same headers set in their own configuration). `base`
 * is the app's public path, e.g. `/` or `/coder/`.
 */
export function headersFile(base: string, widgetHostOrigins: readonly string[] = []): string {
  const root = base.endsWith('/') ? base.slice(0, -1) : base;
  return headerRules(widgetHostOrigins).map((rule) => {
    const lines = Object.entries(rule.headers).map(([name, value]) => `  ${name}: ${value}`);
    return `${root}${rule.pattern}\n${lines.join('\n')}\n`;
  }).join('\n');
}

/**
 * The build's `404.html`. Netlify and Cloudflare Pages serve it for a path the
 * build has no file for; without it Cloudflare Pages takes the site for a
 * single-page app and serves index.html there, under no framing rule. It has
 * nothing to click but a link to the app.
 */
export function notFoundPage(base: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Not found · DeepSeek Coder</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1f2330;background:#f5f6fa}@media (prefers-color-scheme:dark){body{color:#e6e8ef;background:#14161c}a{color:#8ab4ff}}</style>
</head>
<body>
<h1>Nothing here</h1>
<p>This address is not part of the app. <a href="${base}">Open DeepSeek Coder</a>.</p>
</body>
</html>
`;
}
