import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { INSTRUCT, isStartupHubLookup, loadModel, openApp } from './helpers.ts';
import { startEngine } from '../tests/engine/harness.ts';

const MODEL_FILE = /\/hf-mirror\//;
const GRAPH_FILES = { q4: 'model_q4.onnx', q4f16: 'model_q4f16.onnx', fp32: 'model.onnx' } as const;

test('the page is cross-origin isolated, so WASM runs multi-threaded, on every core up to 4', async ({ page }) => {
  await openApp(page);
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  const report = await page.evaluate(() => window.deepseek.device());
  expect(report.cross_origin_isolated).toBe(true);
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  expect(report.wasm_threads).toBe(Math.max(1, Math.min(4, cores)));
});

test('a page\'s first load chooses the WASM threads; later loads may only repeat them', async ({ page }) => {
  await openApp(page);
  const loaded = await page.evaluate((model) => window.deepseek.load(model, { device: 'wasm', dtype: 'q4', wasm_threads: 1 }), INSTRUCT);
  expect(loaded.wasm_threads).toBe(1);
  const refused = await page.evaluate(async (model) => {
    try {
      await window.deepseek.load(model, { device: 'wasm', dtype: 'q4', wasm_threads: 2 });
      return null;
    } catch (error) {
      return (error as { status: number; error: Record<string, unknown> }).error;
    }
  }, INSTRUCT);
  expect(refused).toMatchObject({ param: 'wasm_threads', code: 'wasm_threads_fixed' });
  // The same number is fine, and the engine still answers.
  await page.evaluate((model) => window.deepseek.load(model, { device: 'wasm', dtype: 'q4', wasm_threads: 1 }), INSTRUCT);
  const answer = await page.evaluate(
    (model) => window.deepseek.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
    INSTRUCT,
  );
  expect(answer.usage.completion_tokens).toBeGreaterThan(0);
});

for (const [device, dtype] of [
  ['webgpu', 'q4'],
  ['webgpu', 'fp32'],
  ['wasm', 'q4f16'],
  ['wasm', 'q4'],
] as const) {
  test(`loads and generates on ${device} ${dtype}`, async ({ page }) => {
    await openApp(page);
    const loaded = await loadModel(page, device, dtype);
    expect(loaded).toMatchObject({ id: INSTRUCT, device, dtype });
    // The graph was read split from its weights on either device: only a split graph is given
    // num_logits_to_keep (model-build/logits-rows.ts), and the fixture's file has none of its own.
    expect(readFileSync(`fixtures/hub/${INSTRUCT}/onnx/${GRAPH_FILES[dtype]}`).includes('num_logits_to_keep')).toBe(false);
    const names = await page.evaluate(() => window.deepseek.internals.sessionReport());
    expect(names?.inputs).toContain('num_logits_to_keep');
    // On WASM the worker keeps the KV cache, from the fresh outputs the graph is given when it is read.
    expect(names?.outputs.some((name) => name.startsWith('fresh.'))).toBe(device === 'wasm');
    const completion = await page.evaluate(
      ([model, maxTokens]) =>
        window.deepseek.chat.completions.create({
          model,
          messages: [{ role: 'user', content: 'hi' }],
          temperature: 0,
          max_tokens: maxTokens,
        }),
      [INSTRUCT, device === 'webgpu' ? 3 : 8] as const,
    );
    expect(completion.choices[0].message.content?.length).toBeGreaterThan(0);
    expect(completion.usage.completion_tokens).toBeGreaterThan(0);
  });
}

test('WebGPU q4 and WASM q4 and q4f16 agree on greedy tokens', async ({ page }) => {
  await openApp(page);
  const answers: string[] = [];
  for (const [device, dtype] of [['wasm', 'q4'], ['wasm', 'q4f16'], ['webgpu', 'q4']] as const) {
    await loadModel(page, device, dtype);
    answers.push(
      await page.evaluate(
        async (model) =>
          (
            await window.deepseek.chat.completions.create({
              model,
              messages: [{ role: 'user', content: 'hi' }],
              temperature: 0,
              max_tokens: 3,
            })
          ).choices[0].message.content ?? "",
        INSTRUCT,
      ),
    );
  }
  expect(answers[1]).toBe(answers[0]);
  expect(answers[2]).toBe(answers[0]);
});

