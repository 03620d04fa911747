/**
 * What models cost and what the browser keeps of them. Download sizes per
 * dtype come from the hub's tree API (`GET {host}api/models/{id}/tree/main`);
 * cached state and sizes on disk from the Cache Storage cache transformers.js
 * downloads into (`env.cacheKey`, 'transformers-cache'), whose keys are the
 * files' hub URLs: `{host}{owner}/{name}/resolve/main/{path}`.
 */
import { env } from '@huggingface/transformers';
import { invalidRequest, modelNotFound } from '../../src/protocol/errors.ts';
import type { ModelArchitecture } from '../../src/protocol/memory.ts';
import type { CachedModel, CachedModelList, CacheDeleteResult, DtypeDownload, ModelFile, ModelSizes } from '../../src/protocol/storage.ts';
import type { Dtype } from '../../src/protocol/types.ts';
import { validateModelField } from '../../src/protocol/validation.ts';
import { parseGgufModelId, type GgufModelId } from '../../src/protocol/model-id.ts';
import { DEFAULT_MODEL_FILE_NAME, DTYPE_SUFFIX, GGUF_DTYPES, catalogEntry, resolveModelHost } from './catalog.ts';
import { convertedHost } from './gguf-load.ts';
import { browserOffline } from './load-errors.ts';
import { READ_ORDER_CACHE_NAME } from './read-order-store.ts';
import { PARTIAL_CACHE_NAME, parseSegmentKey, type Fetch } from './resumable-download.ts';
import { parseFileUrl, type Manifest, type VerifiedCache } from './verified-cache.ts';
import { completeDtypes, conversionComplete, conversionRecordPath, type ConversionFiles, type LoadConfig } from './model-files.ts';

/** The files besides the ONNX graph that a load fetches, where the repository has them. */
const SUPPORT_FILES = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json'];
/** Listed smallest first, as the UI shows them. */
const ALL_DTYPES: Dtype[] = ['q4f16', 'q4', 'q8', 'fp16', 'fp32'];
const REVISION = 'main';

/** One entry of the hub's tree listing. LFS and Xet files give their real size in `lfs.size`. */
interface TreeEntry {
  type: 'file' | 'directory';
  path: string;
  size: number;
  /** `oid` is the content's SHA-256. */
  lfs?: { size: number; oid?: string };
}

interface HubConfig {
  num_hidden_layers?: number;
  num_attention_heads?: number;
  num_key_value_heads?: number;
  head_dim?: number;
  hidden_size?: number;
  vocab_size?: number;
  max_position_embeddings?: number;
}

function fileUrl(host: string, modelId: string, path: string): string {
  return `${host}${modelId}/resolve/${REVISION}/${path}`;
}

function graphPath(modelFileName: string, dtype: Dtype): string {
  return `onnx/${modelFileName}${DTYPE_SUFFIX[dtype]}.onnx`;
}

/** `{graph}_data`, `{graph}_data_1`, …: the external-data chunks transformers.js fetches next to a graph. */
function isExternalDataOf(graph: string, path: string): boolean {
  return path === `${graph}_data` || new RegExp(`^${graph.replaceAll('.', '\\.')}_data_\\d+$`).test(path);
}

async function bytesOf(response: Response): Promise<number> {
  const length = response.headers.get('content-length');
  return length !== null ? Number(length) : (await response.blob()).size;
}

/** Deletes the entries whose URL `matches`; resolves with how many and their bytes. */
async function deleteEntries(cache: Cache, matches: (url: string) => boolean): Promise<{ entries: number; bytes: number }> {
  let entries = 0;
  let bytes = 0;
  for (const request of await cache.keys()) {
    if (!matches(request.url)) continue;
    const response = await cache.match(request);
    if (response) bytes += await bytesOf(response);
    if (await cache.delete(request)) entries += 1;
  }
  return { entries, bytes };
}

function hasCacheStorage(): boolean {
  return typeof caches !== 'undefined';
}

function architectureOf(config: HubConfig): ModelArchitecture | null {
  const { num_hidden_layers: layers, num_attention_heads: heads, hidden_size: hidden, vocab_size: vocab } = config;
  if (!layers || !heads || !hidden || !vocab) return null;
  return {
    layers,
    kv_heads: config.num_key_value_heads ?? heads,
    head_dim: config.head_dim ?? hidden / heads,
    hidden_size: hidden,
    vocab_size: vocab,
    max_position_embeddings: config.max_position_embeddings ?? 16384,
  };
}

