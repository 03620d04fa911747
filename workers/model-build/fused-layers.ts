/**
 * Norms and attention as ONNX Runtime's fused contrib ops, which both its CPU
 * provider (Node, and WASM in the browser) and its WebGPU provider implement:
 *
 * - SimplifiedLayerNormalization (ONNX domain in ORT's registry) for the first
 *   RMS norm, and com.microsoft SkipSimplifiedLayerNormalization for every
 *   residual add followed by a norm: its fourth output is the sum, which
 *   carries the residual stream on;
 * - com.microsoft GroupQueryAttention with do_rotary=1: the rotary embedding,
 *   the KV-cache append and causal attention in one kernel, reading
 *   precomputed cos/sin caches.
 *
 * Past and present keys and values keep the names and the
 * [batch, kv_heads, sequence, head_dim] layout of the plain graph, so
 * transformers.js feeds and returns the cache exactly as before.
 *
 * GroupQueryAttention is fed no position ids: it derives each query's
 * position from `seqlens_k` (total length − 1 per batch row) as
 * `seqlens_k + 1 − sequence_length + i`. For one unpadded row, which is all
 * the engine runs, that is `past + i`, the position_ids the engine feeds; the
 * graph keeps the `position_ids` input so its inputs match the plain graph's.
 * (ORT 1.30 on CPU and onnxruntime-web 1.31's WASM accept position_ids as a
 * tenth input, but a pass with no past ignores it and starts at 0, as run
 * here: not a contract to build on.)
 *
 * Which part to fuse depends on the runtime (README, `npm run bench:graph`):
 * on WASM, GroupQueryAttention's CPU kernel prefills several times slower
 * than the plain MatMul/Softmax attention, so there only the norms gain.
 */
import onnxProto from 'onnx-proto';
import type { GraphBuilder, LlamaConfig } from './graph.ts';
import type { AttentionOps, NormOps, NormedStream } from './layer-ops.ts';

const DataType = onnxProto.onnx.TensorProto.DataType;
const MS_DOMAIN = 'com.microsoft';

/** DeepSeek Coder's max_position_embeddings: the positions the rotary caches cover when the config names none. */
export const DEFAULT_MAX_POSITIONS = 16384;

/**
 * cos and sin of every position's rotary angles, [positions, head_dim / 2]:
 * HF's half-rotation layout (rotary_interleaved = 0) takes one angle per
 * frequency and applies it to elements i and i + head_dim / 2. Linear rope
 * scaling divides each position by the factor. The steps are rounded to
 * float32 as the plain graph computes them, so both rotate by the same angles.
 */
export function rotaryCaches(config: LlamaConfig, positions: number): { cos: Float32Array; sin: Float32Array } {
  const half = config.headDim / 2;
  const inverseFrequencies = new Float32Array(half);
  for (let i = 0; i < half; i++) inverseFrequencies[i] = 1 / Math.pow(config.ropeTheta, (2 * i) / config.headDim);
  const cos = new Float32Array(positions * half);
  const sin = new Float32Array(positions * half);
  for (let position = 0; position < positions; position++) {
    const scaled = Math.fround(position / config.ropeLinearFactor);
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(scaled * inverseFrequencies[i]);
      cos[position * half + i] = Math.cos(angle);
      sin[position * half + i] = Math.sin(angle);
    }
  }
  return { cos, sin };
}

/** SimplifiedLayerNormalization for the first norm; SkipSimplifiedLayerNormalization for each add and norm after it. */
export class FusedNorms implements NormOps {
  constructor(
    private readonly g: GraphBuilder,
    private readonly config: LlamaConfig,
  ) {}

  norm(hidden: string, weight: Float32Array, name: string): NormedStream {
    return this.g.within('norm', () => {
      const normed = this.g.op('SimplifiedLayerNormalization', [hidden, this.weight(name, weight)], {
        axis: -1,
        epsilon: this.config.rmsNormEps,
        stash_type: 1,
      });
      return { normed, residual: hidden };
    });
  }

