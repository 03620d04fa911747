/**
 * The tokenizer files transformers.js loads (tokenizer.json and
 * tokenizer_config.json), rebuilt from a GGUF file's metadata: llama.cpp
 * keeps the byte-level BPE vocabulary (tokenizer.ggml.tokens), its merges and
 * each token's type, from which the added and special tokens follow. The
 * pre-tokenizer is not in the file, only its name (tokenizer.ggml.pre), so
 * the known one is written: DeepSeek Coder's.
 */
import { DEEPSEEK_CODER_CHAT_TEMPLATE } from './deepseek-chat-template.ts';
import type { GgufModel } from './gguf-model.ts';
import { metaBoolean, metaNumbers, metaString, metaStrings, unsupportedGguf, type GgufMetadata } from './gguf-metadata.ts';

/** llama.cpp's token types (llama_token_type). */
export const TokenType = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

/**
 * DeepSeek Coder's pre-tokenizer, as its tokenizer.json has it: new lines alone, runs of letters
 * and of punctuation (each with one leading space), CJK runs, single digits, then bytes.
 */
const DEEPSEEK_CODER_PRE_TOKENIZER = {
  type: 'Sequence',
  pretokenizers: [
    { type: 'Split', pattern: { Regex: '[\r\n]' }, behavior: 'Isolated', invert: false },
    { type: 'Split', pattern: { Regex: '\\s?\\p{L}+' }, behavior: 'Isolated', invert: false },
    { type: 'Split', pattern: { Regex: '\\s?\\p{P}+' }, behavior: 'Isolated', invert: false },
    { type: 'Split', pattern: { Regex: '[\u4e00-\u9fa5\u0800-\u4e00\uac00-\ud7ff]+' }, behavior: 'Isolated', invert: false },
    { type: 'Digits', individual_digits: true },
    { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
  ],
};

/**
 * Refuses tokenizers that cannot be rebuilt: anything but byte-level BPE ('gpt2'), and BPE with
 * another pre-tokenizer than DeepSeek Coder's. A file without tokenizer.ggml.pre (written before
 * llama.cpp recorded it, as most DeepSeek Coder GGUF files were) is taken to be DeepSeek Coder's.
 */
export function checkTokenizer(metadata: GgufMetadata): void {
  const model = metaString(metadata, 'tokenizer.ggml.model');
  if (model !== 'gpt2') {
    throw unsupportedGguf(`The GGUF file's tokenizer is '${model ?? 'not given'}'; only byte-level BPE ('gpt2'), as DeepSeek Coder's, can be rebuilt.`);
  }
  const pre = metaString(metadata, 'tokenizer.ggml.pre');
  if (pre !== undefined && pre !== 'deepseek-coder') {
    throw unsupportedGguf(`The GGUF file's tokenizer splits text as '${pre}'; only DeepSeek Coder's pre-tokenizer ('deepseek-coder') is known here.`);
  }
  const tokens = metaStrings(metadata, 'tokenizer.ggml.tokens');
  const types = metaNumbers(metadata, 'tokenizer.ggml.token_type');
  if (!tokens || !types || tokens.length !== types.length || !metaStrings(metadata, 'tokenizer.ggml.merges')) {
    throw unsupportedGguf('The GGUF file lacks a complete tokenizer: tokenizer.ggml.tokens, token_type and merges are all needed.');
  }
}

interface AddedToken {
  id: number;
  content: string;
  single_word: false;
  lstrip: false;
  rstrip: false;
  normalized: boolean;
  special: boolean;
}

/** tokenizer.json: normal tokens make the BPE vocabulary; control and user-defined tokens are added tokens, control ones special. */
export function ggufTokenizerJson(metadata: GgufMetadata) {
  checkTokenizer(metadata);
  const tokens = metaStrings(metadata, 'tokenizer.ggml.tokens') ?? [];
  const types = metaNumbers(metadata, 'tokenizer.ggml.token_type') ?? [];
  const vocab: Record<string, number> = {};
  const added: AddedToken[] = [];
  tokens.forEach((content, id) => {
    const type = types[id];
    if (type === TokenType.control || type === TokenType.userDefined) {
      const special = type === TokenType.control;
      added.push({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: !special, special });
    } else if (type !== TokenType.unused) {
      vocab[content] = id;
    }
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: { type: 'Sequence', normalizers: [] },
    pre_tokenizer: DEEPSEEK_CODER_PRE_TOKENIZER,
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: metaStrings(metadata, 'tokenizer.ggml.merges') ?? [],
    },
  };
}

export interface TokenizerConfigOptions {
  /**
   * Whether the model chats, when the file carries no chat template: then DeepSeek Coder's is
   * written. By default, a model whose end-of-sequence token is <|EOT|> (DeepSeek Coder
   * instruct's end of turn) or whose name says "instruct" chats; a base model gets no template,
   * which is how the engine tells it apart.
   */
  instruct?: boolean;
}

/** tokenizer_config.json: the special tokens by their text, BOS handling, the context length and the chat template. */
export function ggufTokenizerConfig(metadata: GgufMetadata, model: GgufModel, options: TokenizerConfigOptions = {}) {
  const tokens = metaStrings(metadata, 'tokenizer.ggml.tokens') ?? [];
  const text = (id: number | null) => (id === null ? null : (tokens[id] ?? null));
  const { bos, eos, pad } = model.specialTokens;
  const instruct = options.instruct ?? (text(eos) === '<|EOT|>' || /instruct/i.test(metaString(metadata, 'general.name') ?? ''));
  const chatTemplate = metaString(metadata, 'tokenizer.chat_template') ?? (instruct ? DEEPSEEK_CODER_CHAT_TEMPLATE : undefined);
  return {
    add_bos_token: metaBoolean(metadata, 'tokenizer.ggml.add_bos_token') ?? true,
    add_eos_token: metaBoolean(metadata, 'tokenizer.ggml.add_eos_token') ?? false,
    bos_token: text(bos),
    eos_token: text(eos),
    pad_token: text(pad),
    unk_token: null,
    clean_up_tokenization_spaces: false,
    legacy: true,
    model_max_length: model.contextLength,
    sp_model_kwargs: {},
    tokenizer_class: 'LlamaTokenizerFast',
    ...(chatTemplate !== undefined && { chat_template: chatTemplate }),
  };
}
