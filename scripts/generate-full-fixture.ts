/**
 * `npm run fixtures:full`: a random-weight model with DeepSeek Coder 1.3B
 * instruct's exact shape, in the hub's layout, for the benchmarks and the
 * real-size checks (not part of `npm test`):
 *
 *   fixtures/hub/full-random/deepseek-coder-1.3b-instruct/
 *     config.json  generation_config.json  tokenizer.json  tokenizer_config.json
 *     onnx/model_q4.onnx        MatMulNBits, 4 bits, block 32, fp32 scales   (~1.07 GB)
 *     onnx/model_q4f16.onnx     the same numbers with fp16 scales and an fp16 KV cache
 *     onnx/model_quantized.onnx q8: int8 weights per column, MatMulInteger
 *     deepseek-coder-1.3b-instruct.Q4_0.gguf    the q4 weights for llama.cpp
 *
 * Tensors are drawn, quantized and written one at a time, so the generator
 * never holds the model: its peak is one fp32 matrix (the 264 MB lm_head)
 * and its quantized forms. Options:
 *   --dtypes q4,q4f16,q8   which graphs to write (default all)
 *   --no-gguf              skip the GGUF file
 *   --accuracy-level N     MatMulNBits accuracy_level for the q4 graphs (unset by default, as the hub's exports)
 *   --force                rewrite even when the stamp says the files are current
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions, LlamaConfig, ModelDtype } from '../workers/model-build/graph.ts';
import { INSTRUCT_EOS, TOKENIZER_SIZE, announceExternalData, instructTokenizerConfig, root, writeGgufFile, writeRepoFiles } from './llama-graph/hub-repo.ts';
import { writeModelFile } from './llama-graph/model-file.ts';
import { randomWeights } from './llama-graph/random-weights.ts';


/** DeepSeek Coder 1.3B's shape (its config.json). */
export const DEEPSEEK_CODER_1_3B: LlamaConfig = {
  vocabSize: 32256,
  hiddenSize: 2048,
  intermediateSize: 5504,
  numLayers: 24,
  numHeads: 16,
  headDim: 128,
  rmsNormEps: 1e-6,
  ropeTheta: 100000,
  ropeLinearFactor: 4,
};

/**
 * DeepSeek Coder 6.7B's shape (its config.json: 32 layers, 32 heads of 128, no
 * grouped-query attention). Only its GGUF is generated, by
 * `scripts/measure-gguf-conversion.ts --shape 6.7b`: 3.8 GB, for the
 * conversion's figures at that size and a load on WebGPU.
 */
export const DEEPSEEK_CODER_6_7B: LlamaConfig = { ...DEEPSEEK_CODER_1_3B, hiddenSize: 4096, intermediateSize: 11008, numLayers: 32, numHeads: 32 };

/** A random-weight model of one of DeepSeek Coder's shapes: its mirror id, its GGUF's name and its geometry. */
export interface FullShape {
  id: string;
  gguf: string;
  config: LlamaConfig;
}

export const FULL_SHAPES: Record<'1.3b' | '6.7b', FullShape> = {
  '1.3b': { id: 'full-random/deepseek-coder-1.3b-instruct', gguf: 'deepseek-coder-1.3b-instruct.Q4_0.gguf', config: DEEPSEEK_CODER_1_3B },
  '6.7b': { id: 'full-random/deepseek-coder-6.7b-instruct', gguf: 'deepseek-coder-6.7b-instruct.Q4_0.gguf', config: DEEPSEEK_CODER_6_7B },
};

const SEED = 20261201;
/**
 * Logits of a unit-RMS final state have this standard deviation: a trained
 * model's top logits stand a few units above the rest, and so do these, so
 * runtimes can be compared on peaked distributions, not on near-ties.
 */
const LOGIT_GAIN = 4;

const FILE_SUFFIX: Record<Exclude<ModelDtype, 'fp32'>, string> = { q4: '_q4', q4f16: '_q4f16', q8: '_quantized' };

interface Options {
  dtypes: Exclude<ModelDtype, 'fp32'>[];
  gguf: boolean;
  accuracyLevel?: number;
  force: boolean;
}

