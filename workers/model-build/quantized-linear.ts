/**
 * A linear layer (or an embedding table) that arrives already quantized, in
 * the layout of com.microsoft MatMulNBits, so the builder emits it as it is:
 * a GGUF file's blocks are repacked into this form, never requantized.
 */
import type { Linear } from './graph.ts';

export interface QuantizedLinear {
  /** Input features: the length of each quantized column. */
  k: number;
  /** Output features; for an embedding table, the vocabulary. */
  n: number;
  bits: 4 | 8;
  /** Values per block along K: a power of two, at least 16. */
  blockSize: number;
  /**
   * [N, blocks, blockSize · bits / 8] bytes, blocks = ceil(K / blockSize): each
   * column's blocks in order. With 4 bits, byte j of a block holds element 2j
   * in its low nibble and 2j + 1 in its high one.
   */
  packed: Uint8Array;
  /** [N × blocks]; a value is scale · (q − zero point). */
  scales: Float32Array;
  /**
   * MatMulNBits' zero_points: per column, ceil(blocks · bits / 8) bytes, 4-bit
   * ones two to a byte, low nibble first. Absent, every zero point is 2^(bits−1).
   */
  zeroPoints?: Uint8Array;
  /**
   * [N × blocks], added to every value of its block: scale · (q − zero point) + bias. What an
   * asymmetric format with a non-integer zero point needs to stay exact (Q4_K's d·sc·q − dmin·m);
   * the graph adds it as a small matmul of the input's block sums. K must be whole blocks.
   */
  blockBias?: Float32Array;
}

export type LinearWeights = Linear | QuantizedLinear;

export function isQuantized(weights: LinearWeights): weights is QuantizedLinear {
  return 'packed' in weights;
}

export function blocksPerColumn(weights: Pick<QuantizedLinear, 'k' | 'blockSize'>): number {
  return Math.ceil(weights.k / weights.blockSize);
}

/** Bytes of zero points per column: 4-bit ones share bytes, and each column starts on a byte. */
export function zeroPointBytesPerColumn(weights: Pick<QuantizedLinear, 'k' | 'blockSize' | 'bits'>): number {
  return Math.ceil((blocksPerColumn(weights) * weights.bits) / 8);
}

/** Level `index` (0-based along K) of column `column`. */
export function quantizedLevel(weights: QuantizedLinear, column: number, index: number): number {
  const blocks = blocksPerColumn(weights);
  const block = Math.floor(index / weights.blockSize);
  const within = index - block * weights.blockSize;
  const blockStart = (column * blocks + block) * ((weights.blockSize * weights.bits) / 8);
  if (weights.bits === 8) return weights.packed[blockStart + within];
  const byte = weights.packed[blockStart + (within >> 1)];
  return within & 1 ? byte >>> 4 : byte & 0x0f;
}

export function zeroPoint(weights: QuantizedLinear, column: number, block: number): number {
  if (!weights.zeroPoints) return 2 ** (weights.bits - 1);
  const start = column * zeroPointBytesPerColumn(weights);
  if (weights.bits === 8) return weights.zeroPoints[start + block];
  const byte = weights.zeroPoints[start + (block >> 1)];
  return block & 1 ? byte >>> 4 : byte & 0x0f;
}

/** Calls `visit` with each value these levels stand for: column, index along K, value. */
function forEachValue(weights: QuantizedLinear, visit: (column: number, index: number, value: number) => void): void {
  const { k, n, blockSize } = weights;
  const blocks = blocksPerColumn(weights);
  for (let column = 0; column < n; column++) {
    for (let block = 0; block < blocks; block++) {
      const scale = weights.scales[column * blocks + block];
      const zero = zeroPoint(weights, column, block);
      const bias = weights.blockBias?.[column * blocks + block];
      const end = Math.min(k, (block + 1) * blockSize);
      for (let index = block * blockSize; index < end; index++) {
        const value = scale * (quantizedLevel(weights, column, index) - zero);
        visit(column, index, bias === undefined ? value : value + bias);
      }
    }
  }
}

/** The float [K, N] weight these levels stand for, in the builder's row-major x · W orientation. */
export function dequantizeLinear(weights: QuantizedLinear): Linear {
  const { k, n } = weights;
  const weight = new Float32Array(k * n);
  forEachValue(weights, (column, index, value) => (weight[index * n + column] = value));
  return { k, n, weight };
}

/** An embedding table stored as a quantized linear (row r is column r), as [N, K] rows. */
export function dequantizeTable(table: QuantizedLinear): Float32Array {
  const rows = new Float32Array(table.k * table.n);
  forEachValue(table, (row, index, value) => (rows[row * table.k + index] = value));
  return rows;
}
