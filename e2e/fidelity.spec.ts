import { expect, test } from '@playwright/test';
import { FIDELITY_PROMPTS, FIDELITY_TOLERANCE, runFidelity } from '../scripts/bench-full/fidelity-run.ts';
import { fidelityFailures } from '../scripts/bench-full/fidelity.ts';
import { loadTokenizer } from '../scripts/bench-full/prompts.ts';
import { findGguf } from '../scripts/bench-full/run.ts';
import { INSTRUCT } from './helpers.ts';

/**
 * Our engine (WASM, q4) and llama.cpp (wllama) on the same quantized weights,
 * the tiny model's GGUF file: the same next-token distributions within the
 * tolerance scripts/bench-full/fidelity-run.ts states. `npm run bench:full`
 * runs the same check on the full-size model.
 */
test('our engine and llama.cpp compute the same model: next-token logits agree on the same weights', async ({ browser, baseURL }) => {
  const url = baseURL ?? '';
  const mirrorUrl = new URL('/hf-mirror/', url).href;
  const tokenizer = await loadTokenizer(mirrorUrl, INSTRUCT);
  const gguf = await findGguf(mirrorUrl, INSTRUCT);
  const results = await runFidelity(browser, { url, model: INSTRUCT, gguf, threads: 2, tokenizer });
  expect(results).toHaveLength(FIDELITY_PROMPTS.length);
  expect(results.flatMap((result) => fidelityFailures(result, FIDELITY_TOLERANCE))).toEqual([]);
  // Greedy agreement must be tested somewhere, not skipped everywhere for small margins.
  expect(results.filter((result) => result.greedyChecked).length).toBeGreaterThan(0);
});
