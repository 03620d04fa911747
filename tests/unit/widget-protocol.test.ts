import { describe, expect, it } from 'vitest';
import {
  ApiError,
  MESSAGE_LIMITS,
  WIDGET_PROTOCOL,
  checkBounds,
  isWidgetAbort,
  parseHello,
  parseWelcome,
  parseWidgetEvent,
  parseWidgetOptions,
  parseWidgetReply,
  parseWidgetRequest,
} from '../../src/protocol/index.ts';
import { deviceLine } from '../../src/embed/device-line.ts';
import { widgetHostOrigins, embedFramingHeaders } from '../../scripts/embed-framing.ts';
import type { DeviceReport } from '../../src/protocol/index.ts';

function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let level = 0; level < depth; level += 1) value = { inner: value };
  return value;
}

describe('checkBounds', () => {
  it('accepts plain data within the limits', () => {
    expect(checkBounds({ a: [1, 'two', null, true, { b: 3 }] })).toEqual({ ok: true });
  });

  it('refuses nesting past the depth limit without recursing, even a million levels deep', () => {
    expect(checkBounds(nested(MESSAGE_LIMITS.depth))).toEqual({ ok: true });
    expect(checkBounds(nested(MESSAGE_LIMITS.depth + 1))).toMatchObject({ ok: false, reason: expect.stringContaining('nesting') });
    expect(checkBounds(nested(1_000_000)).ok).toBe(false);
  });

  it('refuses a cyclic value, at the depth limit', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(checkBounds(cyclic).ok).toBe(false);
  });

  it('refuses too many values and too many characters', () => {
    expect(checkBounds(new Array(MESSAGE_LIMITS.nodes + 1).fill(0)).ok).toBe(false);
    expect(checkBounds({ text: 'x'.repeat(MESSAGE_LIMITS.chars + 1) })).toMatchObject({ ok: false, reason: expect.stringContaining('characters') });
  });

  it('refuses what is not plain data: class instances, typed arrays, non-finite numbers', () => {
    expect(checkBounds({ when: new Date() }).ok).toBe(false);
    expect(checkBounds({ bytes: new Uint8Array(4) }).ok).toBe(false);
    expect(checkBounds({ n: Number.NaN }).ok).toBe(false);
    expect(checkBounds({ f: () => 1 }).ok).toBe(false);
  });
});

describe('handshake', () => {
  it('parses a hello and drops bad options, keeping the good ones', () => {
    const hello = parseHello({
      protocol: WIDGET_PROTOCOL,
      kind: 'hello',
      nonce: 'abc',
      options: { theme: 'dark', accent: 'red; background: url(x)', model: 'a/b', fixedHeight: 'yes' },
    });
    expect(hello).toEqual({
      hello: { protocol: WIDGET_PROTOCOL, kind: 'hello', nonce: 'abc', options: { theme: 'dark', model: 'a/b' } },
      rejectedOptions: ['accent', 'fixedHeight'],
    });
    expect(parseWidgetOptions({ accent: '#0b7a5a', theme: 'sepia' })).toEqual({ options: { accent: '#0b7a5a' }, rejected: ['theme'] });
  });

  it('ignores anything else: another protocol, no nonce, an oversized nonce, a deep message', () => {
    expect(parseHello({ protocol: 'other/1', kind: 'hello', nonce: 'n', options: {} })).toBeNull();
    expect(parseHello({ protocol: WIDGET_PROTOCOL, kind: 'hello', options: {} })).toBeNull();
    expect(parseHello({ protocol: WIDGET_PROTOCOL, kind: 'hello', nonce: 'n'.repeat(65), options: {} })).toBeNull();
    expect(parseHello({ protocol: WIDGET_PROTOCOL, kind: 'hello', nonce: 'n', options: nested(100) })).toBeNull();
    expect(parseHello('hello')).toBeNull();
  });

  it('parses a welcome only with a whole status', () => {
    const status = { loaded: null, loading: false, cross_origin_isolated: true, storage: 'partitioned' };
    expect(parseWelcome({ protocol: WIDGET_PROTOCOL, kind: 'welcome', nonce: 'n', status })?.status).toEqual(status);
    expect(parseWelcome({ protocol: WIDGET_PROTOCOL, kind: 'welcome', nonce: 'n', status: { ...status, storage: 'maybe' } })).toBeNull();
  });
});

