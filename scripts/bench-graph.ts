/**
 * `npm run bench:graph`: what the graph's form costs, at DeepSeek Coder 1.3B's
 * full width with a few layers (scripts/bench-graph/models.ts): the hub
 * export's plain graph against the same weights with num_logits_to_keep, with
 * ORT's fused ops, and with MatMulNBits accuracy_level 4. For each: prefill
 * of the prompt in one pass and greedy decode, in Node (onnxruntime-node, CPU)
 * and in Chromium (onnxruntime-web, WASM), `threads` threads each; variants
 * take turns round by round, so a machine's changing load falls on all of
 * them alike; figures are medians over the rounds. Then ORT's per-node
 * profile in Node, per op type and per part of the model.
 *
 * `--model=PATH` times and profiles one ONNX file instead (the full-size
 * model's, for one: fixtures/hub/full-random/deepseek-coder-1.3b-instruct/onnx/
 * model_quantized.onnx), a graph of 1.3B's heads with the engine's inputs.
 *
 * Flags: --layers=4 --dtype=q4 (or q8) --threads=2 --prompt-tokens=256
 * --decode-tokens=16 --rounds=3 --variants=plain,plain+keep,fused-norms,fused,plain+acc4,fused+acc4
 * (accuracy_level applies to q4's MatMulNBits only)
 * --node=true --browser=true --profile=true --out=.test-output/bench-graph.json
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { startBrowserBench } from './bench-graph/browser-run.ts';
import { ensureModels, VARIANTS, benchConfig, type VariantName } from './bench-graph/models.ts';
import { createSession, profilePasses, runPasses, type PassTimes, type RunShape } from './bench-graph/node-run.ts';
import type { PhaseTimes, ProfileSummary } from './bench-graph/profile.ts';
import { createRandom } from '../workers/engine/sampling/random.ts';
import type { ModelDtype } from '../workers/model-build/graph.ts';

function flag(name: string, fallback: string): string {
  const found = process.argv.find((argument) => argument.startsWith(`--${name}=`));
  return found ? found.slice(name.length + 3) : fallback;
}

const layers = Number(flag('layers', '4'));
const threads = Number(flag('threads', '2'));
const promptTokens = Number(flag('prompt-tokens', '256'));
const decodeTokens = Number(flag('decode-tokens', '16'));
const rounds = Number(flag('rounds', '3'));
const modelFile = flag('model', '');
/** With --model, its one file, named after it; otherwise the built variants. */
const variants = (modelFile ? [basename(modelFile)] : flag('variants', Object.keys(VARIANTS).join(',')).split(',')) as VariantName[];
const node = flag('node', 'true') === 'true';
const browser = flag('browser', 'true') === 'true';
const profile = flag('profile', 'true') === 'true';
const out = flag('out', '.test-output/bench-graph.json');
const dtype = flag('dtype', 'q4') as ModelDtype;
if (!['q4', 'q8'].includes(dtype)) throw new Error(`--dtype must be q4 or q8 (fp32 activations, as the passes feed), got '${dtype}'.`);
if (!modelFile) for (const variant of variants) if (!(variant in VARIANTS)) throw new Error(`Unknown variant '${variant}': use ${Object.keys(VARIANTS).join(', ')}.`);

const config = benchConfig(layers);
const random = createRandom(7);
const shape: RunShape = {
  threads,
  // Random ids below the tokenizer's size; the weights are random too, so any ids do.
  promptIds: Array.from({ length: promptTokens }, () => Math.floor(random.next() * 32000)),
  decodeTokens,
  kvHeads: config.numHeads,
  headDim: config.headDim,
};

