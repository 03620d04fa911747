/**
 * The cache transformers.js keeps model files in (`env.customCache`), over the
 * same Cache Storage it would use itself (`env.cacheKey`). It adds what that
 * cache lacks: each file is stored with the size it must have, and the hub's
 * SHA-256 where the tree API gives one (`lfs.oid`), and checked against them.
 *
 * - Before use, a cached file's size is checked (cheap: Cache Storage bodies
 *   are blobs on disk). An empty or truncated file is deleted and reported, and
 *   transformers.js downloads it again, never seeing the damaged bytes.
 * - The hub is asked (its tree API) only when a file is downloaded, or after a
 *   failed load: a load from a whole cache makes no request.
 * - After a load that failed anyway, `repairAfterFailure` hashes the load's
 *   cached files against the hub's SHA-256 and deletes the ones that differ
 *   (a flipped bit keeps the size), so the engine can load once more.
 * - A model deleted while it downloads is not stored once its download ends:
 *   a model is cached only when all of its files are.
 */
import { env } from '@huggingface/transformers';
import { withoutFreshKvAppendix } from '../model-build/fresh-kv-outputs.ts';
import { GraphReading, isGraphFileUrl } from './graph-reading.ts';
import { parseConvertedPath } from './gguf-load.ts';
import { cacheStorageUsable } from './resumable-download.ts';

/** What a hub file must be, from the tree API. */
export interface ExpectedFile {
  path: string;
  size: number;
  /** The LFS object id, the SHA-256 of the content; null for files the hub keeps in git. */
  sha256: string | null;
}

/** A model's files by their cache key, the file's hub URL. */
export type Manifest = Map<string, ExpectedFile>;

const EXPECTED_SIZE = 'x-expected-size';
/** How long a load waits for the hub's file list before going on without it. */
const MANIFEST_TIMEOUT_MS = 10_000;
const EXPECTED_SHA256 = 'x-expected-sha256';

/**
 * Where a cached response came from: the model and the file inside its repository. A GGUF
 * model's converted files belong to the GGUF model's id, `owner/name/file.gguf`.
 */
export function parseFileUrl(url: string): { modelId: string; path: string } | null {
  const { pathname } = new URL(url);
  const converted = parseConvertedPath(pathname);
  if (converted) return converted;
  const match = /\/([^/]+)\/([^/]+)\/resolve\/[^/]+\/(.+)$/.exec(pathname);
  if (!match) return null;
  return { modelId: `${decodeURIComponent(match[1])}/${decodeURIComponent(match[2])}`, path: decodeURIComponent(match[3]) };
}

async function sha256Hex(body: ArrayBuffer): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', body));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Why a cached file cannot be used as it is, or null when it can. */
export function sizeProblem(actual: number, expected: number | null): string | null {
  if (actual === 0) return 'empty';
  if (expected !== null && actual !== expected) return `incomplete (${actual} of ${expected} bytes)`;
  return null;
}

export class VerifiedCache {
  private modelId = '';
  private manifestSource: () => Promise<Manifest> = async () => new Map();
  private manifest: Promise<Manifest> | null = null;
  /** The manifest once fetched; until then, what each entry recorded when it was stored. */
  private known: Manifest = new Map();
  private onRepair: (notice: string) => void = () => {};
  private reading = new GraphReading(false, false);
  /** Models deleted since their load began: their files still arriving are not stored. */
  private readonly dropped = new Set<string>();

  constructor(private readonly name: string = env.cacheKey) {}

  /**
   * Starts a load: where to learn what its files must be (asked at most once,
   * and only when needed; empty when the hub cannot be asked), where to say
   * what was repaired, and how the runtime reads its graphs (graph-reading.ts:
   * on WASM with fresh key and value outputs, and split from their weights).
   */
  beginLoad(modelId: string, manifest: () => Promise<Manifest>, onRepair: (notice: string) => void, reading: GraphReading): void {
    this.reading = reading;
    this.dropped.delete(modelId);
    this.modelId = modelId;
    this.manifestSource = manifest;
    this.manifest = null;
    this.known = new Map();
    this.onRepair = onRepair;
  }

  private loadManifest(): Promise<Manifest> {
    if (this.manifest) return this.manifest;
    // A hub that does not answer leaves the checks to the sizes recorded with each file; it never holds up a load.
    const timeout = new Promise<Manifest>((resolve) => setTimeout(() => resolve(new Map()), MANIFEST_TIMEOUT_MS));
    this.manifest = Promise.race([this.manifestSource(), timeout]).then(
      (manifest) => (this.known = manifest),
      () => new Map(),
    );
    return this.manifest;
  }

  /** The model's cache was deleted: a download of it still running must not store its files. */
  drop(modelId: string): void {
    this.dropped.add(modelId);
  }

  /**
   * The Cache Storage behind it, or null where the page may not use one (a
   * widget framed by another site whose storage is blocked): files are then
   * neither found nor kept, and each load downloads them into memory.
   */
  private async open(): Promise<Cache | null> {
    return (await cacheStorageUsable()) ? caches.open(this.name) : null;
  }

