/**
 * How one load reads its graph files, whether they come from the network or
 * from the browser's cache. The cache itself keeps files as the hub serves
 * them; the runtime reads them changed in two ways:
 * - on WASM, with fresh key and value outputs (model-build/fresh-kv-outputs.ts),
 *   so the worker keeps the KV cache;
 * - split (model-build/external-weights.ts): a graph whose weights are inline
 *   is read as the graph alone, with its weights as external data, plus the
 *   file itself as that data, under the name transformers.js asks for
 *   (`{graph}_data`). The runtime then builds its session without parsing the
 *   weights inside its heap: less memory at load, and a faster build (on
 *   WebGPU the weights go from the file straight to the GPU). A split graph
 *   is also given `num_logits_to_keep` where it lacks it
 *   (model-build/logits-rows.ts), so a prefill computes the positions past
 *   the last attention for the last row alone.
 */
import { FRESH_KV_APPENDIX_BYTES, withFreshKvOutputs } from '../model-build/fresh-kv-outputs.ts';
import { graphOfStream, graphWithExternalWeights } from '../model-build/external-weights.ts';
import { withNumLogitsToKeep } from '../model-build/logits-rows.ts';
import type { BlobBytes } from './blob-bytes.ts';
import { DownloadServerError } from './load-errors.ts';
import type { Fetch } from './resumable-download.ts';

/** An ONNX graph file, not one of its external-data files. */
const GRAPH_FILE = /\.onnx$/;
/** What transformers.js appends to a graph's URL for its first external-data file. */
const DATA_SUFFIX = '_data';

export function isGraphFileUrl(url: string): boolean {
  return GRAPH_FILE.test(new URL(url).pathname);
}

/** The external-data file's name for a graph file's name or URL. */
export function splitDataName(graph: string): string {
  return `${graph}${DATA_SUFFIX}`;
}

/** The graph with its fresh outputs, streamed; a response that is not a whole file passes as it is. */
function freshKvResponse(response: Response, size: number): Response {
  if (response.status !== 200 || !response.body || !Number.isFinite(size)) return response;
  const headers = new Headers(response.headers);
  // transformers.js sizes its read buffer by this.
  headers.set('content-length', String(size + FRESH_KV_APPENDIX_BYTES));
  return new Response(withFreshKvOutputs(response.body), { status: 200, statusText: response.statusText, headers });
}

function sized(body: BodyInit, size: number, served: Headers): Response {
  const headers = new Headers(served);
  headers.set('content-length', String(size));
  return new Response(body, { status: 200, headers });
}

/**
 * A split graph whose weights the runtime reads a tensor at a time
 * (blob-bytes.ts), mounted before its download: transformers.js asks for the
 * graph part only, and its download fills the weights.
 */
export interface MountedDownload {
  data: BlobBytes;
  /** The finished file as the cache keeps it; null where it could not keep it (storage full). */
  storedFile: () => Promise<Blob | null>;
  onProgress: (loaded: number, total: number) => void;
}

/** One graph file's two parts as a load reads them from a network download: each handed out once. */
interface SplitDownload {
  graph: Promise<Response> | null;
  data: Promise<Response> | null;
}

export class GraphReading {
  /** Paths of split graphs, `{repo}/resolve/main/{path}`, as their URLs end. */
  private readonly splitPaths = new Set<string>();
  /** Split graphs whose weights are mounted, by the graph file's URL. */
  private readonly mounted = new Map<string, MountedDownload>();

  constructor(
    /** Add each layer's fresh keys and values to the graph's outputs, where its cache is grown by Concat. */
    readonly freshKvOutputs: boolean,
    /** Read graphs whose weights are inline split, once the load names them (`split`). */
    readonly externalWeights: boolean,
  ) {}

  /** Reads `path` of `repo` split: its URL answers with the graph alone, and `{URL}_data` with the file. */
  split(repo: string, path: string): void {
    if (this.externalWeights) this.splitPaths.add(`${repo}/resolve/main/${path}`);
  }

  /** The weights of the split graph at `graphUrl` are `download.data`, which its download fills. */
  mount(graphUrl: string, download: MountedDownload): void {
    this.mounted.set(graphUrl, download);
  }

  /** Which part of a split graph `url` asks for, and the graph file's URL; null for any other file. */
  splitPart(url: string): { part: 'graph' | 'data'; graphUrl: string } | null {
    const { pathname } = new URL(url);
    const graphPath = pathname.endsWith(DATA_SUFFIX) ? pathname.slice(0, -DATA_SUFFIX.length) : pathname;
    if (![...this.splitPaths].some((path) => graphPath.endsWith(`/${path}`))) return null;
    return { part: graphPath === pathname ? 'graph' : 'data', graphUrl: graphPath === pathname ? url : url.slice(0, -DATA_SUFFIX.length) };
  }

  /**
   * The file of `repo` whose bytes a read of `path` reports: a split graph's
   * data part is the graph file itself; its graph part, made from that file,
   * reports nothing.
   */
  progressPath(repo: string, path: string): string | null {
    const prefix = `${repo}/resolve/main/`;
    if (this.splitPaths.has(prefix + path)) return null;
    const graphPath = path.endsWith(DATA_SUFFIX) ? path.slice(0, -DATA_SUFFIX.length) : null;
    return graphPath !== null && this.splitPaths.has(prefix + graphPath) ? graphPath : path;
  }

  /** A split graph's bytes as the runtime reads them. */
  private graphResponse(split: Uint8Array, served: Headers): Response {
    const graph = withNumLogitsToKeep(split) ?? split;
    const response = sized(new Blob([graph as BlobPart]), graph.length, served);
    return this.freshKvOutputs ? freshKvResponse(response, graph.length) : response;
  }

