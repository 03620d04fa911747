/**
 * Converts a ggml weight (N rows of K values, one row per output feature)
 * into MatMulNBits columns, block by block, without requantizing what the
 * format can hold exactly:
 *
 *   Q4_0 → 4 bits, block 32, zero point 8: the same numbers, nibbles reordered.
 *   Q8_0 → 8 bits, block 32: q + 128 against the default zero point 128.
 *   Q6_K → 8 bits, block 16: q + 96 against the default zero point 128 (= q − 32), scale d·sc.
 *   Q4_K → 4 bits, block 32, two ways (`KQuantMode`):
 *          'zero-points': uint4 zero points. d·sc·q − dmin·m has a zero point dmin·m / (d·sc) that
 *          is rarely an integer, and ORT's WebGPU MatMulNBits takes only uint8-packed zero points
 *          (its CPU kernel would take float ones, its WebGPU one refuses them). So each block gets
 *          an integer zero point and a least-squares scale: approximate, adding about 90% of the
 *          error Q4_K itself made (measured in the tests).
 *          'exact': the nibbles and d·sc as they are, against the default zero point 8, plus a
 *          per-block bias 8·d·sc − dmin·m that the graph adds through the input's block sums.
 *          The file's numbers exactly, for one fp32 per 32 weights more and a small matmul.
 *
 * `sourceRow(c)` names the ggml row that becomes column c: whole rows move, so blocks stay intact.
 */
import { BLOCK_LAYOUT, GgmlType, dequantize, q4KLevel, q4KScaleMin, q6KLevel, readHalf, type SupportedGgmlType } from './ggml-blocks.ts';
import type { Linear } from './graph.ts';
import type { QuantizedLinear } from './quantized-linear.ts';

export type RowOrder = (column: number) => number;
const sameRow: RowOrder = (column) => column;

export type QuantizedGgmlType = typeof GgmlType.Q4_0 | typeof GgmlType.Q8_0 | typeof GgmlType.Q4_K | typeof GgmlType.Q6_K;

/** How Q4_K blocks become MatMulNBits: rounded to integer zero points, or exactly with block biases. */
export type KQuantMode = 'zero-points' | 'exact';

export function isQuantizedType(type: SupportedGgmlType): type is QuantizedGgmlType {
  return type !== GgmlType.F32 && type !== GgmlType.F16;
}

/** N rows of K values in a quantized ggml type, as MatMulNBits weights with k = K and n = N. */
export function toMatMulNBits(
  type: QuantizedGgmlType,
  bytes: Uint8Array,
  k: number,
  n: number,
  sourceRow: RowOrder = sameRow,
  kQuants: KQuantMode = 'zero-points',
): QuantizedLinear {
  const rowBytes = (k / BLOCK_LAYOUT[type].values) * BLOCK_LAYOUT[type].bytes;
  const rowStart = (column: number) => sourceRow(column) * rowBytes;
  switch (type) {
    case GgmlType.Q4_0:
      return fromQ4_0(bytes, k, n, rowStart);
    case GgmlType.Q8_0:
      return fromQ8_0(bytes, k, n, rowStart);
    case GgmlType.Q6_K:
      return fromQ6_K(bytes, k, n, rowStart);
    case GgmlType.Q4_K:
      return kQuants === 'exact' ? fromQ4_KExact(bytes, k, n, rowStart) : fromQ4_K(bytes, k, n, rowStart);
  }
}

function fromQ4_0(bytes: Uint8Array, k: number, n: number, rowStart: (column: number) => number): QuantizedLinear {
  const blocks = k / 32;
  const packed = new Uint8Array(n * blocks * 16);
  const scales = new Float32Array(n * blocks);
  const nibble = (at: number, e: number) => (e < 16 ? bytes[at + 2 + e] & 0x0f : bytes[at + 2 + e - 16] >> 4);
  for (let column = 0; column < n; column++) {
    for (let block = 0; block < blocks; block++) {
      const at = rowStart(column) + block * 18;
      const index = column * blocks + block;
      scales[index] = readHalf(bytes, at);
      // Q4_0 keeps elements j and j + 16 in byte j; MatMulNBits keeps 2j and 2j + 1.
      for (let j = 0; j < 16; j++) packed[index * 16 + j] = nibble(at, 2 * j) | (nibble(at, 2 * j + 1) << 4);
    }
  }
  return { k, n, bits: 4, blockSize: 32, packed, scales };
}

