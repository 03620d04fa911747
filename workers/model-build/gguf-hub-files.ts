/**
 * The JSON files of a converted GGUF model in the Hugging Face hub's layout,
 * beside its onnx/ graph: what transformers.js reads to load it like any
 * hub export.
 */
import { externalDataConfig } from './external-data.ts';
import type { GgufHeader } from './gguf-file.ts';
import type { GgufModel } from './gguf-model.ts';
import { ggufTokenizerConfig, ggufTokenizerJson, type TokenizerConfigOptions } from './gguf-tokenizer.ts';
import { generationConfigJson, llamaConfigJson } from './hub-config.ts';

export interface GgufHubFileOptions extends TokenizerConfigOptions {
  /** The converted graph's file name and its external-data chunk count, for config.json to announce them. */
  externalData?: { modelFileName: string; chunkCount: number };
}

export type HubJsonFiles = Record<'config.json' | 'generation_config.json' | 'tokenizer.json' | 'tokenizer_config.json', unknown>;

/** config.json, generation_config.json, tokenizer.json and tokenizer_config.json of the converted model. */
export function ggufHubFiles(header: GgufHeader, model: GgufModel, options: GgufHubFileOptions = {}): HubJsonFiles {
  const { bos, eos } = model.specialTokens;
  const config = {
    ...llamaConfigJson(model.config, {
      bosTokenId: bos,
      eosTokenId: eos,
      maxPositionEmbeddings: model.contextLength,
      tieWordEmbeddings: model.tiedEmbeddings,
    }),
    ...(options.externalData && options.externalData.chunkCount > 0 && externalDataConfig(options.externalData.modelFileName, options.externalData.chunkCount)),
  };
  return {
    'config.json': config,
    'generation_config.json': generationConfigJson(bos, eos),
    'tokenizer.json': ggufTokenizerJson(header.metadata),
    'tokenizer_config.json': ggufTokenizerConfig(header.metadata, model, options),
  };
}
