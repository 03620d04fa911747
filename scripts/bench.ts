/**
 * `npm run bench`: speed figures for the tiny models, side by side in one run.
 *   - the sampler's own cost per token over the full 32,256-entry vocabulary;
 *   - the markdown renderer's cost per streamed token, incremental against a full re-render;
 *   - Node (onnxruntime-node CPU) per dtype;
 *   - Chromium: WASM and WebGPU per dtype, through window.deepseek;
 *   - a follow-up chat turn, with the KV cache of the turn before and without it.
 * Each measured run starts with its own system prompt, so only the BOS token
 * is found in the KV cache and prefill is measured cold. Tiny random models measure the engine's overhead and the runtimes' fixed
 * costs, not what a 1.3B model would do. Figures are medians over a few runs.
 */
import type { GenerationParams } from '../src/protocol/types.ts';
import { defaultGenerationParams } from '../src/protocol/validation.ts';
import { chromium } from 'playwright-core';
import { preview, build } from 'vite';
import type { ChatCompletion, Device, Dtype } from '../src/protocol/index.ts';
import { startEngine, INSTRUCT } from '../tests/engine/harness.ts';
import { createRandom } from '../workers/engine/sampling/random.ts';
import { createSampler } from '../workers/engine/sampling/sampler.ts';
import { renderMarkdown } from '../src/ui/markdown/render.ts';
import { MarkdownStream } from '../src/ui/markdown/stream.ts';

const RUNS = 3;
const QUESTION = 'Write a function that checks whether a number is prime.';
type Message = { role: 'system' | 'user' | 'assistant'; content: string };

/** A prompt no earlier request began with, beyond the BOS token. */
function coldPrompt(run: number): Message[] {
  return [
    { role: 'system', content: `Run ${run}. You are an AI programming assistant; answer questions about computer science.` },
    { role: 'user', content: QUESTION },
  ];
}

const EARLIER_CODE = Array.from({ length: 12 }, (_, i) => `def step_${i}(values):\n    return [value * ${i + 2} for value in values if value % ${i + 3}]\n`).join('\n');

/**
 * A chat's second turn: the first turn (a block of code and an answer) and a
 * new question. `first` is the first turn's answer, as the app sends it back.
 */
function followUp(run: number, first: string): Message[] {
  return [
    ...coldPrompt(run).slice(0, 1),
    { role: 'user', content: `Review this code:\n\n${EARLIER_CODE}` },
    { role: 'assistant', content: first },
    { role: 'user', content: 'Now add type hints.' },
  ];
}

