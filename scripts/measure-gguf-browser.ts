/**
 * `npx tsx scripts/measure-gguf-browser.ts [--shape 1.3b|6.7b] [--device webgpu|wasm] [--tokens 1] [--minutes 20] [--skip-build]`:
 * loads a full-shape random-weight Q4_0 GGUF file through the app, as a person
 * who types its id into the library does: `window.deepseek.load` on the test
 * build's page, in Debian's Chromium with a fresh profile on disk, from the
 * test mirror by Range requests. The worker converts it, stores the graph and
 * its external-data chunks (2 GB at most each) in Cache Storage, and builds
 * the session; then one completion of `--tokens` tokens (0: none). It prints each load
 * stage's time (convert, download, prepare, ready), the renderer's peak resident
 * memory when the conversion ended and overall, the GPU process's, each against
 * the file's size, and, if the
 * deadline (`--minutes`) passes first, the stage it stopped in.
 *
 * The file is written first when missing (scripts/measure-gguf-conversion.ts
 * writes the same one). Not part of `npm test`: at 6.7B shape it needs about
 * 12 GB of memory and, on SwiftShader, many minutes.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { RendererMemory, freshProfile, startServer } from './bench-full/browser.ts';
import { FULL_SHAPES } from './generate-full-fixture.ts';
import { root } from './llama-graph/hub-repo.ts';
import type { LoadProgress } from '../src/protocol/types.ts';

const argv = process.argv.slice(2);
const option = (flag: string, fallback: string) => {
  const index = argv.indexOf(flag);
  return index === -1 ? fallback : argv[index + 1];
};
const shapeName = option('--shape', '1.3b');
if (!(shapeName in FULL_SHAPES)) throw new Error(`--shape must be ${Object.keys(FULL_SHAPES).join(' or ')}, got '${shapeName}'.`);
const shape = FULL_SHAPES[shapeName as keyof typeof FULL_SHAPES];
const device = option('--device', 'webgpu');
const tokens = Number(option('--tokens', '1'));
const deadline = Date.now() + Number(option('--minutes', '20')) * 60_000;
const file = join(root, 'fixtures', 'hub', shape.id, shape.gguf);
if (!existsSync(file)) {
  const written = spawnSync(process.execPath, [...process.execArgv, join(root, 'scripts', 'measure-gguf-conversion.ts'), '--shape', shapeName], { stdio: 'inherit' });
  if (written.status !== 0) process.exit(written.status ?? 1);
}
const fileBytes = statSync(file).size;
const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GiB (${(bytes / fileBytes).toFixed(2)}× the file)`;
const modelId = `${shape.id}/${shape.gguf}`;

const server = await startServer(0, argv.includes('--skip-build'));
const profile = await freshProfile();
const renderer = new RendererMemory(profile.dir);
const gpu = new RendererMemory(profile.dir, 'gpu-process');
const started = Date.now();
const stages: Record<string, number> = {};
let stage = 'page';
let last: LoadProgress | null = null;
/** The renderer's peak when the conversion ended: the conversion's own, before the session holds the weights. */
let conversionPeak: number | null = null;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
let outcome = 'finished';
try {
  const page = await profile.context.newPage();
  await page.exposeFunction('reportProgress', (progress: LoadProgress) => {
    if (!(progress.stage in stages)) {
      stages[progress.stage] = Date.now() - started;
      if (stage === 'convert') conversionPeak = renderer.peak();
    }
    stage = progress.stage;
    last = progress;
  });
  page.on('requestfailed', (request) => console.log(`request failed: ${request.url()} (${request.failure()?.errorText ?? '?'})`));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') console.log(`console ${message.type()}: ${message.text()}`);
  });
  await page.goto(server.url);
  await page.waitForFunction(() => window.deepseek !== undefined);
  const work = (async () => {
    stage = 'load';
    // A string: tsx would wrap a function's inner arrow in a helper the page lacks.
    await page.evaluate(
      `window.deepseek.load(${JSON.stringify(modelId)}, { device: ${JSON.stringify(device)}, dtype: 'q4', onProgress: (progress) => void window.reportProgress(progress) })`,
    );
    stages.loaded = Date.now() - started;
    if (tokens === 0) return;
    stage = 'generate';
    const completion = await page.evaluate(
      ({ modelId, tokens }) => window.deepseek.completions.create({ model: modelId, prompt: 'def fibonacci(n):', max_tokens: tokens, temperature: 0 }),
      { modelId, tokens },
    );
    stages.generated = Date.now() - started;
    console.log(`generated ${completion.usage?.completion_tokens} token(s): ${JSON.stringify(completion.choices[0]?.text)}`);
  })();
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('deadline')), deadline - Date.now()));
  await Promise.race([work, timeout]).catch((error: unknown) => {
    outcome = error instanceof Error && error.message === 'deadline' ? `stopped by the deadline in stage '${stage}'` : `failed in stage '${stage}': ${String(error)}`;
  });
} finally {
  const rendererPeak = renderer.stop();
  const gpuPeak = gpu.stop();
  console.log(`${modelId} (${gib(fileBytes).split(' (')[0]}) on ${device}: ${outcome}`);
  for (const [name, at] of Object.entries(stages)) console.log(`  ${name.padEnd(10)} at ${seconds(at)}`);
  const progress = last as LoadProgress | null;
  if (progress) console.log(`  last progress: ${progress.stage} ${progress.loaded_bytes} of ${progress.total_bytes} bytes`);
  if (conversionPeak !== null) console.log(`  renderer peak by the end of the conversion ${gib(conversionPeak)}`);
  console.log(`  renderer peak ${gib(rendererPeak)}; GPU process peak ${gib(gpuPeak)}`);
  await profile.close();
  await server.close();
}
process.exit(outcome === 'finished' ? 0 : 1);
