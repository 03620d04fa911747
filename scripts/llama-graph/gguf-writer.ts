/**
 * Writes a Llama decoder as a GGUF file (llama.cpp's format, version 3) from
 * the same weight source as the ONNX graphs, in one of three of llama.cpp's
 * quantizations:
 *
 * - Q4_0, from the same 4-bit quantization as the q4 graph, so llama.cpp
 *   computes exactly the numbers that graph holds. Q4_0 and MatMulNBits
 *   (4 bits, block 32, zero point 8) share the number format x = d · (q − 8),
 *   with d in binary16; only the nibble order differs. Unlike llama.cpp's own
 *   Q4_0 files, output.weight stays Q4_0 (not Q6_K), to hold the q4 graph's lm_head.
 * - Q4_0_LLAMACPP: Q4_0 as llama.cpp's own files have it: the same linears,
 *   with token_embd in Q4_0 and output.weight in Q6_K.
 * - Q8_0: every weight, embedding and output included, as llama.cpp's Q8_0.
 * - Q4_K_M: llama.cpp's mix for Q4_K_M: Q4_K, with output.weight in Q6_K, and
 *   attn_v and ffn_down in Q6_K in the layers its use_more_bits picks (the
 *   first and last eighth, and every third between). K-quants need rows of a
 *   multiple of 256 values.
 *
 * llama.cpp rotates adjacent pairs of each head's dimensions where Hugging
 * Face rotates its two halves, so the rows of q and k are permuted to match,
 * as llama.cpp's own converter does.
 */
import { float32ToFloat16Bits, roundToFloat16 } from '../../workers/model-build/float16.ts';
import { GgmlType, byteLength, type SupportedGgmlType } from '../../workers/model-build/ggml-blocks.ts';
import type { LayerLinear, LlamaConfig, Linear } from '../../workers/model-build/graph.ts';
import { quantizeQ4Symmetric, Q4_BLOCK_SIZE } from '../../workers/model-build/quantize.ts';
import { GGUF_LINEAR_NAMES } from '../../workers/model-build/gguf-model.ts';
import { ropeInterleavedRow } from '../../workers/model-build/rope-rows.ts';
import { encodeQ4_0, encodeQ4_K, encodeQ6_K, encodeQ8_0 } from './ggml-encode.ts';
import type { FloatWeightSource } from './random-weights.ts';

export { GgmlType };

/** Bytes of one Q4_0 block: an fp16 scale, then 32 nibbles. */
const Q4_0_BLOCK_BYTES = 2 + Q4_BLOCK_SIZE / 2;
const ALIGNMENT = 32;

export type GgufQuantization = 'Q4_0' | 'Q4_0_LLAMACPP' | 'Q8_0' | 'Q4_K_M';
/** general.file_type: llama.cpp's LLAMA_FTYPE_MOSTLY_* of each. */
const FILE_TYPE: Record<GgufQuantization, number> = { Q4_0: 2, Q4_0_LLAMACPP: 2, Q8_0: 7, Q4_K_M: 15 };

export type MetadataValue =
  | { type: 'u32'; value: number }
  | { type: 'i32'; value: number }
  | { type: 'f32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'strings'; value: string[] }
  | { type: 'i32s'; value: Int32Array };

const VALUE_TYPE = { u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9 } as const;

export interface GgufTensor {
  name: string;
  /** ggml's ne: the fastest-varying dimension first. */
  dims: number[];
  type: SupportedGgmlType;
  byteLength: number;
  /** Made on demand, so only one tensor is in memory at a time. */
  data: () => Uint8Array;
}

/** Little-endian byte writer for the header. */
class ByteWriter {
  private chunks: Uint8Array[] = [];
  length = 0;
  private readonly encoder = new TextEncoder();

  bytes(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }
  u32(value: number): void {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setUint32(0, value, true);
    this.bytes(bytes);
  }
  i32(value: number): void {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setInt32(0, value, true);
    this.bytes(bytes);
  }
  u64(value: number): void {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(value), true);
    this.bytes(bytes);
  }
  f32(value: number): void {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.bytes(bytes);
  }
  string(value: string): void {
    const encoded = this.encoder.encode(value);
    this.u64(encoded.length);
    this.bytes(encoded);
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }
}

