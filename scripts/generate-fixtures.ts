/**
 * `npm run fixtures`: writes the tiny random-weight DeepSeek Coder models that
 * every test and the dev server use, in the Hugging Face hub's file layout:
 *
 *   fixtures/hub/tiny-random/deepseek-coder-{instruct,base}/
 *     config.json  generation_config.json  tokenizer.json  tokenizer_config.json
 *     onnx/model.onnx  onnx/model_q4.onnx  onnx/model_q4f16.onnx          (instruct)
 *     onnx/decoder_model_merged{,_q4,_q4f16}.onnx                         (base)
 *     deepseek-coder-{instruct,base}.Q4_0.gguf     the q4 weights for llama.cpp
 *     deepseek-coder-{instruct,base}.Q8_0.gguf     the same fp32 weights in llama.cpp's Q8_0
 *   fixtures/hub/tiny-random/deepseek-coder-instruct-kquant/
 *     deepseek-coder-instruct-kquant.Q4_K_M.gguf   a GGUF-only repository: K-quants need rows of
 *                                                  256 values, so this model is 256 wide
 *     deepseek-coder-instruct-kquant.Q4_0.gguf     the same weights in Q4_0 as llama.cpp writes it
 *                                                  (token_embd Q4_0, output.weight Q6_K)
 *   fixtures/hub/tiny-random/deepseek-coder-instruct-fused/
 *     the instruct model's weights in the fused graph (ORT contrib ops for the
 *     norms and attention, and a num_logits_to_keep input), same file names
 *
 * The base model uses the older export's file names, as Xenova's real
 * DeepSeek Coder base export does, so loading them is tested.
 *
 * The tokenizer is the real one (fixtures/deepseek-coder/, see SOURCES.md).
 * Weights come from a fixed seed, so every machine builds byte-identical files;
 * a stamp file skips the work when nothing changed.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildModel, type BuildOptions, type LayerLinear, type LayerNorm, type Linear, type LlamaConfig, type ModelDtype } from '../workers/model-build/graph.ts';
import type { FloatWeightSource } from './llama-graph/random-weights.ts';
import {
  BASE_EOS,
  INSTRUCT_EOS,
  TOKENIZER_SIZE,
  baseTokenizerConfig,
  instructTokenizerConfig,
  root,
  writeGgufFile,
  writeRepoFiles,
  type TokenizerConfig,
} from './llama-graph/hub-repo.ts';
import { createRandom, normal, type RandomSource } from '../workers/engine/sampling/random.ts';

export const hubDir = join(root, 'fixtures', 'hub');

const SEED = 20261122;
/** Scales the EOS row of lm_head; tuned so some greedy continuations end within a few dozen tokens. */
const EOS_ROW_GAIN = 2.2;

const config: LlamaConfig = {
  vocabSize: 32256,
  hiddenSize: 64,
  intermediateSize: 128,
  numLayers: 2,
  numHeads: 4,
  headDim: 16,
  rmsNormEps: 1e-6,
  ropeTheta: 100000,
  ropeLinearFactor: 4,
};

/**
 * The K-quant test model: llama.cpp's K-quants pack 256 values per block along each row, so every
 * row (hidden and intermediate) is a multiple of 256. Two layers: Q4_K_M then gives layer 0 Q4_K
 * and layer 1 Q6_K in attn_v and ffn_down, so both types appear in every role.
 */
export const KQUANT_CONFIG: LlamaConfig = { ...config, hiddenSize: 256, intermediateSize: 512, headDim: 64 };

function randomLinear(random: RandomSource, k: number, n: number, std: number): Linear {
  const weight = new Float32Array(k * n);
  for (let i = 0; i < weight.length; i++) weight[i] = normal(random) * std;
  return { k, n, weight };
}

function ones(n: number): Float32Array {
  return new Float32Array(n).fill(1);
}

interface TinyLayer {
  norms: Record<LayerNorm, Float32Array>;
  linears: Record<LayerLinear, Linear>;
}

/**
 * Random weights, scaled so activations stay O(1) through the layers, and with
 * an EOS row strong enough that some greedy continuations end on their own
 * within a few dozen tokens, as a real model's would. Tiny enough to draw
 * whole, from one stream, in the order the tests were tuned on.
 */
