/**
 * No other site can use the engine: with an app tab open and a model loaded, a
 * page on a second origin (another port: same site; `localhost` against the
 * app's 127.0.0.1: another site) posts forms into a new tab and into a hidden
 * iframe, calls fetch with and without CORS, opens /v1 with window.open and
 * frames the app. Each is refused, and the engine's own count of the requests it
 * received does not move. Then the app's own pages still get answers, and input
 * that is too deep or too long gets a 400 at once.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { INSTRUCT } from './helpers.ts';

/** A body the app would answer with a completion, spelled across a text/plain form's name and value. */
const FORM_NAME = `{"model":"${INSTRUCT}","messages":[{"role":"user","content":"hi"}],"max_tokens":2,"user":"`;
const FORM_VALUE = '"}';
const NAVIGATION_REFUSED = 'does not answer navigations';

let attackerServer: Server;
let attackerPort: number;
let context: BrowserContext;
let app: Page;
let appOrigin: string;

/** A blank page on the attacker's origin: every attack is built in it by script. */
function startAttackerServer(): Promise<Server> {
  const server = createServer((_, response) => {
    response.setHeader('Content-Type', 'text/html');
    response.end('<!doctype html><title>another site</title><body></body>');
  });
  // No host: both 127.0.0.1 and localhost (which may resolve to ::1) reach it.
  return new Promise((resolve) => server.listen(0, () => resolve(server)));
}

function requestsReceived(): Promise<number> {
  return app.evaluate(() => window.deepseek.internals.requestsReceived());
}

async function attackerPage(origin: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${origin}/attack.html`);
  return page;
}

/** Submits a text/plain form that spells a valid chat request, into `target`. */
function submitForm(page: Page, target: string): Promise<void> {
  return page.evaluate(
    ({ action, name, value, target }) => {
      const form = document.createElement('form');
      Object.assign(form, { method: 'POST', enctype: 'text/plain', action, target });
      const input = document.createElement('input');
      Object.assign(input, { type: 'hidden', name, value });
      form.append(input);
      document.body.append(form);
      form.submit();
    },
    { action: `${appOrigin}/v1/chat/completions`, name: FORM_NAME, value: FORM_VALUE, target },
  );
}

/** The body text of the new tab `open` makes, once it has loaded. */
async function popupText(open: () => Promise<void>): Promise<string> {
  const popup = context.waitForEvent('page');
  await open();
  const opened = await popup;
  await opened.waitForLoadState();
  const text = await opened.locator('body').innerText();
  await opened.close();
  return text;
}

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({ browser, baseURL }) => {
  attackerServer = await startAttackerServer();
  attackerPort = (attackerServer.address() as AddressInfo).port;
  context = await browser.newContext({ baseURL });
  app = await context.newPage();
  await app.goto('/');
  await app.waitForFunction(() => window.deepseek !== undefined && navigator.serviceWorker.controller !== null);
  await app.evaluate((id) => window.deepseek.load(id, { device: 'wasm', dtype: 'q4' }), INSTRUCT);
  appOrigin = new URL(app.url()).origin;
});

test.afterAll(async () => {
  await context?.close();
  attackerServer?.close();
});

for (const [kind, host] of [
  ['same site, another port', '127.0.0.1'],
  ['another site', 'localhost'],
] as const) {
  test(`${kind}: forms, fetch, window.open and framing are refused, and the engine sees none of them`, async () => {
    const before = await requestsReceived();
    const attacker = await attackerPage(`http://${host}:${attackerPort}`);

    // A form posted into a new tab is a navigation: refused with a 403 that says so.
    expect(await popupText(() => submitForm(attacker, '_blank'))).toContain(NAVIGATION_REFUSED);

    // window.open of the API is a navigation too.
    const opened = await popupText(() => attacker.evaluate((url) => void window.open(url), `${appOrigin}/v1/models`));
    expect(opened).toContain(NAVIGATION_REFUSED);

    // A form posted into a hidden iframe: refused, or not even framed.
    await attacker.evaluate(() => {
      const frame = Object.assign(document.createElement('iframe'), { name: 'sink', hidden: true });
      document.body.append(frame);
    });
    const framed = attacker.waitForEvent('framenavigated', (frame) => frame.name() === 'sink');
    await submitForm(attacker, 'sink');
    const sink = await framed;
    await sink.waitForLoadState().catch(() => undefined);
    const sinkText = await sink.evaluate(() => document.body?.innerText ?? '').catch(() => '');
    expect(sinkText).not.toContain('chat.completion');

    // fetch: with CORS the answer cannot be read; without, it is opaque. Neither reaches the service worker's API.
    const fetches = await attacker.evaluate(
      async ({ origin, name, value }) => {
        const readable = async (init: RequestInit, path: string) =>
          fetch(`${origin}${path}`, init).then(
            (response) => `read ${response.status}`,
            () => 'refused',
          );
        return {
          corsHealth: await readable({}, '/health'),
          corsModels: await readable({}, '/v1/models'),
          corsPost: await readable(
            { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: `${name}=${value}` },
            '/v1/chat/completions',
          ),
          noCorsPost: await fetch(`${origin}/v1/chat/completions`, {
            method: 'POST',
            mode: 'no-cors',
            headers: { 'Content-Type': 'text/plain' },
            body: `${name}=${value}`,
          }).then((response) => response.type),
        };
      },
      { origin: appOrigin, name: FORM_NAME, value: FORM_VALUE },
    );
    expect(fetches).toEqual({ corsHealth: 'refused', corsModels: 'refused', corsPost: 'refused', noCorsPost: 'opaque' });

    // The app itself in an iframe: frame-ancestors 'self' keeps it out.
    await attacker.evaluate((url) => {
      const frame = Object.assign(document.createElement('iframe'), { name: 'app', src: url });
      document.body.append(frame);
    }, `${appOrigin}/`);
    await expect.poll(() => attacker.frame({ name: 'app' })?.url() ?? '').not.toBe('');
    const appFrame = attacker.frame({ name: 'app' });
    const frameHasApp = await appFrame
      ?.waitForFunction(() => (window as { deepseek?: unknown }).deepseek !== undefined, undefined, { timeout: 3000 })
      .then(() => true, () => false);
    expect(frameHasApp).toBe(false);

    expect(await requestsReceived()).toBe(before);
    await attacker.close();
  });
}

