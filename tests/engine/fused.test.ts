/**
 * The fused graph (ORT contrib ops for the norms and attention, and a
 * num_logits_to_keep input) against the plain graph of the same weights, in
 * Node on onnxruntime-node's CPU provider, through the engine's own forward
 * passes: the long prompt crosses the 256-token prefill chunk, decoding runs
 * greedy steps on the KV cache, and the fused model's prompt is also fed in
 * other splits.
 *
 * Stated tolerances, max |Δ logit| (logits here reach about ±20):
 * - fp32 and q4: 1e-4. Both graphs compute in fp32; only the order of
 *   accumulation differs (measured about 1e-5).
 * - q4f16: 0.05. The fused graph attends in fp16, its KV cache's type, where
 *   the plain graph upcasts the cache and attends in fp32 (measured about 0.01,
 *   as q4 against q4f16 differ).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { env } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dtype } from '../../src/protocol/index.ts';
import { generateFixtures } from '../../scripts/generate-fixtures.ts';
import { startMirrorServer } from '../../scripts/hub-mirror.ts';
import { CausalLM } from '../../workers/engine/causal-lm.ts';
import { Engine } from '../../workers/engine/engine.ts';
import { nodeHost } from '../../workers/engine/node-host.ts';
import { INSTRUCT } from './harness.ts';

const FUSED = 'tiny-random/deepseek-coder-instruct-fused';
const TOLERANCE: Record<string, number> = { fp32: 1e-4, q4: 1e-4, q4f16: 0.05 };
const DECODE_STEPS = 6;
/** Over 256 tokens (541), so the prefill runs in several chunks. */
const LONG_TEXT = 'def fibonacci(n):\n    if n < 2:\n        return n\n    return fibonacci(n - 1) + fibonacci(n - 2)\n\n'.repeat(12);

let mirror: Awaited<ReturnType<typeof startMirrorServer>>;

beforeAll(async () => {
  generateFixtures();
  env.cacheDir = mkdtempSync(join(tmpdir(), 'deepseek-coder-web-cache-'));
  mirror = await startMirrorServer();
});

afterAll(async () => {
  await mirror?.close();
});

function load(id: string, dtype: Dtype): Promise<CausalLM> {
  return CausalLM.load({ id, host: mirror.host, device: 'cpu', dtype, modelFileName: 'model', onFileProgress: () => {} });
}

function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** Prefill, then greedy decoding: the logits of every step and the tokens chosen. */
async function greedyRun(lm: CausalLM, ids: number[]): Promise<{ logits: Float32Array[]; tokens: number[] }> {
  const logits = [(await lm.prefill(ids)).logits];
  const tokens: number[] = [];
  for (let step = 0; step < DECODE_STEPS; step++) {
    tokens.push(argmax(logits[step]));
    logits.push(await lm.forward([tokens[step]]));
  }
  return { logits, tokens };
}

describe.each(['fp32', 'q4', 'q4f16'] as const)('fused against plain graph, %s', (dtype) => {
  let plain: CausalLM;
  let fused: CausalLM;
  let ids: number[];

  beforeAll(async () => {
    plain = await load(INSTRUCT, dtype);
    fused = await load(FUSED, dtype);
    ids = fused.encodePrompt(LONG_TEXT);
    expect(ids.length).toBeGreaterThan(256);
  });

  afterAll(async () => {
    await plain?.dispose();
    await fused?.dispose();
  });

  it('agrees over a chunked prefill and greedy decode steps, choosing the same tokens', async () => {
    const expected = await greedyRun(plain, ids);
    const actual = await greedyRun(fused, ids);
    const differences = actual.logits.map((row, step) => maxAbsDiff(row, expected.logits[step]));
    console.log(`${dtype}: max |fused - plain| per step ${differences.map((d) => d.toExponential(1)).join(' ')}; tokens ${actual.tokens.join(',')}`);
    expect(actual.tokens).toEqual(expected.tokens);
    for (const difference of differences) expect(difference).toBeLessThan(TOLERANCE[dtype]);
    // Two graphs of different ops: some rounding must differ.
    expect(Math.max(...differences)).toBeGreaterThan(0);
  });

  it('gives the same logits whatever the prefill chunks (positions come from the cache length)', async () => {
    const whole = (await fused.prefill(ids)).logits;
    await fused.reset();
    for (const [start, end] of [[0, 1], [1, 40], [40, 300], [300, ids.length - 1]]) await fused.forward(ids.slice(start, end));
    const split = await fused.forward(ids.slice(-1));
    const difference = maxAbsDiff(split, whole);
    console.log(`${dtype}: fused prefill in other splits, max |Δ| ${difference.toExponential(1)}`);
    expect(difference).toBeLessThan(TOLERANCE[dtype]);
  });

  it('reuses a cut-back cache as the plain graph does: the logits of a cold prefill', async () => {
    const other = [...ids.slice(0, 300), ...fused.encode('\nprint(fibonacci(10))\n')];
    const cold = await fused.prefill(other);
    await fused.prefill(ids);
    const reused = await fused.prefill(other);
    expect(reused.reusedTokens).toBe(300);
    const difference = maxAbsDiff(reused.logits, cold.logits);
    console.log(`${dtype}: fused prefill on a cut-back cache, max |Δ| from cold ${difference.toExponential(1)}`);
    expect(difference).toBeLessThan(TOLERANCE[dtype]);
  });
});