function tinyRandomWeights(seed: number, eosTokenId: number, shape: LlamaConfig = config): FloatWeightSource {
  const random = createRandom(seed);
  const { hiddenSize: h, intermediateSize: m, vocabSize: v, numLayers } = shape;
  const embedTokens = new Float32Array(v * h);
  for (let i = 0; i < embedTokens.length; i++) embedTokens[i] = normal(random);
  const layers: TinyLayer[] = [];
  for (let i = 0; i < numLayers; i++) {
    // Drawn in this order: the tests' tuned behaviour depends on it.
    const q = randomLinear(random, h, h, 1 / Math.sqrt(h));
    const k = randomLinear(random, h, h, 1 / Math.sqrt(h));
    const value = randomLinear(random, h, h, 1 / Math.sqrt(h));
    const o = randomLinear(random, h, h, 1 / Math.sqrt(h));
    const gate = randomLinear(random, h, m, 1 / Math.sqrt(h));
    const up = randomLinear(random, h, m, 1 / Math.sqrt(h));
    const down = randomLinear(random, m, h, 1 / Math.sqrt(m));
    layers.push({
      norms: { input_layernorm: ones(h), post_attention_layernorm: ones(h) },
      linears: {
        'self_attn.q_proj': q,
        'self_attn.k_proj': k,
        'self_attn.v_proj': value,
        'self_attn.o_proj': o,
        'mlp.gate_proj': gate,
        'mlp.up_proj': up,
        'mlp.down_proj': down,
      },
    });
  }
  const lmHead = randomLinear(random, h, v, 3 / Math.sqrt(h));
  for (let row = 0; row < h; row++) lmHead.weight[row * v + eosTokenId] *= EOS_ROW_GAIN;
  for (let column = TOKENIZER_SIZE; column < v; column++) {
    for (let row = 0; row < h; row++) lmHead.weight[row * v + column] = 0;
  }
  const finalNorm = ones(h);
  return {
    embedTokens: () => embedTokens,
    layerNorm: (layer, norm) => layers[layer].norms[norm],
    layerLinear: (layer, name) => layers[layer].linears[name],
    finalNorm: () => finalNorm,
    lmHead: () => lmHead,
  };
}

interface Variant {
  id: string;
  /** The ONNX graph's base name: `model` in Optimum's newer exports, `decoder_model_merged` in older ones. */
  modelFileName: string;
  eosTokenId: number;
  seed: number;
  tokenizerConfig: (instruct: TokenizerConfig) => TokenizerConfig;
  /** The GGUF file of the same q4 weights, at the repository's root as GGUF repositories keep them. */
  ggufFileName?: string;
  /** How the graphs are built, beyond their dtype. */
  build?: Omit<BuildOptions, 'dtype'>;
}

const variants: Variant[] = [
  {
    id: 'tiny-random/deepseek-coder-instruct',
    modelFileName: 'model',
    eosTokenId: INSTRUCT_EOS,
    seed: SEED,
    tokenizerConfig: (instruct) => instruct,
    ggufFileName: 'deepseek-coder-instruct.Q4_0.gguf',
  },
  {
    id: 'tiny-random/deepseek-coder-base',
    modelFileName: 'decoder_model_merged',
    eosTokenId: BASE_EOS,
    seed: SEED + 1,
    tokenizerConfig: baseTokenizerConfig,
    ggufFileName: 'deepseek-coder-base.Q4_0.gguf',
  },
  {
    // The instruct model's weights (same seed) in the fused graph, to compare against the plain one.
    id: 'tiny-random/deepseek-coder-instruct-fused',
    modelFileName: 'model',
    eosTokenId: INSTRUCT_EOS,
    seed: SEED,
    tokenizerConfig: (instruct) => instruct,
    build: { fused: true, numLogitsToKeep: true },
  },
];

/** transformers.js's file-name suffix per dtype. */
const dtypeSuffixes: Partial<Record<ModelDtype, string>> = {
  fp32: '',
  q4: '_q4',
  q4f16: '_q4f16',
};

