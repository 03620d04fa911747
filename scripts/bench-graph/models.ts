/**
 * The graphs `npm run bench:graph` compares: DeepSeek Coder 1.3B's full width
 * (hidden 2048, intermediate 5504, 16 heads of 128, vocab 32256) with only a
 * few layers, random weights, the same weights built as each variant. Written
 * under fixtures/hub/bench-graph/ (not committed) once; a stamp per file skips
 * rebuilding what is current.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildOptions, LayerLinear, LayerNorm, LlamaConfig, Linear, ModelDtype } from '../../workers/model-build/graph.ts';
import { DEEPSEEK_CODER_1_3B } from '../generate-full-fixture.ts';
import { TOKENIZER_SIZE, root } from '../llama-graph/hub-repo.ts';
import { writeModelFile } from '../llama-graph/model-file.ts';
import { randomWeights, type FloatWeightSource } from '../llama-graph/random-weights.ts';

export const MODELS_DIR = join(root, 'fixtures', 'hub', 'bench-graph');

/** Each variant's build options beyond the dtype. `plain` is the hub export's graph. */
export const VARIANTS = {
  plain: {},
  'plain+keep': { numLogitsToKeep: true },
  'fused-norms': { fused: { norms: true, attention: false }, numLogitsToKeep: true },
  fused: { fused: true, numLogitsToKeep: true },
  'plain+acc4': { accuracyLevel: 4 },
  'fused+acc4': { fused: true, numLogitsToKeep: true, accuracyLevel: 4 },
} as const satisfies Record<string, Omit<BuildOptions, 'dtype'>>;
export type VariantName = keyof typeof VARIANTS;

const SOURCES = [
  'scripts/bench-graph/models.ts',
  'workers/model-build/graph.ts',
  'workers/model-build/plain-layers.ts',
  'workers/model-build/fused-layers.ts',
  'workers/model-build/quantize.ts',
  'workers/model-build/float16.ts',
  'scripts/llama-graph/random-weights.ts',
  'scripts/llama-graph/model-file.ts',
];

export function benchConfig(layers: number): LlamaConfig {
  return { ...DEEPSEEK_CODER_1_3B, numLayers: layers };
}

/** Every tensor drawn once and kept: all the variants are written from one set (about 1.3 GB at 4 layers). */
function keptWeights(source: FloatWeightSource): FloatWeightSource {
  const kept = new Map<string, unknown>();
  const once = <T>(key: string, make: () => T): T => {
    if (!kept.has(key)) kept.set(key, make());
    return kept.get(key) as T;
  };
  return {
    embedTokens: () => once('embed', () => source.embedTokens()),
    layerNorm: (layer: number, norm: LayerNorm) => once(`${layer}.${norm}`, () => source.layerNorm(layer, norm)),
    layerLinear: (layer: number, name: LayerLinear): Linear => once(`${layer}.${name}`, () => source.layerLinear(layer, name)),
    finalNorm: () => once('norm', () => source.finalNorm()),
    lmHead: () => once('lm_head', () => source.lmHead()),
  };
}

/** Writes each variant's graph unless its stamp says it is current; returns the paths by variant. */
export function ensureModels(layers: number, dtype: ModelDtype, variants: VariantName[]): Record<string, string> {
  const config = benchConfig(layers);
  mkdirSync(MODELS_DIR, { recursive: true });
  let weights: FloatWeightSource | null = null;
  const paths: Record<string, string> = {};
  for (const variant of variants) {
    const options: BuildOptions = { dtype, ...VARIANTS[variant] };
    const path = join(MODELS_DIR, `${layers}-layers-${dtype}-${variant}.onnx`);
    const hash = createHash('sha256').update(JSON.stringify({ config, options }));
    for (const source of SOURCES) hash.update(readFileSync(join(root, source)));
    const stamp = `${path}.stamp`;
    const expected = hash.digest('hex');
    if (!existsSync(path) || !existsSync(stamp) || readFileSync(stamp, 'utf8') !== expected) {
      weights ??= keptWeights(randomWeights(config, { seed: 20261201, tokenizerSize: TOKENIZER_SIZE, logitGain: 4 }));
      const started = performance.now();
      writeModelFile(path, config, weights, options);
      writeFileSync(stamp, expected);
      console.log(`bench:graph: wrote ${path} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    }
    paths[variant] = path;
  }
  return paths;
}
