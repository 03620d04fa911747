/**
 * Serves the widget's host page (e2e/pages/widget-host.html) on a second
 * origin, for e2e/widget.spec.ts. `?isolated=1` adds COOP and COEP, so the page
 * is cross-origin isolated and may delegate isolation to the widget's iframe.
 * Listens on every interface, so both `localhost` and `127.0.0.1` reach it: two
 * origins, one allowed to drive the widget and one not.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const port = Number(process.env.E2E_HOST_PORT ?? 4183);
const page = readFileSync(new URL('./pages/widget-host.html', import.meta.url));

createServer((request, response) => {
  const url = new URL(request.url ?? '/', 'http://localhost');
  if (url.pathname !== '/' && url.pathname !== '/widget-host.html') {
    response.writeHead(404).end();
    return;
  }
  const isolation = url.searchParams.has('isolated')
    ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' }
    : {};
  response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', ...isolation }).end(page);
}).listen(port);
