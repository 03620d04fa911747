/**
 * Builds the ONNX graph of a Llama decoder shaped like the Hugging Face hub's
 * ONNX export of DeepSeek Coder: same input/output names, dtypes and symbolic
 * axes, so transformers.js loads it through exactly the code that loads the
 * real model. Only the sizes are tiny and the weights random.
 */
import onnxProto from 'onnx-proto';
import { float32ToFloat16Bits } from './float16.ts';
import { quantizeQ4Symmetric, Q4_BLOCK_SIZE } from './quantize.ts';

const { onnx } = onnxProto;
const DataType = onnx.TensorProto.DataType;

export type ModelDtype = 'fp32' | 'q4' | 'q4f16';

export interface TinyLlamaConfig {
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  headDim: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeLinearFactor: number;
}

/** Row-major [K, N] weight of a linear layer, applied as x · W. */
export interface Linear {
  k: number;
  n: number;
  weight: Float32Array;
}

export interface LayerWeights {
  inputNorm: Float32Array;
  q: Linear;
  k: Linear;
  v: Linear;
  o: Linear;
  postAttentionNorm: Float32Array;
  gate: Linear;
  up: Linear;
  down: Linear;
}

export interface TinyLlamaWeights {
  embedTokens: Float32Array;
  layers: LayerWeights[];
  finalNorm: Float32Array;
  lmHead: Linear;
}

type Node = InstanceType<typeof onnx.NodeProto>;
type Tensor = InstanceType<typeof onnx.TensorProto>;

class GraphBuilder {
  readonly nodes: Node[] = [];
  readonly initializers: Tensor[] = [];
  private counter = 0;

  private fresh(hint: string): string {
    this.counter += 1;
    return `/${hint}_${this.counter}`;
  }

  op(
    opType: string,
    inputs: string[],
    attributes: Record<string, number | number[]> = {},
    options: { output?: string; domain?: string } = {},
  ): string {
    const output = options.output ?? this.fresh(opType);
    this.nodes.push(
      onnx.NodeProto.create({
        opType,
        input: inputs,
        output: [output],
        name: `${opType}${output}`,
        domain: options.domain ?? '',
        attribute: Object.entries(attributes).map(([name, value]) =>
          Array.isArray(value)
            ? onnx.AttributeProto.create({ name, ints: value, type: onnx.AttributeProto.AttributeType.INTS })
            : Number.isInteger(value)
              ? onnx.AttributeProto.create({ name, i: value, type: onnx.AttributeProto.AttributeType.INT })
              : onnx.AttributeProto.create({ name, f: value, type: onnx.AttributeProto.AttributeType.FLOAT }),
        ),
      }),
    );
    return output;
  }

  initializer(name: string, dataType: number, dims: number[], bytes: Uint8Array): string {
    this.initializers.push(onnx.TensorProto.create({ name, dataType, dims, rawData: bytes }));
    return name;
  }

  float(name: string, dims: number[], values: Float32Array | number[]): string {
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    return this.initializer(name, DataType.FLOAT, dims, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }

  int64(name: string, values: number[]): string {
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    return this.initializer(name, DataType.INT64, [values.length], new Uint8Array(data.buffer));
  }

  scalarInt64(name: string, value: number): string {
    const data = BigInt64Array.of(BigInt(value));
    return this.initializer(name, DataType.INT64, [], new Uint8Array(data.buffer));
  }
}

function valueInfo(name: string, elemType: number, dims: (number | string)[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType,
        shape: onnx.TensorShapeProto.create({
          dim: dims.map((d) =>
            typeof d === 'number'
              ? onnx.TensorShapeProto.Dimension.create({ dimValue: d })
              : onnx.TensorShapeProto.Dimension.create({ dimParam: d }),
          ),
        }),
      }),
    }),
  });
}

