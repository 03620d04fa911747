/**
 * Model downloads that survive interruption. transformers.js reads each file
 * whole into memory and stores it in the Cache API only once complete, so a
 * cancelled or broken download of a 1 GB graph would start over. This fetch
 * records the bytes of large hub files as they arrive, in segments in a cache
 * of its own; the next request for the file sends `Range: bytes=N-` and
 * stitches the stored segments in front of the rest. A server that ignores the
 * range, or whose file changed (other size or ETag), gets a full download.
 *
 * A finished file goes to the model cache as the Blob of its segments
 * (`StoreFile`), so transformers.js finds it there and does not store it
 * again: Cache Storage takes a disk-backed Blob several times faster than the
 * 1 GB ArrayBuffer transformers.js would hand it.
 *
 * Every download bypasses the browser's HTTP cache (`cache: 'no-store'`):
 * Cache Storage already keeps the files, and an HTTP cache holding part of
 * one turns a plain request into a range request on its own, whose 206 would
 * reach the runtime as if it were the whole file. A 206 to a request for the
 * whole file is accepted only if it does hold all of it.
 */
import { DownloadServerError } from './load-errors.ts';

export type Fetch = (input: string | URL, init?: RequestInit) => Promise<Response>;

/** Cache Storage name for interrupted downloads; transformers.js keeps complete files in its own. */
export const PARTIAL_CACHE_NAME = 'deepseek-coder-web-partial';
/** The query parameter that marks a segment's key, with the segment's byte offset as value. */
const SEGMENT_PARAM = 'partial-download-offset';
const TOTAL_HEADER = 'x-total-length';
const VALIDATOR_HEADER = 'x-validator';
/** Bytes held in memory before a segment is written: bounds both memory and what a crash can lose. */
const SEGMENT_BYTES = 8 * 1024 ** 2;
/** Smaller files download again whole: a resume would save little. */
const RESUMABLE_MIN_BYTES = 1024 ** 2;

/** Files in hub layout: `…/{owner}/{name}/resolve/{revision}/{path}`. */
export function isHubFileUrl(url: string): boolean {
  return /\/[^/]+\/[^/]+\/resolve\/[^/]+\/.+/.test(new URL(url).pathname);
}

export function segmentKey(url: string, offset: number): string {
  const key = new URL(url);
  key.searchParams.set(SEGMENT_PARAM, String(offset));
  return key.href;
}

/** The file URL and byte offset a segment key names, or null for a key that is not a segment. */
export function parseSegmentKey(key: string): { url: string; offset: number } | null {
  const parsed = new URL(key);
  const offset = parsed.searchParams.get(SEGMENT_PARAM);
  if (offset === null) return null;
  parsed.searchParams.delete(SEGMENT_PARAM);
  return { url: parsed.href, offset: Number(offset) };
}

interface Segment {
  key: string;
  offset: number;
  bytes: number;
}

interface StoredPrefix {
  segments: Segment[];
  /** Bytes stored contiguously from offset 0. */
  bytes: number;
  total: number;
  validator: string | null;
}

/** A strong identity of the file's content: its ETag (the hub's points at the blob), else Last-Modified. */
function validatorOf(response: Response): string | null {
  return response.headers.get('x-linked-etag') ?? response.headers.get('etag') ?? response.headers.get('last-modified');
}

let usable: Promise<boolean> | null = null;

/**
 * Whether Cache Storage opens at all. It can exist and still refuse: in a
 * third-party frame where the browser blocks third-party storage (the
 * embeddable widget on some browsers). Downloads then go straight to memory.
 */
export function cacheStorageUsable(): Promise<boolean> {
  usable ??= typeof caches === 'undefined' ? Promise.resolve(false) : caches.open(PARTIAL_CACHE_NAME).then(() => true, () => false);
  return usable;
}

function openPartials(): Promise<Cache> {
  return caches.open(PARTIAL_CACHE_NAME);
}

/** Segment writes still in flight; a resume waits for them so it sees every stored byte. */
const pendingWrites = new Set<Promise<void>>();

function track(write: Promise<void>): Promise<void> {
  pendingWrites.add(write);
  return write.finally(() => pendingWrites.delete(write));
}

