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

interface HeaderRule {
  /** The paths it covers, relative to the app's base: one exact path, or a prefix ending in `*`. */
  pattern: string;
  headers: HeaderSet;
}

/**
 * First match wins. The widget's `embed.html`, the one page other sites may
 * frame, gets its own rule above the catch-all: the deployer's host origins
 * in `frame-ancestors` and no `X-Frame-Options`.
 */
function rules(widgetHostOrigins: readonly string[]): HeaderRule[] {
  const embed = { ...ISOLATION_HEADERS, ...embedFramingHeaders([...widgetHostOrigins]) };
  return [
    { pattern: '/embed.html', headers: embed },
    { pattern: '/embed', headers: embed },
    { pattern: '/*', headers: { ...ISOLATION_HEADERS, ...SAME_ORIGIN_FRAMING } },
  ];
}

function matches(pattern: string, path: string): boolean {
  return pattern.endsWith('*') ? path.startsWith(pattern.slice(0, -1)) : path === pattern;
}

/** The headers for a path relative to the app's base (`/index.html`, `/v1/models`). */
export function headersFor(path: string, widgetHostOrigins: readonly string[] = []): HeaderSet {
  return rules(widgetHostOrigins).find((rule) => matches(rule.pattern, path))?.headers ?? {};
}

/**
 * The rules as a `_headers` file, the format Netlify and Cloudflare Pages read
 * (other hosts need the same headers set in their own configuration). `base`
 * is the app's public path, e.g. `/` or `/coder/`.
 */
export function headersFile(base: string, widgetHostOrigins: readonly string[] = []): string {
  const root = base.endsWith('/') ? base.slice(0, -1) : base;
  return rules(widgetHostOrigins).map((rule) => {
    const lines = Object.entries(rule.headers).map(([name, value]) => `  ${name}: ${value}`);
    return `${root}${rule.pattern}\n${lines.join('\n')}\n`;
  }).join('\n');
}
