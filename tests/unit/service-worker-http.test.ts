import { describe, expect, it } from 'vitest';
import { ApiError, MAX_BODY_BYTES, invalidRequest, requestRefusal, type RequestFacts } from '../../src/protocol/index.ts';
import type { EngineHosts } from '../../workers/service-worker/engine-hosts.ts';
import { HttpApi } from '../../workers/service-worker/http-api.ts';
import { SSE_DONE, errorResponse, jsonResponse, parseJsonBody, readBody, requestedModel, sseEvent } from '../../workers/service-worker/http.ts';
import { pathInScope, route, type Route } from '../../workers/service-worker/routes.ts';

function errorOf(routed: Route | null): { status: number; error: ApiError['error']; allow?: string } {
  if (routed?.kind !== 'error') throw new Error(`expected an error route, got ${JSON.stringify(routed)}`);
  return { status: routed.error.status, error: routed.error.error, allow: routed.allow };
}

describe('route', () => {
  it('maps each endpoint and method to its operation', () => {
    expect(route('POST', '/v1/chat/completions')).toEqual({ kind: 'chat.completions.create' });
    expect(route('POST', '/v1/completions')).toEqual({ kind: 'completions.create' });
    expect(route('GET', '/v1/models')).toEqual({ kind: 'models.list' });
    expect(route('GET', '/health')).toEqual({ kind: 'health' });
  });

  it('takes a model id with a slash, raw or percent-encoded', () => {
    const expected = { kind: 'models.retrieve', id: 'tiny-random/deepseek-coder-instruct' };
    expect(route('GET', '/v1/models/tiny-random/deepseek-coder-instruct')).toEqual(expected);
    expect(route('GET', '/v1/models/tiny-random%2Fdeepseek-coder-instruct')).toEqual(expected);
    expect(route('GET', '/v1/models/tiny-random%2fdeepseek-coder-instruct')).toEqual(expected);
  });

  it('ignores one trailing slash', () => {
    expect(route('GET', '/v1/models/')).toEqual({ kind: 'models.list' });
    expect(route('POST', '/v1/chat/completions/')).toEqual({ kind: 'chat.completions.create' });
  });

  it('leaves everything outside /v1 and /health to the network', () => {
    for (const path of ['/', '/index.html', '/sw.js', '/ort/ort-wasm-simd-threaded.asyncify.wasm', '/hf-mirror/x/y', '/v10/models', '/v1models', '/healthz']) {
      expect(route('GET', path), path).toBeNull();
    }
  });

  it('answers an unknown path under /v1 with 404 in OpenAI shape', () => {
    expect(errorOf(route('POST', '/v1/embeddings'))).toEqual({
      status: 404,
      error: { message: 'Invalid URL (POST /v1/embeddings)', type: 'invalid_request_error', param: null, code: 'unknown_url' },
      allow: undefined,
    });
    expect(errorOf(route('GET', '/v1')).status).toBe(404);
  });

  it('answers a wrong method with 405 and an Allow header', () => {
    const wrongChat = errorOf(route('GET', '/v1/chat/completions'));
    expect(wrongChat.status).toBe(405);
    expect(wrongChat.allow).toBe('POST');
    expect(wrongChat.error).toEqual({
      message: 'GET is not allowed on /v1/chat/completions; use POST.',
      type: 'invalid_request_error',
      param: null,
      code: 'method_not_allowed',
    });
    expect(errorOf(route('DELETE', '/v1/models/tiny-random/deepseek-coder-base')).allow).toBe('GET');
    expect(errorOf(route('POST', '/v1/models')).allow).toBe('GET');
    expect(errorOf(route('POST', '/health')).allow).toBe('GET');
  });

  it('rejects a model id that is not valid percent-encoding with 400 naming model', () => {
    const { status, error } = errorOf(route('GET', '/v1/models/bad%E0%A4%A'));
    expect(status).toBe(400);
    expect(error.param).toBe('model');
  });
});

describe('pathInScope', () => {
  it('gives the path relative to the scope, keeping percent-encoding', () => {
    expect(pathInScope('https://app.test/v1/models/a%2Fb?x=1', 'https://app.test/')).toBe('/v1/models/a%2Fb');
    expect(pathInScope('https://app.test/deep/v1/models', 'https://app.test/deep/')).toBe('/v1/models');
  });

  it('is null for other origins and for paths outside the scope', () => {
    expect(pathInScope('https://huggingface.co/v1/models', 'https://app.test/')).toBeNull();
    expect(pathInScope('https://app.test/v1/models', 'https://app.test/deep/')).toBeNull();
  });
});

