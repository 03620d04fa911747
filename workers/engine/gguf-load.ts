/**
 * GGUF checkpoints, converted in the tab. The file is read with Range requests
 * (its header first, then one tensor at a time), each tensor is turned into the
 * ONNX graph's initializers by the one graph builder, and the converted model
 * is stored in the download cache in the hub's layout, under a host path named
 * for the file: `{host}gguf-converted/{file}/{repo}/resolve/main/onnx/model_q4.onnx`
 * (transformers.js 4.3.1 looks for a tokenizer at the main revision whatever
 * revision it is given, so the file is named in the path instead). A second
 * load finds it there and converts nothing; the library lists it like any
 * download, and Delete removes it.
 */
import { invalidRequest } from '../../src/protocol/errors.ts';
import { contextLength, WASM_MEMORY_LIMIT_BYTES } from '../../src/protocol/memory.ts';
import type { GgufModelId } from '../../src/protocol/model-id.ts';
import type { Device, Dtype } from '../../src/protocol/types.ts';
import { chunkFileName } from '../model-build/external-data.ts';
import { conversionRecordPath } from './model-files.ts';
import { GgmlType } from '../model-build/ggml-blocks.ts';
import { convertGguf } from '../model-build/gguf-convert.ts';
import { readGgufHeader } from '../model-build/gguf-file.ts';
import { ggufModel, type GgufModel } from '../model-build/gguf-model.ts';
import { tensorByteLength } from '../model-build/gguf-weights.ts';
import { DEFAULT_MODEL_FILE_NAME, DTYPE_SUFFIX } from './catalog.ts';
import type { Fetch } from './resumable-download.ts';

const CONVERTED_PATH = 'gguf-converted';
/** The fewest tokens of context worth loading a model for: a refusal beats a model that cannot hold a question. */
export const MIN_CONTEXT_TOKENS = 512;
/** JS memory a chunk may gather before it is handed to a Blob, which the browser keeps outside the JS heap. */
const BLOB_PART_BYTES = 64 * 1024 ** 2;

/** The base URL a converted model is stored under, in the hub's layout: one per GGUF file. */
export function convertedHost(host: string, file: string): string {
  return `${host}${CONVERTED_PATH}/${encodeURIComponent(file)}/`;
}

/** The model id and path of a converted model's file, from its URL's path; null for any other URL. */
export function parseConvertedPath(pathname: string): { modelId: string; path: string } | null {
  const match = new RegExp(`/${CONVERTED_PATH}/([^/]+)/([^/]+)/([^/]+)/resolve/[^/]+/(.+)$`).exec(pathname);
  if (!match) return null;
  const [file, owner, name, path] = match.slice(1).map(decodeURIComponent);
  return { modelId: `${owner}/${name}/${file}`, path };
}

function graphFileName(dtype: Dtype): string {
  return `${DEFAULT_MODEL_FILE_NAME}${DTYPE_SUFFIX[dtype]}.onnx`;
}

/** What was converted, stored last: a conversion without it did not finish. */
interface ConversionRecord {
  source: { file: string; bytes: number };
  dtype: Dtype;
  /** Paths in the converted repository and their sizes. */
  files: Record<string, number>;
  external_data_chunks: number;
  weights_bytes: number;
  seconds: number;
}

/** Where the converted model's files are: the download cache where it can be used, else the blobs of this page's conversion. */
export interface ConvertedModel {
  /** Where transformers.js loads it from: `{host}{repo}/resolve/main/`. */
  host: string;
  repo: string;
  /** The graph's external-data chunk count, by graph file name. */
  externalData: Record<string, number>;
  weightsBytes: number;
  /** Files kept in memory, by URL, when the cache could not take them; served to the runtime by `fetch`. */
  unstored: Map<string, Blob>;
}

export interface GgufLoadRequest {
  id: GgufModelId;
  /** Base URL serving `{repo}/resolve/{revision}/{file}`: the hub or the dev mirror. */
  host: string;
  device: Device;
  dtype: Dtype;
  /** The network fetch, cancellable by the load. */
  fetch: Fetch;
  /** The download cache, or null where the page may not use one. */
  cache: Cache | null;
  onConvertProgress: (read: number, total: number) => void;
}

function fileUrl(host: string, repo: string, path: string): string {
  return `${host}${repo}/resolve/main/${path}`;
}

async function recordOf(cache: Cache, url: string): Promise<ConversionRecord | null> {
  const response = await cache.match(url);
  if (!response) return null;
  try {
    return (await response.json()) as ConversionRecord;
  } catch {
    return null;
  }
}

