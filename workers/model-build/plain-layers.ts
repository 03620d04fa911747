/**
 * Norms and attention in plain ONNX ops, exactly as the hub's Optimum export
 * of a Llama model has them: RMS norm from ReduceMean and Sqrt, rotary from
 * Slice and Concat, attention from MatMul and Softmax under an additive mask,
 * the KV cache grown by Concat. The unfused graph is this one, so that
 * transformers.js and ORT see the same graph as the real model's.
 */
import onnxProto from 'onnx-proto';
import type { GraphBuilder, LlamaConfig } from './graph.ts';
import type { AttentionOps, NormOps, NormedStream } from './layer-ops.ts';

const DataType = onnxProto.onnx.TensorProto.DataType;

interface HalfSlices {
  axis: string;
  firstStart: string;
  firstEnd: string;
  secondStart: string;
  secondEnd: string;
}

/** RMS norm from ReduceMean, Sqrt and Reciprocal; the residual add before it is a plain Add. */
export class PlainNorms implements NormOps {
  private readonly eps: string;

  constructor(
    private readonly g: GraphBuilder,
    config: LlamaConfig,
  ) {
    this.eps = g.float('/const/rms_eps', [], [config.rmsNormEps]);
  }

  norm(hidden: string, weight: Float32Array, name: string): NormedStream {
    return { normed: this.g.within('norm', () => this.rmsNorm(hidden, weight, name)), residual: hidden };
  }

  /** The residual add counts as the norm's, as the fused graph's SkipSimplifiedLayerNormalization does it. */
  addAndNorm(residual: string, delta: string, weight: Float32Array, name: string): NormedStream {
    return this.norm(this.g.within('norm', () => this.g.op('Add', [residual, delta])), weight, name);
  }

  private rmsNorm(x: string, weight: Float32Array, name: string): string {
    const g = this.g;
    const meanSquare = g.op('ReduceMean', [g.op('Mul', [x, x])], { axes: [-1], keepdims: 1 });
    const inverseRms = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [meanSquare, this.eps])])]);
    return g.op('Mul', [g.op('Mul', [x, inverseRms]), g.float(`${name}.weight`, [weight.length], weight)]);
  }
}

/** Rotary from Slice and Concat, the cache grown by Concat, attention from MatMul and Softmax under an additive mask. */
export class PlainAttention implements AttentionOps {
  private readonly attentionScale: string;
  private readonly headsShape: string;
  private readonly hiddenShape: string;
  private readonly cos: string;
  private readonly sin: string;
  private readonly additiveMask: string;
  private readonly halves: HalfSlices;

  /** Emits what every layer shares: the rotary angles for `position_ids` and the attention mask. */
  constructor(
    private readonly g: GraphBuilder,
    config: LlamaConfig,
    /** DataType of the KV cache: fp16 in the q4f16 graph, fp32 otherwise. */
    private readonly cacheType: number,
  ) {
    const { hiddenSize, numHeads, headDim } = config;
    const half = headDim / 2;
    this.attentionScale = g.float('/const/attention_scale', [], [1 / Math.sqrt(headDim)]);
    const maskedValue = g.float('/const/masked', [], [-1e9]);
    const zeroFloat = g.float('/const/zero', [], [0]);
    this.headsShape = g.int64('/const/heads_shape', [0, 0, numHeads, headDim]);
    this.hiddenShape = g.int64('/const/hidden_shape', [0, 0, hiddenSize]);

    // Rotary embedding with linear scaling: positions are divided by the factor.
    [this.cos, this.sin] = g.within('rotary', (): [string, string] => {
      const inverseFrequencies = new Float32Array(half);
      for (let i = 0; i < half; i++) inverseFrequencies[i] = 1 / Math.pow(config.ropeTheta, (2 * i) / headDim);
      const positions = g.op('Div', [
        g.op('Cast', ['position_ids'], { to: DataType.FLOAT }),
        g.float('/rope/linear_factor', [], [config.ropeLinearFactor]),
      ]);
      const frequencies = g.op('Mul', [
        g.op('Unsqueeze', [positions, g.int64('/rope/unsqueeze_last', [-1])]),
        g.float('/rope/inv_freq', [half], inverseFrequencies),
      ]);
      const angles = g.op('Unsqueeze', [g.op('Concat', [frequencies, frequencies], { axis: -1 }), g.int64('/rope/head_axis', [1])]);
      return [g.op('Cos', [angles]), g.op('Sin', [angles])];
    });
    this.additiveMask = g.within('mask', () => additiveMask(g, zeroFloat, maskedValue));

    this.halves = {
      axis: g.int64('/rope/slice_axis', [-1]),
      firstStart: g.int64('/rope/first_start', [0]),
      firstEnd: g.int64('/rope/first_end', [half]),
      secondStart: g.int64('/rope/second_start', [half]),
      secondEnd: g.int64('/rope/second_end', [headDim]),
    };
  }