async function segmentsOf(cache: Cache, url: string): Promise<Segment[]> {
  const segments: Segment[] = [];
  for (const request of await cache.keys()) {
    const parsed = parseSegmentKey(request.url);
    if (parsed?.url !== url) continue;
    const response = await cache.match(request);
    segments.push({ key: request.url, offset: parsed.offset, bytes: Number(response?.headers.get('content-length') ?? 0) });
  }
  return segments.sort((a, b) => a.offset - b.offset);
}

/** The segments that follow each other from offset 0, and the bytes they hold. */
function chainFromStart(segments: Segment[]): { chain: Segment[]; bytes: number } {
  const chain: Segment[] = [];
  let bytes = 0;
  for (const segment of segments) {
    // A segment that starts inside the chain is left over from an earlier attempt; a gap ends the chain.
    if (segment.offset < bytes) continue;
    if (segment.offset > bytes) break;
    chain.push(segment);
    bytes += segment.bytes;
  }
  return { chain, bytes };
}

/** The stored prefix of a file: segments chained from offset 0, all from the same version of the file. */
async function readPartial(url: string): Promise<StoredPrefix | null> {
  await Promise.all(pendingWrites);
  const cache = await openPartials();
  const all = await segmentsOf(cache, url);
  if (all.length === 0) return null;
  const first = await cache.match(all[0].key);
  const total = Number(first?.headers.get(TOTAL_HEADER) ?? 0);
  const validator = first?.headers.get(VALIDATOR_HEADER) || null;
  const { chain, bytes } = chainFromStart(all);
  if (bytes === 0 || total === 0 || bytes >= total) {
    await discardPartial(url);
    return null;
  }
  return { segments: chain, bytes, total, validator };
}

async function discardPartial(url: string): Promise<void> {
  const cache = await openPartials();
  for (const segment of await segmentsOf(cache, url)) await cache.delete(segment.key);
}

/** Whether a 206 answer continues exactly the stored prefix of the same file. */
function continues(response: Response, partial: StoredPrefix): boolean {
  if (response.status !== 206) return false;
  const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(response.headers.get('content-range') ?? '');
  if (!range || Number(range[1]) !== partial.bytes || Number(range[3]) !== partial.total) return false;
  const validator = validatorOf(response);
  return partial.validator === null || validator === null || validator === partial.validator;
}

/** Stores a finished file where complete files are kept, with the headers it was served with. */
export type StoreFile = (url: string, file: Blob, headers: Headers) => Promise<void>;

/**
 * Hands the finished file, its segments joined into one Blob (no bytes are
 * copied: each part is a stored body), to `store`, then deletes the segments.
 * A file whose segments do not cover it (one could not be written) is left to
 * transformers.js to store.
 */
async function promote(url: string, total: number, headers: Headers, store: StoreFile): Promise<void> {
  try {
    const cache = await openPartials();
    const { chain, bytes } = chainFromStart(await segmentsOf(cache, url));
    if (bytes !== total) return;
    const parts = await Promise.all(chain.map(async (segment) => (await cache.match(segment.key))?.blob()));
    const file = new Blob(parts.filter((part): part is Blob => part !== undefined));
    if (file.size === total) await store(url, file, headers);
  } finally {
    await discardPartial(url);
  }
}

/**
 * Passes the network body through, writing it to the partial cache in
 * segments. On completion the whole file is promoted to the model cache; on
 * an error the bytes held so far are written before the error passes on, so
 * the next attempt resumes after them.
 */