for (const [device, dtype] of [
  ['webgpu', 'q4'],
  ['wasm', 'q4f16'],
] as const) {
  test(`on ${device} ${dtype}, a request reuses the KV cache of the one before: a repeat is bit-identical, a follow-up answers as a fresh prefill would`, async ({ page }) => {
    test.setTimeout(180_000);
    await openApp(page);
    await loadModel(page, device, dtype);
    const runs = await page.evaluate(async (model) => {
      const ask = async (messages: { role: 'user' | 'assistant'; content: string }[]) => {
        const reply = await window.deepseek.chat.completions.create({ model, messages, temperature: 0, max_tokens: 3, logprobs: true, top_logprobs: 3 });
        return {
          content: reply.choices[0].message.content ?? '',
          logprobs: reply.choices[0].logprobs?.content ?? null,
          prompt: reply.usage.prompt_tokens,
          cached: reply.usage.prompt_tokens_details?.cached_tokens ?? -1,
        };
      };
      const question = { role: 'user' as const, content: 'Reverse a list in Python' };
      const first = await ask([question]);
      // The cache now runs past the prompt, into the answer: it is cut back (read back from the GPU on WebGPU).
      const repeat = await ask([question]);
      const followUp = [question, { role: 'assistant' as const, content: first.content }, { role: 'user' as const, content: 'Now in Go' }];
      const extended = await ask(followUp);
      await ask([{ role: 'user', content: 'Something else entirely' }]);
      const recomputed = await ask(followUp);
      return { first, repeat, extended, recomputed };
    }, INSTRUCT);
    expect(runs.repeat.content).toBe(runs.first.content);
    // Bit for bit: a repeat takes the logits its cold run's prefill left, and runs no pass of its own.
    expect(runs.repeat.logprobs).toEqual(runs.first.logprobs);
    expect(runs.repeat.cached).toBe(runs.repeat.prompt);
    expect(runs.extended.cached).toBeGreaterThanOrEqual(runs.first.prompt);
    expect(runs.recomputed.cached).toBeLessThan(runs.first.prompt);
    expect(runs.extended.content).toBe(runs.recomputed.content);
  });
}

test('first-step logits agree between Node CPU and browser WASM (q4)', async ({ page }) => {
  const prompt = 'def fibonacci(n):';
  const { engine, close } = await startEngine();
  let nodeLogits: Float32Array;
  try {
    await engine.load(INSTRUCT, { device: 'cpu', dtype: 'q4' });
    nodeLogits = await engine.nextTokenLogits(prompt);
  } finally {
    await close();
  }
  await openApp(page);
  await loadModel(page, 'wasm', 'q4');
  const browserLogits = await page.evaluate(
    async (text) => Array.from(await window.deepseek.internals.nextTokenLogits(text)),
    prompt,
  );
  expect(browserLogits.length).toBe(nodeLogits.length);
  let maxDifference = 0;
  let maxMagnitude = 0;
  for (let i = 0; i < nodeLogits.length; i++) {
    maxDifference = Math.max(maxDifference, Math.abs(nodeLogits[i] - browserLogits[i]));
    maxMagnitude = Math.max(maxMagnitude, Math.abs(nodeLogits[i]));
  }
  console.log(`logits: max |node - browser| = ${maxDifference.toExponential(2)} over |logit| up to ${maxMagnitude.toFixed(2)}`);
  // Stated tolerance: 1e-3 absolute. Same weights and kernels; only accumulation order may differ.
  expect(maxDifference).toBeLessThan(1e-3);
});

for (const device of ['wasm', 'webgpu'] as const) {
  test(`on ${device}, a second load, after a reload, is served from the browser cache; the runtime reads the weights a tensor at a time, the second time read ahead, the same on both`, async ({ page }) => {
    const modelRequests: string[] = [];
    page.context().on('request', (request) => {
      if (MODEL_FILE.test(request.url())) modelRequests.push(request.url());
    });
    const loadAndRead = async () => {
      await loadModel(page, device, 'q4');
      return page.evaluate(async () => ({
        report: await window.deepseek.internals.sessionReport(),
        logits: Array.from(await window.deepseek.internals.nextTokenLogits('def quicksort(items):')),
      }));
    };
    await openApp(page);
    const cold = await loadAndRead();
    const firstLoad = modelRequests.filter((url) => !url.endsWith('.stamp'));
    expect(firstLoad.some((url) => url.endsWith('onnx/model_q4.onnx'))).toBe(true);
    // The weights are read a tensor at a time from the download's file, once the cache keeps it (blob-bytes.ts).
    expect(cold.report?.weights_per_tensor).toBe(true);
    // Nothing recorded yet the order of the runtime's reads: each is read where it is asked for.
    expect(cold.report?.weights_read_ahead).toBe(0);

    modelRequests.length = 0;
    await page.reload();
    await page.waitForFunction(() => window.deepseek !== undefined);
    const warm = await loadAndRead();
    console.log(`model-file requests: first load ${firstLoad.length}, second load ${modelRequests.length}`);
    expect(modelRequests).toEqual([]);
    // From the cache too, and they are the same weights.
    expect(warm.report?.weights_per_tensor).toBe(true);
    // A helper read them ahead in the order the first load recorded (weight-prefetch.ts): the same bytes.
    expect(warm.report?.weights_read_ahead).toBeGreaterThan(20);
    expect(warm.logits).toEqual(cold.logits);
  });
}

