import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gguf, GGMLQuantizationType } from '@huggingface/gguf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { float16BitsToFloat32 } from '../../workers/model-build/float16.ts';
import type { LlamaConfig } from '../../workers/model-build/graph.ts';
import { llamaMetadata, llamaTensors, writeGguf, type GgufTokenizer } from '../../scripts/llama-graph/gguf-writer.ts';
import { ropeInterleavedRow } from '../../workers/model-build/rope-rows.ts';
import { quantizeQ4Symmetric } from '../../workers/model-build/quantize.ts';
import { randomWeights } from '../../scripts/llama-graph/random-weights.ts';
import { SMALL_LLAMA } from './small-llama.ts';

const config: LlamaConfig = { ...SMALL_LLAMA, vocabSize: 32256 };
const weights = randomWeights(config, { seed: 7, tokenizerSize: 32022, logitGain: 4 });
const tokenizer: GgufTokenizer = {
  tokenizerJson: JSON.parse(readFileSync('fixtures/deepseek-coder/tokenizer.json', 'utf8')) as GgufTokenizer['tokenizerJson'],
  bosTokenId: 32013,
  eosTokenId: 32021,
  padTokenId: 32014,
  chatTemplate: '{{ bos_token }}',
};

let dir = '';
let file: Uint8Array;
let parsed: Awaited<ReturnType<typeof gguf>>;
/** The parsed metadata by key: the parser types only the keys it knows per architecture. */
let metadata: Record<string, unknown>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gguf-'));
  const chunks: Uint8Array[] = [];
  writeGguf((bytes) => chunks.push(bytes.slice()), llamaMetadata('test', config, tokenizer, 16384), llamaTensors(config, weights));
  file = new Uint8Array(Buffer.concat(chunks));
  writeFileSync(join(dir, 'model.gguf'), file);
  parsed = await gguf(join(dir, 'model.gguf'), { allowLocalFile: true });
  metadata = parsed.metadata as unknown as Record<string, unknown>;
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The 32 weights of one Q4_0 block: d · (q − 8), element j in byte j's low nibble, j + 16 in its high one. */
function dequantizeQ4_0Block(bytes: Uint8Array, offset: number): number[] {
  const d = float16BitsToFloat32(Uint16Array.of(bytes[offset] | (bytes[offset + 1] << 8)))[0];
  const values = new Array<number>(32);
  for (let j = 0; j < 16; j++) {
    values[j] = d * ((bytes[offset + 2 + j] & 0x0f) - 8);
    values[j + 16] = d * ((bytes[offset + 2 + j] >> 4) - 8);
  }
  return values;
}