  /**
   * `url`'s file as the runtime reads it, from `file`, the cached file the hub
   * serves. A split graph that cannot be walked is answered with a body that
   * fails, not with an exception: transformers.js takes a failed cache read for
   * a miss and would fetch the graph part alone, while its data part came from
   * here.
   */
  async fromCache(url: string, file: Blob, served: Headers): Promise<Response> {
    const split = this.splitPart(url);
    if (split?.part === 'data') return sized(file, file.size, served);
    if (split) {
      try {
        return this.graphResponse(await graphWithExternalWeights(file, splitDataName(fileName(url))), served);
      } catch (error) {
        return new Response(new ReadableStream({ start: (controller) => controller.error(error) }), { status: 200, headers: served });
      }
    }
    const response = sized(file, file.size, served);
    return this.freshKvOutputs && isGraphFileUrl(url) ? freshKvResponse(response, file.size) : response;
  }

  /** The fetch one load attempt reads through: a split graph's two parts come from one download of its file. */
  fetch(base: Fetch): Fetch {
    const downloads = new Map<string, SplitDownload>();
    return async (input, init) => {
      const url = String(input);
      const split = this.splitPart(url);
      if (split) {
        // transformers.js asks for a file's first byte to learn its size: the graph file's answers for both parts.
        const wholeFile = (init?.method ?? 'GET') === 'GET' && !new Headers(init?.headers).has('range');
        if (!wholeFile) return base(split.graphUrl, init);
        const mounted = split.part === 'graph' ? this.mounted.get(split.graphUrl) : undefined;
        if (mounted) return this.fromMountedDownload(mounted, split.graphUrl, () => base(split.graphUrl, init));
        return this.fromDownload(downloads, split.part, split.graphUrl, () => base(split.graphUrl, init));
      }
      const response = await base(input, init);
      const size = Number(response.headers.get('content-length') ?? NaN);
      return this.freshKvOutputs && isGraphFileUrl(url) ? freshKvResponse(response, size) : response;
    };
  }

  /**
   * The graph part, walked from the download as it passes, which keeps
   * nothing of it; then the weights are the file the cache now keeps. Where
   * the cache could not keep it after all (storage full), the file is
   * downloaded again into a Blob: holding the first download's bytes in case
   * would keep them in memory while the runtime fills its heap, the peak this
   * avoids.
   */
  private async fromMountedDownload(mounted: MountedDownload, graphUrl: string, download: () => Promise<Response>): Promise<Response> {
    const response = await download();
    if (response.status !== 200 || !response.body) return response;
    const graph = await graphOfStream(counted(response.body, response.headers, mounted.onProgress), splitDataName(fileName(graphUrl)));
    mounted.data.attach((await mounted.storedFile()) ?? (await downloadAgain(graphUrl, download, mounted.onProgress)));
    return this.graphResponse(graph, response.headers);
  }

  /**
   * The data part streams the download on to the runtime as it arrives; the
   * graph part, walked from a second branch of it, settles once the whole
   * file has passed, and fails with it. A branch no one reads holds what
   * passed: the graph is walked even if the data part is never asked for.
   */
  private fromDownload(downloads: Map<string, SplitDownload>, part: 'graph' | 'data', graphUrl: string, download: () => Promise<Response>): Promise<Response> {
    let entry = downloads.get(graphUrl);
    if (!entry) {
      const parts = download().then((response) => {
        if (response.status !== 200 || !response.body) return { data: response, graph: Promise.resolve(response.clone()) };
        const [data, walked] = response.body.tee();
        return {
          data: new Response(data, { status: 200, statusText: response.statusText, headers: response.headers }),
          graph: graphOfStream(walked, splitDataName(fileName(graphUrl))).then((graph) => this.graphResponse(graph, response.headers)),
        };
      });
      const graph = parts.then((parts) => parts.graph);
      const data = parts.then((parts) => parts.data);
      // A part never asked for (its load failed first) must not report its failure as unhandled.
      for (const pending of [graph, data]) pending.catch(() => undefined);
      entry = { graph, data };
      downloads.set(graphUrl, entry);
    }
    const response = entry[part];
    if (!response) throw new Error(`${graphUrl} was asked for twice in one load.`);
    entry[part] = null;
    if (!entry.graph && !entry.data) downloads.delete(graphUrl);
    return response;
  }
}

/** A download's body, its bytes so far reported as they pass. */
function counted(body: ReadableStream<Uint8Array>, served: Headers, onProgress: (loaded: number, total: number) => void): ReadableStream<Uint8Array> {
  const total = Number(served.get('content-length') ?? 0);
  let loaded = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        loaded += chunk.byteLength;
        onProgress(loaded, total);
        controller.enqueue(chunk);
      },
    }),
  );
}

/** The second download of a file the cache could not keep: its progress starts again from zero, as the bytes do. */
async function downloadAgain(graphUrl: string, download: () => Promise<Response>, onProgress: (loaded: number, total: number) => void): Promise<Blob> {
  const response = await download();
  if (response.status !== 200 || !response.body) throw new DownloadServerError(response.status, graphUrl);
  onProgress(0, Number(response.headers.get('content-length') ?? 0));
  return new Response(counted(response.body, response.headers, onProgress)).blob();
}

function fileName(url: string): string {
  const { pathname } = new URL(url);
  return decodeURIComponent(pathname.slice(pathname.lastIndexOf('/') + 1));
}
