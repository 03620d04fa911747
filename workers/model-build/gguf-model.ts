/**
 * What a GGUF header says about the model: the Llama decoder's shape, its
 * special tokens, and whether this converter can build it. Anything it cannot
 * build is refused up front, with an error that names what is unsupported,
 * before a byte of weights is read.
 */
import { BLOCK_LAYOUT, isSupportedType, type SupportedGgmlType } from './ggml-blocks.ts';
import type { GgufHeader, GgufTensorInfo } from './gguf-file.ts';
import { metaNumber, metaString, metaStrings, optionalId, someOf, typeName, unsupportedGguf as unsupported, type GgufMetadata } from './gguf-metadata.ts';
import { checkTokenizer } from './gguf-tokenizer.ts';
import { LAYER_LINEARS, type LayerLinear, type LayerNorm, type LlamaConfig } from './graph.ts';

/** llama.cpp's tensor names for the builder's linears and norms. */
export const GGUF_LINEAR_NAMES: Record<LayerLinear, string> = {
  'self_attn.q_proj': 'attn_q',
  'self_attn.k_proj': 'attn_k',
  'self_attn.v_proj': 'attn_v',
  'self_attn.o_proj': 'attn_output',
  'mlp.gate_proj': 'ffn_gate',
  'mlp.up_proj': 'ffn_up',
  'mlp.down_proj': 'ffn_down',
};
export const GGUF_NORM_NAMES: Record<LayerNorm, string> = { input_layernorm: 'attn_norm', post_attention_layernorm: 'ffn_norm' };

export interface SpecialTokens {
  bos: number | null;
  eos: number | null;
  pad: number | null;
  /** Fill-in-the-middle tokens: DeepSeek Coder's <｜fim▁begin｜>, <｜fim▁hole｜>, <｜fim▁end｜>. */
  fim: { prefix: number; suffix: number; middle: number } | null;
}

export interface GgufModel {
  config: LlamaConfig;
  contextLength: number;
  /** No output.weight: the lm_head is the token embedding. */
  tiedEmbeddings: boolean;
  specialTokens: SpecialTokens;
  /** Each tensor the conversion reads, by llama.cpp name. */
  tensors: Map<string, GgufTensorInfo & { type: SupportedGgmlType }>;
}

function fimTokens(metadata: GgufMetadata): SpecialTokens['fim'] {
  const prefix = optionalId(metadata, 'tokenizer.ggml.fim_pre_token_id', 'tokenizer.ggml.prefix_token_id');
  const suffix = optionalId(metadata, 'tokenizer.ggml.fim_suf_token_id', 'tokenizer.ggml.suffix_token_id');
  const middle = optionalId(metadata, 'tokenizer.ggml.fim_mid_token_id', 'tokenizer.ggml.middle_token_id');
  if (prefix !== null && suffix !== null && middle !== null) return { prefix, suffix, middle };
  // Older files name no FIM tokens: DeepSeek Coder's are found by their text.
  const tokens = metaStrings(metadata, 'tokenizer.ggml.tokens');
  if (!tokens) return null;
  const find = (text: string) => tokens.indexOf(text);
  const found = { prefix: find('<｜fim▁begin｜>'), suffix: find('<｜fim▁hole｜>'), middle: find('<｜fim▁end｜>') };
  return found.prefix >= 0 && found.suffix >= 0 && found.middle >= 0 ? found : null;
}

/** The tensors a Llama decoder of `layers` layers needs, by llama.cpp name. */
function requiredTensors(layers: number): string[] {
  const names = ['token_embd.weight', 'output_norm.weight'];
  for (let i = 0; i < layers; i++) {
    for (const norm of Object.values(GGUF_NORM_NAMES)) names.push(`blk.${i}.${norm}.weight`);
    for (const linear of LAYER_LINEARS) names.push(`blk.${i}.${GGUF_LINEAR_NAMES[linear]}.weight`);
  }
  return names;
}

/** The ggml shape each tensor must have: [K, N] for a weight of N rows of K values. */
function expectedDims(name: string, config: LlamaConfig): number[] {
  const { hiddenSize: h, intermediateSize: m, vocabSize: v } = config;
  if (name === 'token_embd.weight' || name === 'output.weight') return [h, v];
  if (name.endsWith('_norm.weight')) return [h];
  if (/ffn_(gate|up)\.weight$/.test(name)) return [h, m];
  if (name.endsWith('ffn_down.weight')) return [m, h];
  return [h, h];
}

/**
 * Reads the model's shape from the header and checks that the converter can build it: a llama
 * decoder, with tensors of supported types and the shapes its metadata implies. Throws a 400
 * `unsupported_gguf` ApiError naming what is not supported.
 */
