/**
 * The files around the graphs in a generated model's hub repository:
 * config.json, generation_config.json and the real DeepSeek Coder tokenizer,
 * and the GGUF file of the same weights. Shared by the tiny and full-size
 * generators.
 */
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { externalDataConfig } from '../../workers/model-build/external-data.ts';
import type { LlamaConfig } from '../../workers/model-build/graph.ts';
import { generationConfigJson, llamaConfigJson } from '../../workers/model-build/hub-config.ts';
import { llamaMetadata, llamaTensors, writeGguf, type GgufQuantization, type GgufTokenizer } from './gguf-writer.ts';
import type { FloatWeightSource } from './random-weights.ts';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tokenizerSourceDir = join(root, 'fixtures', 'deepseek-coder');

export const BOS = 32013;
export const BASE_EOS = 32014;
export const INSTRUCT_EOS = 32021;
/** Ids past the tokenizer's 32022 entries are only padding rows of lm_head. */
export const TOKENIZER_SIZE = 32022;
export const MAX_POSITIONS = 16384;

export function hfConfig(config: LlamaConfig, eosTokenId: number) {
  return llamaConfigJson(config, { bosTokenId: BOS, eosTokenId, maxPositionEmbeddings: MAX_POSITIONS });
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
  writeJson(join(dir, 'generation_config.json'), generationConfigJson(BOS, eosTokenId));
  writeFileSync(join(dir, 'tokenizer.json'), readFileSync(join(tokenizerSourceDir, 'tokenizer.json')));
  writeJson(join(dir, 'tokenizer_config.json'), tokenizerConfig);
}

/**
 * Announces in config.json the external data of every graph under onnx/ that has some
 * (`model_q4.onnx_data`, `_data_1`, …), as transformers.js needs to fetch it.
 */
export function announceExternalData(dir: string): void {
  const counts = new Map<string, number>();
  for (const file of readdirSync(join(dir, 'onnx'))) {
    const match = /^(.+\.onnx)_data(?:_(\d+))?$/.exec(file);
    if (match) counts.set(match[1], Math.max(counts.get(match[1]) ?? 0, Number(match[2] ?? 0) + 1));
  }
  if (counts.size === 0) return;
  const path = join(dir, 'config.json');
  const config = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const formats = [...counts].map(([file, chunks]) => externalDataConfig(file, chunks)['transformers.js_config'].use_external_data_format);
  writeJson(path, { ...config, 'transformers.js_config': { use_external_data_format: Object.assign({}, ...formats) } });
}

/** Writes the weights as a GGUF file in one of llama.cpp's quantizations, streamed, aside then renamed. */
export function writeGgufFile(
  path: string,
  name: string,
  config: LlamaConfig,
  weights: FloatWeightSource,
  eosTokenId: number,
  tokenizerConfig: TokenizerConfig,
  quantization: GgufQuantization = 'Q4_0',
): void {
  const tokenizer: GgufTokenizer = {
    tokenizerJson: JSON.parse(readFileSync(join(tokenizerSourceDir, 'tokenizer.json'), 'utf8')) as GgufTokenizer['tokenizerJson'],
    bosTokenId: BOS,
    eosTokenId,
    padTokenId: BASE_EOS,
    chatTemplate: typeof tokenizerConfig.chat_template === 'string' ? tokenizerConfig.chat_template : undefined,
  };
  const fd = openSync(`${path}.partial`, 'w');
  writeGguf((bytes) => writeSync(fd, bytes), llamaMetadata(name, config, tokenizer, MAX_POSITIONS, quantization), llamaTensors(config, weights, quantization));
  closeSync(fd);
  renameSync(`${path}.partial`, path);
}