test('a recorded read order the runtime no longer follows stops the read-ahead where it parts, loads the same weights, and is recorded again; it goes with the model', async ({ page }) => {
  const ORDERS = 'deepseek-coder-web-read-order';
  const storedOrder = () =>
    page.evaluate(async (cacheName) => {
      const cache = await caches.open(cacheName);
      const key = (await cache.keys()).find((request) => request.url.endsWith('onnx/model_q4.onnx'));
      return key ? ((await (await cache.match(key))!.json()) as Array<[number, number]>) : null;
    }, ORDERS);
  const loadAndRead = async () => {
    await loadModel(page, 'wasm', 'q4');
    return page.evaluate(async () => ({
      report: await window.deepseek.internals.sessionReport(),
      logits: Array.from(await window.deepseek.internals.nextTokenLogits('def quicksort(items):')),
    }));
  };
  await openApp(page);
  const cold = await loadAndRead();
  const recorded = (await storedOrder())!;
  expect(recorded.length).toBeGreaterThan(20);
  // An order from another runtime version: the same reads, two of them swapped.
  const stale = [...recorded];
  [stale[5], stale[6]] = [stale[6]!, stale[5]!];
  await page.evaluate(
    async ([cacheName, order]) => {
      const cache = await caches.open(cacheName);
      const key = (await cache.keys()).find((request) => request.url.endsWith('onnx/model_q4.onnx'))!;
      await cache.put(key, new Response(JSON.stringify(order)));
    },
    [ORDERS, stale] as const,
  );

  await page.reload();
  await page.waitForFunction(() => window.deepseek !== undefined);
  const warm = await loadAndRead();
  expect(warm.report?.weights_read_ahead).toBe(5);
  expect(warm.logits).toEqual(cold.logits);
  await expect.poll(storedOrder).toEqual(recorded);
  // Deleting the model deletes what was recorded of it.
  await page.evaluate((id) => window.deepseek.cache.delete(id), INSTRUCT);
  expect(await storedOrder()).toBeNull();
});

test('every request stays on the app origin', async ({ page, baseURL }) => {
  const origins = new Set<string>();
  page.context().on('request', (request) => {
    const url = new URL(request.url());
    if (url.protocol.startsWith('http') && !isStartupHubLookup(url)) origins.add(url.origin);
  });
  await openApp(page);
  await loadModel(page, 'wasm', 'q4');
  await page.evaluate(
    (model) =>
      window.deepseek.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 }),
    INSTRUCT,
  );
  expect([...origins]).toEqual([new URL(baseURL!).origin]);
});

test('load reports download progress in bytes and percent, then the session build, ending ready at 100%', async ({ page }) => {
  await openApp(page);
  const events = await page.evaluate(async (model) => {
    const seen: { stage: string; loaded: number; total: number; percent: number; file?: string }[] = [];
    await window.deepseek.load(model, {
      device: 'wasm',
      dtype: 'q4',
      onProgress: (p) => seen.push({ stage: p.stage, loaded: p.loaded_bytes, total: p.total_bytes, percent: p.percent, file: p.file }),
    });
    return seen;
  }, INSTRUCT);
  const downloads = events.filter((event) => event.stage === 'download');
  expect(downloads.length).toBeGreaterThan(0);
  expect(downloads.some((event) => event.file === 'onnx/model_q4.onnx')).toBe(true);
  for (const event of downloads) {
    expect(event.loaded).toBeLessThanOrEqual(event.total);
    expect(event.percent).toBeGreaterThanOrEqual(0);
    expect(event.percent).toBeLessThanOrEqual(100);
  }
  // Once every byte is in, the runtime builds its session: said once, after the last download event.
  const stages = events.map((event) => event.stage).filter((stage, i, all) => stage !== all[i - 1]);
  expect(stages).toEqual(['download', 'prepare', 'ready']);
  const last = events.at(-1)!;
  expect(last.stage).toBe('ready');
  expect(last.percent).toBe(100);
  // The q4 graph alone is about 9.6 MB; the total covers it and the tokenizer.
  expect(last.total).toBeGreaterThan(9_000_000);
});