  /** `key`'s file as the load reads it; a split graph's two parts (graph-reading.ts) are both read from the one file the hub serves. */
  async match(key: string): Promise<Response | undefined> {
    const cache = await this.open();
    if (!cache) return undefined;
    const fileKey = this.reading.splitPart(key)?.graphUrl ?? key;
    if (parseFileUrl(fileKey) === null) return cache.match(fileKey);
    const checked = await this.checkedFile(cache, fileKey);
    return checked ? this.reading.fromCache(key, checked.file, checked.headers) : undefined;
  }

  /**
   * `url`'s file as the hub serves it, when the cache holds it at the size it
   * must have; else null. A Blob of Cache Storage is on disk: nothing is read yet.
   */
  async wholeFile(url: string): Promise<Blob | null> {
    const cache = await this.open();
    if (!cache || parseFileUrl(url) === null) return null;
    return (await this.checkedFile(cache, url))?.file ?? null;
  }

  /** Whether this page may keep files in Cache Storage (a widget framed by another site may not). */
  async keepsFiles(): Promise<boolean> {
    return (await this.open()) !== null;
  }

  /** A hub file from the cache, its size checked: an empty or truncated one is deleted and reported. */
  private async checkedFile(cache: Cache, url: string): Promise<{ file: Blob; headers: Headers } | null> {
    const response = await cache.match(url);
    if (!response) return null;
    const file = await response.blob();
    const problem = sizeProblem(file.size, this.expectedSize(url, response));
    if (problem === null) return { file, headers: response.headers };
    await cache.delete(url);
    this.onRepair(`${parseFileUrl(url)?.path ?? url} in the browser cache was ${problem}, so it was deleted and is downloaded again.`);
    return null;
  }

  /** Stores a complete file with what it must be; an incomplete one, or one of a model deleted meanwhile, is not stored. */
  async put(key: string, response: Response): Promise<void> {
    // The runtime's own files (ONNX Runtime's WASM) are stored as they come.
    if (parseFileUrl(key) === null) return (await this.open())?.put(key, response);
    // A split graph's parts are not files of the hub's: its download stores the file itself.
    if (this.reading.splitPart(key)) return;
    if (this.reading.freshKvOutputs && isGraphFileUrl(key)) {
      // transformers.js stores the bytes it read, fresh outputs and all; the cache keeps the file as the hub serves it.
      const file = await withoutFreshKvAppendix(await response.blob());
      const headers = new Headers(response.headers);
      headers.set('content-length', String(file.size));
      return this.store(key, headers, file);
    }
    return this.store(key, response.headers, response.body);
  }

  /** Stores a finished download, the Blob of its stored parts, like `put`. */
  putFile(key: string, file: Blob, headers: Headers): Promise<void> {
    return this.store(key, headers, file);
  }

  private async store(key: string, served: Headers, body: ReadableStream<Uint8Array> | Blob | null): Promise<void> {
    const cache = await this.open();
    if (!cache) return;
    const modelId = parseFileUrl(key)?.modelId;
    if (modelId === undefined || this.dropped.has(modelId)) return;
    const expected = modelId === this.modelId ? (await this.loadManifest()).get(key) : undefined;
    if (this.dropped.has(modelId)) return;
    const length = Number(served.get('content-length') ?? NaN);
    const size = expected?.size ?? (Number.isFinite(length) ? length : null);
    if (size === null || size === 0 || (Number.isFinite(length) && length !== size)) return;
    const headers = new Headers(served);
    headers.set(EXPECTED_SIZE, String(size));
    if (expected?.sha256) headers.set(EXPECTED_SHA256, expected.sha256);
    await cache.put(key, new Response(body, { status: 200, headers }));
  }

  /**
   * After a failed load: hashes each cached file of its model that has a
   * known SHA-256 (the hub's, or the one recorded when it was stored) and
   * deletes those that differ. Resolves with the damaged files' paths; a load
   * is worth trying again only when there are some.
   */
  async repairAfterFailure(): Promise<string[]> {
    const cache = await this.open();
    if (!cache) return [];
    const manifest = await this.loadManifest();
    const damaged: string[] = [];
    for (const request of await cache.keys()) {
      const file = parseFileUrl(request.url);
      if (file?.modelId !== this.modelId) continue;
      const response = await cache.match(request);
      const expected = manifest.get(request.url)?.sha256 ?? response?.headers.get(EXPECTED_SHA256);
      if (!response || !expected) continue;
      if ((await sha256Hex(await response.arrayBuffer())) === expected) continue;
      await cache.delete(request);
      damaged.push(file.path);
    }
    if (damaged.length > 0) {
      this.onRepair(`${damaged.join(', ')} in the browser cache did not match the hub's checksum, so ${damaged.length === 1 ? 'it was' : 'they were'} deleted and downloaded again.`);
    }
    return damaged;
  }

  private expectedSize(key: string, response: Response): number | null {
    const recorded = Number(this.known.get(key)?.size ?? response.headers.get(EXPECTED_SIZE) ?? response.headers.get('content-length') ?? NaN);
    return Number.isFinite(recorded) ? recorded : null;
  }
}
