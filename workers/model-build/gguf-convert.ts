/**
 * The whole conversion of a GGUF file into a hub-layout ONNX model, in one
 * call: read the header by Range requests, refuse what cannot be built, then
 * stream each tensor from the file through the builder into external-data
 * chunks. The parts (gguf-file, gguf-model, gguf-weights, external-data,
 * gguf-hub-files) can be used alone as well.
 */
import { buildModelWithExternalData, type ChunkSink } from './external-data.ts';
import type { KQuantMode } from './ggml-to-matmul-nbits.ts';
import { rangeReader, readGgufHeader, type FetchLike, type GgufHeader, type ReadRange } from './gguf-file.ts';
import { ggufHubFiles, type HubJsonFiles } from './gguf-hub-files.ts';
import { ggufModel, type GgufModel } from './gguf-model.ts';
import { ggufWeightSource } from './gguf-weights.ts';
import type { BuildOptions } from './graph.ts';

export interface GgufConversionOptions {
  /** The GGUF file's URL; the header and every tensor are read from it with Range requests. */
  url: string;
  fetch: FetchLike;
  /** A header read already (to show the model before converting it); read from `url` otherwise. */
  header?: GgufHeader;
  /** Reads tensor bytes; by default, Range requests through `fetch`. */
  readRange?: ReadRange;
  build: BuildOptions;
  /** The graph's file name as transformers.js asks for it: `model_q4.onnx` for dtype q4, `model_q4f16.onnx` for q4f16. */
  modelFileName: string;
  /** Receives the external data, chunk by chunk (see ChunkSink). */
  sink: ChunkSink;
  maxChunkBytes?: number;
  kQuants?: KQuantMode;
  /** Whether a file without a chat template chats (then DeepSeek Coder's template is written). */
  instruct?: boolean;
  /** Called as each tensor has been read, with its size: progress by bytes. */
  onTensorRead?: (name: string, bytes: number) => void;
}

export interface GgufConversion {
  model: GgufModel;
  /** The graph file's bytes: small, its weights are in the chunks. */
  graph: Uint8Array;
  chunkFileNames: string[];
  /** config.json (announcing the chunks), generation_config.json, tokenizer.json, tokenizer_config.json. */
  files: HubJsonFiles;
}

export async function convertGguf(options: GgufConversionOptions): Promise<GgufConversion> {
  const header = options.header ?? (await readGgufHeader(options.url, options.fetch));
  const model = ggufModel(header);
  const readRange = options.readRange ?? rangeReader(options.url, options.fetch);
  const weights = ggufWeightSource(model, readRange, { kQuants: options.kQuants, onTensorRead: options.onTensorRead });
  const built = await buildModelWithExternalData(model.config, weights, options.build, {
    modelFileName: options.modelFileName,
    sink: options.sink,
    maxChunkBytes: options.maxChunkBytes,
  });
  const files = ggufHubFiles(header, model, {
    instruct: options.instruct,
    externalData: { modelFileName: options.modelFileName, chunkCount: built.chunkFileNames.length },
  });
  return { model, graph: built.model, chunkFileNames: built.chunkFileNames, files };
}
