import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Plugin } from 'vite';

/** The widget page: the one page of the app that other sites may frame, and only the allowed ones. */
const EMBED_PAGE = 'embed.html';

/**
 * Parses the deployer's list of host origins (DEEPSEEK_WIDGET_ORIGINS): comma
 * or space separated, each exactly an origin such as `https://blog.example`. A
 * malformed entry fails the build rather than silently allowing nothing, or too much.
 */
export function widgetHostOrigins(list: string | undefined): string[] {
  const entries = (list ?? '').split(/[\s,]+/).filter(Boolean);
  for (const entry of entries) {
    let origin: string | null = null;
    try {
      origin = new URL(entry).origin;
    } catch {
      origin = null;
    }
    if (origin !== entry || !/^https?:$/.test(new URL(entry).protocol)) {
      throw new Error(`DEEPSEEK_WIDGET_ORIGINS: '${entry}' is not an origin like https://blog.example (scheme, host, optional port; no path).`);
    }
  }
  return [...new Set(entries)];
}

/**
 * The headers embed.html needs, as the dev and preview servers send them; a
 * deployment's server must send the same (see the README):
 * - `Content-Security-Policy: frame-ancestors 'self' <origins>`: only the app
 *   itself and the allowed hosts may frame it, and no X-Frame-Options, which
 *   would forbid every other site;
 * - `Cross-Origin-Resource-Policy: cross-origin`: a cross-origin-isolated host
 *   (COEP `require-corp`) may embed it, which multi-threaded WASM there needs.
 */
export function embedFramingHeaders(hostOrigins: string[]): Record<string, string> {
  return {
    'Content-Security-Policy': ["frame-ancestors 'self'", ...hostOrigins].join(' '),
    'Cross-Origin-Resource-Policy': 'cross-origin',
  };
}

export function embedFraming(hostOrigins: string[]): Plugin {
  const headers = embedFramingHeaders(hostOrigins);
  const middleware = (request: IncomingMessage, response: ServerResponse, next: () => void) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path === `/${EMBED_PAGE}` || path === '/embed') {
      response.removeHeader('X-Frame-Options');
      for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    }
    next();
  };
  return {
    name: 'embed-framing',
    configureServer(server) {
      server.middlewares.use(middleware);
    },
    configurePreviewServer(server) {
      server.middlewares.use(middleware);
    },
  };
}
