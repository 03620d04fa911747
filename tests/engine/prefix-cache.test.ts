/**
 * KV prefix reuse. A prompt that starts with what the cache already holds (a
 * chat's earlier turns, or the prompt again for the next of `n` choices) skips
 * prefill for that part. It must give the same logits, hence the same tokens,
 * as computing everything afresh; whether the cache is extended or first cut
 * back to the shared prefix.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { env } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatCompletion, ChatCompletionRequest, ChatMessage, Dtype } from '../../src/protocol/index.ts';
import { keepLeadingPositions } from '../../workers/engine/cached-passes.ts';
import { CausalLM } from '../../workers/engine/causal-lm.ts';
import type { Engine } from '../../workers/engine/engine.ts';
import { GraphReading } from '../../workers/engine/graph-reading.ts';
import { STRIDE_BLOCK } from '../../workers/engine/host-kv-cache.ts';
import { INSTRUCT, startEngine } from './harness.ts';

const DTYPES: readonly Dtype[] = ['fp32', 'q4', 'q4f16'];
/**
 * Logit agreement between a reused and a fresh prefill: the rounding of a
 * different chunking, far below any token decision. q4f16 computes in fp16,
 * whose step at logits near 10 is about 0.004.
 */
const TOLERANCE: Record<Dtype, number> = { fp32: 1e-3, q8: 1e-3, q4: 1e-3, q4f16: 2e-2, fp16: 2e-2 };

let engine: Engine;
let mirrorHost: string;
let close: () => Promise<void>;

beforeAll(async () => {
  let mirror: { host: string };
  ({ engine, mirror, close } = await startEngine());
  mirrorHost = mirror.host;
  await engine.load(INSTRUCT, { device: 'cpu', dtype: 'q4' });
});

afterAll(async () => {
  await close?.();
});

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

function sharedPrefixLength(a: number[], b: number[]): number {
  let length = 0;
  while (length < Math.min(a.length, b.length) && a[length] === b[length]) length += 1;
  return length;
}

function cachedTokens(completion: ChatCompletion): number {
  return completion.usage.prompt_tokens_details?.cached_tokens ?? -1;
}

describe('keepLeadingPositions', () => {
  it('keeps the first positions of every head, in order', () => {
    // 2 heads × 3 positions × 2 dims; values spell head, position, dim.
    const data = Float32Array.from([100, 101, 110, 111, 120, 121, 200, 201, 210, 211, 220, 221]);
    expect([...keepLeadingPositions(data, 2, 3, 2, 2)]).toEqual([100, 101, 110, 111, 200, 201, 210, 211]);
    expect([...keepLeadingPositions(data, 2, 3, 2, 0)]).toEqual([]);
  });

  it('keeps the array type, so fp16 caches stay fp16', () => {
    const kept = keepLeadingPositions(Uint16Array.from([1, 2, 3, 4]), 1, 4, 1, 3);
    expect(kept).toBeInstanceOf(Uint16Array);
    expect([...kept]).toEqual([1, 2, 3]);
  });
});

/** Loads the instruct model with its cache kept by the runtime, or in the worker (the graph read with fresh outputs, as on WASM). */
async function loadInstruct(dtype: Dtype, cacheInWorker: boolean): Promise<CausalLM> {
  // A disk cache of its own: the graph is stored as it was read, fresh outputs or not.
  env.cacheDir = mkdtempSync(join(tmpdir(), 'deepseek-coder-web-cache-'));
  const lm = await CausalLM.load({
    id: INSTRUCT,
    host: mirrorHost,
    device: 'cpu',
    dtype,
    modelFileName: 'model',
    reading: new GraphReading(cacheInWorker, cacheInWorker),
    onFileProgress: () => undefined,
  });
  expect(lm.keepsCacheInWorker).toBe(cacheInWorker);
  // The hub's graph has no num_logits_to_keep: read split, it is given one.
  expect(lm.keepsLogitsRows).toBe(cacheInWorker);
  return lm;
}

