/**
 * `npx tsx scripts/check-gguf-webgpu.ts`: runs the tiny GGUF files, converted
 * to q4 graphs by the worker's code, on onnxruntime-web's WebGPU provider in
 * Chromium, and compares their logits with onnxruntime-node's CPU ones. It
 * checks, on a real WebGPU adapter (SwiftShader on a machine without a GPU),
 * the ops a conversion relies on: MatMulNBits with 4 bits and uint4 zero
 * points (Q4_K), 8 bits in blocks of 32 (Q8_0) and 16 (Q6_K), and
 * GatherBlockQuantized with 4 and 8 bits; and Q4_K's exact form, whose
 * block biases add ReduceSum and MatMul nodes. Prints one line per file; exits 1
 * on a mismatch, or when ORT placed any of those ops on its CPU provider
 * instead (it falls back silently; its verbose log lists the placements).
 * Not part of `npm test`: it needs Chromium and takes about a minute.
 */
import { openAsBlob, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { chromium } from 'playwright-core';
import { buildModelWithExternalData } from '../workers/model-build/external-data.ts';
import type { KQuantMode } from '../workers/model-build/ggml-to-matmul-nbits.ts';
import { blobFetch, rangeReader, readGgufHeader } from '../workers/model-build/gguf-file.ts';
import { ggufModel } from '../workers/model-build/gguf-model.ts';
import { ggufWeightSource } from '../workers/model-build/gguf-weights.ts';
import { KQUANT_GGUF, KQUANT_MODEL_ID, KQUANT_Q4_0_GGUF, generateFixtures, hubDir } from './generate-fixtures.ts';
import { root } from './llama-graph/hub-repo.ts';

const FILES: [string, string, KQuantMode][] = [
  ['tiny-random/deepseek-coder-instruct', 'deepseek-coder-instruct.Q4_0.gguf', 'zero-points'],
  ['tiny-random/deepseek-coder-instruct', 'deepseek-coder-instruct.Q8_0.gguf', 'zero-points'],
  [KQUANT_MODEL_ID, KQUANT_GGUF, 'zero-points'],
  [KQUANT_MODEL_ID, KQUANT_GGUF, 'exact'],
  [KQUANT_MODEL_ID, KQUANT_Q4_0_GGUF, 'zero-points'],
];
const PROMPT = [32013, 1551, 16600, 7, 77, 1772, 185, 315];
/** WebGPU sums in another order than the CPU, in fp32: logits agree to a few thousandths. */
const TOLERANCE = 1e-2;

interface Converted {
  label: string;
  model: Uint8Array;
  chunks: { path: string; data: Uint8Array }[];
  layers: number;
  heads: number;
  headDim: number;
}

async function convert(repo: string, file: string, kQuants: KQuantMode): Promise<Converted> {
  const fetchFile = blobFetch(await openAsBlob(join(hubDir, repo, file)));
  const url = `https://hub.test/${repo}/resolve/main/${file}`;
  const model = ggufModel(await readGgufHeader(url, fetchFile));
  const chunks: Uint8Array[][] = [];
  const built = await buildModelWithExternalData(model.config, ggufWeightSource(model, rangeReader(url, fetchFile), { kQuants }), { dtype: 'q4' }, {
    modelFileName: 'model_q4.onnx',
    sink: (chunk, bytes) => void (chunks[chunk] ??= []).push(bytes),
  });
  return {
    label: file.endsWith('Q4_K_M.gguf') ? `${file} (${kQuants})` : file,
    model: built.model,
    chunks: built.chunkFileNames.map((path, index) => ({ path, data: new Uint8Array(Buffer.concat(chunks[index])) })),
    layers: model.config.numLayers,
    heads: model.config.numHeads,
    headDim: model.config.headDim,
  };
}

/** Prefill logits on the CPU, for comparison. */
async function cpuLogits(converted: Converted): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(converted.model, { externalData: converted.chunks });
  const ids = (values: number[]) => new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), [1, values.length]);
  const feeds: Record<string, ort.Tensor> = { input_ids: ids(PROMPT), attention_mask: ids(PROMPT.map(() => 1)), position_ids: ids(PROMPT.map((_, i) => i)) };
  for (let i = 0; i < converted.layers; i++) {
    for (const kind of ['key', 'value']) feeds[`past_key_values.${i}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [1, converted.heads, 0, converted.headDim]);
  }
  return (await session.run(feeds)).logits.data as Float32Array;
}

/** The page's side: the same prefill on WebGPU, the model and its chunks fetched from this server. */
async function webgpuLogits(page: import('playwright-core').Page, index: number, converted: Converted): Promise<number[]> {
  return page.evaluate(
    async ({ index, chunkNames, layers, heads, headDim, prompt, runtime }) => {
      const ortWeb = (await import(runtime)) as typeof import('onnxruntime-web');
      ortWeb.env.wasm.wasmPaths = '/ort/';
      ortWeb.env.wasm.numThreads = 1;
      const bytes = async (path: string) => new Uint8Array(await (await fetch(path)).arrayBuffer());
      const externalData = await Promise.all(chunkNames.map(async (path) => ({ path, data: await bytes(`/model/${index}/${path}`) })));
      const session = await ortWeb.InferenceSession.create(await bytes(`/model/${index}/model_q4.onnx`), { executionProviders: ['webgpu'], externalData, logSeverityLevel: 0 });
      const ids = (values: number[]) => new ortWeb.Tensor('int64', BigInt64Array.from(values.map(BigInt)), [1, values.length]);
      const feeds: Record<string, unknown> = { input_ids: ids(prompt), attention_mask: ids(prompt.map(() => 1)), position_ids: ids(prompt.map((_, i) => i)) };
      for (let i = 0; i < layers; i++) {
        for (const kind of ['key', 'value']) feeds[`past_key_values.${i}.${kind}`] = new ortWeb.Tensor('float32', new Float32Array(0), [1, heads, 0, headDim]);
      }
      const output = await session.run(feeds as Record<string, InstanceType<typeof ortWeb.Tensor>>);
      return Array.from(output.logits.data as Float32Array);
    },
    {
      index,
      chunkNames: converted.chunks.map((chunk) => chunk.path),
      layers: converted.layers,
      heads: converted.heads,
      headDim: converted.headDim,
      prompt: PROMPT,
      runtime: '/ort/ort.webgpu.min.mjs',
    },
  );
}

/** The quantized ops ORT's verbose log lists under each provider's placements, by provider. */
function quantizedOpPlacements(log: string[]): { cpu: string[]; webgpu: string[] } {
  const placed = { cpu: [] as string[], webgpu: [] as string[] };
  let provider: keyof typeof placed | null = null;
  for (const line of log) {
    const heading = /Node\(s\) placed on \[(\w+)\]/.exec(line);
    if (heading) provider = heading[1] === 'CPUExecutionProvider' ? 'cpu' : heading[1] === 'WebGpuExecutionProvider' ? 'webgpu' : null;
    // Placements are listed once per graph partitioning pass; each node is counted once.
    const node = /AssignedToAnEp\]\s+(MatMulNBits|GatherBlockQuantized) \((.+)\)/.exec(line);
    if (!heading && provider && node && !placed[provider].includes(`${node[1]} ${node[2]}`)) placed[provider].push(`${node[1]} ${node[2]}`);
  }
  return placed;
}

async function main(): Promise<number> {
  await generateFixtures();
  const converted = await Promise.all(FILES.map(([repo, file, kQuants]) => convert(repo, file, kQuants)));
  const ortDir = join(root, 'node_modules', 'onnxruntime-web', 'dist');
  const server = createServer((request, response) => {
    const path = request.url ?? '/';
    const model = /^\/model\/(\d+)\/(.+)$/.exec(path);
    let body: Uint8Array | string | null = null;
    if (path === '/') body = '<!doctype html><title>WebGPU check</title>';
    else if (path.startsWith('/ort/')) body = readFileSync(join(ortDir, path.slice(5).replace(/\.\./g, '')));
    else if (model) {
      const entry = converted[Number(model[1])];
      body = model[2] === 'model_q4.onnx' ? entry.model : (entry.chunks.find((chunk) => chunk.path === model[2])?.data ?? null);
    }
    if (body === null) return void response.writeHead(404).end();
    const type = path.endsWith('.mjs') ? 'text/javascript' : path.endsWith('.wasm') ? 'application/wasm' : path === '/' ? 'text/html' : 'application/octet-stream';
    response.writeHead(200, { 'content-type': type }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--enable-unsafe-webgpu', '--no-sandbox'] });
  let failures = 0;
  try {
    const page = await browser.newPage();
    // tsx keeps function names with a __name helper, which code sent to the page also calls.
    await page.addInitScript('globalThis.__name = (target) => target;');
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const adapter = await page.evaluate(async () => {
      const found = await (navigator as Navigator & { gpu?: { requestAdapter(): Promise<{ info?: { description?: string; vendor?: string } } | null> } }).gpu?.requestAdapter();
      return found ? `${found.info?.vendor ?? ''} ${found.info?.description ?? ''}`.trim() || 'an adapter' : null;
    });
    if (!adapter) throw new Error('Chromium offers no WebGPU adapter here.');
    console.log(`WebGPU adapter: ${adapter}`);
    const log: string[] = [];
    page.on('console', (message) => log.push(message.text()));
    for (const [index, entry] of converted.entries()) {
      log.length = 0;
      const [cpu, gpu] = [await cpuLogits(entry), await webgpuLogits(page, index, entry)];
      const placements = quantizedOpPlacements(log);
      if (placements.cpu.length > 0 || placements.webgpu.length === 0) {
        failures += 1;
        console.log(`FAIL ${entry.label}: ORT ran ${placements.cpu.join(', ') || 'no quantized op'} on its CPU provider, ${placements.webgpu.length} on WebGPU`);
      }
      const maxError = gpu.reduce((max, value, i) => Math.max(max, Math.abs(value - cpu[i])), 0);
      const ok = gpu.length === cpu.length && maxError <= TOLERANCE;
      if (!ok) failures += 1;
      const count = (op: string) => placements.webgpu.filter((node) => node.startsWith(op)).length;
      const ops = `${count('MatMulNBits')} MatMulNBits, ${count('GatherBlockQuantized')} GatherBlockQuantized`;
      console.log(
        `${ok ? 'ok  ' : 'FAIL'} ${entry.label} → q4 on WebGPU (${ops} placed there): ` +
          `max |logit difference| from the CPU ${maxError.toExponential(2)} (tolerance ${TOLERANCE})`,
      );
    }
  } finally {
    await browser.close();
    server.close();
  }
  return failures === 0 ? 0 : 1;
}

process.exitCode = await main();
