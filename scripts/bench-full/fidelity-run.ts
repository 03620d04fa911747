/**
 * Runs the fidelity check in a browser context: our engine on the app's page
 * (`deepseek.internals.nextTokenLogits`), wllama on its benchmark page
 * (llama.cpp's logits for the same ids), both on the same weights. Used by
 * `npm run bench:full` and by e2e/fidelity.spec.ts.
 */
import type { Browser, BrowserContext } from 'playwright-core';
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import type { Dtype } from '../../src/protocol/types.ts';
import { THEIR_K, compareNextToken, type FidelityCase, type FidelityTolerance } from './fidelity.ts';
import { loadEngine, openEnginePage } from './page-engines.ts';

/** Short code prompts, each a different start: a few next-token distributions, cheap enough for CI. */
export const FIDELITY_PROMPTS = [
  'def fibonacci(n):',
  'import numpy as np\n\n',
  '// Binary search in TypeScript\nfunction search(',
  'SELECT name, COUNT(*) FROM users',
  '#include <stdio.h>\n\nint main(void) {\n',
  'class Stack:\n    def __init__(self):\n        self.items = []\n',
];

/**
 * The tolerance, and why. llama.cpp's Q4_0 matrix products first quantize
 * each block of 32 activations to 8 bits (Q8_0: scale = max|x| / 127), so
 * every activation carries a rounding error of up to 0.4 % of its block's
 * largest; ONNX Runtime's MatMulNBits keeps activations in fp32 (no
 * accuracy_level set, as in the hub's exports), and llama.cpp stores the Q4_0
 * scales in fp16. Those errors pass through every layer into the logits. The
 * largest top-10 error measured 0.04–0.12 logits on the tiny model (2 layers,
 * logits' standard deviation 3) and 0.06–0.17 at full size (24 layers,
 * standard deviation 4), at most 11 % of the top-10 spread. The tolerance is
 * 10 % of our logits' standard deviation (0.3 and 0.4 logits there), and 25 %
 * of the spread of the top 10: over twice what was measured at either size. Random weights give close top logits, so greedy tokens must agree
 * only where the top-1/top-2 margin exceeds the absolute tolerance. For
 * contrast, the unquantized fp32 graph against the Q4_0 file misses by 0.8–2.5
 * logits and disagrees on greedy tokens: the check tells the same weights
 * from merely similar ones.
 */
export const FIDELITY_TOLERANCE: FidelityTolerance = { ofStandardDeviation: 0.1, relative: 0.25, minOverlap: 8 };

/** Only the q4 graph's MatMulNBits weights hold the GGUF's Q4_0 numbers; q8 quantizes the weights otherwise. */
export const FIDELITY_DTYPE: Dtype = 'q4';

export interface FidelityOptions {
  url: string;
  /** The repository wllama reads `gguf` from. */
  model: string;
  /** What our engine loads: `model` unless named (a GGUF id, to compare the converted file with llama.cpp on it). */
  ourModel?: string;
  gguf: string;
  threads: number;
  tokenizer: PreTrainedTokenizer;
  tolerance?: FidelityTolerance;
  /**
   * Where our engine runs; a new incognito context of `browser` by default. An incognito context keeps
   * Cache Storage in memory, where a converted full-size GGUF's external data does not fit: pass a
   * context on disk for that.
   */
  oursContext?: BrowserContext;
}

/**
 * Each engine in a profile of its own: a fresh profile's storage quota holds
 * one full-size model, not both (ours in Cache Storage, wllama's in OPFS).
 */
export async function runFidelity(browser: Browser, options: FidelityOptions): Promise<FidelityCase[]> {
  const tolerance = options.tolerance ?? FIDELITY_TOLERANCE;
  const oursContext = options.oursContext ?? (await browser.newContext());
  const wllamaContext = await browser.newContext();
  try {
    return await compareEngines(oursContext, wllamaContext, options, tolerance);
  } finally {
    if (!options.oursContext) await oursContext.close();
    await wllamaContext.close();
  }
}

async function compareEngines(oursContext: BrowserContext, wllamaContext: BrowserContext, options: FidelityOptions, tolerance: FidelityTolerance): Promise<FidelityCase[]> {
  const ours = await oursContext.newPage();
  await ours.goto(options.url);
  await ours.waitForFunction(() => window.deepseek !== undefined);
  await ours.evaluate(
    ({ model, dtype, threads }) => window.deepseek.load(model, { device: 'wasm', dtype, wasm_threads: threads }),
    { model: options.ourModel ?? options.model, dtype: FIDELITY_DTYPE, threads: options.threads },
  );
  const wllama = await openEnginePage(wllamaContext, options.url, 'wllama');
  await loadEngine(wllama, { model: options.model, variant: options.gguf, device: 'wasm', threads: options.threads, contextTokens: 256 });
  const results: FidelityCase[] = [];
  for (const prompt of FIDELITY_PROMPTS) {
    // nextTokenLogits reads raw text with no BOS added: the BOS token's text puts it first, as a real prompt has it.
    const bos = options.tokenizer.bos_token_id;
    const text = (typeof bos === 'number' ? options.tokenizer.decode([bos]) : '') + prompt;
    const ids = options.tokenizer.encode(text, { add_special_tokens: false });
    const tokenized = await wllama.evaluate((text) => window.benchTokenize!(text), text);
    if (tokenized.join() !== ids.join()) throw new Error(`llama.cpp tokenizes ${JSON.stringify(text)} as ${tokenized.join(' ')}, tokenizer.json as ${ids.join(' ')}.`);
    const ourLogits = await ours.evaluate(async (text) => Array.from(await window.deepseek.internals.nextTokenLogits(text)), text);
    const theirs = await wllama.evaluate(({ ids, k }) => window.benchTopLogprobs!(ids, k), { ids, k: THEIR_K });
    results.push(compareNextToken(prompt, ourLogits, theirs, tolerance));
  }
  return results;
}
