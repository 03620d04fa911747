import type { Linear } from './graph.ts';

export const Q4_BLOCK_SIZE = 32;

/**
 * Symmetric 4-bit block quantization in the layout of com.microsoft MatMulNBits:
 * B is [N, blocks, blockSize / 2] bytes, each byte holding two consecutive k
 * values (the lower nibble first); with no zero_points input the zero point is 8.
 */
export function quantizeQ4Symmetric(weights: Linear): { packed: Uint8Array; scales: Float32Array; blocksPerColumn: number } {
  const { k, n, weight } = weights;
  const blocksPerColumn = Math.ceil(k / Q4_BLOCK_SIZE);
  const blobSize = Q4_BLOCK_SIZE / 2;
  const packed = new Uint8Array(n * blocksPerColumn * blobSize);
  const scales = new Float32Array(n * blocksPerColumn);
  for (let column = 0; column < n; column++) {
    for (let block = 0; block < blocksPerColumn; block++) {
      const start = block * Q4_BLOCK_SIZE;
      const end = Math.min(k, start + Q4_BLOCK_SIZE);
      let absMax = 0;
      for (let row = start; row < end; row++) absMax = Math.max(absMax, Math.abs(weight[row * n + column]));
      const scale = absMax / 7;
      scales[column * blocksPerColumn + block] = scale;
      for (let row = start; row < end; row++) {
        const level = scale === 0 ? 8 : Math.min(15, Math.max(0, Math.round(weight[row * n + column] / scale) + 8));
        const offset = row - start;
        const byteIndex = (column * blocksPerColumn + block) * blobSize + (offset >> 1);
        packed[byteIndex] |= offset & 1 ? level << 4 : level;
      }
    }
  }
  return { packed, scales, blocksPerColumn };
}
