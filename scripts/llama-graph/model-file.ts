/**
 * Writes a model of any size as one ONNX protobuf file, streaming its
 * weights to disk (Node only).
 */
import { closeSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import { buildGraph, modelProto, type BuildOptions, type LlamaConfig, type WeightSource } from '../../workers/model-build/graph.ts';

const { onnx } = onnxProto;

/**
 * Writes the model as one protobuf file without ever holding its weights
 * together: each initializer is encoded and appended to a scratch file as it
 * is made, then the file is framed with the model and graph headers.
 * Protobuf fields may come in any order, so the graph's nodes can follow its
 * initializers; only the graph's total length must be known up front.
 */
export function writeModelFile(path: string, config: LlamaConfig, weights: WeightSource, options: BuildOptions): void {
  const scratch = `${path}.initializers`;
  const fd = openSync(scratch, 'w');
  let initializerBytes = 0;
  const graph = buildGraph(config, weights, options, (tensor) => {
    const body = onnx.TensorProto.encode(tensor).finish();
    // GraphProto field 5 (initializer), wire type 2: tag, length, bytes.
    const header = Uint8Array.of(0x2a, ...varint(body.length));
    writeSync(fd, header);
    writeSync(fd, body);
    initializerBytes += header.length + body.length;
  });
  closeSync(fd);
  const graphRest = onnx.GraphProto.encode(graph).finish();
  const model = modelProto(onnx.GraphProto.create());
  model.graph = null;
  const modelHead = onnx.ModelProto.encode(model).finish();
  const graphLength = initializerBytes + graphRest.length;
  if (graphLength >= 2 ** 31) throw new Error(`${path}: the graph needs ${graphLength} bytes, past protobuf's 2 GB limit; use external data.`);
  const out = openSync(`${path}.partial`, 'w');
  // ModelProto field 7 (graph), wire type 2.
  writeSync(out, modelHead);
  writeSync(out, Uint8Array.of(0x3a, ...varint(graphLength)));
  const copy = Buffer.alloc(64 << 20);
  const input = openSync(scratch, 'r');
  for (let read; (read = readSync(input, copy, 0, copy.length, null)) > 0; ) writeSync(out, copy, 0, read);
  closeSync(input);
  writeSync(out, graphRest);
  closeSync(out);
  rmSync(scratch);
  renameSync(`${path}.partial`, path);
}

function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return bytes;
}