export function ggufModel(header: GgufHeader): GgufModel {
  const { metadata } = header;
  const architecture = metaString(metadata, 'general.architecture');
  if (architecture !== 'llama') {
    throw unsupported(`The GGUF file's architecture is '${architecture ?? 'not given'}'; only 'llama' (the Llama family, DeepSeek Coder among them) can be converted.`);
  }
  const numHeads = metaNumber(metadata, 'llama.attention.head_count');
  const kvHeads = metaNumber(metadata, 'llama.attention.head_count_kv', numHeads);
  if (kvHeads !== numHeads) {
    throw unsupported(`The model uses grouped-query attention (${kvHeads} key/value heads for ${numHeads} heads), which the converter does not build yet.`);
  }
  const hiddenSize = metaNumber(metadata, 'llama.embedding_length');
  const headDim = metaNumber(metadata, 'llama.rope.dimension_count', hiddenSize / numHeads);
  if (headDim * numHeads !== hiddenSize) {
    throw unsupported(`The model's heads (${numHeads} of ${headDim}) do not span its hidden size ${hiddenSize}, which the converter requires.`);
  }
  const scaling = metaString(metadata, 'llama.rope.scaling.type') ?? 'none';
  if (scaling !== 'none' && scaling !== 'linear') throw unsupported(`The model's rotary embedding uses '${scaling}' scaling; only linear scaling is supported.`);
  checkTokenizer(metadata);
  const embedding = header.tensors.find((tensor) => tensor.name === 'token_embd.weight');
  const vocabSize = metaNumber(metadata, 'llama.vocab_size', embedding?.dims[1] ?? metaStrings(metadata, 'tokenizer.ggml.tokens')?.length);
  const config: LlamaConfig = {
    vocabSize,
    hiddenSize,
    intermediateSize: metaNumber(metadata, 'llama.feed_forward_length'),
    numLayers: metaNumber(metadata, 'llama.block_count'),
    numHeads,
    headDim,
    rmsNormEps: metaNumber(metadata, 'llama.attention.layer_norm_rms_epsilon'),
    ropeTheta: metaNumber(metadata, 'llama.rope.freq_base', 10000),
    ropeLinearFactor: scaling === 'linear' ? metaNumber(metadata, 'llama.rope.scaling.factor', 1) : 1,
  };

  const required = requiredTensors(config.numLayers);
  const known = new Set([...required, 'output.weight']);
  const byName = new Map(header.tensors.map((tensor) => [tensor.name, tensor]));
  const missing = required.filter((name) => !byName.has(name));
  if (missing.length > 0) throw unsupported(`The GGUF file lacks tensors a Llama decoder needs: ${someOf(missing)}.`);
  const unknown = header.tensors.filter((tensor) => !known.has(tensor.name)).map((tensor) => tensor.name);
  if (unknown.length > 0) throw unsupported(`The GGUF file has tensors the converter does not know, so it would build a different model: ${someOf(unknown)}.`);

  const byType = new Map<number, string[]>();
  for (const tensor of header.tensors) {
    if (!isSupportedType(tensor.type)) byType.set(tensor.type, [...(byType.get(tensor.type) ?? []), tensor.name]);
  }
  if (byType.size > 0) {
    const listed = [...byType].map(([type, names]) => `${typeName(type)} (${someOf(names, 3)})`);
    throw unsupported(`The GGUF file has tensor types the converter does not support: ${listed.join('; ')}. Supported: F32, F16, Q4_0, Q8_0, Q4_K, Q6_K.`);
  }
  const tensors = new Map<string, GgufTensorInfo & { type: SupportedGgmlType }>();
  for (const tensor of header.tensors as (GgufTensorInfo & { type: SupportedGgmlType })[]) {
    const expected = expectedDims(tensor.name, config);
    if (tensor.dims.join('x') !== expected.join('x')) {
      throw unsupported(`Tensor ${tensor.name} has shape [${tensor.dims.join(', ')}], where the metadata implies [${expected.join(', ')}].`);
    }
    if (tensor.dims.length === 1 && BLOCK_LAYOUT[tensor.type].values !== 1) {
      throw unsupported(`Tensor ${tensor.name} is a norm stored as ${typeName(tensor.type)}; norms must be F32 or F16.`);
    }
    tensors.set(tensor.name, tensor);
  }

  return {
    config,
    contextLength: metaNumber(metadata, 'llama.context_length'),
    tiedEmbeddings: !tensors.has('output.weight'),
    specialTokens: {
      bos: optionalId(metadata, 'tokenizer.ggml.bos_token_id'),
      eos: optionalId(metadata, 'tokenizer.ggml.eos_token_id'),
      pad: optionalId(metadata, 'tokenizer.ggml.padding_token_id'),
      fim: fimTokens(metadata),
    },
    tensors,
  };
}