function fromQ8_0(bytes: Uint8Array, k: number, n: number, rowStart: (column: number) => number): QuantizedLinear {
  const blocks = k / 32;
  const packed = new Uint8Array(n * blocks * 32);
  const scales = new Float32Array(n * blocks);
  for (let column = 0; column < n; column++) {
    for (let block = 0; block < blocks; block++) {
      const at = rowStart(column) + block * 34;
      const index = column * blocks + block;
      scales[index] = readHalf(bytes, at);
      // int8 q as the unsigned q + 128: flipping the sign bit adds 128 modulo 256.
      for (let j = 0; j < 32; j++) packed[index * 32 + j] = bytes[at + 2 + j] ^ 0x80;
    }
  }
  return { k, n, bits: 8, blockSize: 32, packed, scales };
}

function fromQ6_K(bytes: Uint8Array, k: number, n: number, rowStart: (column: number) => number): QuantizedLinear {
  const blocks = k / 16;
  const packed = new Uint8Array(n * k);
  const scales = new Float32Array(n * blocks);
  for (let column = 0; column < n; column++) {
    for (let superBlock = 0; superBlock < k / 256; superBlock++) {
      const at = rowStart(column) + superBlock * 210;
      const d = readHalf(bytes, at + 208);
      const first = column * blocks + superBlock * 16;
      for (let j = 0; j < 16; j++) scales[first + j] = Math.fround(d * ((bytes[at + 192 + j] << 24) >> 24));
      for (let e = 0; e < 256; e++) packed[first * 16 + e] = q6KLevel(bytes, at, e) + 96;
    }
  }
  return { k, n, bits: 8, blockSize: 16, packed, scales };
}

/**
 * Visits each 32-value block of a Q4_K matrix, column by column: the block's
 * index in MatMulNBits' order, its scale d·sc and offset dmin·m rounded to
 * float32 as ggml rounds them (a value is scale·q − offset), and its 32 levels.
 * `levels` is reused from block to block.
 */
function forEachQ4KBlock(
  bytes: Uint8Array,
  k: number,
  n: number,
  rowStart: (column: number) => number,
  visit: (index: number, scale: number, offset: number, levels: Uint8Array) => void,
): void {
  const blocks = k / 32;
  const levels = new Uint8Array(32);
  for (let column = 0; column < n; column++) {
    for (let superBlock = 0; superBlock < k / 256; superBlock++) {
      const at = rowStart(column) + superBlock * 144;
      const d = readHalf(bytes, at);
      const dmin = readHalf(bytes, at + 2);
      for (let j = 0; j < 8; j++) {
        const { scale, min } = q4KScaleMin(bytes, at + 4, j);
        for (let e = 0; e < 32; e++) levels[e] = q4KLevel(bytes, at + 16, 32 * j + e);
        visit(column * blocks + superBlock * 8 + j, Math.fround(d * scale), Math.fround(dmin * min), levels);
      }
    }
  }
}

function packNibbles(levels: Uint8Array, packed: Uint8Array, index: number): void {
  for (let e = 0; e < 16; e++) packed[index * 16 + e] = levels[2 * e] | (levels[2 * e + 1] << 4);
}

/** Q4_K onto MatMulNBits' own form: a scale and a uint4 zero point per block, refitted (the measured alternative). */
function fromQ4_K(bytes: Uint8Array, k: number, n: number, rowStart: (column: number) => number): QuantizedLinear {
  const blocks = k / 32;
  const packed = new Uint8Array(n * blocks * 16);
  const scales = new Float32Array(n * blocks);
  const zeroPoints = new Uint8Array(n * (blocks / 2));
  const fit: ZeroPointFit = { scale: 0, zero: 0 };
  forEachQ4KBlock(bytes, k, n, rowStart, (index, scale, offset, levels) => {
    fitZeroPoint(scale, offset, levels, fit);
    scales[index] = fit.scale;
    const block = index % blocks;
    zeroPoints[(index - block) / 2 + (block >> 1)] |= fit.zero << (block & 1 ? 4 : 0);
    packNibbles(levels, packed, index);
  });
  return { k, n, bits: 4, blockSize: 32, packed, scales, zeroPoints };
}

/** Q4_K exactly: the file's nibbles and scales, and a bias per block that the graph adds from the input's block sums. */
function fromQ4_KExact(bytes: Uint8Array, k: number, n: number, rowStart: (column: number) => number): QuantizedLinear {
  const blocks = k / 32;
  const packed = new Uint8Array(n * blocks * 16);
  const scales = new Float32Array(n * blocks);
  const blockBias = new Float32Array(n * blocks);
  forEachQ4KBlock(bytes, k, n, rowStart, (index, scale, offset, levels) => {
    // scale·q − offset = scale·(q − 8) + (8·scale − offset), each factor in float32 as ggml rounds it.
    scales[index] = scale;
    blockBias[index] = 8 * scale - offset;
    packNibbles(levels, packed, index);
  });
  return { k, n, bits: 4, blockSize: 32, packed, scales, blockBias };
}