  attention(layer: number, query: string, key: string, value: string): string {
    const g = this.g;
    const [queryHeads, keyHeads, valueHeads] = g.within('attention', () => [query, key, value].map((x) => this.toHeads(x)));
    const [rotatedQuery, rotatedKey] = g.within('rotary', () => [queryHeads, keyHeads].map((x) => this.applyRope(x)));
    const [allKeys, allValues] = g.within('kv-cache', () => [
      this.appendToCache(`past_key_values.${layer}.key`, rotatedKey, `present.${layer}.key`),
      this.appendToCache(`past_key_values.${layer}.value`, valueHeads, `present.${layer}.value`),
    ]);
    return g.within('attention', () => {
      const scores = g.op('Add', [
        g.op('Mul', [g.op('MatMul', [rotatedQuery, g.op('Transpose', [allKeys], { perm: [0, 1, 3, 2] })]), this.attentionScale]),
        this.additiveMask,
      ]);
      const context = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), allValues]);
      return g.op('Reshape', [g.op('Transpose', [context], { perm: [0, 2, 1, 3] }), this.hiddenShape]);
    });
  }

  /** HF Llama's rotate_half: concat(-x2, x1) over the head dimension. */
  private rotateHalf(x: string): string {
    const { g, halves: s } = this;
    const first = g.op('Slice', [x, s.firstStart, s.firstEnd, s.axis]);
    const second = g.op('Slice', [x, s.secondStart, s.secondEnd, s.axis]);
    return g.op('Concat', [g.op('Neg', [second]), first], { axis: -1 });
  }

  private applyRope(x: string): string {
    const g = this.g;
    return g.op('Add', [g.op('Mul', [x, this.cos]), g.op('Mul', [this.rotateHalf(x), this.sin])]);
  }

  private toHeads(x: string): string {
    return this.g.op('Transpose', [this.g.op('Reshape', [x, this.headsShape])], { perm: [0, 2, 1, 3] });
  }

  /** Appends this pass's keys or values to the cache, in the cache's dtype, and returns them all as fp32. */
  private appendToCache(past: string, fresh: string, present: string): string {
    const g = this.g;
    if (this.cacheType === DataType.FLOAT) return g.op('Concat', [past, fresh], { axis: 2 }, { output: present });
    const all = g.op('Concat', [past, g.op('Cast', [fresh], { to: this.cacheType })], { axis: 2 }, { output: present });
    return g.op('Cast', [all], { to: DataType.FLOAT });
  }
}

/** The additive attention mask [batch, 1, query, key]: causal (offset by the past length) and padding. */
function additiveMask(g: GraphBuilder, zeroFloat: string, maskedValue: string): string {
  const one = g.scalarInt64('/const/one', 1);
  const zero = g.scalarInt64('/const/zero_i64', 0);
  const queryLength = g.op('Squeeze', [g.op('Slice', [g.op('Shape', ['input_ids']), g.int64('/mask/s', [1]), g.int64('/mask/e', [2])])]);
  const totalLength = g.op('Squeeze', [
    g.op('Slice', [g.op('Shape', ['attention_mask']), g.int64('/mask/s2', [1]), g.int64('/mask/e2', [2])]),
  ]);
  const pastLength = g.op('Sub', [totalLength, queryLength]);
  const queryPositions = g.op('Add', [g.op('Range', [zero, queryLength, one]), pastLength]);
  const keyPositions = g.op('Range', [zero, totalLength, one]);
  const causal = g.op('LessOrEqual', [
    g.op('Unsqueeze', [keyPositions, g.int64('/mask/row', [0])]),
    g.op('Unsqueeze', [queryPositions, g.int64('/mask/col', [1])]),
  ]);
  const padding = g.op('Unsqueeze', [g.op('Cast', ['attention_mask'], { to: DataType.BOOL }), g.int64('/mask/pad_axes', [1, 2])]);
  const allowed = g.op('And', [g.op('Unsqueeze', [causal, g.int64('/mask/causal_axes', [0, 1])]), padding]);
  return g.op('Where', [allowed, zeroFloat, maskedValue]);
}