interface Figures {
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number;
  /** The best round's: on a machine others load too, the nearest to what it does at rest. */
  bestPrefillTokensPerSecond: number;
  bestDecodeTokensPerSecond: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function figures(runs: PassTimes[]): Figures {
  const prefill = runs.map((run) => (promptTokens * 1000) / run.prefillMs);
  const decode = runs.map((run) => (run.decodeMs.length * 1000) / run.decodeMs.reduce((a, b) => a + b, 0));
  return {
    prefillTokensPerSecond: median(prefill),
    decodeTokensPerSecond: median(decode),
    bestPrefillTokensPerSecond: Math.max(...prefill),
    bestDecodeTokensPerSecond: Math.max(...decode),
  };
}

/** Runs `measure` for every variant, round by round; returns each variant's runs. */
async function interleaved(measure: (variant: VariantName) => Promise<PassTimes>): Promise<Record<string, PassTimes[]>> {
  const runs: Record<string, PassTimes[]> = Object.fromEntries(variants.map((variant) => [variant, []]));
  for (let round = 0; round < rounds; round++) {
    for (const variant of variants) {
      const result = await measure(variant);
      runs[variant].push(result);
      const { prefillTokensPerSecond, decodeTokensPerSecond } = figures([result]);
      console.log(`  round ${round + 1} ${variant}: prefill ${prefillTokensPerSecond.toFixed(1)} tok/s, decode ${decodeTokensPerSecond.toFixed(2)} tok/s`);
    }
  }
  return runs;
}

function printFigures(title: string, runs: Record<string, PassTimes[]>): Record<string, Figures> {
  const result = Object.fromEntries(Object.entries(runs).map(([variant, times]) => [variant, figures(times)]));
  const base = result.plain;
  const cell = (value: number, reference: number | undefined, digits: number) =>
    `${value.toFixed(digits).padStart(7)}${reference ? ` ×${(value / reference).toFixed(2)}` : ''}`.padEnd(14);
  console.log(`\n${title}, tok/s and × plain: median of ${rounds} rounds, then the best round`);
  console.log(`  ${''.padEnd(12)}${'prefill'.padEnd(14)}${'decode'.padEnd(14)}${'best prefill'.padEnd(14)}best decode`);
  for (const [variant, figure] of Object.entries(result)) {
    console.log(
      `  ${variant.padEnd(12)}${cell(figure.prefillTokensPerSecond, base?.prefillTokensPerSecond, 1)}${cell(figure.decodeTokensPerSecond, base?.decodeTokensPerSecond, 2)}` +
        `${cell(figure.bestPrefillTokensPerSecond, base?.bestPrefillTokensPerSecond, 1)}${cell(figure.bestDecodeTokensPerSecond, base?.bestDecodeTokensPerSecond, 2)}`,
    );
  }
  return result;
}

function printProfile(variant: string, summary: ProfileSummary): void {
  const row = (name: string, { prefillMs, decodeMs }: PhaseTimes) => `    ${name.padEnd(34)} ${prefillMs.toFixed(1).padStart(9)} ${decodeMs.toFixed(2).padStart(9)}`;
  console.log(`\n  ${variant}: ms in the prefill pass / per decode step`);
  console.log(row('wall (session.run)', summary.runs.wall));
  console.log(row('ORT run (model_run)', summary.runs.ort));
  console.log(row('kernels', summary.runs.kernels));
  console.log('   by part of the model:');
  for (const [part, times] of Object.entries(summary.byPart)) console.log(row(part, times));
  console.log('   by op type:');
  for (const [op, times] of Object.entries(summary.byOp)) if (times.prefillMs >= 0.05 || times.decodeMs >= 0.05) console.log(row(op, times));
}

const paths: Record<string, string> = modelFile ? { [variants[0]]: modelFile } : ensureModels(layers, dtype, variants);
console.log(
  `bench:graph: ${modelFile || `${layers} layers at 1.3B width, ${dtype}`}, ${threads} threads, ${promptTokens} prompt tokens, ${decodeTokens} decoded, ${rounds} rounds`,
);

const report: Record<string, unknown> = { ...(modelFile ? { model: modelFile } : { layers, dtype }), threads, promptTokens, decodeTokens, rounds };
if (node) {
  console.log('\nNode (onnxruntime-node, CPU):');
  const sessions = new Map<string, Awaited<ReturnType<typeof createSession>>>();
  for (const variant of variants) sessions.set(variant, await createSession(paths[variant], threads));
  const nodeRuns = await interleaved(async (variant) => {
    const session = sessions.get(variant);
    if (!session) throw new Error(`no session for ${variant}`);
    return runPasses(session, shape);
  });
  for (const session of sessions.values()) await session.release();
  report.node = printFigures('Node', nodeRuns);
}

if (node && profile) {
  console.log('\nNode profile (one run each, profiler on: slower than the timed runs)');
  const profiles: Record<string, ProfileSummary> = {};
  for (const variant of variants) {
    profiles[variant] = (await profilePasses(paths[variant], shape)).profile;
    printProfile(variant, profiles[variant]);
  }
  report.profiles = profiles;
}

if (browser) {
  console.log('\nChromium (onnxruntime-web, WASM):');
  const bench = await startBrowserBench(variants.map((variant) => paths[variant]), threads);
  try {
    report.browser = printFigures('Chromium WASM', await interleaved((variant) => bench.run(paths[variant], shape)));
    if (profile) {
      console.log('\nChromium WASM profile (one run each, profiler on)');
      const profiles: Record<string, ProfileSummary> = {};
      for (const variant of variants) {
        profiles[variant] = (await bench.profile(paths[variant], shape)).profile;
        printProfile(variant, profiles[variant]);
      }
      report.browserProfiles = profiles;
    }
  } finally {
    await bench.close();
  }
}

mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
console.log(`\nbench:graph: wrote ${out}`);