test("the app's own pages still get answers; what is not JSON gets a 415; the servers send the framing headers", async () => {
  const before = await requestsReceived();
  const answers = await app.evaluate(async ({ name, value }) => {
    const body = `${name}${value}`;
    const json = await fetch('/v1/chat/completions', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    const plain = await fetch('/v1/chat/completions', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body });
    return { json: json.status, object: (await json.json()).object, plain: plain.status, plainError: (await plain.json()).error };
  }, { name: FORM_NAME, value: FORM_VALUE });
  expect(answers).toMatchObject({
    json: 200,
    object: 'chat.completion',
    plain: 415,
    plainError: { type: 'invalid_request_error', code: 'unsupported_media_type' },
  });
  expect(await requestsReceived()).toBe(before + 1);

  const page = await app.request.get('/');
  expect(page.headers()['content-security-policy']).toBe("frame-ancestors 'self'");
  expect(page.headers()['x-frame-options']).toBe('SAMEORIGIN');
  expect(page.headers()['access-control-allow-origin']).toBeUndefined();
});

test('too deep or too long is a 400 at once, over HTTP and in the page, and every promise settles', async () => {
  const results = await app.evaluate(async (model) => {
    const deepBody = `{"model":"${model}","messages":[{"role":"user","content":"hi"}],"response_format":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`;
    const post = async (body: string) => {
      const started = performance.now();
      const response = await fetch('/v1/chat/completions', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
      return { status: response.status, error: (await response.json()).error, ms: performance.now() - started };
    };
    const schema = (depth: number) => {
      let value: Record<string, unknown> = { type: 'string' };
      for (let level = 0; level < depth; level++) value = { type: 'object', properties: { inner: value } };
      return value;
    };
    const inPage = (body: Record<string, unknown>) =>
      window.deepseek.chat.completions.create(body as never).then(
        () => null,
        (error: { status: number; error: { param: string; code: string } }) => ({ status: error.status, param: error.error.param, code: error.error.code }),
      );
    const messages = [{ role: 'user', content: 'hi' }];
    return {
      deepHttp: await post(deepBody),
      hugeHttp: await post(JSON.stringify({ model, messages: [{ role: 'user', content: 'x'.repeat(4 * 1024 * 1024) }] })),
      schema1500: await inPage({ model, messages, response_format: { type: 'json_schema', json_schema: { name: 'deep', schema: schema(1500) } } }),
      tools3000: await inPage({ model, messages, tools: [{ type: 'function', function: { name: 'deep', parameters: schema(3000) } }] }),
    };
  }, INSTRUCT);
  expect(results.deepHttp).toMatchObject({ status: 400, error: { param: 'response_format', code: 'too_deeply_nested' } });
  expect(results.hugeHttp).toMatchObject({ status: 400, error: { param: 'messages', code: 'context_length_exceeded' } });
  expect(results.hugeHttp.ms).toBeLessThan(3000);
  expect(results.schema1500).toEqual({ status: 400, param: 'response_format.json_schema.schema', code: 'too_deeply_nested' });
  expect(results.tools3000).toEqual({ status: 400, param: 'tools[0].function.parameters', code: 'too_deeply_nested' });
});
