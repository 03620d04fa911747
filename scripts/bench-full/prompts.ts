/**
 * The token ids every engine is given, built once in Node with the model's own
 * tokenizer (transformers.js, from the mirror): a raw prompt of an exact
 * length, and a chat whose history is about as long as asked.
 */
import { AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';

export type Message = { role: 'system' | 'user' | 'assistant'; content: string };

export interface RawPrompt {
  text: string;
  /** BOS, then the text's tokens, as the app's completions API reads raw text. */
  ids: number[];
}

export interface ChatFollowUp {
  /** The conversation so far, ending in a user turn, and its prompt ids. */
  history: Message[];
  historyIds: number[];
  /** The same conversation one turn later; its ids start with `historyIds`. */
  followUp: Message[];
  /** The follow-up's prompt as text, BOS included as its special token's text. */
  followUpText: string;
  followUpIds: number[];
}

const SYSTEM = 'You are an AI programming assistant. Answer questions about computer science.';

/** Deterministic code: many distinct lines, so no engine gets a shortcut from repetition. */
function codeLines(count: number, seed: number): string {
  return Array.from({ length: count }, (_, i) => {
    const n = i + seed;
    return `def step_${n}(values, limit=${(n * 37) % 101}):\n    return [value * ${(n % 9) + 2} for value in values if value % ${(n % 7) + 3} and value < limit]\n`;
  }).join('\n');
}

export async function loadTokenizer(mirrorUrl: string, model: string): Promise<PreTrainedTokenizer> {
  env.remoteHost = mirrorUrl;
  env.allowRemoteModels = true;
  env.allowLocalModels = false;
  return AutoTokenizer.from_pretrained(model);
}

function rawIds(tokenizer: PreTrainedTokenizer, text: string): number[] {
  const bos = tokenizer.bos_token_id;
  const ids = tokenizer.encode(text, { add_special_tokens: false });
  return typeof bos === 'number' ? [bos, ...ids] : ids;
}

/** A raw prompt of exactly `tokens` ids (BOS included): the longest prefix of a code listing that fits. */
export function rawPrompt(tokenizer: PreTrainedTokenizer, tokens: number, seed = 0): RawPrompt {
  let corpus = codeLines(Math.ceil(tokens / 8) + 4, seed);
  while (rawIds(tokenizer, corpus).length < tokens) corpus += codeLines(16, seed + corpus.length);
  let low = 0;
  let high = corpus.length;
  // Token counts grow with the prefix's length, one token at a time across a token boundary.
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (rawIds(tokenizer, corpus.slice(0, middle)).length <= tokens) low = middle;
    else high = middle - 1;
  }
  const text = corpus.slice(0, low);
  const ids = rawIds(tokenizer, text);
  if (ids.length !== tokens) throw new Error(`No prefix of the listing tokenizes to exactly ${tokens} tokens (closest: ${ids.length}).`);
  return { text, ids };
}

function chatText(tokenizer: PreTrainedTokenizer, messages: Message[]): string {
  return tokenizer.apply_chat_template(messages, { tokenize: false, add_generation_prompt: true }) as string;
}

/** As the app's engine builds a chat prompt: the template's text, tokenized with its special tokens. */
function chatIds(tokenizer: PreTrainedTokenizer, messages: Message[]): number[] {
  return tokenizer.encode(chatText(tokenizer, messages), { add_special_tokens: false });
}

/** A chat with about `historyTokens` of earlier turns, then one more question and answer. */
export function chatFollowUp(tokenizer: PreTrainedTokenizer, historyTokens: number): ChatFollowUp {
  const history: Message[] = [{ role: 'system', content: SYSTEM }];
  for (let turn = 0; chatIds(tokenizer, history).length < historyTokens; turn++) {
    history.push({ role: 'user', content: `Review this code, part ${turn + 1}:\n\n${codeLines(4, turn * 4)}` });
    history.push({ role: 'assistant', content: `Part ${turn + 1} filters values and scales them.\n\n${codeLines(2, 1000 + turn * 2)}` });
  }
  history.push({ role: 'user', content: 'Now add type hints to every function.' });
  const followUp: Message[] = [
    ...history,
    { role: 'assistant', content: 'Here they are, with `list[int]` for the values.' },
    { role: 'user', content: 'And a docstring for each?' },
  ];
  const historyIds = chatIds(tokenizer, history);
  const followUpIds = chatIds(tokenizer, followUp);
  if (historyIds.some((id, i) => followUpIds[i] !== id)) throw new Error('The follow-up turn does not extend the history token for token.');
  return { history, historyIds, followUp, followUpText: chatText(tokenizer, followUp), followUpIds };
}
