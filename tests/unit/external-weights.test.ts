/**
 * A graph file read as a small graph plus the file itself as its external
 * data. The walk must move every large initializer's bytes out wherever the
 * file puts its graph fields, in any chunking or read pattern, and the
 * runtime must compute exactly what it computes from the file as it is.
 */
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { randomWeights } from '../../scripts/llama-graph/random-weights.ts';
import { INLINE_BELOW_BYTES } from '../../workers/model-build/external-data.ts';
import { WeightSplitter, graphOfStream, graphWithExternalWeights } from '../../workers/model-build/external-weights.ts';
import type { BuildOptions, LlamaConfig } from '../../workers/model-build/graph.ts';
import { SMALL_LLAMA, modelFileBytes } from './small-llama.ts';

const { onnx } = onnxProto;

const config: LlamaConfig = { ...SMALL_LLAMA, numLayers: 3 };
const weights = randomWeights(config, { seed: 11, tokenizerSize: 300, logitGain: 4 });
const DATA_NAME = 'model_q4.onnx_data';

function modelBytes(options: BuildOptions, nodesLast = false): Promise<Uint8Array> {
  return modelFileBytes(config, weights, options, nodesLast);
}

function splitInChunks(bytes: Uint8Array, chunkBytes: number): Uint8Array {
  const splitter = new WeightSplitter(DATA_NAME);
  for (let at = 0; at < bytes.length; at += chunkBytes) splitter.push(bytes.subarray(at, at + chunkBytes));
  return splitter.finish();
}

/** Logits of a three-token pass from a fresh session. */
async function logits(graph: Uint8Array, data?: Uint8Array): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(graph, data ? { externalData: [{ path: DATA_NAME, data }] } : {});
  const tokens = 3;
  const ids = (values: number[]) => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [1, values.length]);
  const feeds: Record<string, ort.Tensor> = { input_ids: ids([1, 17, 42]), attention_mask: ids([1, 1, 1]), position_ids: ids([0, 1, 2]) };
  for (const name of session.inputNames) {
    if (name.startsWith('past_key_values.')) feeds[name] = new ort.Tensor('float32', new Float32Array(0), [1, config.numHeads, 0, config.headDim]);
  }
  const output = (await session.run(feeds, ['logits'])).logits;
  await session.release();
  expect(output.dims).toEqual([1, tokens, config.vocabSize]);
  return output.data as Float32Array;
}

function readVarint(bytes: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  for (let scale = 1; ; scale *= 128) {
    value += (bytes[at] & 0x7f) * scale;
    if ((bytes[at++] & 0x80) === 0) return [value, at];
  }
}

/**
 * The initializers of every graph field of a model: the runtime merges repeated
 * graph fields, where protobufjs's decode keeps only the last.
 */
function initializers(model: Uint8Array): onnxProto.onnx.ITensorProto[] {
  const found: onnxProto.onnx.ITensorProto[] = [];
  for (let at = 0; at < model.length; ) {
    const [tag, afterTag] = readVarint(model, at);
    // ModelProto's fields are varints (versions) or length-delimited.
    expect([0, 2]).toContain(tag % 8);
    const [length, payload] = readVarint(model, afterTag);
    if (tag % 8 === 0) {
      at = payload;
      continue;
    }
    if (tag >> 3 === 7) found.push(...onnx.GraphProto.decode(model.subarray(payload, payload + length)).initializer);
    at = payload + length;
  }
  return found;
}

function movedInitializers(graph: Uint8Array): onnxProto.onnx.ITensorProto[] {
  return initializers(graph).filter((tensor) => tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL);
}

