/**
 * `npm run fixtures`: writes the tiny random-weight DeepSeek Coder models that
 * every test and the dev server use, in the Hugging Face hub's file layout:
 *
 *   fixtures/hub/tiny-random/deepseek-coder-{instruct,base}/
 *     config.json  generation_config.json  tokenizer.json  tokenizer_config.json
 *     onnx/model.onnx  onnx/model_q4.onnx  onnx/model_q4f16.onnx          (instruct)
 *     onnx/decoder_model_merged{,_q4,_q4f16}.onnx                         (base)
 *
 * The base model uses the older export's file names, as Xenova's real
 * DeepSeek Coder base export does, so loading them is tested.
 *
 * The tokenizer is the real one (fixtures/deepseek-coder/, see SOURCES.md).
 * Weights come from a fixed seed, so every machine builds byte-identical files;
 * a stamp file skips the work when nothing changed.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildModel, type LayerWeights, type Linear, type ModelDtype, type TinyLlamaConfig, type TinyLlamaWeights } from './tiny-model/graph.ts';
import { createRandom, normal, type RandomSource } from '../workers/engine/sampling/random.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = join(root, 'fixtures', 'deepseek-coder');
export const hubDir = join(root, 'fixtures', 'hub');

const SEED = 20261122;
const BOS = 32013;
const BASE_EOS = 32014;
const INSTRUCT_EOS = 32021;
/** Ids past the tokenizer's 32022 entries are only padding rows of lm_head. */
const TOKENIZER_SIZE = 32022;
/** Scales the EOS row of lm_head; tuned so some greedy continuations end within a few dozen tokens. */
const EOS_ROW_GAIN = 2.2;

