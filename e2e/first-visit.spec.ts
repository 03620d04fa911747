import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { createServer, createLogger, type ViteDevServer } from 'vite';

/**
 * The dev server's first visit, with a cold dependency cache: Vite's optimizer
 * must know every dependency before the page asks, or it rebundles and reloads
 * the page ("optimized dependencies changed. reloading"), and a script already
 * using `window.deepseek` loses it.
 */
let server: ViteDevServer;
let cacheDir: string;
const logged: string[] = [];

test.beforeAll(async () => {
  cacheDir = mkdtempSync(join(tmpdir(), 'vite-first-visit-'));
  const logger = createLogger('info');
  const record = (message: string) => logged.push(message);
  logger.info = record;
  logger.warn = record;
  server = await createServer({
    configFile: 'vite.config.ts',
    cacheDir,
    customLogger: logger,
    // A free port: this server is ours alone.
    server: { host: '127.0.0.1', port: 0, open: false },
  });
  await server.listen();
});

test.afterAll(async () => {
  await server?.close();
  rmSync(cacheDir, { recursive: true, force: true });
});

test('the first visit on a cold dev server is the only load: no optimizer reload', async ({ page }) => {
  const url = server.resolvedUrls?.local[0];
  expect(url).toBeTruthy();
  let loads = 0;
  page.on('load', () => (loads += 1));
  await page.goto(url!);
  await page.waitForFunction(() => window.deepseek !== undefined);
  // A script's state on the page: a reload would wipe it.
  await page.evaluate(() => ((window as Window & { firstVisitMark?: boolean }).firstVisitMark = true));
  // The worker starts, asks for the device, and a constrained request would pull in xgrammar: all of that is known up front.
  await page.evaluate(() => window.deepseek.device());
  await page.evaluate(() => window.deepseek.models.list());
  await page.waitForTimeout(4000);
  expect(logged.filter((line) => /reload|new dependencies/i.test(line))).toEqual([]);
  expect(loads).toBe(1);
  expect(await page.evaluate(() => (window as Window & { firstVisitMark?: boolean }).firstVisitMark)).toBe(true);
});

test('the dev server sends the framing and isolation headers, and refuses CORS reads of /health and /v1/models from another origin', async ({ page, request, baseURL }) => {
  const url = server.resolvedUrls!.local[0];
  const devOrigin = new URL(url).origin;
  const app = await request.get(url);
  expect(app.headers()['content-security-policy']).toBe("frame-ancestors 'self'");
  expect(app.headers()['x-frame-options']).toBe('SAMEORIGIN');
  expect(app.headers()['cross-origin-opener-policy']).toBe('same-origin');
  expect(app.headers()['cross-origin-embedder-policy']).toBe('require-corp');

  const otherOrigin = new URL(baseURL!).origin;
  expect(otherOrigin).not.toBe(devOrigin);
  for (const path of ['/health', '/v1/models']) {
    const read = await request.get(`${devOrigin}${path}`, { headers: { Origin: otherOrigin } });
    expect(read.headers()['access-control-allow-origin'], path).toBeUndefined();
    const preflight = await request.fetch(`${devOrigin}${path}`, {
      method: 'OPTIONS',
      headers: { Origin: otherOrigin, 'Access-Control-Request-Method': 'GET' },
    });
    expect(preflight.headers()['access-control-allow-origin'], path).toBeUndefined();
  }

  // A page on another origin (the preview server, another port) cannot read either.
  await page.goto(baseURL!);
  const reads = await page.evaluate(
    (origin) =>
      Promise.all(
        ['/health', '/v1/models'].map((path) =>
          fetch(`${origin}${path}`).then(
            (response) => `read ${response.status}`,
            () => 'refused',
          ),
        ),
      ),
    devOrigin,
  );
  expect(reads).toEqual(['refused', 'refused']);
});
