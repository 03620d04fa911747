/**
 * Each fused part on its own (the build option's `{ norms, attention }`), and
 * num_logits_to_keep on the plain graph, against the plain graph of the same
 * weights: graphs built in memory and run straight on onnxruntime-node's CPU
 * provider, a prompt in two passes (so attention runs with and without a
 * past), then greedy decode steps. Tolerance 1e-4 on max |Δ logit|, as in
 * fused.test.ts: fp32 activations, only the order of accumulation differs.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildModel, type BuildOptions, type LlamaConfig } from '../../workers/model-build/graph.ts';
import { randomWeights } from '../../scripts/llama-graph/random-weights.ts';
import { SMALL_LLAMA } from '../unit/small-llama.ts';

const TOLERANCE = 1e-4;
const config: LlamaConfig = { ...SMALL_LLAMA, vocabSize: 512, maxPositions: 256 };
const weights = randomWeights(config, { seed: 11, tokenizerSize: 500, logitGain: 4 });
const PROMPT = Array.from({ length: 40 }, (_, i) => (i * 37) % 500);
const SPLIT = 23;
const DECODE_STEPS = 4;

/** Last-row logits after each pass: the prompt's two passes, then each greedy step. */
async function passes(options: BuildOptions): Promise<{ rows: Float32Array[]; tokens: number[] }> {
  const session = await ort.InferenceSession.create(await buildModel(config, weights, options));
  let past: Record<string, ort.Tensor> = {};
  for (let i = 0; i < config.numLayers; i++) {
    for (const kind of ['key', 'value']) past[`past_key_values.${i}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [1, config.numHeads, 0, config.headDim]);
  }
  let length = 0;
  const rows: Float32Array[] = [];
  const tokens: number[] = [];
  const pass = async (ids: number[]) => {
    const total = length + ids.length;
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from(ids, (_, i) => BigInt(length + i)), [1, ids.length]),
      ...past,
    };
    if (session.inputNames.includes('num_logits_to_keep')) feeds.num_logits_to_keep = new ort.Tensor('int64', BigInt64Array.of(1n), []);
    const outputs = await session.run(feeds);
    past = {};
    for (const [name, tensor] of Object.entries(outputs)) if (name.startsWith('present.')) past[name.replace('present.', 'past_key_values.')] = tensor;
    const [, count, vocab] = outputs.logits.dims;
    rows.push((outputs.logits.data as Float32Array).slice((count - 1) * vocab, count * vocab));
    length = total;
  };
  await pass(PROMPT.slice(0, SPLIT));
  await pass(PROMPT.slice(SPLIT));
  for (let step = 0; step < DECODE_STEPS; step++) {
    const last = rows[rows.length - 1];
    let best = 0;
    for (let i = 1; i < last.length; i++) if (last[i] > last[best]) best = i;
    tokens.push(best);
    await pass([best]);
  }
  await session.release();
  return { rows, tokens };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe.each(['fp32', 'q4'] as const)('%s graphs', (dtype) => {
  it.each([
    ['norms fused', { fused: { norms: true, attention: false } }],
    ['attention fused', { fused: { norms: false, attention: true } }],
    ['both fused, with num_logits_to_keep', { fused: true, numLogitsToKeep: true }],
    ['plain, with num_logits_to_keep', { numLogitsToKeep: true }],
  ] as const)('%s: the plain graph’s logits and tokens', async (_, options) => {
    const plain = await passes({ dtype });
    const other = await passes({ dtype, ...options });
    const differences = other.rows.map((row, i) => maxAbsDiff(row, plain.rows[i]));
    console.log(`${dtype}, ${_}: max |Δ| per pass ${differences.map((d) => d.toExponential(1)).join(' ')}`);
    expect(other.tokens).toEqual(plain.tokens);
    for (const difference of differences) expect(difference).toBeLessThan(TOLERANCE);
  });
});