/** A stored file: its cache key and its size. */
interface StoredFile {
  request: Request;
  bytes: number;
}

/** The cached files of the models `wanted` accepts, by model id, then by path. */
async function storedFiles(cache: Cache, wanted: (modelId: string) => boolean): Promise<Map<string, Map<string, StoredFile>>> {
  const models = new Map<string, Map<string, StoredFile>>();
  for (const request of await cache.keys()) {
    const file = parseFileUrl(request.url);
    if (!file || !wanted(file.modelId)) continue;
    const response = await cache.match(request);
    if (!response) continue;
    const files = models.get(file.modelId) ?? new Map<string, StoredFile>();
    files.set(file.path, { request, bytes: await bytesOf(response) });
    models.set(file.modelId, files);
  }
  return models;
}

/** A stored JSON file's content, or null when it is missing or not JSON. */
async function storedJson(cache: Cache, file: StoredFile | undefined): Promise<unknown> {
  const response = file && (await cache.match(file.request));
  if (!response) return null;
  try {
    return (await response.json()) as unknown;
  } catch {
    return null;
  }
}

/**
 * The dtypes of a model whose every file is cached. A GGUF model's dtype is its
 * finished conversion (`conversion-{dtype}.json`, written after every file it
 * lists); an ONNX model's, every file a load of it reads, as config.json and
 * the catalog name them.
 */
async function cachedDtypes(cache: Cache, modelId: string, files: ReadonlyMap<string, StoredFile>): Promise<Dtype[]> {
  const sizes = new Map([...files].map(([path, file]) => [path, file.bytes]));
  if (parseGgufModelId(modelId)) {
    const complete: Dtype[] = [];
    for (const dtype of GGUF_DTYPES) {
      const record = (await storedJson(cache, files.get(conversionRecordPath(dtype)))) as ConversionFiles | null;
      if (conversionComplete(sizes, record)) complete.push(dtype);
    }
    return ALL_DTYPES.filter((dtype) => complete.includes(dtype));
  }
  const entry = catalogEntry(modelId);
  const config = (await storedJson(cache, files.get('config.json'))) as LoadConfig | null;
  return completeDtypes({ sizes, config }, ALL_DTYPES, entry?.modelFileName ?? DEFAULT_MODEL_FILE_NAME, entry?.externalData);
}

export class ModelStore {
  constructor(
    private readonly devModelHost: string | null,
    private readonly fetch: Fetch,
    /** Told of deletions, so a download still running does not store the deleted model again. */
    private readonly verifiedCache: VerifiedCache | null = null,
  ) {}

  /** What each file of a model must be (size, SHA-256), by hub URL; empty when the hub cannot be asked. */
  async manifest(modelId: string, host: string): Promise<Manifest> {
    const tree = await this.tree(host, modelId).catch(() => 'unavailable');
    const manifest: Manifest = new Map();
    if (typeof tree === 'string') return manifest;
    for (const item of tree) {
      if (item.type !== 'file') continue;
      manifest.set(fileUrl(host, modelId, item.path), { path: item.path, size: item.lfs?.size ?? item.size, sha256: item.lfs?.oid ?? null });
    }
    return manifest;
  }

