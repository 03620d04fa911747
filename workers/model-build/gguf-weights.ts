/**
 * The builder's weight source over a GGUF file: each tensor is read with one
 * range read when the builder asks for it, converted, and let go, so the
 * model is never in memory whole. Quantized weights become MatMulNBits
 * columns (see ggml-to-matmul-nbits.ts); float ones stay float, for the
 * build's dtype to store as it stores any float weight; norms are float.
 */
import { BLOCK_LAYOUT, dequantize } from './ggml-blocks.ts';
import { isQuantizedType, toLinear, toMatMulNBits, type KQuantMode, type RowOrder } from './ggml-to-matmul-nbits.ts';
import type { GgufTensorInfo, ReadRange } from './gguf-file.ts';
import { GGUF_LINEAR_NAMES, GGUF_NORM_NAMES, type GgufModel } from './gguf-model.ts';
import type { LayerLinear, WeightSource } from './graph.ts';
import type { LinearWeights, QuantizedLinear } from './quantized-linear.ts';
import { ggufRowOfHfRow } from './rope-rows.ts';

export interface GgufWeightOptions {
  /** Called as each tensor has been read: for progress, by bytes. */
  onTensorRead?: (name: string, bytes: number) => void;
  /** Q4_K as uint4 zero points (default: smallest, approximate) or exactly, with block biases (see ggml-to-matmul-nbits.ts). */
  kQuants?: KQuantMode;
}

/** A tensor's bytes in the file: whole blocks per row, rows one after another. */
export function tensorByteLength(tensor: GgufTensorInfo & { type: keyof typeof BLOCK_LAYOUT }): number {
  const { values, bytes } = BLOCK_LAYOUT[tensor.type];
  const count = tensor.dims.reduce((product, dim) => product * dim, 1);
  return (count / values) * bytes;
}

/**
 * The weights of the GGUF file `model` describes (from `ggufModel(header)`), read through
 * `readRange`. q and k rows are put back in Hugging Face's order; a file without output.weight
 * gets the token embedding as its lm_head.
 */
export function ggufWeightSource(model: GgufModel, readRange: ReadRange, options: GgufWeightOptions = {}): WeightSource {
  const { config } = model;
  const read = async (name: string) => {
    const tensor = model.tensors.get(name);
    if (!tensor) throw new Error(`The GGUF file has no tensor ${name}.`);
    const length = tensorByteLength(tensor);
    const bytes = await readRange(tensor.offset, length);
    options.onTensorRead?.(name, length);
    return { tensor, bytes };
  };
  /** A weight of N rows of K values (dims [K, N]), as MatMulNBits columns or a float linear. */
  const weight = async (name: string, sourceRow?: RowOrder): Promise<LinearWeights> => {
    const { tensor, bytes } = await read(name);
    const [k, n] = tensor.dims;
    return isQuantizedType(tensor.type) ? toMatMulNBits(tensor.type, bytes, k, n, sourceRow, options.kQuants) : toLinear(tensor.type, bytes, k, n, sourceRow);
  };
  const vector = async (name: string) => {
    const { tensor, bytes } = await read(name);
    return dequantize(tensor.type, bytes, 0, tensor.dims[0]);
  };
  const rotary = ggufRowOfHfRow(config.headDim);
  return {
    embedTokens: async (): Promise<Float32Array | QuantizedLinear> => {
      const { tensor, bytes } = await read('token_embd.weight');
      const [hidden, vocab] = tensor.dims;
      // Rows of a table are its tokens: already [vocab, hidden] row-major, as the builder takes a float table.
      return isQuantizedType(tensor.type) ? toMatMulNBits(tensor.type, bytes, hidden, vocab, undefined, options.kQuants) : dequantize(tensor.type, bytes, 0, hidden * vocab);
    },
    layerNorm: (layer, norm) => vector(`blk.${layer}.${GGUF_NORM_NAMES[norm]}.weight`),
    layerLinear: (layer, name: LayerLinear) => {
      const rotated = name === 'self_attn.q_proj' || name === 'self_attn.k_proj';
      return weight(`blk.${layer}.${GGUF_LINEAR_NAMES[name]}.weight`, rotated ? rotary : undefined);
    },
    finalNorm: () => vector('output_norm.weight'),
    lmHead: () => weight(model.tiedEmbeddings ? 'token_embd.weight' : 'output.weight'),
  };
}
