/**
 * The model store against the mirror's copy of the hub API, over real HTTP:
 * sizes per dtype from the tree listing, the layer geometry from config.json,
 * and the errors for ids it cannot serve. Node has no Cache Storage, so
 * nothing is ever cached here; the browser side is covered end to end.
 */
import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../src/protocol/index.ts';
import { ModelStore } from '../../workers/engine/model-store.ts';
import { generateFixtures } from '../../scripts/generate-fixtures.ts';
import { startMirrorServer } from '../../scripts/hub-mirror.ts';
import { BASE, INSTRUCT } from './harness.ts';

const SUPPORT_FILES = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json'];

function fixtureBytes(id: string, path: string): number {
  return statSync(`fixtures/hub/${id}/${path}`).size;
}

let store: ModelStore;
let mirrorHost: string;
let close: () => Promise<void>;

beforeAll(async () => {
  await generateFixtures();
  const mirror = await startMirrorServer();
  mirrorHost = mirror.host;
  store = new ModelStore(mirror.host, (input, init) => fetch(input, init));
  close = mirror.close;
});

afterAll(async () => {
  await close?.();
});

async function apiErrorOf(work: () => Promise<unknown>): Promise<ApiError> {
  try {
    await work();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected an ApiError');
}

describe('model sizes', () => {
  it('lists every dtype the catalog gives, with its files and their sizes', async () => {
    const sizes = await store.sizes(INSTRUCT);
    expect(sizes.unavailable_reason).toBeNull();
    expect(sizes.dtypes?.map((download) => download.dtype)).toEqual(['q4f16', 'q4', 'fp32']);
    const support = SUPPORT_FILES.reduce((sum, path) => sum + fixtureBytes(INSTRUCT, path), 0);
    for (const [dtype, file] of [
      ['q4f16', 'onnx/model_q4f16.onnx'],
      ['q4', 'onnx/model_q4.onnx'],
      ['fp32', 'onnx/model.onnx'],
    ] as const) {
      const download = sizes.dtypes!.find((candidate) => candidate.dtype === dtype)!;
      expect(download.files.map((entry) => entry.path)).toEqual([...SUPPORT_FILES, file]);
      expect(download.weights_bytes).toBe(fixtureBytes(INSTRUCT, file));
      expect(download.download_bytes).toBe(support + fixtureBytes(INSTRUCT, file));
      expect(download.cached).toBe(false);
    }
  });

  it("reads the base model's older decoder_model_merged file names", async () => {
    const sizes = await store.sizes(BASE);
    const q4 = sizes.dtypes!.find((download) => download.dtype === 'q4')!;
    expect(q4.files.at(-1)).toEqual({ path: 'onnx/decoder_model_merged_q4.onnx', bytes: fixtureBytes(BASE, 'onnx/decoder_model_merged_q4.onnx') });
  });

  it("gives the layer geometry from config.json: the tiny model's 2 layers of 4 heads × 16 dims", async () => {
    expect((await store.sizes(INSTRUCT)).architecture).toEqual({
      layers: 2,
      kv_heads: 4,
      head_dim: 16,
      hidden_size: 64,
      vocab_size: 32256,
      max_position_embeddings: 16384,
    });
  });

  it('asks the hub nothing while the browser is offline: sizes and geometry are unknown, and say so', async () => {
    const asked: string[] = [];
    const offline = new ModelStore(mirrorHost, (input, init) => {
      asked.push(String(input));
      return fetch(input, init);
    });
    vi.stubGlobal('navigator', { onLine: false });
    try {
      const sizes = await offline.sizes(INSTRUCT);
      expect(sizes.dtypes).toBeNull();
      expect(sizes.architecture).toBeNull();
      expect(sizes.unavailable_reason).toMatch(/offline/);
    } finally {
      vi.unstubAllGlobals();
    }
    expect(asked).toEqual([]);
  });

  it('rejects a malformed id naming the model parameter', async () => {
    const error = await apiErrorOf(() => store.sizes('not a model'));
    expect(error.status).toBe(400);
    expect(error.error.param).toBe('model');
  });

  it('refuses the tiny models where no dev mirror serves them', async () => {
    const production = new ModelStore(null, (input, init) => fetch(input, init));
    const error = await apiErrorOf(() => production.sizes(INSTRUCT));
    expect(error.status).toBe(404);
    expect(error.error.code).toBe('model_not_found');
  });
});

describe('cache without Cache Storage', () => {
  it('lists nothing and reports nothing cached', async () => {
    expect(await store.list()).toEqual({ object: 'list', data: [] });
    expect(await store.isCached(INSTRUCT)).toBe(false);
    expect(await store.delete(INSTRUCT)).toEqual({ id: INSTRUCT, object: 'model.cache.deleted', deleted: false, files_deleted: 0, bytes_freed: 0 });
  });
});
