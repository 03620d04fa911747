/**
 * The build as Cloudflare Pages serves it: wrangler's `pages dev` runs Pages'
 * own asset server (workerd) on the e2e build, reading its `_headers` and
 * `404.html` as a deployment would. Pages applies every `_headers` rule that
 * matches a path and joins their values, which is why security-headers.ts sets
 * no header twice on one path: checked here on the real server, with the widget
 * framed and driven from an allowed host on another origin.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { mountWidget } from './widget-host.ts';

const HOST_PORT = Number(process.env.E2E_HOST_PORT);
const ALLOWED_HOST = `http://localhost:${HOST_PORT}`;
const REFUSED_HOST = `http://127.0.0.1:${HOST_PORT}`;
const BUILD = resolve(process.env.E2E_OUT_DIR ?? 'dist-test');
/** Pages' own port: the app's port plus 20 (the host page has +10 by default, any free port when assigned). */
const PAGES_PORT = Number(process.env.E2E_PORT) + 20;
const PAGES = `http://127.0.0.1:${PAGES_PORT}`;

let server: ChildProcess;
let scratch: string;

test.beforeAll(async () => {
  // wrangler writes its state (.wrangler/) into its working directory: a scratch one, not the checkout.
  scratch = mkdtempSync(join(tmpdir(), 'pages-'));
  server = spawn(
    resolve('node_modules/.bin/wrangler'),
    ['pages', 'dev', BUILD, '--ip', '127.0.0.1', '--port', String(PAGES_PORT), '--compatibility-date', '2026-11-17'],
    { cwd: scratch, detached: true, stdio: 'ignore', env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
  );
  await expect
    .poll(() => fetch(PAGES).then((response) => response.status, () => 0), { timeout: 60_000, intervals: [500] })
    .toBe(200);
});

test.afterAll(() => {
  // Its process group: wrangler runs workerd as a child.
  if (server?.pid) process.kill(-server.pid, 'SIGTERM');
  rmSync(scratch, { recursive: true, force: true });
});

async function headersAt(path: string): Promise<{ status: number; headers: Record<string, string | null>; body: string }> {
  const response = await fetch(`${PAGES}${path}`);
  const names = ['content-security-policy', 'x-frame-options', 'cross-origin-opener-policy', 'cross-origin-embedder-policy', 'cross-origin-resource-policy'];
  return { status: response.status, headers: Object.fromEntries(names.map((name) => [name, response.headers.get(name)])), body: await response.text() };
}

test("Cloudflare Pages sends each path its headers once: the app unframeable, the widget framed by the allowed hosts, the SDK importable", async () => {
  const isolation = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };
  expect((await headersAt('/')).headers).toEqual({
    ...isolation,
    'content-security-policy': "frame-ancestors 'self'",
    'x-frame-options': 'SAMEORIGIN',
    'cross-origin-resource-policy': null,
  });
  expect((await headersAt('/embed')).headers).toEqual({
    ...isolation,
    'content-security-policy': `frame-ancestors 'self' ${ALLOWED_HOST}`,
    'x-frame-options': null,
    'cross-origin-resource-policy': 'cross-origin',
  });
  expect((await headersAt('/deepseek-widget.js')).headers).toEqual({
    ...isolation,
    'content-security-policy': null,
    'x-frame-options': null,
    'cross-origin-resource-policy': 'cross-origin',
  });
  // Pages itself sends `Access-Control-Allow-Origin: *` on every file, so the import is checked by a host below, not here.
  // A path the build has no file for gets the inert 404 page, not the app.
  const missing = await headersAt('/no/such/page');
  expect(missing.status).toBe(404);
  expect(missing.body).toContain('Nothing here');
  expect(missing.body).not.toContain('<script');
});

test('an allowed host mounts the widget Pages serves and drives its API; a host not on the list cannot; nobody frames the app', async ({ page }) => {
  expect(await mountWidget(page, ALLOWED_HOST, PAGES)).toBeNull();
  await expect(page.frameLocator('#widget iframe').getByTestId('widget-status')).toContainText('is not loaded');
  const models = await page.evaluate(async () => (await window.widget!.models.list()).data.length);
  expect(models).toBeGreaterThan(0);

  // The app itself, framed by the same host: refused by the browser, so no app runs in the frame.
  await page.evaluate((url) => {
    document.body.append(Object.assign(document.createElement('iframe'), { name: 'app', src: url }));
  }, `${PAGES}/`);
  await expect.poll(() => page.frame({ name: 'app' })?.url() ?? '').not.toBe('');
  const appRuns = await page.frame({ name: 'app' })
    ?.waitForFunction(() => (window as { deepseek?: unknown }).deepseek !== undefined, undefined, { timeout: 3000 })
    .then(() => true, () => false);
  expect(appRuns).toBe(false);

  const refused = await mountWidget(page, REFUSED_HOST, PAGES, { timeoutMs: 4000 });
  expect(refused).toContain('did not answer');
});
