/**
 * config.json and generation_config.json of a Llama decoder in the Hugging Face
 * hub's layout: what transformers.js reads to load the graph. Shared by the
 * test-model generators and the conversion of GGUF files in the tab.
 */
import type { LlamaConfig } from './graph.ts';

export interface HubConfigOptions {
  bosTokenId: number | null;
  /** One id, or several (an instruct model may end on either). */
  eosTokenId: number | number[] | null;
  maxPositionEmbeddings: number;
  tieWordEmbeddings?: boolean;
}

/** config.json, keyed and ordered as DeepSeek Coder's own. */
export function llamaConfigJson(config: LlamaConfig, options: HubConfigOptions) {
  return {
    architectures: ['LlamaForCausalLM'],
    attention_bias: false,
    bos_token_id: options.bosTokenId,
    eos_token_id: options.eosTokenId,
    hidden_act: 'silu',
    hidden_size: config.hiddenSize,
    initializer_range: 0.02,
    intermediate_size: config.intermediateSize,
    max_position_embeddings: options.maxPositionEmbeddings,
    model_type: 'llama',
    num_attention_heads: config.numHeads,
    num_hidden_layers: config.numLayers,
    num_key_value_heads: config.numHeads,
    head_dim: config.headDim,
    pretraining_tp: 1,
    rms_norm_eps: config.rmsNormEps,
    // Linear scaling of 1 is no scaling: the hub writes null then.
    rope_scaling: config.ropeLinearFactor === 1 ? null : { factor: config.ropeLinearFactor, type: 'linear' },
    rope_theta: config.ropeTheta,
    tie_word_embeddings: options.tieWordEmbeddings ?? false,
    torch_dtype: 'float32',
    use_cache: true,
    vocab_size: config.vocabSize,
  };
}

export function generationConfigJson(bosTokenId: number | null, eosTokenId: number | number[] | null) {
  return { _from_model_config: true, bos_token_id: bosTokenId, eos_token_id: eosTokenId };
}