describe('GGUF writer', () => {
  it('writes llama metadata that a GGUF parser reads back', () => {
    expect(metadata['general.architecture']).toBe('llama');
    expect(metadata.version).toBe(3);
    expect(metadata['llama.block_count']).toBe(2);
    expect(metadata['llama.embedding_length']).toBe(64);
    expect(metadata['llama.attention.head_count_kv']).toBe(4);
    expect(metadata['llama.rope.freq_base']).toBe(100000);
    expect(metadata['llama.rope.scaling.type']).toBe('linear');
    expect(metadata['llama.rope.scaling.factor']).toBe(4);
    expect(metadata['tokenizer.ggml.model']).toBe('gpt2');
    expect(metadata['tokenizer.ggml.pre']).toBe('deepseek-coder');
    expect(metadata['tokenizer.ggml.bos_token_id']).toBe(32013);
    expect(metadata['tokenizer.ggml.eos_token_id']).toBe(32021);
    expect(metadata['tokenizer.chat_template']).toBe('{{ bos_token }}');
  });

  it('lists every token, padding to the embedding rows, with llama.cpp token types', () => {
    const tokens = metadata['tokenizer.ggml.tokens'] as string[];
    const types = metadata['tokenizer.ggml.token_type'] as number[];
    expect(tokens).toHaveLength(32256);
    expect(tokens[32013]).toBe('<｜begin▁of▁sentence｜>');
    expect(types[32013]).toBe(3); // control
    expect(types[32021]).toBe(3); // <|EOT|>, shaped like a marker
    expect(types[32000]).toBe(4); // 'õ', a user-defined added token
    expect(types[100]).toBe(1);
    expect(tokens[32100]).toBe('[PAD32100]');
    expect(types[32100]).toBe(5); // unused
    expect((metadata['tokenizer.ggml.merges'] as string[])[0]).toBe('Ġ Ġ');
  });

  it('describes each tensor with ggml shapes, types and aligned offsets', () => {
    const byName = new Map(parsed.tensorInfos.map((info) => [info.name, info]));
    expect(parsed.tensorInfos).toHaveLength(1 + 2 * 9 + 2);
    expect(byName.get('token_embd.weight')).toMatchObject({ shape: [64n, 32256n], dtype: GGMLQuantizationType.F16 });
    expect(byName.get('blk.1.ffn_down.weight')).toMatchObject({ shape: [96n, 64n], dtype: GGMLQuantizationType.Q4_0 });
    expect(byName.get('blk.0.ffn_gate.weight')).toMatchObject({ shape: [64n, 96n], dtype: GGMLQuantizationType.Q4_0 });
    expect(byName.get('output.weight')).toMatchObject({ shape: [64n, 32256n], dtype: GGMLQuantizationType.Q4_0 });
    expect(byName.get('output_norm.weight')).toMatchObject({ shape: [64n], dtype: GGMLQuantizationType.F32 });
    for (const info of parsed.tensorInfos) expect(Number(info.offset) % 32).toBe(0);
  });

  it('holds exactly the q4 graph numbers: Q4_0 rows are MatMulNBits columns, q and k rows in rotary-interleaved order', () => {
    const dataStart = parsed.tensorDataOffset;
    const check = (name: string, linear: ReturnType<typeof weights.layerLinear>, rowOrder: (row: number) => number) => {
      const info = parsed.tensorInfos.find((tensor) => tensor.name === name)!;
      const { packed, scales, blocksPerColumn } = quantizeQ4Symmetric(linear);
      for (const row of [0, 1, 2, 17, linear.n - 1]) {
        const column = rowOrder(row);
        for (let block = 0; block < blocksPerColumn; block++) {
          const fromGguf = dequantizeQ4_0Block(file, Number(dataStart + info.offset) + (row * blocksPerColumn + block) * 18);
          const scale = scales[column * blocksPerColumn + block];
          for (let j = 0; j < 32; j++) {
            const byte = packed[(column * blocksPerColumn + block) * 16 + (j >> 1)];
            const level = j & 1 ? byte >> 4 : byte & 0x0f;
            expect(fromGguf[j]).toBe(scale * (level - 8));
            // And both are the fp32 weight to within half a quantization step.
            const original = linear.weight[(block * 32 + j) * linear.n + column];
            expect(Math.abs(fromGguf[j] - original)).toBeLessThanOrEqual(scale / 2 + 1e-6);
          }
        }
      }
    };
    check('blk.0.attn_q.weight', weights.layerLinear(0, 'self_attn.q_proj'), ropeInterleavedRow(16));
    check('blk.1.attn_k.weight', weights.layerLinear(1, 'self_attn.k_proj'), ropeInterleavedRow(16));
    check('blk.1.attn_v.weight', weights.layerLinear(1, 'self_attn.v_proj'), (row) => row);
    check('blk.0.ffn_down.weight', weights.layerLinear(0, 'mlp.down_proj'), (row) => row);
  });

  it('interleaves each head\u2019s rotary halves as llama.cpp\u2019s converter does', () => {
    const order = ropeInterleavedRow(4);
    // Head 0 of width 4: halves [0 1 | 2 3] become pairs (0 2) (1 3); head 1 likewise.
    expect([0, 1, 2, 3, 4, 5, 6, 7].map(order)).toEqual([0, 2, 1, 3, 4, 6, 5, 7]);
  });
});