  /** Download size per dtype, which dtypes are cached, and the layer geometry for a memory estimate. */
  async sizes(modelIdInput: unknown): Promise<ModelSizes> {
    const id = validateModelField(modelIdInput);
    const host = resolveModelHost(id, this.devModelHost);
    const gguf = parseGgufModelId(id);
    if (gguf) return this.ggufSizes(id, gguf, host);
    const entry = catalogEntry(id);
    const modelFileName = entry?.modelFileName ?? DEFAULT_MODEL_FILE_NAME;
    const cached = await this.cachedFiles(id);
    const [tree, architecture] = await Promise.all([this.tree(host, id), this.architecture(host, id)]);
    if (typeof tree === 'string') {
      return { object: 'model.sizes', id, dtypes: null, architecture, unavailable_reason: tree };
    }

    const files = new Map(tree.filter((item) => item.type === 'file').map((item) => [item.path, item.lfs?.size ?? item.size]));
    const support: ModelFile[] = SUPPORT_FILES.filter((path) => files.has(path)).map((path) => ({ path, bytes: files.get(path)! }));
    const dtypes: DtypeDownload[] = [];
    for (const dtype of entry?.dtypes ?? ALL_DTYPES) {
      const graph = graphPath(modelFileName, dtype);
      if (!files.has(graph)) continue;
      const weights: ModelFile[] = [...files]
        .filter(([path]) => path === graph || isExternalDataOf(graph, path))
        .map(([path, bytes]) => ({ path, bytes }));
      const all = [...support, ...weights];
      dtypes.push({
        dtype,
        files: all,
        download_bytes: all.reduce((sum, file) => sum + file.bytes, 0),
        weights_bytes: weights.reduce((sum, file) => sum + file.bytes, 0),
        cached: all.every((file) => cached.has(file.path)),
      });
    }
    if (dtypes.length === 0) {
      throw invalidRequest(
        `'${id}' has no ONNX weights this app can load: the repository has no ${graphPath(modelFileName, 'q4')} or other onnx/${modelFileName}*.onnx files. Pick an ONNX export made for transformers.js, such as one from onnx-community.`,
        'model',
        'model_not_onnx',
      );
    }
    return { object: 'model.sizes', id, dtypes, architecture, unavailable_reason: null };
  }

  /**
   * A GGUF model downloads its one file and converts it; its dtypes are the converted graph's
   * compute precision, cached once converted. The header (read with Range requests, a few MB)
   * gives the geometry, and refuses a file the converter cannot build before anything downloads.
   */
  private async ggufSizes(id: string, gguf: GgufModelId, host: string): Promise<ModelSizes> {
    const cached = await this.cachedFiles(id);
    const tree = await this.tree(host, gguf.repo);
    const architecture = await this.ggufArchitecture(gguf, host);
    if (typeof tree === 'string') return { object: 'model.sizes', id, dtypes: null, architecture, unavailable_reason: tree };
    const entry = tree.find((item) => item.type === 'file' && item.path === gguf.file);
    if (!entry) throw modelNotFound(id, `was not found: the repository ${gguf.repo} has no file ${gguf.file}.`);
    const bytes = entry.lfs?.size ?? entry.size;
    const dtypes: DtypeDownload[] = GGUF_DTYPES.map((dtype) => ({
      dtype,
      files: [{ path: gguf.file, bytes }],
      download_bytes: bytes,
      weights_bytes: bytes,
      cached: cached.has(conversionRecordPath(dtype)),
    }));
    return { object: 'model.sizes', id, dtypes, architecture, unavailable_reason: null };
  }

  /**
   * The geometry of a converted GGUF model, from its cached config.json. Before the first
   * conversion it is unknown: reading each file's header (megabytes of token strings) whenever the
   * library lists sizes would cost more than the estimate is worth. A load reads the header first
   * anyway, and refuses what cannot fit before any weight downloads.
   */
  private async ggufArchitecture(gguf: GgufModelId, host: string): Promise<ModelArchitecture | null> {
    if (!hasCacheStorage()) return null;
    const config = await (await caches.open(env.cacheKey)).match(fileUrl(convertedHost(host, gguf.file), gguf.repo, 'config.json'));
    return config ? architectureOf((await config.json()) as HubConfig) : null;
  }

  /** Every model with files in the browser cache, with its bytes on disk. */
  async list(): Promise<CachedModelList> {
    if (!hasCacheStorage()) return { object: 'list', data: [] };
    const models = new Map<string, CachedModel>();
    const modelFor = (id: string) => {
      let model = models.get(id);
      if (!model) {
        model = { id, files: [], bytes: 0, partial_bytes: 0, dtypes: [] };
        models.set(id, model);
      }
      return model;
    };
    const complete = await caches.open(env.cacheKey);
    const stored = await storedFiles(complete, () => true);
    for (const [id, files] of stored) {
      const model = modelFor(id);
      for (const [path, { bytes }] of files) {
        model.files.push({ path, bytes });
        model.bytes += bytes;
      }
    }
    const partial = await caches.open(PARTIAL_CACHE_NAME);
    for (const request of await partial.keys()) {
      const segment = parseSegmentKey(request.url);
      const file = segment && parseFileUrl(segment.url);
      const response = file && (await partial.match(request));
      if (!file || !response) continue;
      modelFor(file.modelId).partial_bytes += await bytesOf(response);
    }
    for (const model of models.values()) {
      model.dtypes = await cachedDtypes(complete, model.id, stored.get(model.id) ?? new Map());
      model.files.sort((a, b) => a.path.localeCompare(b.path));
    }
    return { object: 'list', data: [...models.values()].sort((a, b) => a.id.localeCompare(b.id)) };
  }

