/**
 * ONNX external data: chunk names as transformers.js asks for them, no chunk past its limit,
 * aligned offsets, small initializers kept inline, every byte where the graph says; and the
 * model-file writer, which writes one protobuf (the message buildModel makes) when it fits, and
 * external data when asked or when it would not.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeModelFile } from '../../scripts/llama-graph/model-file.ts';
import { randomWeights } from '../../scripts/llama-graph/random-weights.ts';
import { ExternalDataWriter, chunkFileName, externalDataConfig, externalLocation } from '../../workers/model-build/external-data.ts';
import { buildModel, type LlamaConfig, type Tensor } from '../../workers/model-build/graph.ts';
import { SMALL_LLAMA } from './small-llama.ts';

const { onnx } = onnxProto;

const config: LlamaConfig = { ...SMALL_LLAMA, vocabSize: 2048, intermediateSize: 128 };
const weights = randomWeights(config, { seed: 3, tokenizerSize: 2000, logitGain: 4 });

let dir = '';
beforeAll(() => void (dir = mkdtempSync(join(tmpdir(), 'external-data-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tensor = (name: string, length: number, fill: number) =>
  onnx.TensorProto.create({ name, dataType: onnx.TensorProto.DataType.UINT8, dims: [length], rawData: new Uint8Array(length).fill(fill) });

/** The initializers of an encoded model, by name. */
function initializers(bytes: Uint8Array): Map<string, Tensor> {
  const graph = onnx.ModelProto.decode(bytes).graph;
  if (!graph) throw new Error('the model has no graph');
  return new Map((graph.initializer ?? []).map((item) => [String(item.name), item as Tensor]));
}

describe('the external-data writer', () => {
  it('names chunks as transformers.js fetches them and says so in config.json\u2019s terms', () => {
    expect([0, 1, 2].map((index) => chunkFileName('model_q4.onnx', index))).toEqual(['model_q4.onnx_data', 'model_q4.onnx_data_1', 'model_q4.onnx_data_2']);
    expect(externalDataConfig('model_q4.onnx', 3)).toEqual({ 'transformers.js_config': { use_external_data_format: { 'model_q4.onnx': 3 } } });
  });

  it('fills chunks up to their limit, in order, aligned, small tensors inline, with one write at a time', async () => {
    const chunks: number[][] = [];
    let writing = false;
    const writer = new ExternalDataWriter({
      modelFileName: 'model.onnx',
      maxChunkBytes: 3000,
      sink: async (chunk, bytes) => {
        expect(writing).toBe(false);
        writing = true;
        await new Promise((resolve) => setTimeout(resolve, 1));
        (chunks[chunk] ??= []).push(...bytes);
        writing = false;
      },
    });
    // Handed over together, as the builder does with a linear's weights and scales.
    const placed = await Promise.all([tensor('a', 1500, 1), tensor('b', 1100, 2), tensor('tiny', 8, 3), tensor('c', 1200, 4), tensor('d', 2999, 5)].map((item) => writer.place(item)));
    expect(writer.chunkFileNames).toEqual(['model.onnx_data', 'model.onnx_data_1', 'model.onnx_data_2']);
    expect(placed[2].rawData).toHaveLength(8);
    expect(externalLocation(placed[2])).toBeNull();
    const where = placed.map(externalLocation);
    expect(where.map((item) => item && [item.location, item.offset, item.length])).toEqual([
      ['model.onnx_data', 0, 1500],
      ['model.onnx_data', 1536, 1100], // aligned to 64
      null,
      ['model.onnx_data_1', 0, 1200], // 2688 + 1200 would pass 3000
      ['model.onnx_data_2', 0, 2999],
    ]);
    for (const [index, item] of where.entries()) {
      if (!item) continue;
      const chunk = chunks[Number(item.location.split('_').pop()) || 0];
      expect(chunk.length).toBeLessThanOrEqual(3000);
      expect(new Set(chunk.slice(item.offset, item.offset + item.length))).toEqual(new Set([[1, 2, 3, 4, 5][index]]));
    }
  });

  it('refuses a tensor larger than a chunk', async () => {
    const writer = new ExternalDataWriter({ modelFileName: 'model.onnx', maxChunkBytes: 2000, sink: () => undefined });
    await expect(writer.place(tensor('big', 2001, 0))).rejects.toThrow('big has 2001 bytes');
  });
});

describe('writing a model file', () => {
  it('writes one protobuf, holding what buildModel makes, when it fits', async () => {
    const path = join(dir, 'model_q4.onnx');
    expect(await writeModelFile(path, config, weights, { dtype: 'q4' })).toEqual({ chunkCount: 0 });
    // The same message; only the order of the graph's fields differs (initializers stream first).
    const decoded = (bytes: Uint8Array) => onnx.ModelProto.toObject(onnx.ModelProto.decode(bytes), { bytes: String, longs: String });
    expect(decoded(new Uint8Array(readFileSync(path)))).toEqual(decoded(await buildModel(config, weights, { dtype: 'q4' })));
    expect(readdirSync(dir).filter((file) => file.startsWith('model_q4.onnx_data'))).toEqual([]);
  });

  it('writes external data when asked, every initializer\u2019s bytes where the graph points', async () => {
    const path = join(dir, 'model.onnx');
    const { chunkCount } = await writeModelFile(path, config, weights, { dtype: 'fp32' }, { externalData: true, maxChunkBytes: 600_000 });
    expect(chunkCount).toBeGreaterThan(1);
    const inline = initializers(await buildModel(config, weights, { dtype: 'fp32' }));
    const written = initializers(new Uint8Array(readFileSync(path)));
    expect([...written.keys()]).toEqual([...inline.keys()]);
    for (const [name, item] of written) {
      const where = externalLocation(item);
      const bytes = where ? readFileSync(join(dir, where.location)).subarray(where.offset, where.offset + where.length) : item.rawData;
      expect(Buffer.from(bytes).equals(Buffer.from(inline.get(name)!.rawData)), name).toBe(true);
    }
    // A smaller build written later in its place leaves no stale chunk behind.
    await writeModelFile(path, config, weights, { dtype: 'q4' });
    expect(existsSync(join(dir, 'model.onnx_data'))).toBe(false);
  });
});