const config: TinyLlamaConfig = {
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

function randomLinear(random: RandomSource, k: number, n: number, std: number): Linear {
  const weight = new Float32Array(k * n);
  for (let i = 0; i < weight.length; i++) weight[i] = normal(random) * std;
  return { k, n, weight };
}

function ones(n: number): Float32Array {
  return new Float32Array(n).fill(1);
}

/**
 * Random weights, scaled so activations stay O(1) through the layers, and with
 * an EOS row strong enough that some greedy continuations end on their own
 * within a few dozen tokens, as a real model's would.
 */
function randomWeights(seed: number, eosTokenId: number): TinyLlamaWeights {
  const random = createRandom(seed);
  const { hiddenSize: h, intermediateSize: m, vocabSize: v, numLayers } = config;
  const embedTokens = new Float32Array(v * h);
  for (let i = 0; i < embedTokens.length; i++) embedTokens[i] = normal(random);
  const layers: LayerWeights[] = [];
  for (let i = 0; i < numLayers; i++) {
    layers.push({
      inputNorm: ones(h),
      q: randomLinear(random, h, h, 1 / Math.sqrt(h)),
      k: randomLinear(random, h, h, 1 / Math.sqrt(h)),
      v: randomLinear(random, h, h, 1 / Math.sqrt(h)),
      o: randomLinear(random, h, h, 1 / Math.sqrt(h)),
      postAttentionNorm: ones(h),
      gate: randomLinear(random, h, m, 1 / Math.sqrt(h)),
      up: randomLinear(random, h, m, 1 / Math.sqrt(h)),
      down: randomLinear(random, m, h, 1 / Math.sqrt(m)),
    });
  }
  const lmHead = randomLinear(random, h, v, 3 / Math.sqrt(h));
  for (let row = 0; row < h; row++) lmHead.weight[row * v + eosTokenId] *= EOS_ROW_GAIN;
  for (let column = TOKENIZER_SIZE; column < v; column++) {
    for (let row = 0; row < h; row++) lmHead.weight[row * v + column] = 0;
  }
  return { embedTokens, layers, finalNorm: ones(h), lmHead };
}


function hfConfig(eosTokenId: number) {
  return {
    architectures: ['LlamaForCausalLM'],
    attention_bias: false,
    bos_token_id: BOS,
    eos_token_id: eosTokenId,
    hidden_act: 'silu',
    hidden_size: config.hiddenSize,
    initializer_range: 0.02,
    intermediate_size: config.intermediateSize,
    max_position_embeddings: 16384,
    model_type: 'llama',
    num_attention_heads: config.numHeads,
    num_hidden_layers: config.numLayers,
    num_key_value_heads: config.numHeads,
    head_dim: config.headDim,
    pretraining_tp: 1,
    rms_norm_eps: config.rmsNormEps,
    rope_scaling: { factor: config.ropeLinearFactor, type: 'linear' },
    rope_theta: config.ropeTheta,
    tie_word_embeddings: false,
    torch_dtype: 'float32',
    use_cache: true,
    vocab_size: config.vocabSize,
  };
}

interface Variant {
  id: string;
  /** The ONNX graph's base name: `model` in Optimum's newer exports, `decoder_model_merged` in older ones. */
  modelFileName: string;
  eosTokenId: number;
  seed: number;
  tokenizerConfig: (instruct: Record<string, unknown>) => Record<string, unknown>;
}

const variants: Variant[] = [
  {
    id: 'tiny-random/deepseek-coder-instruct',
    modelFileName: 'model',
    eosTokenId: INSTRUCT_EOS,
    seed: SEED,
    tokenizerConfig: (instruct) => instruct,
  },
  {
    id: 'tiny-random/deepseek-coder-base',
    modelFileName: 'decoder_model_merged',
    eosTokenId: BASE_EOS,
    seed: SEED + 1,
    // The base model ships the same tokenizer, with EOS <｜end▁of▁sentence｜> and no chat template.
    tokenizerConfig: ({ chat_template: _template, ...rest }) => ({ ...rest, eos_token: '<｜end▁of▁sentence｜>' }),
  },
];

/** transformers.js's file-name suffix per dtype. */
const dtypeSuffixes: Record<ModelDtype, string> = {
  fp32: '',
  q4: '_q4',
  q4f16: '_q4f16',
};

function generatorFingerprint(): string {
  const hash = createHash('sha256');
  for (const file of [
    'scripts/generate-fixtures.ts',
    'scripts/tiny-model/graph.ts',
    'scripts/tiny-model/quantize.ts',
    'scripts/tiny-model/float16.ts',
    'workers/engine/sampling/random.ts',
    'fixtures/deepseek-coder/tokenizer.json',
    'fixtures/deepseek-coder/tokenizer_config.json',
  ]) {
    hash.update(readFileSync(join(root, file)));
  }
  return hash.digest('hex');
}

function writeJson(path: string, value: unknown) {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

export function generateFixtures({ force = false } = {}): void {
  const stampPath = join(hubDir, '.stamp');
  const fingerprint = generatorFingerprint();
  if (!force && existsSync(stampPath) && readFileSync(stampPath, 'utf8') === fingerprint) {
    console.log('fixtures: tiny models are up to date');
    return;
  }
  const instructTokenizerConfig = JSON.parse(readFileSync(join(sourceDir, 'tokenizer_config.json'), 'utf8'));
  for (const variant of variants) {
    const dir = join(hubDir, variant.id);
    mkdirSync(join(dir, 'onnx'), { recursive: true });
    writeJson(join(dir, 'config.json'), hfConfig(variant.eosTokenId));
    writeJson(join(dir, 'generation_config.json'), {
      _from_model_config: true,
      bos_token_id: BOS,
      eos_token_id: variant.eosTokenId,
    });
    writeFileSync(join(dir, 'tokenizer.json'), readFileSync(join(sourceDir, 'tokenizer.json')));
    writeJson(join(dir, 'tokenizer_config.json'), variant.tokenizerConfig(instructTokenizerConfig));
    const weights = randomWeights(variant.seed, variant.eosTokenId);
    const graphs = new Set<string>();
    for (const [dtype, suffix] of Object.entries(dtypeSuffixes) as [ModelDtype, string][]) {
      const file = `${variant.modelFileName}${suffix}.onnx`;
      graphs.add(file);
      // Written aside and renamed, so a server reading the file meanwhile never sees half of it.
      const path = join(dir, 'onnx', file);
      writeFileSync(`${path}.partial`, buildModel(config, weights, dtype));
      renameSync(`${path}.partial`, path);
    }
    // Graphs an earlier generator wrote under other names must not linger in the repository's listing.
    for (const file of readdirSync(join(dir, 'onnx'))) {
      if (!graphs.has(file)) rmSync(join(dir, 'onnx', file));
    }
    console.log(`fixtures: wrote ${variant.id}`);
  }
  writeFileSync(stampPath, fingerprint);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  generateFixtures({ force: process.argv.includes('--force') });
}