  addAndNorm(residual: string, delta: string, weight: Float32Array, name: string): NormedStream {
    const g = this.g;
    return g.within('norm', () => {
      const normed = g.fresh('normed');
      const sum = g.fresh('residual');
      // Outputs: the norm, mean and inverse std (unused, left unnamed), and input + skip.
      g.op('SkipSimplifiedLayerNormalization', [residual, delta, this.weight(name, weight)], { epsilon: this.config.rmsNormEps }, {
        outputs: [normed, '', '', sum],
        domain: MS_DOMAIN,
      });
      return { normed, residual: sum };
    });
  }

  private weight(name: string, weight: Float32Array): string {
    return this.g.float(`${name}.weight`, [weight.length], weight);
  }
}

/** GroupQueryAttention with its rotary embedding (do_rotary) and the cache append, one node per layer. */
export class FusedAttention implements AttentionOps {
  private readonly seqlensK: string;
  private readonly totalSequenceLength: string;
  private readonly cosCache: string;
  private readonly sinCache: string;

  /** Emits what every layer shares: the sequence lengths GroupQueryAttention reads and the rotary caches. */
  constructor(
    private readonly g: GraphBuilder,
    private readonly config: LlamaConfig,
    /**
     * DataType attention runs in, which is also the KV cache's: GroupQueryAttention's
     * past and present share one type with its query, so the q4f16 graph, whose
     * cache is fp16, attends in fp16.
     */
    private readonly attentionType: number,
  ) {
    // seqlens_k: per batch row, the attended length − 1; total_sequence_length: the mask's width. Both int32.
    [this.seqlensK, this.totalSequenceLength] = g.within('mask', (): [string, string] => {
      const attended = g.op('ReduceSum', ['attention_mask', g.int64('/gqa/sum_axes', [1])], { keepdims: 0 });
      const maskWidth = g.op('Gather', [g.op('Shape', ['attention_mask']), g.scalarInt64('/gqa/width_axis', 1)], { axis: 0 });
      return [
        g.op('Cast', [g.op('Sub', [attended, g.scalarInt64('/gqa/one', 1)])], { to: DataType.INT32 }),
        g.op('Cast', [maskWidth], { to: DataType.INT32 }),
      ];
    });

    const { cos, sin } = rotaryCaches(config, config.maxPositions ?? DEFAULT_MAX_POSITIONS);
    const dims = [cos.length / (config.headDim / 2), config.headDim / 2];
    const cache = attentionType === DataType.FLOAT16 ? g.half.bind(g) : g.float.bind(g);
    this.cosCache = cache('/rope/cos_cache', dims, cos);
    this.sinCache = cache('/rope/sin_cache', dims, sin);
  }

  attention(layer: number, query: string, key: string, value: string): string {
    return this.g.within('attention', () => this.emitAttention(layer, query, key, value));
  }

  private emitAttention(layer: number, query: string, key: string, value: string): string {
    const g = this.g;
    const inType = (x: string) => (this.attentionType === DataType.FLOAT ? x : g.op('Cast', [x], { to: this.attentionType }));
    const output = g.fresh('attention');
    g.op(
      'GroupQueryAttention',
      [
        inType(query),
        inType(key),
        inType(value),
        `past_key_values.${layer}.key`,
        `past_key_values.${layer}.value`,
        this.seqlensK,
        this.totalSequenceLength,
        this.cosCache,
        this.sinCache,
      ],
      // The scale is left at its default, 1/√head_dim, as Llama's.
      { num_heads: this.config.numHeads, kv_num_heads: this.config.numHeads, do_rotary: 1, rotary_interleaved: 0 },
      { outputs: [output, `present.${layer}.key`, `present.${layer}.value`], domain: MS_DOMAIN },
    );
    return this.attentionType === DataType.FLOAT ? output : g.op('Cast', [output], { to: DataType.FLOAT });
  }
}