  /** Removes every cached file of a model, interrupted downloads included. The loaded model keeps running. */
  async delete(modelIdInput: unknown): Promise<CacheDeleteResult> {
    const id = validateModelField(modelIdInput);
    this.verifiedCache?.drop(id);
    if (!hasCacheStorage()) return { id, object: 'model.cache.deleted', deleted: false, files_deleted: 0, bytes_freed: 0 };
    const complete = await deleteEntries(await caches.open(env.cacheKey), (url) => parseFileUrl(url)?.modelId === id);
    const partial = await deleteEntries(await caches.open(PARTIAL_CACHE_NAME), (url) => {
      const segment = parseSegmentKey(url);
      return segment !== null && parseFileUrl(segment.url)?.modelId === id;
    });
    // What the runtime's reads of its graphs were: a few kilobytes, not counted as files.
    await deleteEntries(await caches.open(READ_ORDER_CACHE_NAME), (url) => parseFileUrl(url)?.modelId === id);
    return {
      id,
      object: 'model.cache.deleted',
      deleted: complete.entries + partial.entries > 0,
      files_deleted: complete.entries,
      bytes_freed: complete.bytes + partial.bytes,
    };
  }

  /** Whether a model can load without downloading anything: every file of one of its dtypes is cached. */
  async isCached(modelId: string): Promise<boolean> {
    if (!hasCacheStorage()) return false;
    const cache = await caches.open(env.cacheKey);
    const files = (await storedFiles(cache, (id) => id === modelId)).get(modelId);
    return files !== undefined && (await cachedDtypes(cache, modelId, files)).length > 0;
  }

  private async cachedFiles(modelId: string): Promise<Set<string>> {
    if (!hasCacheStorage()) return new Set();
    const cache = await caches.open(env.cacheKey);
    const paths = new Set<string>();
    for (const request of await cache.keys()) {
      const file = parseFileUrl(request.url);
      if (file?.modelId === modelId) paths.add(file.path);
    }
    return paths;
  }

  /**
   * The repository's files, following the hub's `Link: <…>; rel="next"` pages.
   * A string says why the hub could not be asked; a missing or private model is an error.
   */
  private async tree(host: string, modelId: string): Promise<TreeEntry[] | string> {
    // Offline, asking would only fail: a cached model then loads with no network request at all.
    if (browserOffline()) return 'The browser is offline, so download sizes are unknown.';
    const entries: TreeEntry[] = [];
    let next: string | null = `${host}api/models/${modelId}/tree/${REVISION}?recursive=true`;
    while (next) {
      let response: Response;
      try {
        response = await this.fetch(next);
      } catch {
        return 'The hub could not be reached (offline?), so download sizes are unknown.';
      }
      if (response.status === 404) throw modelNotFound(modelId, 'was not found on the Hugging Face hub. Check the owner/name spelling.');
      if (response.status === 401 || response.status === 403) {
        throw modelNotFound(modelId, 'is private or gated on the Hugging Face hub; this app downloads only public models.');
      }
      if (!response.ok) return `The hub answered HTTP ${response.status}, so download sizes are unknown.`;
      for (const entry of (await response.json()) as TreeEntry[]) entries.push(entry);
      next = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get('link') ?? '')?.[1] ?? null;
    }
    return entries;
  }

  /** config.json's layer geometry, from the cache when a load already stored it, else from the hub. */
  private async architecture(host: string, modelId: string): Promise<ModelArchitecture | null> {
    const url = fileUrl(host, modelId, 'config.json');
    try {
      const cached = hasCacheStorage() ? await (await caches.open(env.cacheKey)).match(url) : undefined;
      // Offline, asking would only fail, as for the tree: the estimate is then unknown, with no request made.
      if (!cached && browserOffline()) return null;
      const response = cached ?? (await this.fetch(url));
      if (!response.ok) return null;
      return architectureOf((await response.json()) as HubConfig);
    } catch {
      // Offline, or not JSON: the estimate is then unknown, which the UI says.
      return null;
    }
  }
}
