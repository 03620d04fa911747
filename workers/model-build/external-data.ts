/**
 * ONNX external data: initializers' bytes kept beside the graph, in files of
 * at most 2 GB each, so a model of any size can be built (a protobuf cannot
 * pass 2 GB) and loaded in a browser (an ArrayBuffer tops out near 2 GB).
 * Files are named as transformers.js looks for them: `model_q4.onnx_data`,
 * `model_q4.onnx_data_1`, and so on, announced in config.json by
 * `transformers.js_config.use_external_data_format`.
 */
import onnxProto from 'onnx-proto';
import {
  buildGraph,
  modelProto,
  type BuildOptions,
  type Graph,
  type InitializerSink,
  type LlamaConfig,
  type Tensor,
  type WeightSource,
} from './graph.ts';

const { onnx } = onnxProto;

/** The largest chunk: 2 GB, below both the 2^31-byte protobuf and ArrayBuffer limits. */
export const MAX_CHUNK_BYTES = 2_000_000_000;
/** Smaller initializers (shapes, scalars, norms of tiny models) stay inside the graph, as ONNX's own saver keeps them. */
export const INLINE_BELOW_BYTES = 1024;
/**
 * Offsets of large tensors are page-aligned, as ORT's own saver aligns them (its default: past
 * 1 MiB, to 4096), so native ORT can map them; smaller ones are aligned to 64 bytes.
 */
const PAGE_ALIGN_FROM_BYTES = 1 << 20;
const PAGE = 4096;
const SMALL_ALIGN = 64;

/**
 * Receives the external data: `bytes` are appended to chunk `chunk`. Calls come one at a time,
 * each once the last has settled; chunks come in order, 0 first, and a chunk is complete once a
 * higher one is written or the build ends. The bytes are never reused by the writer, so the
 * sink may keep them.
 */
export type ChunkSink = (chunk: number, bytes: Uint8Array) => void | Promise<void>;

export interface ExternalDataOptions {
  /** The graph's file name, as transformers.js asks for it: `model_q4.onnx`. */
  modelFileName: string;
  sink: ChunkSink;
  maxChunkBytes?: number;
  inlineBelowBytes?: number;
}

/** transformers.js's name for chunk `index` of a graph's external data. */
export function chunkFileName(modelFileName: string, index: number): string {
  return `${modelFileName}_data${index === 0 ? '' : `_${index}`}`;
}

/** What config.json must say so transformers.js fetches the chunks: merge it into the config. */
export function externalDataConfig(modelFileName: string, chunkCount: number) {
  return { 'transformers.js_config': { use_external_data_format: { [modelFileName]: chunkCount } } };
}

/** Moves initializers' bytes into chunks as they are made, leaving in the graph a reference to where they went. */
export class ExternalDataWriter {
  private chunk = -1;
  private offset = 0;
  /** The sink's writes, one after another: the builder hands over several tensors without waiting. */
  private writes: Promise<void> = Promise.resolve();
  private readonly maxChunkBytes: number;
  private readonly inlineBelowBytes: number;

  constructor(private readonly options: ExternalDataOptions) {
    this.maxChunkBytes = options.maxChunkBytes ?? MAX_CHUNK_BYTES;
    this.inlineBelowBytes = options.inlineBelowBytes ?? INLINE_BELOW_BYTES;
  }

  /** How many chunks were written: the number config.json announces. */
  get chunkCount(): number {
    return this.chunk + 1;
  }

  get chunkFileNames(): string[] {
    return Array.from({ length: this.chunkCount }, (_, index) => chunkFileName(this.options.modelFileName, index));
  }

  /**
   * Writes the tensor's bytes out, unless it is small, and returns the tensor as the graph keeps it.
   * Its place is decided at once, so calls may overlap; the writes still reach the sink in order.
   */
  async place(tensor: Tensor): Promise<Tensor> {
    const bytes = tensor.rawData;
    if (bytes.length < this.inlineBelowBytes) return tensor;
    if (bytes.length > this.maxChunkBytes) {
      throw new Error(`Initializer ${tensor.name} has ${bytes.length} bytes, more than a chunk of external data holds (${this.maxChunkBytes}).`);
    }
    const align = bytes.length >= PAGE_ALIGN_FROM_BYTES ? PAGE : SMALL_ALIGN;
    let start = Math.ceil(this.offset / align) * align;
    const padding = start - this.offset;
    if (this.chunk < 0 || start + bytes.length > this.maxChunkBytes) {
      this.chunk += 1;
      start = 0;
    }
    const chunk = this.chunk;
    this.offset = start + bytes.length;
    this.writes = this.writes.then(async () => {
      if (start > 0 && padding > 0) await this.options.sink(chunk, new Uint8Array(padding));
      await this.options.sink(chunk, bytes);
    });
    await this.writes;
    return onnx.TensorProto.create({
      name: tensor.name,
      dataType: tensor.dataType,
      dims: tensor.dims,
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: chunkFileName(this.options.modelFileName, chunk) },
        { key: 'offset', value: String(start) },
        { key: 'length', value: String(bytes.length) },
      ],
    });
  }

  /** An initializer sink that places each tensor and keeps what the graph holds in `kept`, in the order they came. */
  sinkInto(kept: Tensor[]): InitializerSink {
    return async (tensor) => {
      // The slot is taken now: an inline tensor placed later must not overtake one still being written.
      const slot = kept.push(tensor) - 1;
      kept[slot] = await this.place(tensor);
    };
  }
}

/** Where an initializer's bytes are, when they are external. */
export function externalLocation(tensor: Tensor): { location: string; offset: number; length: number } | null {
  if (tensor.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) return null;
  const entry = (key: string) => tensor.externalData.find((item) => item.key === key)?.value ?? '';
  return { location: entry('location'), offset: Number(entry('offset') || 0), length: Number(entry('length')) };
}

export interface ExternalDataModel {
  /** The graph file: nodes and small initializers, with references into the chunks. */
  model: Uint8Array;
  chunkFileNames: string[];
}

/** The graph with its initializers' metadata, encoded: small, since the bytes went to the chunks. */
export function encodeModel(graph: Graph, initializers: Tensor[]): Uint8Array {
  graph.initializer = initializers;
  return onnx.ModelProto.encode(modelProto(graph)).finish();
}

/**
 * Builds the decoder with its weights in external data, streamed to `external.sink` one tensor at
 * a time: the weights are never held together, whatever the model's size.
 */
export async function buildModelWithExternalData(
  config: LlamaConfig,
  weights: WeightSource,
  options: BuildOptions,
  external: ExternalDataOptions,
): Promise<ExternalDataModel> {
  const writer = new ExternalDataWriter(external);
  const kept: Tensor[] = [];
  const graph = await buildGraph(config, weights, options, writer.sinkInto(kept));
  return { model: encodeModel(graph, kept), chunkFileNames: writer.chunkFileNames };
}
