import { roundToFloat16 } from './float16.ts';
import type { Linear } from './graph.ts';

export const Q4_BLOCK_SIZE = 32;

export interface Q4Weights {
  /** [N, blocks, 16] bytes in MatMulNBits order: byte j of a block holds elements 2j (low nibble) and 2j + 1 (high). */
  packed: Uint8Array;
  /** [N × blocks] scales; x = scale · (q − 8). */
  scales: Float32Array;
  blocksPerColumn: number;
}

/**
 * Symmetric 4-bit block quantization in the layout of com.microsoft MatMulNBits:
 * B is [N, blocks, blockSize / 2] bytes, each byte holding two consecutive k
 * values (the lower nibble first); with no zero_points input the zero point is 8.
 *
 * Scales are rounded to binary16 before the weights are quantized against
 * them, so the q4 graph (fp32 scales), the q4f16 graph (fp16 scales) and a
 * GGUF Q4_0 file (fp16 d) all hold exactly the same numbers.
 */
export function quantizeQ4Symmetric(weights: Linear): Q4Weights {
  const { k, n, weight } = weights;
  const blocksPerColumn = Math.ceil(k / Q4_BLOCK_SIZE);
  const blobSize = Q4_BLOCK_SIZE / 2;
  const packed = new Uint8Array(n * blocksPerColumn * blobSize);
  const absMaxima = new Float32Array(n * blocksPerColumn);
  for (let row = 0; row < k; row++) {
    const block = Math.floor(row / Q4_BLOCK_SIZE);
    const base = row * n;
    for (let column = 0; column < n; column++) {
      const index = column * blocksPerColumn + block;
      const magnitude = Math.abs(weight[base + column]);
      if (magnitude > absMaxima[index]) absMaxima[index] = magnitude;
    }
  }
  const scales = roundToFloat16(absMaxima.map((absMax) => absMax / 7));
  for (let row = 0; row < k; row++) {
    const block = Math.floor(row / Q4_BLOCK_SIZE);
    const offset = row - block * Q4_BLOCK_SIZE;
    const shift = offset & 1 ? 4 : 0;
    const base = row * n;
    for (let column = 0; column < n; column++) {
      const index = column * blocksPerColumn + block;
      const scale = scales[index];
      const level = scale === 0 ? 8 : Math.min(15, Math.max(0, Math.round(weight[base + column] / scale) + 8));
      packed[index * blobSize + (offset >> 1)] |= level << shift;
    }
  }
  return { packed, scales, blocksPerColumn };
}

export interface Q8Weights {
  /** [K, N] int8, row-major as the fp32 weight: the B input of MatMulInteger. */
  values: Int8Array;
  /** One scale per output column; x = scale · q. */
  scales: Float32Array;
}

/**
 * Symmetric per-column 8-bit quantization for the dynamically quantized
 * (MatMulInteger) graph that transformers.js calls q8.
 */
export function quantizeQ8PerColumn(weights: Linear): Q8Weights {
  const { k, n, weight } = weights;
  const absMaxima = new Float32Array(n);
  for (let row = 0; row < k; row++) {
    const base = row * n;
    for (let column = 0; column < n; column++) {
      const magnitude = Math.abs(weight[base + column]);
      if (magnitude > absMaxima[column]) absMaxima[column] = magnitude;
    }
  }
  const scales = absMaxima.map((absMax) => absMax / 127);
  const values = new Int8Array(k * n);
  for (let row = 0; row < k; row++) {
    const base = row * n;
    for (let column = 0; column < n; column++) {
      const scale = scales[column];
      values[base + column] = scale === 0 ? 0 : Math.max(-127, Math.min(127, Math.round(weight[base + column] / scale)));
    }
  }
  return { values, scales };
}