interface Row {
  runtime: string;
  ttftMs: number;
  prefillTps: number;
  decodeTps: number;
  tokens: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function summarize(runtime: string, completions: ChatCompletion[]): Row {
  return {
    runtime,
    ttftMs: median(completions.map((c) => c.timings.time_to_first_token_ms)),
    prefillTps: median(completions.map((c) => c.timings.prefill_tokens_per_second)),
    decodeTps: median(completions.map((c) => c.timings.decode_tokens_per_second)),
    tokens: median(completions.map((c) => c.usage.completion_tokens)),
  };
}

interface FollowUpRow {
  runtime: string;
  promptTokens: number;
  cachedTokens: number;
  reusedTtftMs: number;
  coldTtftMs: number;
}

type ChatRunner = (messages: Message[], maxTokens: number) => Promise<ChatCompletion>;

/**
 * Time to first token of a chat's second turn, right after the first (its
 * prefix is in the KV cache), and again after an unrelated request (only the
 * BOS token is). Both runs produce the same prompt and the same first token.
 */
async function benchFollowUp(runtime: string, chat: ChatRunner): Promise<FollowUpRow> {
  const reused: ChatCompletion[] = [];
  const cold: ChatCompletion[] = [];
  for (let run = 0; run <= RUNS; run++) {
    const firstTurn = followUp(run, '').slice(0, 2);
    const answer = (await chat(firstTurn, 48)).choices[0]?.message.content ?? '';
    const withCache = await chat(followUp(run, answer), 1);
    await chat(coldPrompt(1000 + run), 1);
    const withoutCache = await chat(followUp(run, answer), 1);
    // Run 0 warms the runtime up.
    if (run === 0) continue;
    reused.push(withCache);
    cold.push(withoutCache);
  }
  return {
    runtime,
    promptTokens: median(reused.map((c) => c.usage.prompt_tokens)),
    cachedTokens: median(reused.map((c) => c.usage.prompt_tokens_details?.cached_tokens ?? 0)),
    reusedTtftMs: median(reused.map((c) => c.timings.time_to_first_token_ms)),
    coldTtftMs: median(cold.map((c) => c.timings.time_to_first_token_ms)),
  };
}

function benchSampler(): void {
  const vocabulary = 32256;
  const random = createRandom(1);
  const logits = Float32Array.from({ length: vocabulary }, () => random.next() * 20 - 10);
  const base: GenerationParams = { ...defaultGenerationParams(), seed: 1 };
  const history = Array.from({ length: 512 }, (_, i) => i * 7);
  const cases: [string, typeof base][] = [
    ['greedy', { ...base, temperature: 0 }],
    ['temperature only', { ...base, temperature: 0.7 }],
    ['top_k 40', { ...base, temperature: 0.7, topK: 40 }],
    ['top_p 0.95', { ...base, temperature: 0.7, topP: 0.95 }],
    ['all (rep 1.1, k 40, p 0.95, min_p 0.05)', { ...base, temperature: 0.7, topK: 40, topP: 0.95, minP: 0.05, repetitionPenalty: 1.1 }],
    ['penalties (frequency 0.5, presence 0.5, bias)', { ...base, frequencyPenalty: 0.5, presencePenalty: 0.5, logitBias: new Map([[42, 5]]) }],
  ];
  console.log('\nSampler cost per token (vocabulary 32,256, history 512)');
  for (const [name, params] of cases) {
    const sampler = createSampler(params, 32022, createRandom(2), 256);
    const iterations = 200;
    const start = performance.now();
    for (let i = 0; i < iterations; i++) sampler.next(logits, history);
    console.log(`  ${name.padEnd(42)} ${((performance.now() - start) / iterations).toFixed(3)} ms`);
  }
}

/** A long coding answer: prose, lists, a table and several code blocks, about 14,000 characters. */
function codingAnswer(): string {
  const python = Array.from({ length: 40 }, (_, i) => `    if value % ${i + 2} == 0:\n        totals["${i}"] = totals.get("${i}", 0) + value  # bucket ${i}`).join('\n');
  const typescript = Array.from({ length: 30 }, (_, i) => `  const step${i} = items.filter((item) => item.weight > ${i}).map((item) => ({ ...item, rank: ${i} }));`).join('\n');
  const section = (n: number) =>
    `## Part ${n}\n\nHere is how to **bucket** values by divisor, with \`totals\` as the accumulator:\n\n` +
    `\`\`\`python\ndef bucket(values):\n    totals = {}\n    for value in values:\n${python}\n    return totals\n\`\`\`\n\n` +
    `- It runs in *O(n)* time.\n- It keeps one dictionary.\n- Empty input gives \`{}\`.\n\n` +
    `| input | output |\n|---|---|\n| [] | {} |\n| [2, 4] | {"0": 6} |\n\n` +
    `And the same idea in TypeScript:\n\n\`\`\`ts\nexport function rank(items: Item[]) {\n${typescript}\n  return items;\n}\n\`\`\`\n\n`;
  return [1, 2].map(section).join('');
}

/**
 * What rendering costs per streamed token as an answer grows: the playground's
 * incremental renderer against parsing and highlighting the whole answer again.
 * Each figure is the mean over the 40 updates before that point of the answer.
 */
function benchMarkdown(): void {
  const answer = codingAnswer();
  const ends = Array.from({ length: Math.ceil(answer.length / 4) }, (_, i) => Math.min(answer.length, (i + 1) * 4));
  const stream = new MarkdownStream();
  const incremental = ends.map((end) => {
    const start = performance.now();
    stream.update(answer.slice(0, end));
    return performance.now() - start;
  });
  const window = 40;
  console.log(`\nMarkdown per streamed token (${answer.length.toLocaleString('en-US')}-character answer, 4 characters a token; mean of ${window} tokens)`);
  console.log(`  ${'at'.padEnd(12)} ${'incremental'.padStart(12)} ${'full re-render'.padStart(15)}`);
  for (const share of [0.25, 0.5, 0.75, 1]) {
    const last = Math.round(share * ends.length);
    const slice = incremental.slice(last - window, last);
    const full = ends.slice(last - window, last).map((end) => {
      const start = performance.now();
      renderMarkdown(answer.slice(0, end));
      return performance.now() - start;
    });
    const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
    console.log(`  ${`${Math.round(share * 100)}%`.padEnd(12)} ${`${mean(slice).toFixed(3)} ms`.padStart(12)} ${`${mean(full).toFixed(3)} ms`.padStart(15)}`);
  }
}

async function benchNode(followUps: FollowUpRow[]): Promise<Row[]> {
  const { engine, close } = await startEngine();
  const rows: Row[] = [];
  try {
    for (const dtype of ['fp32', 'q4', 'q4f16'] as const) {
      await engine.load(INSTRUCT, { device: 'cpu', dtype });
      const request = (run: number) => ({ model: INSTRUCT, messages: coldPrompt(run), temperature: 0, max_tokens: 32 });
      await engine.chat(request(0));
      const completions: ChatCompletion[] = [];
      for (let i = 1; i <= RUNS; i++) completions.push(await engine.chat(request(i)));
      rows.push(summarize(`node cpu ${dtype}`, completions));
      if (dtype === 'q4') {
        followUps.push(
          await benchFollowUp('node cpu q4', (messages, maxTokens) => engine.chat({ model: INSTRUCT, messages, temperature: 0, max_tokens: maxTokens })),
        );
      }
    }
  } finally {
    await close();
  }
  return rows;
}

async function benchBrowser(followUps: FollowUpRow[]): Promise<Row[]> {
  await build({ mode: 'test', logLevel: 'warn', build: { outDir: 'dist-test' } });
  const server = await preview({ mode: 'test', logLevel: 'warn', build: { outDir: 'dist-test' }, preview: { host: '127.0.0.1', port: 0 } });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('The preview server did not report its URL.');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--enable-unsafe-webgpu', '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const rows: Row[] = [];
  try {
    const page = await browser.newPage();
    await page.goto(url);
    await page.waitForFunction(() => window.deepseek !== undefined);
    const configurations: [Device, Dtype, number][] = [
      ['wasm', 'q4', 32],
      ['wasm', 'q4f16', 32],
      ['wasm', 'fp32', 32],
      // SwiftShader WebGPU takes seconds a token: keep these short.
      ['webgpu', 'q4', 6],
      ['webgpu', 'fp32', 6],
    ];
    for (const [device, dtype, maxTokens] of configurations) {
      const completions = await page.evaluate(
        async ({ model, device, dtype, maxTokens, prompts }) => {
          await window.deepseek.load(model, { device, dtype });
          const results = [];
          for (const [run, messages] of prompts.entries()) {
            const completion = await window.deepseek.chat.completions.create({ model, messages, temperature: 0, max_tokens: maxTokens });
            // The first run warms the runtime up.
            if (run > 0) results.push(completion);
          }
          return results;
        },
        { model: INSTRUCT, device, dtype, maxTokens, prompts: Array.from({ length: (device === 'webgpu' ? 1 : RUNS) + 1 }, (_, run) => coldPrompt(run)) },
      );
      rows.push(summarize(`chromium ${device} ${dtype}`, completions));
      if (device === 'wasm' && dtype === 'q4') {
        followUps.push(
          await benchFollowUp('chromium wasm q4', (messages, maxTokens) =>
            page.evaluate(
              ({ model, messages, maxTokens }) => window.deepseek.chat.completions.create({ model, messages, temperature: 0, max_tokens: maxTokens }),
              { model: INSTRUCT, messages, maxTokens },
            ),
          ),
        );
      }
    }
    const report = await page.evaluate(() => window.deepseek.device());
    console.log(`\nChromium: WebGPU adapter ${report.adapter ?? 'none'}, shader-f16 ${report.shader_f16}, WASM threads ${report.wasm_threads}`);
  } finally {
    await browser.close();
    await new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
  }
  return rows;
}

benchSampler();
benchMarkdown();
const followUps: FollowUpRow[] = [];
const rows = [...(await benchNode(followUps)), ...(await benchBrowser(followUps))];
console.log(`\nTiny instruct model, greedy, prompt "${QUESTION}", cold prefill (medians of ${RUNS} runs; WebGPU: 1 run)`);
console.log(
  `  ${'runtime'.padEnd(24)} ${'first token'.padStart(12)} ${'prefill'.padStart(14)} ${'decode'.padStart(12)} ${'tokens'.padStart(7)}`,
);
for (const row of rows) {
  console.log(
    `  ${row.runtime.padEnd(24)} ${`${row.ttftMs.toFixed(0)} ms`.padStart(12)} ${`${row.prefillTps.toFixed(0)} tok/s`.padStart(14)} ${`${row.decodeTps.toFixed(1)} tok/s`.padStart(12)} ${String(row.tokens).padStart(7)}`,
  );
}
console.log(`\nA chat's second turn: first token with the first turn's KV cache, and without (medians of ${RUNS} runs)`);
console.log(
  `  ${'runtime'.padEnd(24)} ${'prompt'.padStart(8)} ${'cached'.padStart(8)} ${'with cache'.padStart(12)} ${'without'.padStart(10)} ${'speed-up'.padStart(9)}`,
);
for (const row of followUps) {
  console.log(
    `  ${row.runtime.padEnd(24)} ${String(row.promptTokens).padStart(8)} ${String(row.cachedTokens).padStart(8)} ${`${row.reusedTtftMs.toFixed(1)} ms`.padStart(12)} ${`${row.coldTtftMs.toFixed(1)} ms`.padStart(10)} ${`${(row.coldTtftMs / row.reusedTtftMs).toFixed(1)}×`.padStart(9)}`,
  );
}
process.exit(0);