describe('server-sent events', () => {
  it('frames each payload as one data line and a blank line', () => {
    const chunk = { id: 'chatcmpl-1', choices: [{ index: 0, delta: { content: 'line one\nline two\r\n\n' } }] };
    const event = sseEvent(chunk);
    expect(event.startsWith('data: ')).toBe(true);
    expect(event.endsWith('\n\n')).toBe(true);
    expect(event.slice(0, -2)).not.toMatch(/[\r\n]/);
    expect(JSON.parse(event.slice('data: '.length))).toEqual(chunk);
  });

  it('ends a stream with the [DONE] sentinel', () => {
    expect(SSE_DONE).toBe('data: [DONE]\n\n');
  });
});

describe('JSON bodies and responses', () => {
  it('parses a JSON body as it is, leaving validation to the client', () => {
    expect(parseJsonBody('{"model":"m","temperature":5}')).toEqual({ model: 'm', temperature: 5 });
    expect(parseJsonBody('[1,2]')).toEqual([1, 2]);
  });

  it('turns malformed JSON into a 400 invalid_json error', () => {
    for (const text of ['', '{"model": ', "{'model': 'm'}", 'undefined']) {
      let thrown: unknown;
      try {
        parseJsonBody(text);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, text).toBeInstanceOf(ApiError);
      expect((thrown as ApiError).status).toBe(400);
      expect((thrown as ApiError).error).toMatchObject({ type: 'invalid_request_error', param: null, code: 'invalid_json' });
    }
  });

  it('reads the model a body asks for, when it names one as a string', () => {
    expect(requestedModel({ model: 'tiny-random/deepseek-coder-base', prompt: 'x' })).toBe('tiny-random/deepseek-coder-base');
    expect(requestedModel({ model: 7 })).toBeNull();
    expect(requestedModel(null)).toBeNull();
    expect(requestedModel('model')).toBeNull();
  });

  it('answers an ApiError with its status and OpenAI error object', async () => {
    const response = errorResponse(invalidRequest("'temperature' must be in [0, 2], got 5.", 'temperature'), { Allow: 'POST' });
    expect(response.status).toBe(400);
    expect(response.headers.get('Content-Type')).toBe('application/json');
    expect(response.headers.get('Allow')).toBe('POST');
    expect(await response.json()).toEqual({
      error: { message: "'temperature' must be in [0, 2], got 5.", type: 'invalid_request_error', param: 'temperature', code: 'invalid_value' },
    });
  });

  it('answers a result as JSON with status 200 by default', async () => {
    const response = jsonResponse({ object: 'list', data: [] });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ object: 'list', data: [] });
    expect(jsonResponse({ status: 'no_engine_page' }, 503).status).toBe(503);
  });
});

const APP = 'https://app.test';

function facts(overrides: Partial<Omit<RequestFacts, 'headers'>> & { headers?: Record<string, string> } = {}): RequestFacts {
  const { headers: extra, ...rest } = overrides;
  return { method: 'POST', mode: 'cors', clientOrigin: APP, ...rest, headers: new Headers({ 'content-type': 'application/json', ...extra }) };
}