function writeValue(writer: ByteWriter, entry: MetadataValue): void {
  switch (entry.type) {
    case 'u32':
      writer.u32(VALUE_TYPE.u32);
      writer.u32(entry.value);
      return;
    case 'i32':
      writer.u32(VALUE_TYPE.i32);
      writer.i32(entry.value);
      return;
    case 'f32':
      writer.u32(VALUE_TYPE.f32);
      writer.f32(entry.value);
      return;
    case 'bool':
      writer.u32(VALUE_TYPE.bool);
      writer.bytes(Uint8Array.of(entry.value ? 1 : 0));
      return;
    case 'string':
      writer.u32(VALUE_TYPE.string);
      writer.string(entry.value);
      return;
    case 'strings':
      writer.u32(VALUE_TYPE.array);
      writer.u32(VALUE_TYPE.string);
      writer.u64(entry.value.length);
      for (const item of entry.value) writer.string(item);
      return;
    case 'i32s':
      writer.u32(VALUE_TYPE.array);
      writer.u32(VALUE_TYPE.i32);
      writer.u64(entry.value.length);
      writer.bytes(new Uint8Array(entry.value.buffer, entry.value.byteOffset, entry.value.byteLength));
      return;
  }
}

const padding = (offset: number) => (ALIGNMENT - (offset % ALIGNMENT)) % ALIGNMENT;

/** Streams a GGUF file through `write`: the header, then each tensor's data, aligned. */
export function writeGguf(write: (bytes: Uint8Array) => void, metadata: [string, MetadataValue][], tensors: GgufTensor[]): void {
  const header = new ByteWriter();
  header.bytes(new TextEncoder().encode('GGUF'));
  header.u32(3);
  header.u64(tensors.length);
  header.u64(metadata.length);
  for (const [key, value] of metadata) {
    header.string(key);
    writeValue(header, value);
  }
  let offset = 0;
  for (const tensor of tensors) {
    header.string(tensor.name);
    header.u32(tensor.dims.length);
    for (const dim of tensor.dims) header.u64(dim);
    header.u32(tensor.type);
    header.u64(offset);
    offset += tensor.byteLength + padding(tensor.byteLength);
  }
  write(header.finish());
  write(new Uint8Array(padding(header.length)));
  for (const tensor of tensors) {
    const data = tensor.data();
    if (data.length !== tensor.byteLength) throw new Error(`${tensor.name}: ${data.length} bytes, expected ${tensor.byteLength}`);
    write(data);
    write(new Uint8Array(padding(data.length)));
  }
}

/**
 * Q4_0 rows from the MatMulNBits quantization of a [K, N] weight: one row per
 * output column, `rowOrder[r]` naming the column that becomes row r.
 */
export function q4_0Rows(weights: Linear, rowOrder?: (row: number) => number): Uint8Array {
  const { packed, scales, blocksPerColumn } = quantizeQ4Symmetric(weights);
  const halfScales = float32ToFloat16Bits(scales);
  const out = new Uint8Array(weights.n * blocksPerColumn * Q4_0_BLOCK_BYTES);
  const blob = Q4_BLOCK_SIZE / 2;
  for (let row = 0; row < weights.n; row++) {
    const column = rowOrder ? rowOrder(row) : row;
    for (let block = 0; block < blocksPerColumn; block++) {
      const source = column * blocksPerColumn + block;
      const target = (row * blocksPerColumn + block) * Q4_0_BLOCK_BYTES;
      const scale = halfScales[source];
      out[target] = scale & 0xff;
      out[target + 1] = scale >>> 8;
      for (let j = 0; j < blob; j++) {
        // Q4_0 byte j: element j in the low nibble, element j + 16 in the high one.
        const low = nibble(packed, source * blob, j);
        const high = nibble(packed, source * blob, j + blob);
        out[target + 2 + j] = low | (high << 4);
      }
    }
  }
  return out;
}

/** Element `index` of a MatMulNBits block: byte index/2, low nibble for even indices. */
function nibble(packed: Uint8Array, blockStart: number, index: number): number {
  const byte = packed[blockStart + (index >> 1)];
  return index & 1 ? byte >>> 4 : byte & 0x0f;
}



const bytesOf = (data: ArrayBufferView) => new Uint8Array(data.buffer, data.byteOffset, data.byteLength);

function isFloat16Exact(values: Float32Array): boolean {
  const rounded = roundToFloat16(values);
  for (let i = 0; i < values.length; i++) if (rounded[i] !== values[i]) return false;
  return true;
}

/** llama.cpp's use_more_bits: the layers Q4_K_M gives Q6_K attn_v and ffn_down. */
function usesMoreBits(layer: number, layers: number): boolean {
  const eighth = Math.floor(layers / 8);
  return layer < eighth || layer >= Math.floor((7 * layers) / 8) || (layer - eighth) % 3 === 2;
}

