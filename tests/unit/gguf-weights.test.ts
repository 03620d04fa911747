/**
 * The weight source over a GGUF file: one range read per tensor, never more than the largest
 * tensor at once; the right conversion per role; output.weight absent means a tied lm_head.
 */
import { openAsBlob } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateFixtures, hubDir } from '../../scripts/generate-fixtures.ts';
import { blobFetch, rangeReader, readGgufHeader, type GgufHeader, type ReadRange } from '../../workers/model-build/gguf-file.ts';
import { ggufHubFiles } from '../../workers/model-build/gguf-hub-files.ts';
import { ggufModel } from '../../workers/model-build/gguf-model.ts';
import { ggufWeightSource, tensorByteLength } from '../../workers/model-build/gguf-weights.ts';
import type { WeightSource } from '../../workers/model-build/graph.ts';
import { isQuantized } from '../../workers/model-build/quantized-linear.ts';

const REPO = 'tiny-random/deepseek-coder-instruct';
const FILE = 'deepseek-coder-instruct.Q8_0.gguf';

let header: GgufHeader;
let readRange: ReadRange;
let fileSize = 0;

beforeAll(async () => {
  await generateFixtures();
  const blob = await openAsBlob(join(hubDir, REPO, FILE));
  fileSize = blob.size;
  const url = `https://hub.test/${REPO}/resolve/main/${FILE}`;
  header = await readGgufHeader(url, blobFetch(blob));
  readRange = rangeReader(url, blobFetch(blob));
}, 120_000);

/** Asks for every tensor in the builder's order, as buildGraph does. */
async function readAll(source: WeightSource, layers: number): Promise<void> {
  await source.embedTokens();
  for (let layer = 0; layer < layers; layer++) {
    await source.layerNorm(layer, 'input_layernorm');
    for (const name of ['self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'self_attn.o_proj'] as const) await source.layerLinear(layer, name);
    await source.layerNorm(layer, 'post_attention_layernorm');
    for (const name of ['mlp.gate_proj', 'mlp.up_proj', 'mlp.down_proj'] as const) await source.layerLinear(layer, name);
  }
  await source.finalNorm();
  await source.lmHead();
}

describe('the GGUF weight source', () => {
  it('reads each tensor once, in one range of exactly its bytes, and reports it', async () => {
    const model = ggufModel(header);
    const reads: [number, number][] = [];
    const reported: string[] = [];
    const counting: ReadRange = (offset, length) => {
      reads.push([offset, length]);
      return readRange(offset, length);
    };
    await readAll(ggufWeightSource(model, counting, { onTensorRead: (name) => reported.push(name) }), model.config.numLayers);
    expect(reads).toHaveLength(header.tensors.length);
    expect(new Set(reported)).toEqual(new Set(header.tensors.map((tensor) => tensor.name)));
    const largest = Math.max(...[...model.tensors.values()].map(tensorByteLength));
    expect(Math.max(...reads.map(([, length]) => length))).toBe(largest);
    expect(reads.reduce((sum, [, length]) => sum + length, 0)).toBeLessThan(fileSize);
    for (const tensor of model.tensors.values()) expect(reads).toContainEqual([tensor.offset, tensorByteLength(tensor)]);
  });

  it('gives quantized weights as MatMulNBits, norms as float', async () => {
    const source = ggufWeightSource(ggufModel(header), readRange);
    const embedding = await source.embedTokens();
    expect(embedding instanceof Float32Array ? null : { k: embedding.k, n: embedding.n, bits: embedding.bits }).toEqual({ k: 64, n: 32256, bits: 8 });
    const down = await source.layerLinear(1, 'mlp.down_proj');
    expect(isQuantized(down) && { k: down.k, n: down.n, blockSize: down.blockSize }).toEqual({ k: 128, n: 64, blockSize: 32 });
    expect(await source.layerNorm(0, 'input_layernorm')).toEqual(new Float32Array(64).fill(1));
  });

  it('ties the lm_head to the token embedding when output.weight is absent', async () => {
    const untied = { ...header, tensors: header.tensors.filter((tensor) => tensor.name !== 'output.weight') };
    const model = ggufModel(untied);
    expect(model.tiedEmbeddings).toBe(true);
    const source = ggufWeightSource(model, readRange);
    const [head, embedding] = [await source.lmHead(), await source.embedTokens()];
    if (!isQuantized(head) || embedding instanceof Float32Array) throw new Error('expected Q8_0 tensors as MatMulNBits');
    // Byte comparisons: deep equality of megabyte arrays is slow.
    const bytes = (array: ArrayBufferView) => Buffer.from(array.buffer, array.byteOffset, array.byteLength);
    expect({ ...head, packed: null, scales: null }).toEqual({ ...embedding, packed: null, scales: null });
    expect(bytes(head.packed).equals(bytes(embedding.packed))).toBe(true);
    expect(bytes(head.scales).equals(bytes(embedding.scales))).toBe(true);
    expect(ggufHubFiles(untied, model)['config.json']).toMatchObject({ tie_word_embeddings: true });
  });
});