export interface ZeroPointFit {
  scale: number;
  zero: number;
}

const clampLevel = (level: number) => (level < 0 ? 0 : level > 15 ? 15 : level);

/** Squared error of s·(q' − z) against a·q − b over the block, q' re-rounded for that grid. */
function reroundedError(a: number, b: number, levels: Uint8Array, scale: number, zero: number): number {
  const inverse = 1 / scale;
  let error = 0;
  for (let e = 0; e < levels.length; e++) {
    const value = a * levels[e] - b;
    const fitted = scale * (clampLevel(Math.round(value * inverse) + zero) - zero);
    error += (fitted - value) * (fitted - value);
  }
  return error;
}

/**
 * The block of values a·q − b (q the 32 `levels`) as s·(q' − z) with an integer z in [0, 15],
 * choosing by least squared error among:
 *   - the nibbles kept (q' = q), z = b/a rounded down or up, s fitted by least squares (closed form);
 *   - the offset kept exact (s = b/z for those z), the nibbles re-rounded onto that grid;
 *   - for a block whose zero point lies past the grid (all its values of one sign), a fresh
 *     min/max quantization of its values.
 * A block of one repeated value is stored exactly. `levels` is rewritten when the nibbles change.
 * Everything but the re-rounding is O(1) per candidate: a 7B model has 10^8 such blocks.
 */
export function fitZeroPoint(a: number, b: number, levels: Uint8Array, out: ZeroPointFit = { scale: 0, zero: 0 }): ZeroPointFit {
  let sum = 0;
  let sumSquares = 0;
  let low = 15;
  let high = 0;
  for (let e = 0; e < levels.length; e++) {
    const level = levels[e];
    sum += level;
    sumSquares += level * level;
    if (level < low) low = level;
    if (level > high) high = level;
  }
  const count = levels.length;
  if (a === 0 || low === high) {
    const value = a * low - b;
    levels.fill(0);
    out.scale = value === 0 ? 0 : -value;
    out.zero = value === 0 ? 0 : 1;
    return out;
  }
  const ideal = b / a;
  let bestScale = a;
  let bestZero = 0;
  let bestError = Infinity;
  let reround = false;
  for (let candidate = 0; candidate < 2; candidate++) {
    const zero = clampLevel(candidate === 0 ? Math.floor(ideal) : Math.ceil(ideal));
    if (candidate === 1 && zero === clampLevel(Math.floor(ideal))) break;
    // Least squares over s with q' = q: s = Σ(q − z)(a·q − b) / Σ(q − z)², its error in closed form.
    const denominator = sumSquares - 2 * zero * sum + count * zero * zero;
    const scale = (a * sumSquares - (b + a * zero) * sum + count * b * zero) / denominator;
    const offset = b - scale * zero;
    const error = (scale - a) ** 2 * sumSquares + 2 * (scale - a) * offset * sum + count * offset * offset;
    if (error < bestError) {
      bestScale = scale;
      bestZero = zero;
      bestError = error;
      reround = false;
    }
    if (zero !== 0) {
      const exactScale = b / zero;
      const rerounded = reroundedError(a, b, levels, exactScale, zero);
      if (rerounded < bestError) {
        bestScale = exactScale;
        bestZero = zero;
        bestError = rerounded;
        reround = true;
      }
    }
  }
  if (ideal < -0.5 || ideal > 15.5) {
    const lowest = Math.min(0, a * low - b, a * high - b);
    const highest = Math.max(0, a * low - b, a * high - b);
    const scale = (highest - lowest) / 15;
    const zero = clampLevel(Math.round(-lowest / scale));
    const error = reroundedError(a, b, levels, scale, zero);
    if (error < bestError) {
      bestScale = scale;
      bestZero = zero;
      bestError = error;
      reround = true;
    }
  }
  if (reround) {
    const inverse = 1 / bestScale;
    for (let e = 0; e < count; e++) levels[e] = clampLevel(Math.round((a * levels[e] - b) * inverse) + bestZero);
  }
  out.scale = bestScale;
  out.zero = bestZero;
  return out;
}

/** N rows of K values in any supported type, as the builder's float [K, N] linear. */
export function toLinear(type: SupportedGgmlType, bytes: Uint8Array, k: number, n: number, sourceRow: RowOrder = sameRow): Linear {
  const rowBytes = (k / BLOCK_LAYOUT[type].values) * BLOCK_LAYOUT[type].bytes;
  const weight = new Float32Array(k * n);
  for (let column = 0; column < n; column++) {
    const row = dequantize(type, bytes, sourceRow(column) * rowBytes, k);
    for (let index = 0; index < k; index++) weight[index * n + column] = row[index];
  }
  return { k, n, weight };
}
