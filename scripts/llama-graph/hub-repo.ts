/**
 * The files around the graphs in a generated model's hub repository:
 * config.json, generation_config.json and the real DeepSeek Coder tokenizer,
 * and the GGUF file of the same weights. Shared by the tiny and full-size
 * generators.
 */
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LlamaConfig, WeightSource } from '../../workers/model-build/graph.ts';
import { llamaMetadata, llamaTensors, writeGguf, type GgufTokenizer } from './gguf-writer.ts';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tokenizerSourceDir = join(root, 'fixtures', 'deepseek-coder');

export const BOS = 32013;
export const BASE_EOS = 32014;
export const INSTRUCT_EOS = 32021;
/** Ids past the tokenizer's 32022 entries are only padding rows of lm_head. */
export const TOKENIZER_SIZE = 32022;
export const MAX_POSITIONS = 16384;

export function hfConfig(config: LlamaConfig, eosTokenId: number) {
  return {
    architectures: ['LlamaForCausalLM'],
    attention_bias: false,
    bos_token_id: BOS,
    eos_token_id: eosTokenId,
    hidden_act: 'silu',
    hidden_size: config.hiddenSize,
    initializer_range: 0.02,
    intermediate_size: config.intermediateSize,
    max_position_embeddings: MAX_POSITIONS,
    model_type: 'llama',
    num_attention_heads: config.numHeads,
    num_hidden_layers: config.numLayers,
    num_key_value_heads: config.numHeads,
    head_dim: config.headDim,
    pretraining_tp: 1,
    rms_norm_eps: config.rmsNormEps,
    rope_scaling: { factor: config.ropeLinearFactor, type: 'linear' },
    rope_theta: config.ropeTheta,
    tie_word_embeddings: false,
    torch_dtype: 'float32',
    use_cache: true,
    vocab_size: config.vocabSize,
  };
}

export function writeJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

export type TokenizerConfig = Record<string, unknown>;

/** The instruct model's tokenizer_config.json; the base model's is derived from it. */
export function instructTokenizerConfig(): TokenizerConfig {
  return JSON.parse(readFileSync(join(tokenizerSourceDir, 'tokenizer_config.json'), 'utf8')) as TokenizerConfig;
}

/** The base model ships the same tokenizer, with EOS <｜end▁of▁sentence｜> and no chat template. */
export function baseTokenizerConfig({ chat_template: _template, ...rest }: TokenizerConfig): TokenizerConfig {
  return { ...rest, eos_token: '<｜end▁of▁sentence｜>' };
}

/** config.json, generation_config.json, tokenizer.json and tokenizer_config.json. */
export function writeRepoFiles(dir: string, config: LlamaConfig, eosTokenId: number, tokenizerConfig: TokenizerConfig): void {
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  writeJson(join(dir, 'config.json'), hfConfig(config, eosTokenId));
  writeJson(join(dir, 'generation_config.json'), { _from_model_config: true, bos_token_id: BOS, eos_token_id: eosTokenId });
  writeFileSync(join(dir, 'tokenizer.json'), readFileSync(join(tokenizerSourceDir, 'tokenizer.json')));
  writeJson(join(dir, 'tokenizer_config.json'), tokenizerConfig);
}

/** Writes the weights as a GGUF Q4_0 file, streamed, aside then renamed. */
export function writeGgufFile(path: string, name: string, config: LlamaConfig, weights: WeightSource, eosTokenId: number, tokenizerConfig: TokenizerConfig): void {
  const tokenizer: GgufTokenizer = {
    tokenizerJson: JSON.parse(readFileSync(join(tokenizerSourceDir, 'tokenizer.json'), 'utf8')) as GgufTokenizer['tokenizerJson'],
    bosTokenId: BOS,
    eosTokenId,
    padTokenId: BASE_EOS,
    chatTemplate: typeof tokenizerConfig.chat_template === 'string' ? tokenizerConfig.chat_template : undefined,
  };
  const fd = openSync(`${path}.partial`, 'w');
  writeGguf((bytes) => writeSync(fd, bytes), llamaMetadata(name, config, tokenizer, MAX_POSITIONS), llamaTensors(config, weights));
  closeSync(fd);
  renameSync(`${path}.partial`, path);
}
