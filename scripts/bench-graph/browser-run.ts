/**
 * One variant's passes in Chromium on onnxruntime-web's WASM CPU provider, the
 * bundle transformers.js loads (`onnxruntime-web/webgpu`), cross-origin
 * isolated so it runs `threads` threads: the same passes as node-run.ts,
 * timed in the page. A small server of its own serves the runtime and the
 * model files; transformers.js is not involved, so these are the graph's and
 * the runtime's figures, with the page's copies of inputs and outputs.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { root } from '../llama-graph/hub-repo.ts';
import type { PassTimes, RunShape } from './node-run.ts';
import { summarizeProfile, type ProfileEvent, type ProfileSummary } from './profile.ts';

const ISOLATED = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };
const TYPES: Record<string, string> = { '.mjs': 'text/javascript', '.wasm': 'application/wasm' };
const PAGE = `<!doctype html><script type="module">
import * as ort from '/ort/ort.webgpu.bundle.min.mjs';
ort.env.wasm.wasmPaths = '/ort/';
window.ort = ort;
</script>`;

export interface BrowserBench {
  run(modelPath: string, shape: RunShape): Promise<PassTimes>;
  /** The same passes with ORT's profiler on; the WASM build prints the profile's events to the console. */
  profile(modelPath: string, shape: RunShape): Promise<{ times: PassTimes; profile: ProfileSummary }>;
  close(): Promise<void>;
}

/** Serves the page, onnxruntime-web's files under /ort/ and the named model files under /model/{index}. */
function serve(models: string[]): Server {
  return createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname === '/') {
      response.writeHead(200, { 'content-type': 'text/html', ...ISOLATED });
      response.end(PAGE);
      return;
    }
    const path = url.pathname.startsWith('/ort/')
      ? join(root, 'node_modules', 'onnxruntime-web', 'dist', url.pathname.slice('/ort/'.length).replaceAll('..', ''))
      : url.pathname.startsWith('/model/')
        ? models[Number(url.pathname.slice('/model/'.length))]
        : undefined;
    if (!path || !existsSync(path)) {
      response.writeHead(404);
      response.end();
      return;
    }
    response.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream', 'content-length': statSync(path).size, ...ISOLATED });
    createReadStream(path).pipe(response);
  });
}

export async function startBrowserBench(models: string[], threads: number): Promise<BrowserBench> {
  const server = serve(models);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const browser: Browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  const page: Page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(() => 'ort' in window && crossOriginIsolated);
  await page.evaluate((count) => {
    (window as unknown as { ort: { env: { wasm: { numThreads: number } } } }).ort.env.wasm.numThreads = count;
  }, threads);
  const consoleLines: string[] = [];
  page.on('console', (message) => consoleLines.push(message.text()));
  return {
    run: (modelPath, shape) => page.evaluate(browserPasses, { url: `/model/${models.indexOf(modelPath)}`, profile: false, ...shape }),
    profile: async (modelPath, shape) => {
      consoleLines.length = 0;
      const times = await page.evaluate(browserPasses, { url: `/model/${models.indexOf(modelPath)}`, profile: true, ...shape });
      // One event per line, each followed by a comma, between "[" and "]".
      const events = consoleLines.filter((line) => line.startsWith('{"cat"')).map((line) => JSON.parse(line.replace(/,\s*$/, '')) as ProfileEvent);
      return { times, profile: summarizeProfile(events, [times.prefillMs, ...times.decodeMs]) };
    },
    close: async () => {
      await browser.close();
      server.close();
    },
  };
}

/** Runs in the page: node-run.ts's passes, with onnxruntime-web. Self-contained, as page.evaluate requires. */
async function browserPasses(options: RunShape & { url: string; profile: boolean }): Promise<PassTimes> {
  const ort = (window as unknown as { ort: typeof import('onnxruntime-web') }).ort;
  const bytes = new Uint8Array(await (await fetch(options.url)).arrayBuffer());
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all', enableProfiling: options.profile });
  const layers = session.inputNames.filter((name) => name.startsWith('past_key_values.')).length / 2;
  let past: Record<string, import('onnxruntime-web').Tensor> = {};
  for (let i = 0; i < layers; i++) {
    for (const kind of ['key', 'value']) past[`past_key_values.${i}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [1, options.kvHeads, 0, options.headDim]);
  }
  const keepsLogits = session.inputNames.includes('num_logits_to_keep');
  let length = 0;
  const times: number[] = [];
  let next = 0;
  for (let step = 0; step <= options.decodeTokens; step++) {
    const ids = step === 0 ? options.promptIds : [next];
    const total = length + ids.length;
    const feeds: Record<string, import('onnxruntime-web').Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from(ids, (_, i) => BigInt(length + i)), [1, ids.length]),
      ...past,
    };
    if (keepsLogits) feeds.num_logits_to_keep = new ort.Tensor('int64', BigInt64Array.of(1n), []);
    const started = performance.now();
    const outputs = await session.run(feeds);
    times.push(performance.now() - started);
    for (const tensor of Object.values(past)) tensor.dispose();
    past = {};
    for (const [name, tensor] of Object.entries(outputs)) if (name.startsWith('present.')) past[name.replace('present.', 'past_key_values.')] = tensor;
    const [, rows, vocab] = outputs.logits.dims;
    const logits = outputs.logits.data as Float32Array;
    next = 0;
    for (let i = 1; i < vocab; i++) if (logits[(rows - 1) * vocab + i] > logits[(rows - 1) * vocab + next]) next = i;
    length = total;
  }
  if (options.profile) session.endProfiling();
  await session.release();
  return { prefillMs: times[0], decodeMs: times.slice(1) };
}
