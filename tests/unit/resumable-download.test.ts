import { describe, expect, it } from 'vitest';
import { isHubFileUrl, parseSegmentKey, resumableFetch, segmentKey, type Fetch, type StoreFile } from '../../workers/engine/resumable-download.ts';

const FILE = 'https://huggingface.co/onnx-community/deepseek-coder-1.3b-instruct-ONNX/resolve/main/onnx/model_q4f16.onnx';

describe('partial download keys', () => {
  it('name the file and the byte offset, and read back', () => {
    const key = segmentKey(FILE, 8_388_608);
    expect(key).not.toBe(FILE);
    expect(parseSegmentKey(key)).toEqual({ url: FILE, offset: 8_388_608 });
  });

  it('are told apart from the files themselves', () => {
    expect(parseSegmentKey(FILE)).toBeNull();
  });
});

describe('hub file URLs', () => {
  it('are files in hub layout, on the hub or on the dev mirror', () => {
    expect(isHubFileUrl(FILE)).toBe(true);
    expect(isHubFileUrl('http://127.0.0.1:5173/hf-mirror/tiny-random/deepseek-coder-base/resolve/main/config.json')).toBe(true);
  });

  it('are not API calls or the runtime files', () => {
    expect(isHubFileUrl('https://huggingface.co/api/models/onnx-community/deepseek-coder-1.3b-instruct-ONNX/tree/main')).toBe(false);
    expect(isHubFileUrl('http://127.0.0.1:5173/ort/ort-wasm-simd-threaded.asyncify.wasm')).toBe(false);
  });
});

describe('a request for a whole file', () => {
  /** Node has no Cache Storage: nothing partial is kept, so nothing finished is promoted. */
  const noStore: StoreFile = () => Promise.reject(new Error('Without Cache Storage, no finished file is stored.'));
  /** A network that answers every request with `response`, recording what was asked. */
  function network(response: () => Response): { fetch: Fetch; requests: RequestInit[] } {
    const requests: RequestInit[] = [];
    return { requests, fetch: async (_input, init) => (requests.push(init ?? {}), response()) };
  }

  it('bypasses the HTTP cache, so the browser never turns it into a range request of its own', async () => {
    const { fetch, requests } = network(() => new Response('{}', { status: 200 }));
    await resumableFetch(fetch, noStore)(FILE);
    expect(requests[0].cache).toBe('no-store');
  });

  it('takes a 206 that holds the whole file as the file', async () => {
    const { fetch } = network(() => new Response('abcdef', { status: 206, headers: { 'content-range': 'bytes 0-5/6' } }));
    const response = await resumableFetch(fetch, noStore)(FILE);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('abcdef');
  });

  it('never hands on part of a file as the whole: a partial 206 is a server failure', async () => {
    const { fetch } = network(() => new Response('def', { status: 206, headers: { 'content-range': 'bytes 3-5/6' } }));
    await expect(resumableFetch(fetch, noStore)(FILE)).rejects.toMatchObject({ name: 'DownloadServerError', status: 206 });
  });

  it('leaves requests that ask for a range alone', async () => {
    const { fetch, requests } = network(() => new Response('a', { status: 206, headers: { 'content-range': 'bytes 0-0/6' } }));
    const response = await resumableFetch(fetch, noStore)(FILE, { headers: { range: 'bytes=0-0' } });
    expect(response.status).toBe(206);
    expect(requests[0].cache).toBeUndefined();
  });
});