function parseOptions(argv: string[]): Options {
  const value = (flag: string) => {
    const index = argv.indexOf(flag);
    return index === -1 ? undefined : argv[index + 1];
  };
  const dtypes = (value('--dtypes') ?? 'q4,q4f16,q8').split(',') as Options['dtypes'];
  for (const dtype of dtypes) if (!(dtype in FILE_SUFFIX)) throw new Error(`Unknown dtype '${dtype}': use q4, q4f16 or q8.`);
  const level = value('--accuracy-level');
  return { dtypes, gguf: !argv.includes('--no-gguf'), accuracyLevel: level === undefined ? undefined : Number(level), force: argv.includes('--force') };
}

const GENERATOR_SOURCES = [
  'scripts/generate-full-fixture.ts',
  'workers/model-build/graph.ts',
  'workers/model-build/quantize.ts',
  'scripts/llama-graph/random-weights.ts',
  'scripts/llama-graph/gguf-writer.ts',
  'workers/model-build/float16.ts',
  'workers/model-build/plain-layers.ts',
  'workers/model-build/fused-layers.ts',
  'scripts/llama-graph/model-file.ts',
  'scripts/llama-graph/hub-repo.ts',
];

/** What a file's content depends on: the generator's sources and the options it was built with. */
function fingerprint(build: BuildOptions | 'gguf'): string {
  const hash = createHash('sha256').update(JSON.stringify(build));
  for (const source of GENERATOR_SOURCES) hash.update(readFileSync(join(root, source)));
  return hash.digest('hex');
}

/** Runs `write` unless the file's stamp says it is current; prints the time and the process's peak memory. */
async function writeOnce(path: string, build: BuildOptions | 'gguf', force: boolean, write: () => Promise<unknown>): Promise<void> {
  // Hidden, so the mirror's listing of the repository does not show it.
  const stamp = join(dirname(path), `.${basename(path)}.stamp`);
  const expected = fingerprint(build);
  if (!force && existsSync(path) && existsSync(stamp) && readFileSync(stamp, 'utf8') === expected) {
    console.log(`fixtures:full: ${path} is up to date`);
    return;
  }
  const started = performance.now();
  await write();
  writeFileSync(stamp, expected);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const peak = (process.resourceUsage().maxRSS / 1024 / 1024).toFixed(2);
  console.log(`fixtures:full: wrote ${path} in ${seconds} s (process peak RSS so far ${peak} GiB)`);
}

export const FULL_MODEL_ID = FULL_SHAPES['1.3b'].id;
export const FULL_MODEL_GGUF = FULL_SHAPES['1.3b'].gguf;
export const fullModelDir = join(root, 'fixtures', 'hub', FULL_MODEL_ID);

/** A full-shape model's seeded weights, drawn a tensor at a time on demand. */
export function fullModelWeights(config: LlamaConfig = DEEPSEEK_CODER_1_3B) {
  return randomWeights(config, { seed: SEED, tokenizerSize: TOKENIZER_SIZE, logitGain: LOGIT_GAIN });
}

export async function generateFullFixture(options: Options): Promise<void> {
  const config = DEEPSEEK_CODER_1_3B;
  const weights = fullModelWeights();
  const tokenizerConfig = instructTokenizerConfig();
  mkdirSync(join(fullModelDir, 'onnx'), { recursive: true });
  writeRepoFiles(fullModelDir, config, INSTRUCT_EOS, tokenizerConfig);
  for (const dtype of options.dtypes) {
    const build: BuildOptions = { dtype, ...(options.accuracyLevel !== undefined && dtype !== 'q8' && { accuracyLevel: options.accuracyLevel }) };
    const path = join(fullModelDir, 'onnx', `model${FILE_SUFFIX[dtype]}.onnx`);
    await writeOnce(path, build, options.force, () => writeModelFile(path, config, weights, build));
  }
  // A graph past 2 GB keeps its weights in external data, which config.json must announce.
  announceExternalData(fullModelDir);
  if (options.gguf) {
    const path = join(fullModelDir, FULL_MODEL_GGUF);
    await writeOnce(path, 'gguf', options.force, async () => writeGgufFile(path, FULL_MODEL_ID, config, weights, INSTRUCT_EOS, tokenizerConfig));
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await generateFullFixture(parseOptions(process.argv.slice(2)));
}