const STORAGES = DTYPES.flatMap((dtype) => [
  { dtype, cacheInWorker: false, where: 'the runtime' },
  { dtype, cacheInWorker: true, where: 'the worker' },
]);

describe.each(STORAGES)('CausalLM.prefill on $dtype, the cache kept by $where', ({ dtype, cacheInWorker }) => {
  let lm: CausalLM;

  beforeAll(async () => {
    lm = await loadInstruct(dtype, cacheInWorker);
  });

  afterAll(async () => {
    await lm?.dispose();
  });

  async function fresh(ids: number[]): Promise<Float32Array> {
    await lm.reset();
    return (await lm.prefill(ids)).logits;
  }

  it('extends the cache when it holds a prefix of the prompt', async () => {
    const first = lm.encodePrompt('def add(a, b):\n    return a + b\n');
    const longer = [...first, ...lm.encode('\ndef sub(a, b):\n')];
    const expected = await fresh(longer);

    await lm.reset();
    expect((await lm.prefill(first)).reusedTokens).toBe(0);
    const reused = await lm.prefill(longer);
    expect(reused.reusedTokens).toBe(first.length);
    expect(maxAbsDiff(reused.logits, expected)).toBeLessThan(TOLERANCE[dtype]);
  });

  it('cuts the cache back to the shared prefix when the prompt diverges', async () => {
    const shared = lm.encodePrompt('class Stack:\n    def push(self, item):\n');
    const a = [...shared, ...lm.encode('        self.items.append(item)')];
    const b = [...shared, ...lm.encode('        raise NotImplementedError')];
    const expected = await fresh(b);

    await lm.reset();
    await lm.prefill(a);
    // Decoding grows the cache past the prompt, as a generation does.
    await lm.forward(lm.encode(' # done'));
    const reused = await lm.prefill(b);
    expect(reused.reusedTokens).toBe(sharedPrefixLength(a, b));
    expect(reused.reusedTokens).toBeGreaterThanOrEqual(shared.length);
    expect(maxAbsDiff(reused.logits, expected)).toBeLessThan(TOLERANCE[dtype]);

    // And it goes on correctly from the cut cache.
    const next = lm.encode('\n');
    const afterCut = await lm.forward(next);
    expect(maxAbsDiff(afterCut, await fresh([...b, ...next]))).toBeLessThan(TOLERANCE[dtype]);
  });

  it('a repeated prompt reuses all of it, running no pass, and gives bit-identical logits to its cold run', async () => {
    const ids = lm.encodePrompt('for i in range(10):');
    const expected = await fresh(ids);
    // Decoding grows the cache past the prompt, so the repeat first cuts it back.
    await lm.forward(lm.encode(' pass'));
    const again = await lm.prefill(ids);
    expect(again.reusedTokens).toBe(ids.length);
    expect(maxAbsDiff(again.logits, expected)).toBe(0);
  });

  it('starts afresh when nothing is shared', async () => {
    await lm.prefill(lm.encodePrompt('hello'));
    const other = lm.encode('world');
    const expected = await fresh(other);
    await lm.prefill(lm.encodePrompt('hello'));
    const result = await lm.prefill(other);
    expect(result.reusedTokens).toBe(0);
    expect(maxAbsDiff(result.logits, expected)).toBeLessThan(TOLERANCE[dtype]);
  });
});