describe('requests from the host', () => {
  it('passes each known operation, with bodies left for the client to validate', () => {
    expect(parseWidgetRequest({ kind: 'request', operation: { name: 'chat.completions.create', body: { any: 'thing' } } })).toEqual({
      kind: 'request',
      operation: { name: 'chat.completions.create', body: { any: 'thing' } },
    });
    expect(parseWidgetRequest({ kind: 'request', operation: { name: 'load', model: null } })).toEqual({
      kind: 'request',
      operation: { name: 'load', model: null, options: {} },
    });
  });

  it('answers a bad one with an OpenAI-shaped 400 naming the field', () => {
    const unknown = parseWidgetRequest({ kind: 'request', operation: { name: 'cache.delete' } });
    expect(unknown).toBeInstanceOf(ApiError);
    expect((unknown as ApiError).error).toMatchObject({ type: 'invalid_request_error', param: 'operation.name' });
    expect((parseWidgetRequest({ kind: 'request', operation: { name: 'models.retrieve', id: 7 } }) as ApiError).error.param).toBe('operation.id');
    expect((parseWidgetRequest({ kind: 'request' }) as ApiError).error.param).toBe('operation');
    const deep = parseWidgetRequest({ kind: 'request', operation: { name: 'chat.completions.create', body: nested(200) } }) as ApiError;
    expect(deep.status).toBe(400);
    expect(deep.message).toContain('nesting');
  });

  it('recognises an abort', () => {
    expect(isWidgetAbort({ kind: 'abort' })).toBe(true);
    expect(isWidgetAbort({ kind: 'abort', extra: nested(100) })).toBe(false);
  });
});

describe('replies and events from the widget', () => {
  it('parses the reply kinds, and drops malformed ones', () => {
    expect(parseWidgetReply({ kind: 'chunk', chunk: { object: 'chat.completion.chunk', choices: [] } })?.kind).toBe('chunk');
    expect(parseWidgetReply({ kind: 'chunk', chunk: { choices: [] } })).toBeNull();
    expect(parseWidgetReply({ kind: 'error', error: { status: 400, error: { message: 'm', type: 'invalid_request_error', param: 'x', code: null } } })?.kind).toBe('error');
    expect(parseWidgetReply({ kind: 'error', error: 'boom' })).toBeNull();
    expect(parseWidgetReply({ kind: 'progress', progress: { stage: 'download', loaded_bytes: -1, total_bytes: 2, percent: 0 } })).toBeNull();
  });

  it('parses resize events within sane heights', () => {
    expect(parseWidgetEvent({ kind: 'resize', height: 480 })).toEqual({ kind: 'resize', height: 480 });
    expect(parseWidgetEvent({ kind: 'resize', height: 1e9 })).toBeNull();
    expect(parseWidgetEvent({ kind: 'resize', height: '480' })).toBeNull();
  });
});

describe('the deployer\'s host origins', () => {
  it('takes exact origins, comma or space separated, and builds frame-ancestors from them', () => {
    expect(widgetHostOrigins('https://a.example, https://b.example:8443')).toEqual(['https://a.example', 'https://b.example:8443']);
    expect(widgetHostOrigins(undefined)).toEqual([]);
    expect(embedFramingHeaders(['https://a.example'])['Content-Security-Policy']).toBe("frame-ancestors 'self' https://a.example");
  });

  it('fails the build on anything that is not exactly an origin', () => {
    for (const bad of ['https://a.example/', 'https://a.example/path', '*', 'a.example', 'javascript:alert(1)', 'ftp://a.example']) {
      expect(() => widgetHostOrigins(bad), bad).toThrow(/DEEPSEEK_WIDGET_ORIGINS/);
    }
  });
});

describe('the device line', () => {
  const report: DeviceReport = {
    webgpu: false,
    shader_f16: false,
    adapter: null,
    gpu: null,
    cross_origin_isolated: false,
    wasm_threads: 1,
    recommended: { device: 'wasm', dtype: 'q4', reason: '' },
  };

  it('says WASM runs on one thread without isolation, and what the host must do', () => {
    expect(deviceLine(report, null, 'shared').join(' ')).toContain('allow="cross-origin-isolated"');
  });

  it('says how many threads with isolation, and what partitioned or blocked storage means', () => {
    const isolated = { ...report, cross_origin_isolated: true, wasm_threads: 4 };
    expect(deviceLine(isolated, null, 'partitioned').join(' ')).toMatch(/4 threads.*downloads again on other sites/);
    expect(deviceLine(isolated, null, 'blocked').join(' ')).toContain('every visit');
  });
});
