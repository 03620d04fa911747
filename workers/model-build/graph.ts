/**
 * Builds the ONNX graph of a Llama decoder shaped like the Hugging Face hub's
 * ONNX export of DeepSeek Coder: same input/output names, dtypes and symbolic
 * axes, so transformers.js loads it through exactly the code that loads the
 * real model. The same builder makes the tiny test models and the full-size
 * one; it runs wherever protobufjs does, Node or a browser.
 */
import onnxProto from 'onnx-proto';
import { float32ToFloat16Bits } from './float16.ts';
import { FusedAttention, FusedNorms } from './fused-layers.ts';
import type { AttentionOps, NormOps } from './layer-ops.ts';
import { PlainAttention, PlainNorms } from './plain-layers.ts';
import { quantizeQ4Symmetric, quantizeQ8PerColumn, Q4_BLOCK_SIZE } from './quantize.ts';
import { dequantizeTable, isQuantized, zeroPointBytesPerColumn, type LinearWeights, type QuantizedLinear } from './quantized-linear.ts';

const { onnx } = onnxProto;
const DataType = onnx.TensorProto.DataType;

export type ModelDtype = 'fp32' | 'q4' | 'q4f16' | 'q8';

export interface LlamaConfig {
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  headDim: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeLinearFactor: number;
  /** max_position_embeddings: the positions the fused graph's rotary caches cover (16384 when unset). */
  maxPositions?: number;
}

/** Row-major [K, N] weight of a linear layer, applied as x · W. */
export interface Linear {
  k: number;
  n: number;
  weight: Float32Array;
}

/** The linear layers of one decoder layer, by their Hugging Face names under `model.layers.{i}.`. */
export const LAYER_LINEARS = [
  'self_attn.q_proj',
  'self_attn.k_proj',
  'self_attn.v_proj',
  'self_attn.o_proj',
  'mlp.gate_proj',
  'mlp.up_proj',
  'mlp.down_proj',
] as const;
export type LayerLinear = (typeof LAYER_LINEARS)[number];
export type LayerNorm = 'input_layernorm' | 'post_attention_layernorm';

type MaybePromise<T> = T | Promise<T>;

/**
 * Where the weights come from, one tensor at a time, so a full-size model is
 * never held whole: the builder asks for each tensor as it emits it, and asks
 * for the next only once the sink has taken the last. A source may answer
 * later (a GGUF file read by Range requests). Asking twice for the same
 * tensor must give the same values.
 */
export interface WeightSource {
  /** [vocab, hidden] rows, row-major; or quantized, one column per token (k = hidden, n = vocab). */
  embedTokens(): MaybePromise<Float32Array | QuantizedLinear>;
  layerNorm(layer: number, norm: LayerNorm): MaybePromise<Float32Array>;
  layerLinear(layer: number, name: LayerLinear): MaybePromise<LinearWeights>;
  finalNorm(): MaybePromise<Float32Array>;
  lmHead(): MaybePromise<LinearWeights>;
}

export interface BuildOptions {
  /**
   * How float linears are stored (fp32, 4-bit MatMulNBits, or int8 MatMulInteger), and the precision
   * of activations and scales around quantized ones: fp16 in q4f16, fp32 otherwise. Linears that
   * come quantized are emitted as MatMulNBits in every dtype, never requantized.
   */
  dtype: ModelDtype;
  /** MatMulNBits' accuracy_level (4 = int8 compute on CPU); unset leaves the runtime's default, as the hub's exports do. */
  accuracyLevel?: number;
  /**
   * A quantized embedding table is read by GatherBlockQuantized ('gather', the default: it stays as
   * small as the file's, and ORT's CPU and WebGPU providers both run it), or dequantized into a
   * float Gather table ('dequantize': fp16 in q4f16, else fp32).
   */
  quantizedEmbedding?: 'gather' | 'dequantize';
  /**
   * Norms and attention as ONNX Runtime's fused contrib ops (fused-layers.ts)
   * rather than the plain ops of the hub's export: `true` for both, or each
   * part on its own. Same inputs, outputs and numbers up to rounding. ORT's
   * CPU (Node, WASM) and WebGPU providers run both, but which is faster
   * differs by runtime: on WASM only the norms gain (fused-layers.ts).
   */
  fused?: boolean | FusedParts;
  /**
   * Adds the int64 scalar input `num_logits_to_keep`: the final norm and
   * lm_head then run on the last that many positions only (0: all of them).
   * transformers.js feeds it when a graph has it.
   */
  numLogitsToKeep?: boolean;
}

