/**
 * Seeded random weights for a Llama decoder of any size, made one tensor at a
 * time: each tensor has its own seed, derived from its name, so it can be
 * made again, identically, whenever a writer asks for it, and no writer ever
 * holds the whole model.
 */
import { createRandom, type RandomSource } from '../../workers/engine/sampling/random.ts';
import { roundToFloat16 } from '../../workers/model-build/float16.ts';
import type { LayerLinear, LayerNorm, LlamaConfig, Linear, WeightSource } from '../../workers/model-build/graph.ts';

/** A weight source of float weights, answered at once: what the generators make, and what the GGUF writer quantizes. */
export interface FloatWeightSource extends WeightSource {
  /** [vocab, hidden], row-major. */
  embedTokens(): Float32Array;
  layerNorm(layer: number, norm: LayerNorm): Float32Array;
  layerLinear(layer: number, name: LayerLinear): Linear;
  finalNorm(): Float32Array;
  lmHead(): Linear;
}

export interface RandomWeightOptions {
  seed: number;
  /** Ids at and past this have no token: their lm_head rows are zero, as padding rows are. */
  tokenizerSize: number;
  /** Standard deviation of the logits for a unit-RMS final hidden state: higher gives more peaked distributions. */
  logitGain: number;
}

/** FNV-1a over the name, mixed with the seed. */
function tensorSeed(seed: number, name: string): number {
  let hash = 0x811c9dc5 ^ seed;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** Standard normal draws, both of each Box–Muller pair used, scaled by `std`. */
function fillNormal(values: Float32Array, random: RandomSource, std: number, mean = 0): Float32Array {
  for (let i = 0; i < values.length; i += 2) {
    const radius = Math.sqrt(-2 * Math.log(1 - random.next())) * std;
    const angle = 2 * Math.PI * random.next();
    values[i] = mean + radius * Math.cos(angle);
    if (i + 1 < values.length) values[i + 1] = mean + radius * Math.sin(angle);
  }
  return values;
}

/**
 * Weights scaled so activations stay O(1) through every layer: projections
 * in with std 1/√fan-in, and the two projections that write back into the
 * residual stream scaled down by √(layers / 2), so the stream's variance
 * grows to a few units over the whole depth instead of with every layer.
 * Norm weights scatter around 1, as trained ones do, so a runtime that
 * dropped them would show. The embedding is rounded to binary16, so fp32 and
 * fp16 copies of it hold the same numbers.
 */
export function randomWeights(config: LlamaConfig, options: RandomWeightOptions): FloatWeightSource {
  const { hiddenSize: h, intermediateSize: m, vocabSize: v, numLayers } = config;
  const residualScale = 1 / Math.sqrt(Math.max(1, numLayers / 2));
  const random = (name: string) => createRandom(tensorSeed(options.seed, name));
  const linear = (name: string, k: number, n: number, std: number): Linear => ({
    k,
    n,
    weight: fillNormal(new Float32Array(k * n), random(name), std),
  });
  const norm = (name: string) => fillNormal(new Float32Array(h), random(name), 0.1, 1);
  const shapes: Record<LayerLinear, [number, number, number]> = {
    'self_attn.q_proj': [h, h, 1],
    'self_attn.k_proj': [h, h, 1],
    'self_attn.v_proj': [h, h, 1],
    'self_attn.o_proj': [h, h, residualScale],
    'mlp.gate_proj': [h, m, 1],
    'mlp.up_proj': [h, m, 1],
    'mlp.down_proj': [m, h, residualScale],
  };
  return {
    embedTokens: () => roundToFloat16(fillNormal(new Float32Array(v * h), random('model.embed_tokens.weight'), 1)),
    layerNorm: (layer: number, name: LayerNorm) => norm(`model.layers.${layer}.${name}.weight`),
    layerLinear: (layer: number, name: LayerLinear) => {
      const [k, n, scale] = shapes[name];
      return linear(`model.layers.${layer}.${name}.weight`, k, n, scale / Math.sqrt(k));
    },
    finalNorm: () => norm('model.norm.weight'),
    lmHead: () => {
      const head = linear('lm_head.weight', h, v, options.logitGain / Math.sqrt(h));
      for (let row = 0; row < h; row++) head.weight.fill(0, row * v + options.tokenizerSize, (row + 1) * v);
      return head;
    },
  };
}