/** A finished conversion whose every file is still cached at its size. */
async function storedConversion(request: GgufLoadRequest, host: string): Promise<ConversionRecord | null> {
  if (!request.cache) return null;
  const { cache, id } = request;
  const record = await recordOf(cache, fileUrl(host, id.repo, conversionRecordPath(request.dtype)));
  if (!record) return null;
  for (const [path, bytes] of Object.entries(record.files)) {
    const response = await cache.match(fileUrl(host, id.repo, path));
    if (!response || (await response.blob()).size !== bytes) return null;
  }
  return record;
}

/**
 * Converted weights in bytes: the file's own, which MatMulNBits and GatherBlockQuantized keep at
 * their size, plus fp32 scales in q4 (the file's are fp16, one per 32 values), and a dequantized
 * embedding table at its float size.
 */
function convertedWeightsBytes(model: GgufModel, dtype: Dtype): number {
  const floatBytes = dtype === 'q4f16' ? 2 : 4;
  let bytes = 0;
  for (const tensor of model.tensors.values()) {
    const values = tensor.dims.reduce((product, dim) => product * dim, 1);
    if (tensor.name === 'token_embd.weight' && embeddingForm(model) === 'dequantize') bytes += values * floatBytes;
    else bytes += tensorByteLength(tensor) + (dtype === 'q4f16' ? 0 : (values / 32) * 2);
  }
  return bytes;
}

/**
 * The form of a converted graph. Fused norms (SimplifiedLayerNormalization and
 * SkipSimplifiedLayerNormalization) run on ORT's CPU and WebGPU providers and
 * gain on both; fused attention (GroupQueryAttention) prefills several times
 * slower on WASM (`npm run bench:graph`), and the cache holds one graph for
 * both devices, so attention stays plain. Logits are computed for the
 * positions the engine asks for (num_logits_to_keep): the last one, as a rule.
 */
const CONVERTED_GRAPH = { fused: { norms: true, attention: false }, numLogitsToKeep: true } as const;

/**
 * GatherBlockQuantized keeps the embedding table as small as the file's, but onnxruntime-web's CPU
 * provider runs it only for Q4_0's form (4 bits, no zero points): for another quantization the table
 * is dequantized (fp16 in q4f16, fp32 in q4).
 */
function embeddingForm(model: GgufModel): 'gather' | 'dequantize' {
  return model.tensors.get('token_embd.weight')?.type === GgmlType.Q4_0 ? 'gather' : 'dequantize';
}

/** Refuses, before any weight is read, a model WASM's 4 GiB heap cannot hold with a useful context. */
function checkFits(model: GgufModel, request: GgufLoadRequest, weightsBytes: number): void {
  if (request.device !== 'wasm') return;
  const { numLayers, numHeads, headDim } = model.config;
  const kvBytesPerToken = 2 * numLayers * numHeads * headDim * (request.dtype === 'q4f16' ? 2 : 4);
  if (contextLength(kvBytesPerToken, model.contextLength, { device: 'wasm', weightsBytes }) >= MIN_CONTEXT_TOKENS) return;
  const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
  throw invalidRequest(
    `'${request.id.repo}/${request.id.file}' needs about ${gib(weightsBytes + 2 * MIN_CONTEXT_TOKENS * kvBytesPerToken)} of WebAssembly memory (weights ${gib(weightsBytes)}, and a KV cache for ${MIN_CONTEXT_TOKENS} tokens), more than the ${gib(WASM_MEMORY_LIMIT_BYTES)} WASM can address. Load it on WebGPU.`,
    'device',
    'model_too_large',
  );
}

/** Gathers one external-data chunk as Blob parts, so the JS heap holds at most one part's bytes at a time. */
class ChunkCollector {
  private blob = new Blob([]);
  private parts: Uint8Array[] = [];
  private pending = 0;

  add(bytes: Uint8Array): void {
    this.parts.push(bytes);
    this.pending += bytes.length;
    if (this.pending >= BLOB_PART_BYTES) this.flush();
  }

  private flush(): void {
    this.blob = new Blob([this.blob, ...(this.parts as BlobPart[])]);
    this.parts = [];
    this.pending = 0;
  }

  finish(): Blob {
    this.flush();
    return this.blob;
  }
}

/**
 * The converted model for a GGUF load: the stored conversion where there is one, else a new
 * conversion, stored as it is made. Throws a 400 naming what is unsupported, or what memory a WASM
 * load would need, before any weight is read.
 */
