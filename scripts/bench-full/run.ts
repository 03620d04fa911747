/**
 * One benchmark run: the prompts, then each engine in a fresh browser profile
 * (on disk) of its own (so each cold load really downloads), one after another so that
 * they never compete for the CPU, with the renderers' peak memory per engine.
 */
import { RendererMemory, freshProfile } from './browser.ts';
import type { EngineFigures } from './figures.ts';
import type { BenchOptions, EngineName } from './options.ts';
import { runOurs } from './ours.ts';
import { runPageEngine } from './page-engines.ts';
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import { chatFollowUp, loadTokenizer, rawPrompt, type ChatFollowUp, type RawPrompt } from './prompts.ts';

export interface BenchPrompts {
  tokenizer: PreTrainedTokenizer;
  /** Runs once before the measured run, sharing nothing with it but BOS. */
  warmUp: RawPrompt;
  main: RawPrompt;
  short: RawPrompt;
  chat: ChatFollowUp;
  /** EOS ids (the config's and the tokenizer's), banned so that every run decodes the full count. */
  bannedIds: number[];
}

interface ModelConfig {
  eos_token_id?: number | number[];
}

async function fetchJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status} ${response.statusText}`);
  return (await response.json()) as T;
}

export async function buildPrompts(mirrorUrl: string, options: BenchOptions): Promise<BenchPrompts> {
  const tokenizer = await loadTokenizer(mirrorUrl, options.model);
  const config = await fetchJson<ModelConfig>(`${mirrorUrl}${options.model}/resolve/main/config.json`);
  const banned = new Set<number>(Array.isArray(config.eos_token_id) ? config.eos_token_id : config.eos_token_id === undefined ? [] : [config.eos_token_id]);
  if (typeof tokenizer.eos_token_id === 'number') banned.add(tokenizer.eos_token_id);
  return {
    tokenizer,
    warmUp: rawPrompt(tokenizer, 8, 9000),
    main: rawPrompt(tokenizer, options.promptTokens, 0),
    short: rawPrompt(tokenizer, options.webgpuPromptTokens, 5000),
    chat: chatFollowUp(tokenizer, options.historyTokens),
    bannedIds: [...banned].sort((a, b) => a - b),
  };
}

interface TreeEntry {
  type: string;
  path: string;
}

/** The GGUF file wllama loads: the one asked for, or the first the repository lists (Q4_0 preferred). */
export async function findGguf(mirrorUrl: string, model: string, requested: string | null = null): Promise<string> {
  if (requested) return requested;
  const tree = await fetchJson<TreeEntry[]>(`${mirrorUrl}api/models/${model}/tree/main?recursive=true`);
  const ggufs = tree.filter((entry) => entry.type === 'file' && entry.path.endsWith('.gguf')).map((entry) => entry.path);
  const chosen = ggufs.find((path) => /q4_0/i.test(path)) ?? ggufs[0];
  if (!chosen) throw new Error(`${model} has no .gguf file in the mirror, so wllama cannot run: pass --gguf or --engines without wllama.`);
  return chosen;
}

export async function runEngine(url: string, engine: EngineName, options: BenchOptions, prompts: BenchPrompts, gguf: string): Promise<EngineFigures> {
  const profile = await freshProfile();
  const memory = new RendererMemory(profile.dir);
  try {
    const { context } = profile;
    // The runners leave their last page open: its renderer's peak is read here, before it exits.
    const figures =
      engine === 'ours' ? await runOurs(context, url, options, prompts, memory) : await runPageEngine(engine, context, url, options, prompts, gguf, memory);
    return { ...figures, peakRendererBytes: memory.stop() };
  } finally {
    memory.stop();
    await profile.close();
  }
}
