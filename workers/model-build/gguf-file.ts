/**
 * Reading a GGUF file piece by piece over HTTP Range requests: its header
 * (metadata and tensor table) through @huggingface/gguf's parser, which asks
 * for 2 MB chunks until it has read the table, then any tensor's bytes.
 * The same code reads a local file through `blobFetch`.
 */
import { gguf, type MetadataValue } from '@huggingface/gguf';
import { invalidRequest } from '../../src/protocol/errors.ts';

export type GgufMetadataValue = MetadataValue;

export interface GgufTensorInfo {
  name: string;
  /** ggml's type id. */
  type: number;
  /** ggml's ne: the fastest-varying dimension first, so a weight of N rows of K values is [K, N]. */
  dims: number[];
  /** Where the tensor's bytes start in the file. */
  offset: number;
}

export interface GgufHeader {
  metadata: Record<string, GgufMetadataValue>;
  tensors: GgufTensorInfo[];
}

/** Reads `length` bytes of the file from `offset`. */
export type ReadRange = (offset: number, length: number) => Promise<Uint8Array>;

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/**
 * The parser's fetch: it must get the ranges it asks for. A server that ignores Range (200 with
 * the whole file) is refused, as the parser would misplace the bytes; a range past the end (416,
 * when the header ends near the end of a small file) is an empty answer, as the parser expects.
 */
function checkedFetch(fetchFn: FetchLike): FetchLike {
  return async (input, init) => {
    const response = await fetchFn(input, init);
    if (response.status === 416) return new Response(new Uint8Array(0), { status: 206 });
    if (response.status !== 206) {
      const reason = response.status === 200 ? 'the server ignored the Range header' : response.status === 404 ? 'not found' : 'an error';
      throw new Error(`HTTP ${response.status} (${reason}) for ${input}`);
    }
    return response;
  };
}

/**
 * The header of the GGUF file at `url`: metadata and the tensor table, with each tensor's
 * absolute offset. Only the header's bytes are fetched (in 2 MB Range requests). A file that is
 * not a GGUF file gets a 400 `invalid_gguf`; network errors pass through as they are.
 */
export async function readGgufHeader(url: string, fetchFn: FetchLike = fetch): Promise<GgufHeader> {
  const checked = checkedFetch(fetchFn);
  let parsed: Awaited<ReturnType<typeof gguf>>;
  try {
    // The parser's fetch parameter is typed as the global fetch; ours takes the subset it uses.
    parsed = await gguf(url, { fetch: checked as typeof fetch });
  } catch (error) {
    if (!(error instanceof Error) || error instanceof TypeError || error.name === 'AbortError' || /^HTTP \d/.test(error.message)) throw error;
    throw invalidRequest(`'${url.split('/').pop()}' is not a GGUF file this app can read: ${error.message}`, 'model', 'invalid_gguf');
  }
  const dataOffset = Number(parsed.tensorDataOffset);
  return {
    metadata: parsed.metadata as unknown as Record<string, GgufMetadataValue>,
    tensors: parsed.tensorInfos.map((info) => ({
      name: info.name,
      type: info.dtype,
      dims: info.shape.map(Number),
      offset: dataOffset + Number(info.offset),
    })),
  };
}

/** Reads byte ranges of the file at `url` with Range requests, refusing any answer that is not exactly the range. */
export function rangeReader(url: string, fetchFn: FetchLike = fetch, init: RequestInit = {}): ReadRange {
  return async (offset, length) => {
    const headers = new Headers(init.headers);
    headers.set('Range', `bytes=${offset}-${offset + length - 1}`);
    const response = await fetchFn(url, { ...init, headers });
    if (response.status !== 206) throw new Error(`HTTP ${response.status} for bytes ${offset}–${offset + length - 1} of ${url}: expected 206 Partial Content.`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.length !== length) throw new Error(`Read ${bytes.length} bytes at ${offset} of ${url}, expected ${length}: the file is shorter than its header says.`);
    return bytes;
  };
}

/** A fetch over a Blob (a File the user picked, or a file in Node) that answers Range requests as a server would. */
export function blobFetch(blob: Blob): FetchLike {
  return async (_input, init) => {
    const range = new Headers(init?.headers).get('Range');
    const match = range ? /^bytes=(\d+)-(\d*)$/.exec(range) : null;
    if (!match) return new Response(blob, { status: 200 });
    const start = Number(match[1]);
    const end = Math.min(blob.size - 1, match[2] ? Number(match[2]) : blob.size - 1);
    if (start >= blob.size) return new Response(null, { status: 416 });
    return new Response(blob.slice(start, end + 1), {
      status: 206,
      headers: { 'Content-Range': `bytes ${start}-${end}/${blob.size}` },
    });
  };
}