describe('WeightSplitter', () => {
  it.each([
    ['fp32, nodes first, whole', 'fp32', false, Infinity],
    ['q4, nodes first, in 7-byte chunks', 'q4', false, 7],
    ['q4, nodes after the weights, byte by byte', 'q4', true, 1],
    ['q8, nodes after the weights, in 4 KiB chunks', 'q8', true, 4096],
  ] as const)('moves the weights out and the runtime computes the same logits: %s', async (_, dtype, nodesLast, chunkBytes) => {
    const bytes = await modelBytes({ dtype }, nodesLast);
    const graph = splitInChunks(bytes, chunkBytes);

    const moved = movedInitializers(graph);
    expect(moved.length).toBeGreaterThan(config.numLayers * 4);
    let movedBytes = 0;
    for (const tensor of moved) {
      const entry = Object.fromEntries((tensor.externalData ?? []).map(({ key, value }) => [key, value]));
      expect(entry.location).toBe(DATA_NAME);
      expect(Number(entry.length)).toBeGreaterThanOrEqual(INLINE_BELOW_BYTES);
      expect(tensor.rawData?.length ?? 0).toBe(0);
      movedBytes += Number(entry.length);
    }
    // What stays is the graph's structure and the small tensors: each moved one costs a reference of a few dozen bytes.
    expect(movedBytes).toBeGreaterThan(bytes.length / 2);
    expect(graph.length).toBeLessThan(bytes.length - movedBytes + moved.length * 64);
    expect(await logits(graph, bytes)).toEqual(await logits(bytes));
  });

  it('points each moved tensor at its own bytes in the file', async () => {
    const bytes = await modelBytes({ dtype: 'q4' }, true);
    const inline = new Map(initializers(bytes).map((tensor) => [tensor.name, tensor.rawData]));
    for (const tensor of movedInitializers(splitInChunks(bytes, 1000))) {
      const entry = Object.fromEntries((tensor.externalData ?? []).map(({ key, value }) => [key, value]));
      const at = Number(entry.offset);
      expect(Buffer.from(bytes.subarray(at, at + Number(entry.length))).equals(Buffer.from(inline.get(tensor.name) ?? []))).toBe(true);
    }
  });

  it('leaves a graph whose weights are already external as it is', async () => {
    const bytes = await modelBytes({ dtype: 'q4' });
    const graph = splitInChunks(bytes, 1 << 20);
    expect(Buffer.from(splitInChunks(graph, 13)).equals(Buffer.from(graph))).toBe(true);
  });

  it('refuses a file cut short, or bytes that are not a model', async () => {
    const bytes = await modelBytes({ dtype: 'q4' });
    expect(() => splitInChunks(bytes.subarray(0, bytes.length - 100), 4096)).toThrow(/ended inside/);
    expect(() => splitInChunks(new Uint8Array(64).fill(0xff), 64)).toThrow(/malformed/);
    const splitter = new WeightSplitter(DATA_NAME);
    splitter.push(bytes.subarray(0, 100));
    expect(() => splitter.push(bytes.subarray(300, 400), 300)).toThrow(/out of order/);
  });
});

describe('graphWithExternalWeights and graphOfStream', () => {
  it('give the graph the byte-by-byte walk gives, from a file read in part or from a stream', async () => {
    const bytes = await modelBytes({ dtype: 'q4' }, true);
    const expected = Buffer.from(splitInChunks(bytes, 1));
    expect(Buffer.from(await graphWithExternalWeights(new Blob([Buffer.from(bytes)]), DATA_NAME)).equals(expected)).toBe(true);
    expect(Buffer.from(await graphOfStream(new Blob([Buffer.from(bytes)]).stream(), DATA_NAME)).equals(expected)).toBe(true);
  });

  it('reject a file that ends early', async () => {
    const bytes = await modelBytes({ dtype: 'q4' });
    const cut = new Blob([Buffer.from(bytes.subarray(0, 5000))]);
    await expect(graphWithExternalWeights(cut, DATA_NAME)).rejects.toThrow(/ended inside/);
    await expect(graphOfStream(cut.stream(), DATA_NAME)).rejects.toThrow(/ended inside/);
  });
});