function recorded(
  url: string,
  body: ReadableStream<Uint8Array>,
  startOffset: number,
  { total, validator, headers }: { total: number; validator: string | null; headers: Headers },
  store: StoreFile,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let held: Uint8Array[] = [];
  let heldBytes = 0;
  let offset = startOffset;
  let storing = true;

  const flush = async () => {
    if (!storing || heldBytes === 0) return;
    const headers = { 'content-length': String(heldBytes), [TOTAL_HEADER]: String(total), [VALIDATOR_HEADER]: validator ?? '' };
    const segment = new Response(new Blob(held as BlobPart[]), { headers });
    const key = segmentKey(url, offset);
    offset += heldBytes;
    held = [];
    heldBytes = 0;
    // Storage full: the download itself goes on, it just cannot be resumed.
    await track(openPartials().then((cache) => cache.put(key, segment))).catch(() => {
      storing = false;
    });
  };

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        await flush();
        controller.error(error);
        return;
      }
      if (chunk.done) {
        await flush();
        // A file that could not be kept whole is still handed on: transformers.js stores it itself.
        await track(storing ? promote(url, total, headers, store) : discardPartial(url)).catch(() => undefined);
        controller.close();
        return;
      }
      held.push(chunk.value);
      heldBytes += chunk.value.byteLength;
      controller.enqueue(chunk.value);
      if (heldBytes >= SEGMENT_BYTES) await flush();
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

/** The stored segments, then the network's remainder, as one body. */
function stitched(partial: StoredPrefix, rest: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const segments = [...partial.segments];
  const reader = rest.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const segment = segments.shift();
      if (segment) {
        const stored = await (await openPartials()).match(segment.key);
        if (!stored) {
          controller.error(new Error('A stored part of an interrupted download vanished; press Load again to download it anew.'));
          return;
        }
        controller.enqueue(new Uint8Array(await stored.arrayBuffer()));
        return;
      }
      const chunk = await reader.read();
      if (chunk.done) controller.close();
      else controller.enqueue(chunk.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

/** The headers a finished file is stored with: the server's, as for the whole file. */
function fileHeaders(from: Response, total: number): Headers {
  const headers = new Headers(from.headers);
  headers.delete('content-range');
  headers.set('content-length', String(total));
  return headers;
}

function wholeFile(body: ReadableStream<Uint8Array>, from: Response, total: number): Response {
  return new Response(body, { status: 200, statusText: 'OK', headers: fileHeaders(from, total) });
}

/** The whole file, past the HTTP cache; a partial answer to it is a server failure, never passed on as the file. */
async function fetchWhole(base: Fetch, url: string, init: RequestInit | undefined): Promise<Response> {
  const response = await base(url, { ...init, cache: 'no-store' });
  if (response.status !== 206) return response;
  const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(response.headers.get('content-range') ?? '');
  const total = Number(range?.[3]);
  if (range && response.body && Number(range[1]) === 0 && Number(range[2]) + 1 === total) return wholeFile(response.body, response, total);
  await response.body?.cancel().catch(() => undefined);
  throw new DownloadServerError(206, url);
}

/**
 * Wraps `base` (the network fetch) so that large hub files resume where an
 * earlier download stopped; `store` keeps each finished one.
 */
export function resumableFetch(base: Fetch, store: StoreFile): Fetch {
  const record = (url: string, response: Response): Response => {
    const total = Number(response.headers.get('content-length') ?? 0);
    if (response.status !== 200 || !response.body || total < RESUMABLE_MIN_BYTES) return response;
    const file = { total, validator: validatorOf(response), headers: fileHeaders(response, total) };
    return wholeFile(recorded(url, response.body, 0, file, store), response, total);
  };

  return async (input, init) => {
    const url = String(input);
    const headers = new Headers(init?.headers);
    const plain = (init?.method ?? 'GET') !== 'GET' || headers.has('range') || !isHubFileUrl(url);
    if (plain) return base(input, init);
    // Without Cache Storage (Node, or a widget whose storage is blocked) nothing partial can be kept: the whole file, into memory.
    if (!(await cacheStorageUsable())) return fetchWhole(base, url, init);

    const partial = await readPartial(url);
    if (!partial) return record(url, await fetchWhole(base, url, init));

    headers.set('range', `bytes=${partial.bytes}-`);
    const response = await base(url, { ...init, headers, cache: 'no-store' });
    if (response.body && continues(response, partial)) {
      const file = { total: partial.total, validator: partial.validator, headers: fileHeaders(response, partial.total) };
      return wholeFile(stitched(partial, recorded(url, response.body, partial.bytes, file, store)), response, partial.total);
    }
    await discardPartial(url);
    if (response.status === 200) return record(url, response);
    await response.body?.cancel();
    return record(url, await fetchWhole(base, url, init));
  };
}