describe('requestRefusal: only the app’s own pages reach the API', () => {
  it('answers the app’s own fetches: same-origin metadata, its own Origin, or its own client', () => {
    expect(requestRefusal(facts(), APP)).toBeNull();
    expect(requestRefusal(facts({ headers: { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors' } }), APP)).toBeNull();
    expect(requestRefusal(facts({ clientOrigin: null, headers: { origin: APP } }), APP)).toBeNull();
    expect(requestRefusal(facts({ clientOrigin: null, headers: { 'sec-fetch-site': 'same-origin' } }), APP)).toBeNull();
    expect(requestRefusal(facts({ method: 'GET', mode: 'same-origin', headers: {} }), APP)).toBeNull();
    expect(requestRefusal(facts({ headers: { 'content-type': 'Application/JSON; charset=utf-8' } }), APP)).toBeNull();
  });

  it('refuses every navigation with a 403 that says why: a form, a link, an iframe, window.open', () => {
    for (const navigation of [facts({ mode: 'navigate' }), facts({ headers: { 'sec-fetch-mode': 'navigate' } }), facts({ method: 'GET', mode: 'navigate', clientOrigin: null })]) {
      const refusal = requestRefusal(navigation, APP);
      expect(refusal?.status).toBe(403);
      expect(refusal?.error).toMatchObject({ type: 'invalid_request_error', param: null, code: 'navigation_refused' });
      expect(refusal?.error.message).toContain('does not answer navigations');
    }
  });

  it('refuses other sites and origins with a 403 in OpenAI’s shape', () => {
    const foreign = [
      facts({ headers: { 'sec-fetch-site': 'cross-site' } }),
      facts({ headers: { 'sec-fetch-site': 'same-site' } }),
      facts({ headers: { 'sec-fetch-site': 'none' } }),
      facts({ clientOrigin: null, headers: { origin: 'https://evil.test' } }),
      facts({ clientOrigin: null, headers: { origin: 'null' } }),
      facts({ clientOrigin: 'https://app.test:8443' }),
      // Same-origin metadata does not outvote an Origin that says otherwise.
      facts({ headers: { 'sec-fetch-site': 'same-origin', origin: 'https://evil.test' } }),
      // Nothing says where it came from.
      facts({ clientOrigin: null }),
    ];
    for (const request of foreign) {
      const refusal = requestRefusal(request, APP);
      expect(refusal?.status).toBe(403);
      expect(refusal?.error).toMatchObject({ type: 'invalid_request_error', param: null, code: 'cross_origin_refused' });
      expect(refusal?.error.message).toContain(APP);
    }
  });

  it('refuses a POST body that is not application/json with a 415', () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonp']) {
      const refusal = requestRefusal(facts({ headers: { 'content-type': type } }), APP);
      expect(refusal?.status, type).toBe(415);
      expect(refusal?.error.code).toBe('unsupported_media_type');
    }
    const headers = new Headers();
    expect(requestRefusal({ method: 'POST', mode: 'cors', clientOrigin: APP, headers }, APP)?.status).toBe(415);
  });
});

/** Engine pages that fail the test if the API ever asks for one. */
const untouchableHosts = new Proxy({} as EngineHosts, {
  get(_, name) {
    throw new Error(`the engine pages were reached (${String(name)})`);
  },
});

describe('HttpApi: refused requests never reach an engine page', () => {
  const api = new HttpApi(untouchableHosts, APP);
  const exchange = (request: Request, requesterOrigin: string | null) => ({
    request,
    requesterId: 'client',
    requesterOrigin,
    keepAlive: () => undefined,
  });
  const chatRoute = route('POST', '/v1/chat/completions')!;

  it('answers another origin’s request with 403 before reading it', async () => {
    const request = new Request(`${APP}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const response = await api.respond(chatRoute, exchange(request, 'http://127.0.0.2:4191'));
    expect(response.status).toBe(403);
    expect((await response.json()).error.code).toBe('cross_origin_refused');
    expect((await api.respond(route('GET', '/health')!, exchange(new Request(`${APP}/health`), 'http://localhost:4191'))).status).toBe(403);
  });

  it('answers a text/plain body (a form’s) with 415', async () => {
    const request = new Request(`${APP}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"a":"="}' });
    expect((await api.respond(chatRoute, exchange(request, APP))).status).toBe(415);
  });

  it('stops reading a body past 16 MiB and answers 413', async () => {
    const body = `{"model":"m","messages":[{"role":"user","content":"${'x'.repeat(MAX_BODY_BYTES)}"}]}`;
    const request = new Request(`${APP}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const response = await api.respond(chatRoute, exchange(request, APP));
    expect(response.status).toBe(413);
    expect((await response.json()).error).toMatchObject({ type: 'invalid_request_error', code: 'request_too_large' });
    expect(await readBody(new Request(APP, { method: 'POST', body: 'héllo' }))).toBe('héllo');
  });

  it('answers a body nested 5,000 deep with a 400 naming the parameter, before any postMessage', async () => {
    const deep = `{"model":"m","messages":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const request = new Request(`${APP}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: deep });
    const response = await api.respond(chatRoute, exchange(request, APP));
    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatchObject({ param: 'messages[0]', code: 'too_deeply_nested' });
  });
});