interface RecordedPass {
  keep: bigint | undefined;
  inputRows: number;
  logitsRows: number;
}

/** Records every pass through the model's ONNX session: num_logits_to_keep fed, rows in, logits rows out. */
function recordPasses(lm: CausalLM): RecordedPass[] {
  type Run = (feeds: Record<string, { data: unknown; dims: number[] }>) => Promise<Record<string, { dims: number[] }>>;
  const session = (lm as unknown as { model: { sessions: { model: { run: Run } } } }).model.sessions.model;
  const run = session.run.bind(session);
  const passes: RecordedPass[] = [];
  session.run = async (feeds) => {
    const outputs = await run(feeds);
    const keep = feeds.num_logits_to_keep?.data as BigInt64Array | undefined;
    passes.push({ keep: keep?.[0], inputRows: feeds.input_ids.dims[1], logitsRows: outputs.logits.dims[1] });
    return outputs;
  };
  return passes;
}

describe('num_logits_to_keep in the engine', () => {
  it('prefill asks for the last row of each chunk; scoring a prompt asks for every row', async () => {
    const lm = await load(FUSED, 'q4');
    try {
      const passes = recordPasses(lm);
      const ids = lm.encodePrompt(LONG_TEXT);
      await lm.prefill(ids);
      // Chunks of 256, the last token in the last: one row of logits each.
      const chunks = Array.from({ length: Math.ceil(ids.length / 256) }, (_, i) => Math.min(256, ids.length - 256 * i));
      expect(chunks.length).toBeGreaterThan(1);
      expect(passes).toEqual(chunks.map((inputRows) => ({ keep: 1n, inputRows, logitsRows: 1 })));
      // A repeat takes the logits that prefill left: no pass.
      passes.length = 0;
      expect((await lm.prefill(ids)).reusedTokens).toBe(ids.length);
      expect(passes).toEqual([]);
      passes.length = 0;
      const positions: number[] = [];
      await lm.scorePrompt(ids.slice(0, 20), (_, position) => positions.push(position));
      // Every row, the last token's included: its row is what a prefill of these ids then takes.
      expect(passes).toEqual([{ keep: 20n, inputRows: 20, logitsRows: 20 }]);
      expect(positions).toEqual(Array.from({ length: 19 }, (_, i) => i));
      // A prefill of the same ids then runs the last chunk again, one row kept, as a cold prefill runs it.
      passes.length = 0;
      expect((await lm.prefill(ids.slice(0, 20))).reusedTokens).toBe(0);
      expect(passes).toEqual([{ keep: 1n, inputRows: 20, logitsRows: 1 }]);
    } finally {
      await lm.dispose();
    }
  });
});

describe('completions with echo and logprobs on the fused graph', () => {
  let engine: Engine;

  beforeAll(async () => {
    engine = new Engine(nodeHost(mirror.host));
    await engine.load(FUSED, { device: 'cpu', dtype: 'q4' });
  });

  it('echo with logprobs does not change the answer: generation after scoring matches a cold plain run', async () => {
    // A fresh engine, so the plain run is cold. Scoring keeps every row, which may round the last one otherwise: it runs the last chunk again.
    const request = { model: FUSED, prompt: LONG_TEXT, temperature: 0.8, seed: 5, logprobs: 1, max_tokens: 6 } as const;
    const plain = await engine.complete(request);
    const scored = await engine.complete({ ...request, echo: true });
    const generated = plain.choices[0].logprobs?.token_logprobs ?? [];
    expect(generated.length).toBe(6);
    expect(scored.choices[0].logprobs?.token_logprobs.slice(-generated.length)).toEqual(generated);
    expect(scored.choices[0].text).toBe(LONG_TEXT + plain.choices[0].text);
  });

  it("scores every prompt token (all rows' logits) as the plain graph does, then answers the same", async () => {
    const request = { prompt: 'def fibonacci(n):', echo: true, logprobs: 2, max_tokens: 4, temperature: 0 } as const;
    const fusedResult = await engine.complete({ model: FUSED, ...request });
    await engine.load(INSTRUCT, { device: 'cpu', dtype: 'q4' });
    const plainResult = await engine.complete({ model: INSTRUCT, ...request });
    const fusedLogprobs = fusedResult.choices[0].logprobs;
    const plainLogprobs = plainResult.choices[0].logprobs;
    if (!fusedLogprobs || !plainLogprobs) throw new Error('no logprobs');
    expect(fusedResult.choices[0].text).toBe(plainResult.choices[0].text);
    expect(fusedLogprobs.tokens).toEqual(plainLogprobs.tokens);
    // The prompt's own tokens come first: each scored from its own row of logits.
    expect(fusedLogprobs.tokens.length).toBeGreaterThan(4);
    fusedLogprobs.token_logprobs.forEach((logprob, i) => {
      const expected = plainLogprobs.token_logprobs[i];
      if (expected === null) expect(logprob).toBeNull();
      else expect(Math.abs((logprob ?? NaN) - expected)).toBeLessThan(TOLERANCE.q4);
    });
    fusedLogprobs.top_logprobs.forEach((top, i) => expect(Object.keys(top ?? {})).toEqual(Object.keys(plainLogprobs.top_logprobs[i] ?? {})));
  });
});