/** The type each weight gets in a quantization, as llama.cpp's quantizer picks it. */
function weightType(quantization: GgufQuantization, name: string, layer: number, layers: number): SupportedGgmlType {
  if (quantization === 'Q4_0') return GgmlType.Q4_0;
  if (quantization === 'Q8_0') return GgmlType.Q8_0;
  if (name === 'output.weight') return GgmlType.Q6_K;
  if (quantization === 'Q4_0_LLAMACPP') return GgmlType.Q4_0;
  const promoted = name.endsWith('attn_v.weight') || name.endsWith('ffn_down.weight');
  return promoted && usesMoreBits(layer, layers) ? GgmlType.Q6_K : GgmlType.Q4_K;
}

/** The rows of a [K, N] weight (one per output column, `rowOrder[r]` naming the column of row r) in a quantized ggml type. */
export function encodeRows(type: SupportedGgmlType, weights: Linear, rowOrder?: (row: number) => number): Uint8Array {
  if (type === GgmlType.Q4_0) return q4_0Rows(weights, rowOrder);
  const rowBytes = byteLength(type, weights.k);
  const out = new Uint8Array(weights.n * rowBytes);
  const row = new Float32Array(weights.k);
  for (let r = 0; r < weights.n; r++) {
    const column = rowOrder ? rowOrder(r) : r;
    for (let index = 0; index < weights.k; index++) row[index] = weights.weight[index * weights.n + column];
    out.set(encodeTable(type, row), r * rowBytes);
  }
  return out;
}

/** An embedding table [vocab, hidden] in a quantized type: its rows are already ggml's rows, one per token. */
function encodeTable(type: SupportedGgmlType, table: Float32Array): Uint8Array {
  const encode = { [GgmlType.Q4_0]: encodeQ4_0, [GgmlType.Q8_0]: encodeQ8_0, [GgmlType.Q4_K]: encodeQ4_K, [GgmlType.Q6_K]: encodeQ6_K }[type as number];
  if (!encode) throw new Error(`No encoder for ggml type ${type}.`);
  return encode(table);
}

/** The llama tensors of a GGUF file in one of the quantizations, in llama.cpp's names. */
export function llamaTensors(config: LlamaConfig, weights: FloatWeightSource, quantization: GgufQuantization = 'Q4_0'): GgufTensor[] {
  const { hiddenSize: h, intermediateSize: m, vocabSize: v, headDim, numLayers } = config;
  const norm = (name: string, values: () => Float32Array): GgufTensor => ({
    name,
    dims: [h],
    type: GgmlType.F32,
    byteLength: h * 4,
    data: () => bytesOf(values()),
  });
  const tensors: GgufTensor[] = [];
  if (quantization === 'Q4_0') {
    // The embedding goes in fp16 when that loses nothing (the full-size generator rounds it so), else in fp32.
    const embeddingHalf = isFloat16Exact(weights.embedTokens());
    tensors.push({
      name: 'token_embd.weight',
      dims: [h, v],
      type: embeddingHalf ? GgmlType.F16 : GgmlType.F32,
      byteLength: h * v * (embeddingHalf ? 2 : 4),
      data: () => (embeddingHalf ? bytesOf(float32ToFloat16Bits(weights.embedTokens())) : bytesOf(weights.embedTokens())),
    });
  } else {
    // llama.cpp quantizes the embedding as the file's main type: Q4_0, Q8_0, or Q4_K in Q4_K_M.
    const type = quantization === 'Q8_0' ? GgmlType.Q8_0 : quantization === 'Q4_K_M' ? GgmlType.Q4_K : GgmlType.Q4_0;
    tensors.push({ name: 'token_embd.weight', dims: [h, v], type, byteLength: byteLength(type, h * v), data: () => encodeTable(type, weights.embedTokens()) });
  }
  const permuted = ropeInterleavedRow(headDim);
  for (let layer = 0; layer < numLayers; layer++) {
    tensors.push(norm(`blk.${layer}.attn_norm.weight`, () => weights.layerNorm(layer, 'input_layernorm')));
    for (const name of Object.keys(GGUF_LINEAR_NAMES) as LayerLinear[]) {
      const [k, n] = name === 'mlp.down_proj' ? [m, h] : name.startsWith('mlp.') ? [h, m] : [h, h];
      const rotary = name === 'self_attn.q_proj' || name === 'self_attn.k_proj';
      const tensorName = `blk.${layer}.${GGUF_LINEAR_NAMES[name]}.weight`;
      const type = weightType(quantization, tensorName, layer, numLayers);
      tensors.push({
        name: tensorName,
        dims: [k, n],
        type,
        byteLength: byteLength(type, k * n),
        data: () => encodeRows(type, weights.layerLinear(layer, name), rotary ? permuted : undefined),
      });
      if (name === 'self_attn.o_proj') {
        tensors.push(norm(`blk.${layer}.ffn_norm.weight`, () => weights.layerNorm(layer, 'post_attention_layernorm')));
      }
    }
  }
  tensors.push(norm('output_norm.weight', () => weights.finalNorm()));
  const outputType = weightType(quantization, 'output.weight', 0, numLayers);
  tensors.push({ name: 'output.weight', dims: [h, v], type: outputType, byteLength: byteLength(outputType, h * v), data: () => encodeRows(outputType, weights.lmHead()) });
  return tensors;
}

