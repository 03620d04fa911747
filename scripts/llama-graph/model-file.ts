/**
 * Writes a model of any size as ONNX files, streaming its weights to disk
 * (Node only): one protobuf file when it fits protobuf's 2 GB, else a small
 * graph file with its weights in external-data chunks beside it.
 */
import { closeSync, openSync, readSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import onnxProto from 'onnx-proto';
import { ExternalDataWriter, externalLocation } from '../../workers/model-build/external-data.ts';
import { buildGraph, modelProto, type BuildOptions, type Graph, type LlamaConfig, type Tensor, type WeightSource } from '../../workers/model-build/graph.ts';
import { encodeVarint } from '../../workers/model-build/protobuf-wire.ts';

const { onnx } = onnxProto;

const PROTOBUF_LIMIT = 2 ** 31;

export interface ModelFileOptions {
  /** Always write external data (true), never (false), or only when one file would pass 2 GB (unset). */
  externalData?: boolean;
  maxChunkBytes?: number;
}

/**
 * Writes the model without ever holding its weights together: each initializer's bytes are
 * appended to external-data chunk files as they are made. If the model fits one protobuf and
 * external data was not asked for, the bytes are then read back one tensor at a time into a
 * single file, framed with the model and graph headers (protobuf fields may come in any order,
 * so the graph's nodes can follow its initializers), and the chunks are removed.
 * Returns how many chunk files stay beside it: what config.json must announce.
 */
export async function writeModelFile(
  path: string,
  config: LlamaConfig,
  weights: WeightSource,
  options: BuildOptions,
  fileOptions: ModelFileOptions = {},
): Promise<{ chunkCount: number }> {
  // Chunks an earlier, larger build left must not be announced with this one.
  const stale = new RegExp(`^${basename(path).replace(/\./g, '\\.')}_data(_\\d+)?$`);
  for (const file of readdirSync(dirname(path))) if (stale.test(file)) rmSync(join(dirname(path), file));
  const chunkFds: number[] = [];
  const partial = (name: string) => join(dirname(path), `${name}.partial`);
  const writer = new ExternalDataWriter({
    modelFileName: basename(path),
    maxChunkBytes: fileOptions.maxChunkBytes,
    // Everything goes out, so a single file can be framed from the chunks alone.
    inlineBelowBytes: fileOptions.externalData ? undefined : 0,
    sink: (chunk, bytes) => {
      if (chunk === chunkFds.length) chunkFds.push(openSync(partial(writer.chunkFileNames[chunk]), 'w'));
      writeSync(chunkFds[chunk], bytes);
    },
  });
  const kept: Tensor[] = [];
  const chunkPaths = () => writer.chunkFileNames.map(partial);
  const graph = await buildGraph(config, weights, options, writer.sinkInto(kept)).then(
    (built) => {
      for (const fd of chunkFds) closeSync(fd);
      return built;
    },
    (error: unknown) => {
      for (const fd of chunkFds) closeSync(fd);
      for (const chunk of chunkPaths()) rmSync(chunk, { force: true });
      throw error;
    },
  );
  const inlineLength = kept.reduce((sum, tensor) => sum + initializerFieldLength(tensor), 0) + onnx.GraphProto.encode(graph).finish().length;
  if (fileOptions.externalData === false || (fileOptions.externalData === undefined && inlineLength < PROTOBUF_LIMIT)) {
    if (inlineLength >= PROTOBUF_LIMIT) throw new Error(`${path}: the graph needs ${inlineLength} bytes, past protobuf's 2 GB limit.`);
    writeSingleFile(path, graph, kept, inlineLength, (name) => partial(name));
    for (const chunk of chunkPaths()) rmSync(chunk);
    return { chunkCount: 0 };
  }
  graph.initializer = kept;
  const out = openSync(`${path}.partial`, 'w');
  writeSync(out, onnx.ModelProto.encode(modelProto(graph)).finish());
  closeSync(out);
  for (const name of writer.chunkFileNames) renameSync(partial(name), join(dirname(path), name));
  renameSync(`${path}.partial`, path);
  return { chunkCount: writer.chunkCount };
}

/** The tensor with its bytes back inside, as the graph's initializer field would hold it. */
function inlined(tensor: Tensor, bytes: Uint8Array): Tensor {
  return onnx.TensorProto.create({ name: tensor.name, dataType: tensor.dataType, dims: tensor.dims, rawData: bytes });
}

/** Bytes of GraphProto field 5 (initializer) holding the tensor with its data inline. */
function initializerFieldLength(tensor: Tensor): number {
  const external = externalLocation(tensor);
  if (!external) return fieldLength(onnx.TensorProto.encode(tensor).finish().length);
  // The tensor without raw_data, then field 9 (raw_data): a tag, a length and the bytes.
  const withoutData = onnx.TensorProto.create({ name: tensor.name, dataType: tensor.dataType, dims: tensor.dims });
  const body = onnx.TensorProto.encode(withoutData).finish().length + 1 + encodeVarint(external.length).length + external.length;
  return fieldLength(body);
}

function fieldLength(bodyLength: number): number {
  return 1 + encodeVarint(bodyLength).length + bodyLength;
}

function writeSingleFile(path: string, graph: Graph, kept: Tensor[], graphLength: number, chunkPath: (name: string) => string): void {
  const model = modelProto(onnx.GraphProto.create());
  model.graph = null;
  const out = openSync(`${path}.partial`, 'w');
  // ModelProto field 7 (graph), wire type 2.
  writeSync(out, onnx.ModelProto.encode(model).finish());
  writeSync(out, Uint8Array.of(0x3a, ...encodeVarint(graphLength)));
  for (const tensor of kept) {
    const external = externalLocation(tensor);
    let body: Uint8Array;
    if (external) {
      const bytes = new Uint8Array(external.length);
      const fd = openSync(chunkPath(external.location), 'r');
      readSync(fd, bytes, 0, bytes.length, external.offset);
      closeSync(fd);
      body = onnx.TensorProto.encode(inlined(tensor, bytes)).finish();
    } else {
      body = onnx.TensorProto.encode(tensor).finish();
    }
    // GraphProto field 5 (initializer), wire type 2: tag, length, bytes.
    writeSync(out, Uint8Array.of(0x2a, ...encodeVarint(body.length)));
    writeSync(out, body);
  }
  writeSync(out, onnx.GraphProto.encode(graph).finish());
  closeSync(out);
  renameSync(`${path}.partial`, path);
}
