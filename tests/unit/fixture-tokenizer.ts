import { AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';

/**
 * DeepSeek Coder's real tokenizer (fixtures/deepseek-coder, byte-exact copies of
 * the Hugging Face files), loaded from disk the way transformers.js loads a local model.
 */
export async function loadDeepSeekTokenizer(): Promise<PreTrainedTokenizer> {
  env.localModelPath = 'fixtures/';
  env.allowLocalModels = true;
  env.allowRemoteModels = false;
  return AutoTokenizer.from_pretrained('deepseek-coder');
}

/** Encodes text alone, without a beginning-of-sequence token, as the engine does. */
export function encodeText(tokenizer: PreTrainedTokenizer, text: string): number[] {
  return tokenizer.encode(text, { add_special_tokens: false });
}