describe.each(['fp32', 'q4'] as const)('the cache kept in the worker, on %s', (dtype) => {
  let inRuntime: CausalLM;
  let inWorker: CausalLM;

  beforeAll(async () => {
    inRuntime = await loadInstruct(dtype, false);
    inWorker = await loadInstruct(dtype, true);
  });

  afterAll(async () => {
    await inRuntime?.dispose();
    await inWorker?.dispose();
  });

  it('computes what the runtime-kept cache does over a long prompt and a decode across stride blocks', async () => {
    // More than one prefill chunk, and a decode that crosses several stride blocks.
    const source = 'def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n\n'.repeat(12);
    const ids = inWorker.encodePrompt(source);
    expect(ids.length).toBeGreaterThan(300);
    let expected = (await inRuntime.prefill(ids)).logits;
    let actual = (await inWorker.prefill(ids)).logits;
    for (let step = 0; step < 2 * STRIDE_BLOCK + 3; step++) {
      expect(maxAbsDiff(actual, expected)).toBeLessThan(TOLERANCE[dtype]);
      let next = 0;
      for (let i = 1; i < expected.length; i++) if (expected[i] > expected[next]) next = i;
      expected = await inRuntime.forward([next]);
      actual = await inWorker.forward([next]);
    }
  });
});

describe('through the API', () => {
  const question: ChatMessage = { role: 'user', content: 'Write a function that reverses a string.' };

  function greedy(messages: ChatMessage[], extra: Partial<ChatCompletionRequest> = {}): ChatCompletionRequest {
    return { model: INSTRUCT, messages, temperature: 0, max_tokens: 24, ...extra };
  }

  /** Another request that shares no more than the system prompt, so the next one cannot reuse the conversation. */
  async function flush(): Promise<void> {
    await engine.chat(greedy([{ role: 'user', content: 'Unrelated question about SQL joins.' }], { max_tokens: 2 }));
  }

  it("a follow-up turn reuses the earlier turns' cache and answers as a fresh prefill would", async () => {
    await flush();
    const first = await engine.chat(greedy([question]));
    const answer = first.choices[0]?.message.content ?? '';
    const followUp = greedy([question, { role: 'assistant', content: answer }, { role: 'user', content: 'Now in Rust.' }]);

    const reused = await engine.chat(followUp);
    // At least the first turn's prompt was cached (the answer's tokens too, where its text retokenizes the same).
    expect(cachedTokens(reused)).toBeGreaterThanOrEqual(first.usage.prompt_tokens);
    expect(cachedTokens(reused)).toBeLessThan(reused.usage.prompt_tokens);

    await flush();
    const recomputed = await engine.chat(followUp);
    expect(cachedTokens(recomputed)).toBeLessThan(first.usage.prompt_tokens);
    expect(recomputed.choices[0]?.message.content).toBe(reused.choices[0]?.message.content);
  });

  it('the same request again reuses all of its prompt, and gives the same answer', async () => {
    const request = greedy([question]);
    const once = await engine.chat(request);
    const twice = await engine.chat(request);
    expect(cachedTokens(twice)).toBe(twice.usage.prompt_tokens);
    expect(twice.choices[0]?.message.content).toBe(once.choices[0]?.message.content);
  });

  it('n choices share one prefill: each matches the same seed run on its own', async () => {
    const sampled = (extra: Partial<ChatCompletionRequest>) =>
      greedy([question], { temperature: 0.9, top_p: 0.95, max_tokens: 16, ...extra });
    const together = await engine.chat(sampled({ n: 3, seed: 40 }));
    for (let index = 0; index < 3; index++) {
      await flush();
      const alone = await engine.chat(sampled({ seed: 40 + index }));
      expect(together.choices[index]?.message.content).toBe(alone.choices[0]?.message.content);
    }
  });

  it('usage reports cached_tokens on streamed usage chunks and on completions too', async () => {
    const chunks: { usage?: { prompt_tokens_details?: { cached_tokens: number } } | null }[] = [];
    await engine.chat(greedy([question], { stream: true, stream_options: { include_usage: true } }), (chunk) => chunks.push(chunk));
    expect(chunks.at(-1)?.usage?.prompt_tokens_details?.cached_tokens).toBeGreaterThan(0);

    const completion = { model: INSTRUCT, prompt: 'def quicksort(xs):\n', temperature: 0, max_tokens: 8 };
    await engine.complete(completion);
    const again = await engine.complete(completion);
    expect(again.usage?.prompt_tokens_details?.cached_tokens).toBe(again.usage?.prompt_tokens);
  });
});