export async function convertedGguf(request: GgufLoadRequest): Promise<ConvertedModel> {
  const { host, id, dtype, cache } = request;
  if (dtype !== 'q4' && dtype !== 'q4f16') {
    throw invalidRequest(`A GGUF model converts to q4 (fp32 compute) or q4f16 (fp16 compute); '${dtype}' is not one of them.`, 'dtype', 'dtype_unavailable');
  }
  const storedAt = convertedHost(host, id.file);
  const graphFile = graphFileName(dtype);
  const url = (path: string) => fileUrl(storedAt, id.repo, path);
  const stored = await storedConversion(request, storedAt);
  if (stored) {
    return { host: storedAt, repo: id.repo, externalData: { [graphFile]: stored.external_data_chunks }, weightsBytes: stored.weights_bytes, unstored: new Map() };
  }

  const started = performance.now();
  const sourceUrl = fileUrl(host, id.repo, id.file);
  const header = await readGgufHeader(sourceUrl, request.fetch);
  const model = ggufModel(header);
  const weightsBytes = convertedWeightsBytes(model, dtype);
  checkFits(model, request, weightsBytes);

  const files = new Map<string, Blob>();
  const keep = async (path: string, blob: Blob) => {
    files.set(path, blob);
    // Stored as soon as whole, so the page holds at most one chunk that is not yet on disk.
    if (cache) await cache.put(url(path), new Response(blob, { headers: { 'content-length': String(blob.size), 'x-expected-size': String(blob.size) } }));
  };
  const total = [...model.tensors.values()].reduce((sum, tensor) => sum + tensorByteLength(tensor), 0);
  let read = 0;
  let collector: { index: number; chunk: ChunkCollector } | null = null;
  const finishChunk = async () => {
    if (collector) await keep(`onnx/${chunkFileName(graphFile, collector.index)}`, collector.chunk.finish());
  };
  try {
    const built = await convertGguf({
      url: sourceUrl,
      fetch: request.fetch,
      header,
      build: { dtype, ...CONVERTED_GRAPH, quantizedEmbedding: embeddingForm(model) },
      modelFileName: graphFile,
      // Q4_K exactly (nibbles, scales and a bias per block), not rounded onto integer zero points: llama.cpp's numbers.
      kQuants: 'exact',
      onTensorRead: (_name, bytes) => {
        read += bytes;
        request.onConvertProgress(read, total);
      },
      sink: async (index, bytes) => {
        if (collector?.index !== index) {
          await finishChunk();
          collector = { index, chunk: new ChunkCollector() };
        }
        collector.chunk.add(bytes);
      },
    });
    await finishChunk();
    await keep(`onnx/${graphFile}`, new Blob([built.graph as BlobPart]));
    for (const [path, json] of Object.entries(built.files)) {
      await keep(path, new Blob([JSON.stringify(json, null, 2)], { type: 'application/json' }));
    }
    const record: ConversionRecord = {
      source: { file: id.file, bytes: total },
      dtype,
      files: Object.fromEntries([...files].map(([path, blob]) => [path, blob.size])),
      external_data_chunks: built.chunkFileNames.length,
      weights_bytes: weightsBytes,
      seconds: Math.round((performance.now() - started) / 100) / 10,
    };
    if (cache) await cache.put(url(conversionRecordPath(dtype)), Response.json(record));
    return {
      host: storedAt,
      repo: id.repo,
      externalData: { [graphFile]: built.chunkFileNames.length },
      weightsBytes,
      // Stored files are read back from the cache by the runtime; only unstored ones stay in memory.
      unstored: cache ? new Map() : new Map([...files].map(([path, blob]) => [url(path), blob])),
    };
  } catch (error) {
    // A conversion cut short leaves no graph behind to be mistaken for a model.
    if (cache) for (const path of files.keys()) if (path.startsWith('onnx/')) await cache.delete(url(path));
    throw error;
  }
}

/** The runtime's fetch for a converted model: its files from memory where the cache could not keep them. */
export function convertedFetch(converted: ConvertedModel, fetch: Fetch): Fetch {
  if (converted.unstored.size === 0) return fetch;
  return async (input, init) => {
    const blob = converted.unstored.get(String(input));
    return blob ? new Response(blob, { headers: { 'content-length': String(blob.size) } }) : fetch(input, init);
  };
}

/** Tries a request again after a network failure (twice, a second apart): one blip should not cost a conversion. */
export function retryingFetch(fetch: Fetch, attempts = 3): Fetch {
  return async (input, init) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fetch(input, init);
      } catch (error) {
        if (attempt >= attempts || init?.signal?.aborted || !(error instanceof TypeError)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  };
}
