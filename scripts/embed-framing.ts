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
 * The headers embed.html needs beside the isolation headers (security-headers.ts
 * applies them in the dev and preview servers and the build's `_headers`; a
 * deployment's server must send the same, see the README):
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
