import { describe, expect, it } from 'vitest';
import type { LoadedModel } from '../../src/protocol/index.ts';
import { rankHosts, type EngineHost } from '../../workers/service-worker/host-ranking.ts';

const INSTRUCT = 'tiny-random/deepseek-coder-instruct';
const BASE = 'tiny-random/deepseek-coder-base';

function loaded(id: string): LoadedModel {
  return { id, device: 'wasm', dtype: 'q4', reason: 'test', wasm_threads: 1, context_length: 1024, kv_bytes_per_token: 196608 };
}

function host(clientId: string, fields: Partial<Omit<EngineHost, 'clientId' | 'status'>> & { model?: string } = {}): EngineHost {
  const { model, ...rest } = fields;
  return {
    clientId,
    focused: false,
    visible: false,
    announcedAt: 0,
    ...rest,
    status: { loaded: model ? loaded(model) : null, activeRequests: 0 },
  };
}

const order = (hosts: EngineHost[], model: string | null) => rankHosts(hosts, model).map((candidate) => candidate.clientId);

describe('rankHosts', () => {
  it('puts the page that has the requested model loaded first, even behind a focused one', () => {
    const hosts = [host('focused-base', { focused: true, visible: true, announcedAt: 9, model: BASE }), host('hidden-instruct', { model: INSTRUCT })];
    expect(order(hosts, INSTRUCT)).toEqual(['hidden-instruct', 'focused-base']);
    expect(order(hosts, BASE)).toEqual(['focused-base', 'hidden-instruct']);
  });

  it('prefers a page with some model loaded over one with none', () => {
    const hosts = [host('empty', { focused: true, announcedAt: 5 }), host('loaded', { model: BASE })];
    expect(order(hosts, null)).toEqual(['loaded', 'empty']);
    expect(order(hosts, 'some/other-model')).toEqual(['loaded', 'empty']);
  });

  it('then prefers focused, then visible, then the most recently announced page', () => {
    const hosts = [
      host('old-hidden', { announcedAt: 1 }),
      host('new-hidden', { announcedAt: 3 }),
      host('visible', { visible: true, announcedAt: 2 }),
      host('focused', { focused: true, visible: true, announcedAt: 0 }),
    ];
    expect(order(hosts, null)).toEqual(['focused', 'visible', 'new-hidden', 'old-hidden']);
  });

  it('leaves its input untouched and handles no pages', () => {
    const hosts = [host('a', { announcedAt: 1 }), host('b', { announcedAt: 2 })];
    rankHosts(hosts, null);
    expect(hosts.map((candidate) => candidate.clientId)).toEqual(['a', 'b']);
    expect(rankHosts([], INSTRUCT)).toEqual([]);
  });
});
