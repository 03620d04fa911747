/**
 * The fused build option's graph, by structure: the same inputs and outputs
 * as the plain graph (transformers.js must feed both alike), plus
 * num_logits_to_keep; the norms and attention as ORT's contrib ops; and
 * rotary caches holding HF's angles with linear scaling. Numbers are checked
 * against the plain graph in tests/engine/fused.test.ts and e2e/fused.spec.ts.
 */
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { rotaryCaches } from '../../workers/model-build/fused-layers.ts';
import { buildGraph, type BuildOptions, type Graph, type LlamaConfig } from '../../workers/model-build/graph.ts';
import { randomWeights } from '../../scripts/llama-graph/random-weights.ts';
import { SMALL_LLAMA } from './small-llama.ts';

const config: LlamaConfig = { ...SMALL_LLAMA, numLayers: 3, maxPositions: 512 };
const weights = randomWeights(config, { seed: 3, tokenizerSize: 300, logitGain: 4 });

function graph(options: BuildOptions): Promise<Graph> {
  return buildGraph(config, weights, options, () => {});
}

/** Each graph input or output as name, element type and dims. */
function signature(values: Graph['input']) {
  return (values ?? []).map((value) => ({
    name: value.name,
    type: value.type?.tensorType?.elemType,
    dims: (value.type?.tensorType?.shape?.dim ?? []).map((dim) => dim.dimParam || Number(dim.dimValue)),
  }));
}

function opCounts(built: Graph): Map<string, number> {
  const counts = new Map<string, number>();
  for (const node of built.node ?? []) counts.set(node.opType ?? '', (counts.get(node.opType ?? '') ?? 0) + 1);
  return counts;
}

function attribute(node: onnxProto.onnx.INodeProto, name: string): number | undefined {
  const found = node.attribute?.find((candidate) => candidate.name === name);
  return found ? Number(found.i) : undefined;
}

const DTYPES = ['q4', 'q4f16', 'fp32'] as const;
const built = new Map<string, { plain: Graph; fused: Graph }>();
for (const dtype of DTYPES) built.set(dtype, { plain: await graph({ dtype }), fused: await graph({ dtype, fused: true, numLogitsToKeep: true }) });

describe.each(DTYPES)('the fused %s graph', (dtype) => {
  const { plain, fused } = built.get(dtype)!;

  it("has the plain graph's inputs and outputs, plus num_logits_to_keep (an int64 scalar)", () => {
    const fusedInputs = signature(fused.input);
    expect(fusedInputs.filter((input) => input.name !== 'num_logits_to_keep')).toEqual(signature(plain.input));
    expect(fusedInputs.find((input) => input.name === 'num_logits_to_keep')).toEqual({ name: 'num_logits_to_keep', type: 7, dims: [] });
    const [plainLogits, ...plainCache] = signature(plain.output);
    const [fusedLogits, ...fusedCache] = signature(fused.output);
    expect(fusedCache).toEqual(plainCache);
    // Only the rows kept: their count is the input's, not the sequence's.
    expect(fusedLogits).toEqual({ ...plainLogits, dims: ['batch_size', 'logits_sequence_length', config.vocabSize] });
  });

  it('runs norms and attention as contrib ops, with no plain attention, rotary or norm ops left', () => {
    const counts = opCounts(fused);
    expect(counts.get('SimplifiedLayerNormalization')).toBe(1);
    // After each attention and each MLP: the residual add and the next norm.
    expect(counts.get('SkipSimplifiedLayerNormalization')).toBe(2 * config.numLayers);
    expect(counts.get('GroupQueryAttention')).toBe(config.numLayers);
    for (const op of ['Softmax', 'ReduceMean', 'Sqrt', 'Cos', 'Sin', 'Concat', 'Where', 'Range']) expect(counts.get(op)).toBeUndefined();
    expect(opCounts(plain).get('Softmax')).toBe(config.numLayers);
  });

  it('gives each GroupQueryAttention the cache names transformers.js feeds and HF rotary (half rotation)', () => {
    const attentions = (fused.node ?? []).filter((node) => node.opType === 'GroupQueryAttention');
    attentions.forEach((node, layer) => {
      expect(node.domain).toBe('com.microsoft');
      expect(node.input?.slice(3, 5)).toEqual([`past_key_values.${layer}.key`, `past_key_values.${layer}.value`]);
      expect(node.output?.slice(1)).toEqual([`present.${layer}.key`, `present.${layer}.value`]);
      expect(attribute(node, 'do_rotary')).toBe(1);
      expect(attribute(node, 'rotary_interleaved')).toBe(0);
      expect(attribute(node, 'num_heads')).toBe(config.numHeads);
      expect(attribute(node, 'kv_num_heads')).toBe(config.numHeads);
    });
  });
});

describe('each fused part on its own', () => {
  it('fuses only the norms, or only the attention', async () => {
    const normsOnly = opCounts(await graph({ dtype: 'q4', fused: { norms: true, attention: false } }));
    expect(normsOnly.get('SkipSimplifiedLayerNormalization')).toBe(2 * config.numLayers);
    expect(normsOnly.get('GroupQueryAttention')).toBeUndefined();
    expect(normsOnly.get('Softmax')).toBe(config.numLayers);
    expect(normsOnly.get('ReduceMean')).toBeUndefined();
    const attentionOnly = opCounts(await graph({ dtype: 'q4', fused: { norms: false, attention: true } }));
    expect(attentionOnly.get('GroupQueryAttention')).toBe(config.numLayers);
    expect(attentionOnly.get('SkipSimplifiedLayerNormalization')).toBeUndefined();
    expect(attentionOnly.get('ReduceMean')).toBe(2 * config.numLayers + 1);
    expect(attentionOnly.get('Softmax')).toBeUndefined();
  });
});

describe('num_logits_to_keep without fusing', () => {
  it('adds the input to the plain graph too, which keeps its plain ops', async () => {
    const kept = await graph({ dtype: 'q4', numLogitsToKeep: true });
    expect(signature(kept.input).map((input) => input.name)).toContain('num_logits_to_keep');
    expect(opCounts(kept).get('GroupQueryAttention')).toBeUndefined();
    expect(opCounts(kept).get('Softmax')).toBe(config.numLayers);
  });
});

describe('rotaryCaches', () => {
  it("holds cos and sin of HF's angles, position / factor × theta^(−2i / head_dim), for every position", () => {
    const { cos, sin } = rotaryCaches(config, 512);
    const half = config.headDim / 2;
    expect(cos).toHaveLength(512 * half);
    for (const position of [0, 1, 7, 511]) {
      for (const i of [0, 1, half - 1]) {
        const angle = (position / config.ropeLinearFactor) * Math.pow(config.ropeTheta, (-2 * i) / config.headDim);
        expect(cos[position * half + i]).toBeCloseTo(Math.cos(angle), 5);
        expect(sin[position * half + i]).toBeCloseTo(Math.sin(angle), 5);
      }
    }
  });
});