export interface GgufTokenizer {
  /** tokenizer.json, as the hub ships it. */
  tokenizerJson: { model: { vocab: Record<string, number>; merges: (string | [string, string])[] }; added_tokens: { id: number; content: string; special: boolean }[] };
  bosTokenId: number;
  eosTokenId: number;
  padTokenId: number;
  chatTemplate?: string;
}

const TOKEN_TYPE = { normal: 1, control: 3, userDefined: 4, unused: 5 } as const;

/** llama.cpp's metadata for a Llama decoder with DeepSeek Coder's byte-level BPE tokenizer. */
export function llamaMetadata(
  name: string,
  config: LlamaConfig,
  tokenizer: GgufTokenizer,
  contextLength: number,
  quantization: GgufQuantization = 'Q4_0',
): [string, MetadataValue][] {
  const tokens: string[] = new Array(config.vocabSize);
  const types = new Int32Array(config.vocabSize);
  for (const [text, id] of Object.entries(tokenizer.tokenizerJson.model.vocab)) {
    tokens[id] = text;
    types[id] = TOKEN_TYPE.normal;
  }
  for (const added of tokenizer.tokenizerJson.added_tokens) {
    tokens[added.id] = added.content;
    // As llama.cpp's converter judges them: special, or shaped like a marker <…>, is a control token.
    const looksSpecial = added.content.startsWith('<') && added.content.endsWith('>');
    types[added.id] = added.special || looksSpecial ? TOKEN_TYPE.control : TOKEN_TYPE.userDefined;
  }
  for (let id = 0; id < tokens.length; id++) {
    if (tokens[id] === undefined) {
      tokens[id] = `[PAD${id}]`;
      types[id] = TOKEN_TYPE.unused;
    }
  }
  const merges = tokenizer.tokenizerJson.model.merges.map((merge) => (typeof merge === 'string' ? merge : merge.join(' ')));
  const entries: [string, MetadataValue][] = [
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.name', { type: 'string', value: name }],
    ['general.file_type', { type: 'u32', value: FILE_TYPE[quantization] }],
    ['llama.context_length', { type: 'u32', value: contextLength }],
    ['llama.embedding_length', { type: 'u32', value: config.hiddenSize }],
    ['llama.block_count', { type: 'u32', value: config.numLayers }],
    ['llama.feed_forward_length', { type: 'u32', value: config.intermediateSize }],
    ['llama.rope.dimension_count', { type: 'u32', value: config.headDim }],
    ['llama.attention.head_count', { type: 'u32', value: config.numHeads }],
    ['llama.attention.head_count_kv', { type: 'u32', value: config.numHeads }],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'f32', value: config.rmsNormEps }],
    ['llama.rope.freq_base', { type: 'f32', value: config.ropeTheta }],
    ['llama.rope.scaling.type', { type: 'string', value: 'linear' }],
    ['llama.rope.scaling.factor', { type: 'f32', value: config.ropeLinearFactor }],
    ['llama.vocab_size', { type: 'u32', value: config.vocabSize }],
    ['tokenizer.ggml.model', { type: 'string', value: 'gpt2' }],
    ['tokenizer.ggml.pre', { type: 'string', value: 'deepseek-coder' }],
    ['tokenizer.ggml.tokens', { type: 'strings', value: tokens }],
    ['tokenizer.ggml.token_type', { type: 'i32s', value: types }],
    ['tokenizer.ggml.merges', { type: 'strings', value: merges }],
    ['tokenizer.ggml.bos_token_id', { type: 'u32', value: tokenizer.bosTokenId }],
    ['tokenizer.ggml.eos_token_id', { type: 'u32', value: tokenizer.eosTokenId }],
    ['tokenizer.ggml.padding_token_id', { type: 'u32', value: tokenizer.padTokenId }],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: true }],
    ['tokenizer.ggml.add_eos_token', { type: 'bool', value: false }],
  ];
  if (tokenizer.chatTemplate) entries.push(['tokenizer.chat_template', { type: 'string', value: tokenizer.chatTemplate }]);
  return entries;
}