function linear(g: GraphBuilder, x: string, weights: Linear, name: string, dtype: ModelDtype): string {
  if (dtype === 'fp32') {
    return g.op('MatMul', [x, g.float(`${name}.weight`, [weights.k, weights.n], weights.weight)]);
  }
  const { packed, scales, blocksPerColumn } = quantizeQ4Symmetric(weights);
  const blobSize = (Q4_BLOCK_SIZE * 4) / 8;
  const quantName = g.initializer(`${name}.weight_Q4`, DataType.UINT8, [weights.n, blocksPerColumn, blobSize], packed);
  const attributes = { K: weights.k, N: weights.n, bits: 4, block_size: Q4_BLOCK_SIZE };
  if (dtype === 'q4') {
    const scaleName = g.float(`${name}.weight_scales`, [scales.length], scales);
    return g.op('MatMulNBits', [x, quantName, scaleName], attributes, { domain: 'com.microsoft' });
  }
  const halfScales = float32ToFloat16Bits(scales);
  const scaleName = g.initializer(
    `${name}.weight_scales`,
    DataType.FLOAT16,
    [scales.length],
    new Uint8Array(halfScales.buffer),
  );
  const xHalf = g.op('Cast', [x], { to: DataType.FLOAT16 });
  const yHalf = g.op('MatMulNBits', [xHalf, quantName, scaleName], attributes, { domain: 'com.microsoft' });
  return g.op('Cast', [yHalf], { to: DataType.FLOAT });
}

function rmsNorm(g: GraphBuilder, x: string, weight: Float32Array, name: string, eps: string): string {
  const meanSquare = g.op('ReduceMean', [g.op('Mul', [x, x])], { axes: [-1], keepdims: 1 });
  const inverseRms = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [meanSquare, eps])])]);
  return g.op('Mul', [g.op('Mul', [x, inverseRms]), g.float(`${name}.weight`, [weight.length], weight)]);
}

interface HalfSlices {
  axis: string;
  firstStart: string;
  firstEnd: string;
  secondStart: string;
  secondEnd: string;
}

/** HF Llama's rotate_half: concat(-x2, x1) over the head dimension. */
function rotateHalf(g: GraphBuilder, x: string, s: HalfSlices): string {
  const first = g.op('Slice', [x, s.firstStart, s.firstEnd, s.axis]);
  const second = g.op('Slice', [x, s.secondStart, s.secondEnd, s.axis]);
  return g.op('Concat', [g.op('Neg', [second]), first], { axis: -1 });
}

