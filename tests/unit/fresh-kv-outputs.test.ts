/**
 * Fresh key and value outputs, added to a graph's bytes as they stream past.
 * The scanner must find the cache's Concats wherever the graph puts its
 * nodes, in any chunking, and leave graphs whose cache grows inside a fused
 * op alone. That the runtime reads the result as one graph, and computes the
 * same numbers from it, is checked in tests/engine/prefix-cache.test.ts.
 */
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { randomWeights } from '../../scripts/llama-graph/random-weights.ts';
import type { BuildOptions, LlamaConfig } from '../../workers/model-build/graph.ts';
import {
  CacheGrowthScanner,
  FRESH_KV_APPENDIX_BYTES,
  freshKvName,
  withFreshKvOutputs,
  withoutFreshKvAppendix,
} from '../../workers/model-build/fresh-kv-outputs.ts';
import { SMALL_LLAMA, modelFileBytes } from './small-llama.ts';

const { onnx } = onnxProto;

const config: LlamaConfig = { ...SMALL_LLAMA, numLayers: 3 };
const weights = randomWeights(config, { seed: 5, tokenizerSize: 300, logitGain: 4 });

function modelBytes(options: BuildOptions, nodesLast = false): Promise<Uint8Array> {
  return modelFileBytes(config, weights, options, nodesLast);
}

function scan(bytes: Uint8Array, chunkBytes: number): Uint8Array {
  const scanner = new CacheGrowthScanner();
  for (let at = 0; at < bytes.length; at += chunkBytes) scanner.push(bytes.subarray(at, at + chunkBytes));
  return scanner.appendix();
}

const FRESH_NAMES = Array.from({ length: config.numLayers }, (_, layer) => [freshKvName(layer, 'key'), freshKvName(layer, 'value')]).flat();

describe('CacheGrowthScanner', () => {
  it.each([
    ['nodes first, whole', false, Infinity],
    ['nodes first, in 7-byte chunks', false, 7],
    ['nodes after the weights, byte by byte', true, 1],
    ['nodes after the weights, in 4 KiB chunks', true, 4096],
  ])('adds an Identity and an output per cached tensor: %s', async (_, nodesLast, chunkBytes) => {
    const bytes = await modelBytes({ dtype: 'fp32' }, nodesLast);
    const appendix = scan(bytes, chunkBytes);
    expect(appendix.length).toBe(FRESH_KV_APPENDIX_BYTES);

    // The appendix is a graph field of its own, which the runtime merges into the file's (protobufjs would replace it).
    const added = onnx.ModelProto.decode(appendix).graph;
    expect(added?.output?.map((output) => output.name)).toEqual(FRESH_NAMES);
    const identities = added?.node ?? [];
    expect(identities.map((node) => [node.opType, node.output?.[0]])).toEqual(FRESH_NAMES.map((name) => ['Identity', name]));
    // Each names the Concat's second input: the pass's own keys or values.
    const nodes = onnx.ModelProto.decode(bytes).graph?.node ?? [];
    for (const identity of identities) {
      const present = identity.output?.[0].replace('fresh.', 'present.');
      const concat = nodes.find((node) => node.output?.[0] === present);
      expect(concat?.opType).toBe('Concat');
      expect(identity.input).toEqual([concat?.input?.[1]]);
    }
    const dims = added?.output?.[0].type?.tensorType?.shape?.dim?.map((dim) => dim.dimParam || Number(dim.dimValue));
    expect(dims).toEqual(['batch_size', 4, 'sequence_length', 16]);
    expect(onnx.ModelProto.decode(appendix).docString).toMatch(/fresh-kv outputs v1$/);
  });

  it('adds nothing but padding to a graph whose cache grows inside a fused op', async () => {
    const bytes = await modelBytes({ dtype: 'q4', fused: true });
    expect(onnx.ModelProto.decode(scan(bytes, 1000)).graph).toBeNull();
  });

  it('adds nothing but padding to bytes that are not a model', () => {
    const appendix = scan(new Uint8Array(300).fill(0xff), 64);
    expect(appendix.length).toBe(FRESH_KV_APPENDIX_BYTES);
    expect(onnx.ModelProto.decode(appendix).graph).toBeNull();
  });
});

describe('withFreshKvOutputs and withoutFreshKvAppendix', () => {
  it('stream the file through with the appendix after it, and take it off again', async () => {
    const bytes = await modelBytes({ dtype: 'q4' });
    const extended = await new Response(withFreshKvOutputs(new Blob([Buffer.from(bytes)]).stream())).blob();
    expect(extended.size).toBe(bytes.length + FRESH_KV_APPENDIX_BYTES);
    const restored = await withoutFreshKvAppendix(extended);
    expect(Buffer.from(await restored.arrayBuffer()).equals(bytes)).toBe(true);
    // A file without it is left whole.
    expect((await withoutFreshKvAppendix(restored)).size).toBe(bytes.length);
  });
});
