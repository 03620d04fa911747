/**
 * Graph files as a load on WASM reads them: with fresh key and value outputs
 * appended (model-build/fresh-kv-outputs.ts), whether they come from the
 * network or from the browser's cache. The cache itself keeps files as the
 * hub serves them.
 */
import { FRESH_KV_APPENDIX_BYTES, withFreshKvOutputs } from '../model-build/fresh-kv-outputs.ts';
import type { Fetch } from './resumable-download.ts';

/** An ONNX graph file, not one of its external-data files. */
const GRAPH_FILE = /\.onnx$/;

export function isGraphFileUrl(url: string): boolean {
  return GRAPH_FILE.test(new URL(url).pathname);
}

/**
 * The graph with its fresh outputs, streamed; `size` is the file's, where the
 * response's headers may lack it. A response that is not a whole file passes
 * as it is.
 */
export function freshKvResponse(response: Response, size = Number(response.headers.get('content-length') ?? NaN)): Response {
  if (response.status !== 200 || !response.body || !Number.isFinite(size)) return response;
  const headers = new Headers(response.headers);
  // transformers.js sizes its read buffer by this.
  headers.set('content-length', String(size + FRESH_KV_APPENDIX_BYTES));
  return new Response(withFreshKvOutputs(response.body), { status: 200, statusText: response.statusText, headers });
}

/** A fetch whose graph files come with fresh outputs. */
export function freshKvFetch(base: Fetch): Fetch {
  return async (input, init) => {
    const response = await base(input, init);
    return isGraphFileUrl(String(input)) ? freshKvResponse(response) : response;
  };
}