export function buildModel(config: TinyLlamaConfig, weights: TinyLlamaWeights, dtype: ModelDtype): Uint8Array {
  const g = new GraphBuilder();
  const { hiddenSize, numHeads, headDim, numLayers } = config;
  const half = headDim / 2;

  const eps = g.float('/const/rms_eps', [], [config.rmsNormEps]);
  const attentionScale = g.float('/const/attention_scale', [], [1 / Math.sqrt(headDim)]);
  const maskedValue = g.float('/const/masked', [], [-1e9]);
  const zeroFloat = g.float('/const/zero', [], [0]);
  const headsShape = g.int64('/const/heads_shape', [0, 0, numHeads, headDim]);
  const hiddenShape = g.int64('/const/hidden_shape', [0, 0, hiddenSize]);
  const one = g.scalarInt64('/const/one', 1);
  const zero = g.scalarInt64('/const/zero_i64', 0);

  const hidden0 = g.op('Gather', [g.float('model.embed_tokens.weight', [config.vocabSize, hiddenSize], weights.embedTokens), 'input_ids'], {
    axis: 0,
  });

  // Rotary embedding with linear scaling: positions are divided by the factor.
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
  const cos = g.op('Cos', [angles]);
  const sin = g.op('Sin', [angles]);

  // Additive attention mask [batch, 1, query, key]: causal (offset by the past length) and padding.
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
  const additiveMask = g.op('Where', [allowed, zeroFloat, maskedValue]);

  const halves: HalfSlices = {
    axis: g.int64('/rope/slice_axis', [-1]),
    firstStart: g.int64('/rope/first_start', [0]),
    firstEnd: g.int64('/rope/first_end', [half]),
    secondStart: g.int64('/rope/second_start', [half]),
    secondEnd: g.int64('/rope/second_end', [headDim]),
  };
  const applyRope = (x: string) => g.op('Add', [g.op('Mul', [x, cos]), g.op('Mul', [rotateHalf(g, x, halves), sin])]);
  const toHeads = (x: string) => g.op('Transpose', [g.op('Reshape', [x, headsShape])], { perm: [0, 2, 1, 3] });

  let hidden = hidden0;
  weights.layers.forEach((layer, i) => {
    const prefix = `model.layers.${i}`;
    const normed = rmsNorm(g, hidden, layer.inputNorm, `${prefix}.input_layernorm`, eps);
    const query = applyRope(toHeads(linear(g, normed, layer.q, `${prefix}.self_attn.q_proj`, dtype)));
    const key = applyRope(toHeads(linear(g, normed, layer.k, `${prefix}.self_attn.k_proj`, dtype)));
    const value = toHeads(linear(g, normed, layer.v, `${prefix}.self_attn.v_proj`, dtype));
    const allKeys = g.op('Concat', [`past_key_values.${i}.key`, key], { axis: 2 }, { output: `present.${i}.key` });
    const allValues = g.op('Concat', [`past_key_values.${i}.value`, value], { axis: 2 }, { output: `present.${i}.value` });
    const scores = g.op('Add', [
      g.op('Mul', [g.op('MatMul', [query, g.op('Transpose', [allKeys], { perm: [0, 1, 3, 2] })]), attentionScale]),
      additiveMask,
    ]);
    const context = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), allValues]);
    const merged = g.op('Reshape', [g.op('Transpose', [context], { perm: [0, 2, 1, 3] }), hiddenShape]);
    hidden = g.op('Add', [hidden, linear(g, merged, layer.o, `${prefix}.self_attn.o_proj`, dtype)]);

    const normed2 = rmsNorm(g, hidden, layer.postAttentionNorm, `${prefix}.post_attention_layernorm`, eps);
    const gate = linear(g, normed2, layer.gate, `${prefix}.mlp.gate_proj`, dtype);
    const up = linear(g, normed2, layer.up, `${prefix}.mlp.up_proj`, dtype);
    const activated = g.op('Mul', [g.op('Mul', [gate, g.op('Sigmoid', [gate])]), up]);
    hidden = g.op('Add', [hidden, linear(g, activated, layer.down, `${prefix}.mlp.down_proj`, dtype)]);
  });

  const finalHidden = rmsNorm(g, hidden, weights.finalNorm, 'model.norm', eps);
  const logits = linear(g, finalHidden, weights.lmHead, 'lm_head', dtype);
  g.op('Identity', [logits], {}, { output: 'logits' });

  const kvDims = ['batch_size', numHeads, 'past_sequence_length', headDim];
  const presentDims = ['batch_size', numHeads, 'total_sequence_length', headDim];
  const inputs = [
    valueInfo('input_ids', DataType.INT64, ['batch_size', 'sequence_length']),
    valueInfo('attention_mask', DataType.INT64, ['batch_size', 'total_sequence_length']),
    valueInfo('position_ids', DataType.INT64, ['batch_size', 'sequence_length']),
  ];
  const outputs = [valueInfo('logits', DataType.FLOAT, ['batch_size', 'sequence_length', config.vocabSize])];
  for (let i = 0; i < numLayers; i++) {
    for (const kind of ['key', 'value']) {
      inputs.push(valueInfo(`past_key_values.${i}.${kind}`, DataType.FLOAT, kvDims));
      outputs.push(valueInfo(`present.${i}.${kind}`, DataType.FLOAT, presentDims));
    }
  }

  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'deepseek-coder-web tiny-model generator',
    opsetImport: [
      onnx.OperatorSetIdProto.create({ domain: '', version: 17 }),
      onnx.OperatorSetIdProto.create({ domain: 'com.microsoft', version: 1 }),
    ],
    graph: onnx.GraphProto.create({
      name: 'main_graph',
      node: g.nodes,
      initializer: g.initializers,
      input: inputs,
      output: outputs,
    }),
  });
  return onnx.ModelProto.encode(model).finish();
}