export interface FusedParts {
  /** SimplifiedLayerNormalization, and SkipSimplifiedLayerNormalization for each residual add and the norm after it. */
  norms: boolean;
  /** GroupQueryAttention with the rotary embedding and the KV-cache append inside. */
  attention: boolean;
}

/** The optional graph input transformers.js recognizes (setNumLogitsToKeep). */
export const NUM_LOGITS_TO_KEEP = 'num_logits_to_keep';

type Node = InstanceType<typeof onnx.NodeProto>;
export type Tensor = InstanceType<typeof onnx.TensorProto>;
export type Graph = InstanceType<typeof onnx.GraphProto>;

/**
 * Receives each initializer as it is made; a full-size model streams them to disk instead of
 * holding them. The builder reads no further weight until a returned promise settles.
 */
export type InitializerSink = (tensor: Tensor) => void | Promise<void>;

export class GraphBuilder {
  readonly nodes: Node[] = [];
  private counter = 0;
  private scope = '';
  /** The sink's writes not yet awaited: settled before each weight is read, so at most one tensor is in flight. */
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly emit: InitializerSink,
    /** Prefixes every tensor name made here: nodes added to a graph someone else built stay clear of its names. */
    private readonly namespace = '',
  ) {}

  /** Waits until the sink has taken everything it was given. */
  async settled(): Promise<void> {
    await this.pending;
  }

  /** Waits for the sink to take what it was given, then reads the next weight. */
  async next<T>(read: () => MaybePromise<T>): Promise<T> {
    await this.settled();
    return read();
  }

  /**
   * Emits with node names prefixed by `scope` ("norm/Mul/Mul_12"): a runtime's
   * per-node profile then adds up to the time of each part of the model.
   */
  within<T>(scope: string, emit: () => T): T {
    const outer = this.scope;
    this.scope = `${scope}/`;
    try {
      return emit();
    } finally {
      this.scope = outer;
    }
  }

  /** A new tensor name. */
  fresh(hint: string): string {
    this.counter += 1;
    return `/${this.namespace}${hint}_${this.counter}`;
  }

  op(
    opType: string,
    inputs: string[],
    attributes: Record<string, number | number[]> = {},
    options: { output?: string; outputs?: string[]; domain?: string } = {},
  ): string {
    const outputs = options.outputs ?? [options.output ?? this.fresh(opType)];
    this.nodes.push(
      onnx.NodeProto.create({
        opType,
        input: inputs,
        output: outputs,
        name: `${this.scope}${opType}${outputs[0]}`,
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
    return outputs[0];
  }

  /** An op with several outputs, named after `hint`. */
  multiOp(opType: string, inputs: string[], hints: string[]): string[] {
    const outputs = hints.map((hint) => this.fresh(hint));
    this.op(opType, inputs, {}, { outputs });
    return outputs;
  }

  initializer(name: string, dataType: number, dims: number[], bytes: Uint8Array): string {
    const taken = this.emit(onnx.TensorProto.create({ name, dataType, dims, rawData: bytes }));
    // Promise.all handles a failed write at once, so it is reported by the next await, not as unhandled.
    if (taken) this.pending = Promise.all([this.pending, taken]).then(() => undefined);
    return name;
  }

  float(name: string, dims: number[], values: Float32Array | number[]): string {
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    return this.initializer(name, DataType.FLOAT, dims, bytesOf(data));
  }

  half(name: string, dims: number[], values: Float32Array): string {
    return this.initializer(name, DataType.FLOAT16, dims, bytesOf(float32ToFloat16Bits(values)));
  }

  int64(name: string, values: number[]): string {
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    return this.initializer(name, DataType.INT64, [values.length], bytesOf(data));
  }

  scalarInt64(name: string, value: number): string {
    return this.initializer(name, DataType.INT64, [], bytesOf(BigInt64Array.of(BigInt(value))));
  }
}

function bytesOf(data: ArrayBufferView): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
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

function linear(g: GraphBuilder, x: string, weights: LinearWeights, name: string, options: BuildOptions): string {
  const { dtype } = options;
  if (isQuantized(weights)) return matMulNBits(g, x, weights, name, options);
  if (dtype === 'fp32') {
    return g.op('MatMul', [x, g.float(`${name}.weight`, [weights.k, weights.n], weights.weight)]);
  }
  if (dtype === 'q8') return dynamicQuantizedLinear(g, x, weights, name);
  const { packed, scales } = quantizeQ4Symmetric(weights);
  return matMulNBits(g, x, { k: weights.k, n: weights.n, bits: 4, blockSize: Q4_BLOCK_SIZE, packed, scales }, name, options);
}

/** A MatMulNBits node over weights already in its layout; scales and activations in fp16 for q4f16. */
function matMulNBits(g: GraphBuilder, x: string, weights: QuantizedLinear, name: string, options: BuildOptions): string {
  const { k, n, bits, blockSize, packed, scales, zeroPoints, blockBias } = weights;
  const blocks = Math.ceil(k / blockSize);
  const quantName = g.initializer(`${name}.weight_Q${bits}`, DataType.UINT8, [n, blocks, (blockSize * bits) / 8], packed);
  const half = options.dtype === 'q4f16';
  const scaleName = half ? g.half(`${name}.weight_scales`, [scales.length], scales) : g.float(`${name}.weight_scales`, [scales.length], scales);
  const inputs = [half ? g.op('Cast', [x], { to: DataType.FLOAT16 }) : x, quantName, scaleName];
  if (zeroPoints) inputs.push(g.initializer(`${name}.weight_zp`, DataType.UINT8, [n * zeroPointBytesPerColumn(weights)], zeroPoints));
  const attributes = {
    K: k,
    N: n,
    bits,
    block_size: blockSize,
    ...(options.accuracyLevel !== undefined && { accuracy_level: options.accuracyLevel }),
  };
  const y = g.op('MatMulNBits', inputs, attributes, { domain: 'com.microsoft' });
  const product = half ? g.op('Cast', [y], { to: DataType.FLOAT }) : y;
  if (!blockBias) return product;
  if (k % blockSize !== 0) throw new Error(`${name}: block biases need whole blocks: ${k} values in blocks of ${blockSize}.`);
  // Σ_k x_k · bias_block(k) = Σ_blocks (Σ_{k in block} x_k) · bias_block: the input's block sums times a [blocks, N] matrix, in fp32.
  const sums = g.op('ReduceSum', [g.op('Reshape', [x, g.int64(`${name}.block_shape`, [0, 0, blocks, blockSize])]), g.int64(`${name}.block_axis`, [-1])], { keepdims: 0 });
  const biasByBlock = new Float32Array(blocks * n);
  for (let column = 0; column < n; column++) for (let block = 0; block < blocks; block++) biasByBlock[block * n + column] = blockBias[column * blocks + block];
  return g.op('Add', [product, g.op('MatMul', [sums, g.float(`${name}.weight_block_bias`, [blocks, n], biasByBlock)])]);
}

/**
 * The graph ORT's dynamic quantization writes, which transformers.js calls
 * q8: activations quantized to uint8 per call, int8 weights per column,
 * an integer matmul, then both scales applied.
 */
function dynamicQuantizedLinear(g: GraphBuilder, x: string, weights: Linear, name: string): string {
  const { values, scales } = quantizeQ8PerColumn(weights);
  const weightName = g.initializer(`${name}.weight_quantized`, DataType.INT8, [weights.k, weights.n], bytesOf(values));
  const [xq, xScale, xZeroPoint] = g.multiOp('DynamicQuantizeLinear', [x], ['x_quantized', 'x_scale', 'x_zero_point']);
  const product = g.op('MatMulInteger', [xq, weightName, xZeroPoint]);
  const scaled = g.op('Mul', [g.op('Cast', [product], { to: DataType.FLOAT }), g.float(`${name}.weight_scale`, [weights.n], scales)]);
  return g.op('Mul', [scaled, xScale]);
}

/**
 * The token embedding table: fp32, fp16 in the q4f16 graph, int8 with one scale in the q8 graph;
 * one that comes quantized is read as it is by GatherBlockQuantized, whose layout for a table of
 * rows is MatMulNBits' for a weight of columns.
 */
function embedding(g: GraphBuilder, config: LlamaConfig, source: Float32Array | QuantizedLinear, options: BuildOptions): string {
  const { dtype } = options;
  if (!(source instanceof Float32Array) && options.quantizedEmbedding !== 'dequantize') return quantizedEmbedding(g, source, dtype);
  const table = source instanceof Float32Array ? source : dequantizeTable(source);
  const dims = [config.vocabSize, config.hiddenSize];
  if (dtype === 'q4f16') {
    return g.op('Cast', [g.op('Gather', [g.half('model.embed_tokens.weight', dims, table), 'input_ids'], { axis: 0 })], {
      to: DataType.FLOAT,
    });
  }
  if (dtype === 'q8') {
    let absMax = 0;
    for (const value of table) absMax = Math.max(absMax, Math.abs(value));
    const scale = absMax / 127 || 1;
    const quantized = Int8Array.from(table, (value) => Math.round(value / scale));
    const rows = g.op('Gather', [g.initializer('model.embed_tokens.weight_quantized', DataType.INT8, dims, bytesOf(quantized)), 'input_ids'], {
      axis: 0,
    });
    return g.op('DequantizeLinear', [rows, g.float('model.embed_tokens.weight_scale', [], [scale])]);
  }
  return g.op('Gather', [g.float('model.embed_tokens.weight', dims, table), 'input_ids'], { axis: 0 });
}

function quantizedEmbedding(g: GraphBuilder, table: QuantizedLinear, dtype: ModelDtype): string {
  const { k, n, bits, blockSize, packed, scales, zeroPoints } = table;
  if (k % blockSize !== 0) throw new Error(`A quantized embedding needs whole blocks per row: ${k} values in blocks of ${blockSize}.`);
  const blocks = k / blockSize;
  const half = dtype === 'q4f16';
  const inputs = [
    g.initializer('model.embed_tokens.weight_quantized', DataType.UINT8, [n, (k * bits) / 8], packed),
    'input_ids',
    half ? g.half('model.embed_tokens.weight_scales', [n, blocks], scales) : g.float('model.embed_tokens.weight_scales', [n, blocks], scales),
  ];
  if (zeroPoints) inputs.push(g.initializer('model.embed_tokens.weight_zp', DataType.UINT8, [n, zeroPointBytesPerColumn(table)], zeroPoints));
  const quantized = g.op('GatherBlockQuantized', inputs, { gather_axis: 0, quantize_axis: 1, block_size: blockSize, bits }, { domain: 'com.microsoft' });
  const rows = half ? g.op('Cast', [quantized], { to: DataType.FLOAT }) : quantized;
  if (!table.blockBias) return rows;
  // Each token's block biases, gathered as its rows are, added to their blocks in fp32.
  const bias = g.op('Gather', [g.float('model.embed_tokens.weight_block_bias', [n, blocks], table.blockBias), 'input_ids'], { axis: 0 });
  const grouped = g.op('Reshape', [rows, g.int64('model.embed_tokens.block_shape', [0, 0, blocks, blockSize])]);
  const biased = g.op('Add', [grouped, g.op('Unsqueeze', [bias, g.int64('model.embed_tokens.block_axis', [-1])])]);
  return g.op('Reshape', [biased, g.int64('model.embed_tokens.row_shape', [0, 0, k])]);
}

/**
 * The KV cache is fp16 in the q4f16 graph, as in the hub's fp16-activation
 * exports, and fp32 otherwise.
 */
export function kvCacheType(dtype: ModelDtype): number {
  return dtype === 'q4f16' ? DataType.FLOAT16 : DataType.FLOAT;
}

/**
 * Builds the decoder graph, handing each initializer to `emit` as soon as it
 * exists; returns the graph without them.
 */
export async function buildGraph(config: LlamaConfig, weights: WeightSource, options: BuildOptions, emit: InitializerSink): Promise<Graph> {
  const g = new GraphBuilder(emit);
  const { numHeads, headDim, numLayers } = config;
  const cacheType = kvCacheType(options.dtype);
  const fused: FusedParts = typeof options.fused === 'object' ? options.fused : { norms: !!options.fused, attention: !!options.fused };
  const norms: NormOps = fused.norms ? new FusedNorms(g, config) : new PlainNorms(g, config);
  const attention: AttentionOps = fused.attention ? new FusedAttention(g, config, cacheType) : new PlainAttention(g, config, cacheType);
  const keepLastPositions = options.numLogitsToKeep ? lastPositionsSlicer(g) : null;

  const embeddingWeights = await g.next(() => weights.embedTokens());
  const embedded = g.within('embedding', () => embedding(g, config, embeddingWeights, options));
  let stream = norms.norm(embedded, await g.next(() => weights.layerNorm(0, 'input_layernorm')), 'model.layers.0.input_layernorm');
  for (let i = 0; i < numLayers; i++) {
    const prefix = `model.layers.${i}`;
    const project = async (x: string, name: LayerLinear) => {
      const linearWeights = await g.next(() => weights.layerLinear(i, name));
      return g.within('linear', () => linear(g, x, linearWeights, `${prefix}.${name}`, options));
    };
    const query = await project(stream.normed, 'self_attn.q_proj');
    const key = await project(stream.normed, 'self_attn.k_proj');
    const value = await project(stream.normed, 'self_attn.v_proj');
    let residual = stream.residual;
    let attended = await project(attention.attention(i, query, key, value), 'self_attn.o_proj');
    if (keepLastPositions && i === numLayers - 1) {
      // Past the last attention, positions no longer mix: only the rows whose logits are asked for go on.
      residual = keepLastPositions(residual);
      attended = keepLastPositions(attended);
    }
    const postNorm = await g.next(() => weights.layerNorm(i, 'post_attention_layernorm'));
    stream = norms.addAndNorm(residual, attended, postNorm, `${prefix}.post_attention_layernorm`);
    const gate = await project(stream.normed, 'mlp.gate_proj');
    const up = await project(stream.normed, 'mlp.up_proj');
    const activated = g.within('mlp', () => g.op('Mul', [g.op('Mul', [gate, g.op('Sigmoid', [gate])]), up]));
    const down = await project(activated, 'mlp.down_proj');
    const last = i + 1 === numLayers;
    const nextNorm = await g.next(() => (last ? weights.finalNorm() : weights.layerNorm(i + 1, 'input_layernorm')));
    stream = norms.addAndNorm(stream.residual, down, nextNorm, last ? 'model.norm' : `model.layers.${i + 1}.input_layernorm`);
  }

  const headWeights = await g.next(() => weights.lmHead());
  g.within('lm_head', () => g.op('Identity', [linear(g, stream.normed, headWeights, 'lm_head', options)], {}, { output: 'logits' }));

  const kvDims = ['batch_size', numHeads, 'past_sequence_length', headDim];
  const presentDims = ['batch_size', numHeads, 'total_sequence_length', headDim];
  const inputs = [
    valueInfo('input_ids', DataType.INT64, ['batch_size', 'sequence_length']),
    valueInfo('attention_mask', DataType.INT64, ['batch_size', 'total_sequence_length']),
    valueInfo('position_ids', DataType.INT64, ['batch_size', 'sequence_length']),
  ];
  if (options.numLogitsToKeep) inputs.push(valueInfo(NUM_LOGITS_TO_KEEP, DataType.INT64, []));
  // With num_logits_to_keep, the logits cover only the last rows asked for.
  const logitsRows = options.numLogitsToKeep ? 'logits_sequence_length' : 'sequence_length';
  const outputs = [valueInfo('logits', DataType.FLOAT, ['batch_size', logitsRows, config.vocabSize])];
  for (let i = 0; i < numLayers; i++) {
    for (const kind of ['key', 'value']) {
      inputs.push(valueInfo(`past_key_values.${i}.${kind}`, cacheType, kvDims));
      outputs.push(valueInfo(`present.${i}.${kind}`, cacheType, presentDims));
    }
  }
  await g.settled();
  return onnx.GraphProto.create({ name: 'main_graph', node: g.nodes, input: inputs, output: outputs });
}

/**
 * A function keeping the last `num_logits_to_keep` positions of x [batch,
 * sequence, …], with the input read as transformers.js means it: 0 keeps
 * every position (the slice starts at −0 = 0), and so does a count past the length.
 */
export function lastPositionsSlicer(g: GraphBuilder): (x: string) => string {
  const start = g.within('logits', () => g.op('Neg', [g.op('Unsqueeze', [NUM_LOGITS_TO_KEEP, g.int64('/logits/unsqueeze_axes', [0])])]));
  const end = g.int64('/logits/slice_end', [Number.MAX_SAFE_INTEGER]);
  const axes = g.int64('/logits/slice_axes', [1]);
  return (x) => g.within('logits', () => g.op('Slice', [x, start, end, axes]));
}

export function modelProto(graph: Graph) {
  return onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'deepseek-coder-web llama-graph builder',
    opsetImport: [
      onnx.OperatorSetIdProto.create({ domain: '', version: 17 }),
      onnx.OperatorSetIdProto.create({ domain: 'com.microsoft', version: 1 }),
    ],
    graph,
  });
}

/** The whole model as one protobuf in memory: for small models. */
export async function buildModel(config: LlamaConfig, weights: WeightSource, options: BuildOptions): Promise<Uint8Array> {
  const initializers: Tensor[] = [];
  const graph = await buildGraph(config, weights, options, (tensor) => void initializers.push(tensor));
  graph.initializer = initializers;
  return onnx.ModelProto.encode(modelProto(graph)).finish();
}