function generatorFingerprint(): string {
  const hash = createHash('sha256');
  for (const file of [
    'scripts/generate-fixtures.ts',
    'workers/model-build/graph.ts',
    'workers/model-build/quantize.ts',
    'workers/model-build/float16.ts',
    'workers/model-build/plain-layers.ts',
    'workers/model-build/fused-layers.ts',
    'scripts/llama-graph/gguf-writer.ts',
    'scripts/llama-graph/ggml-encode.ts',
    'workers/model-build/ggml-blocks.ts',
    'workers/model-build/hub-config.ts',
    'workers/model-build/quantized-linear.ts',
    'scripts/llama-graph/hub-repo.ts',
    'workers/engine/sampling/random.ts',
    'fixtures/deepseek-coder/tokenizer.json',
    'fixtures/deepseek-coder/tokenizer_config.json',
  ]) {
    hash.update(readFileSync(join(root, file)));
  }
  return hash.digest('hex');
}

export async function generateFixtures({ force = false } = {}): Promise<void> {
  const stampPath = join(hubDir, '.stamp');
  const fingerprint = generatorFingerprint();
  if (!force && existsSync(stampPath) && readFileSync(stampPath, 'utf8') === fingerprint) {
    console.log('fixtures: tiny models are up to date');
    return;
  }
  const instructConfig = instructTokenizerConfig();
  for (const variant of variants) {
    const dir = join(hubDir, variant.id);
    const tokenizerConfig = variant.tokenizerConfig(instructConfig);
    writeRepoFiles(dir, config, variant.eosTokenId, tokenizerConfig);
    const weights = tinyRandomWeights(variant.seed, variant.eosTokenId);
    const graphs = new Set<string>();
    for (const [dtype, suffix] of Object.entries(dtypeSuffixes) as [ModelDtype, string][]) {
      const file = `${variant.modelFileName}${suffix}.onnx`;
      graphs.add(file);
      // Written aside and renamed, so a server reading the file meanwhile never sees half of it.
      const path = join(dir, 'onnx', file);
      writeFileSync(`${path}.partial`, await buildModel(config, weights, { dtype, ...variant.build }));
      renameSync(`${path}.partial`, path);
    }
    // Graphs an earlier generator wrote under other names must not linger in the repository's listing.
    for (const file of readdirSync(join(dir, 'onnx'))) {
      if (!graphs.has(file)) rmSync(join(dir, 'onnx', file));
    }
    if (variant.ggufFileName) {
      writeGgufFile(join(dir, variant.ggufFileName), variant.id, config, weights, variant.eosTokenId, tokenizerConfig);
      const q8FileName = variant.ggufFileName.replace('.Q4_0.gguf', '.Q8_0.gguf');
      writeGgufFile(join(dir, q8FileName), variant.id, config, weights, variant.eosTokenId, tokenizerConfig, 'Q8_0');
    }
    console.log(`fixtures: wrote ${variant.id}`);
  }
  writeKQuantModel(instructConfig);
  writeFileSync(stampPath, fingerprint);
}

export const KQUANT_MODEL_ID = 'tiny-random/deepseek-coder-instruct-kquant';
export const KQUANT_GGUF = 'deepseek-coder-instruct-kquant.Q4_K_M.gguf';
export const KQUANT_Q4_0_GGUF = 'deepseek-coder-instruct-kquant.Q4_0.gguf';

/** The float weights the K-quant model's file quantizes: for measuring what quantization and conversion each lose. */
export function kquantFloatWeights(): FloatWeightSource {
  return tinyRandomWeights(SEED + 2, INSTRUCT_EOS, KQUANT_CONFIG);
}

/** A GGUF-only repository, as GGUF repositories on the hub are: the 256-wide model in Q4_K_M and in llama.cpp's Q4_0. */
function writeKQuantModel(tokenizerConfig: TokenizerConfig): void {
  const dir = join(hubDir, KQUANT_MODEL_ID);
  mkdirSync(dir, { recursive: true });
  const weights = kquantFloatWeights();
  writeGgufFile(join(dir, KQUANT_GGUF), KQUANT_MODEL_ID, KQUANT_CONFIG, weights, INSTRUCT_EOS, tokenizerConfig, 'Q4_K_M');
  writeGgufFile(join(dir, KQUANT_Q4_0_GGUF), KQUANT_MODEL_ID, KQUANT_CONFIG, weights, INSTRUCT_EOS, tokenizerConfig, 'Q4_0_LLAMACPP');
  console.log(`fixtures: wrote ${KQUANT_MODEL_ID}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await generateFixtures({ force: process.argv.includes('--force') });
}
