/**
 * GGUF weights → MatMulNBits: exact for Q4_0, Q8_0 and Q6_K (the same numbers, repacked), and
 * for Q4_K within a measured error; rows of q and k put back in Hugging Face's order.
 */
import { describe, expect, it } from 'vitest';
import { encodeRows } from '../../scripts/llama-graph/gguf-writer.ts';
import { createRandom, normal } from '../../workers/engine/sampling/random.ts';
import { GgmlType, dequantize } from '../../workers/model-build/ggml-blocks.ts';
import { fitZeroPoint, toLinear, toMatMulNBits, type QuantizedGgmlType } from '../../workers/model-build/ggml-to-matmul-nbits.ts';
import type { Linear } from '../../workers/model-build/graph.ts';
import { dequantizeLinear, dequantizeTable } from '../../workers/model-build/quantized-linear.ts';
import { ggufRowOfHfRow, ropeInterleavedRow } from '../../workers/model-build/rope-rows.ts';

function randomLinear(k: number, n: number, seed: number): Linear {
  const random = createRandom(seed);
  return { k, n, weight: Float32Array.from({ length: k * n }, () => normal(random) / Math.sqrt(k)) };
}

const maxAbs = (values: Float32Array) => values.reduce((max, value) => Math.max(max, Math.abs(value)), 0);
const rms = (values: ArrayLike<number>) => Math.sqrt(Array.from(values).reduce((sum, value) => sum + value * value, 0) / values.length);
const difference = (a: Float32Array, b: Float32Array) => a.map((value, i) => value - b[i]);

describe('GGUF weights as MatMulNBits', () => {
  const weights = randomLinear(512, 24, 11);

  for (const [name, type, bits, blockSize] of [
    ['Q4_0', GgmlType.Q4_0, 4, 32],
    ['Q8_0', GgmlType.Q8_0, 8, 32],
    ['Q6_K', GgmlType.Q6_K, 8, 16],
  ] as const) {
    it(`${name} → ${bits} bits, block ${blockSize}: exactly the file's numbers`, () => {
      const bytes = encodeRows(type, weights);
      const converted = toMatMulNBits(type, bytes, weights.k, weights.n);
      expect(converted).toMatchObject({ k: 512, n: 24, bits, blockSize });
      expect(converted.zeroPoints).toBeUndefined();
      expect(dequantizeLinear(converted).weight).toEqual(toLinear(type, bytes, weights.k, weights.n).weight);
    });
  }

  it('Q4_K → 4 bits, block 32, uint4 zero points: within a measured error of the file\u2019s numbers', () => {
    const big = randomLinear(2048, 64, 12);
    const bytes = encodeRows(GgmlType.Q4_K, big);
    const converted = toMatMulNBits(GgmlType.Q4_K, bytes, big.k, big.n);
    expect(converted).toMatchObject({ bits: 4, blockSize: 32 });
    expect(converted.zeroPoints).toHaveLength(big.n * (big.k / 32 / 2));
    const exact = toLinear(GgmlType.Q4_K, bytes, big.k, big.n).weight;
    const conversionError = difference(dequantizeLinear(converted).weight, exact);
    const quantizationError = difference(exact, big.weight);
    const relative = rms(conversionError) / rms(exact);
    // Against Q4_K's own error: the conversion adds a fraction of what the quantization already lost.
    const ofQuantization = rms(conversionError) / rms(quantizationError);
    console.log(
      `Q4_K → MatMulNBits: RMS error ${(relative * 100).toFixed(2)}% of the weights' RMS, ` +
        `${(ofQuantization * 100).toFixed(0)}% of Q4_K's own RMS error; max |error| ${maxAbs(conversionError).toExponential(2)} ` +
        `against max |weight| ${maxAbs(exact).toExponential(2)}`,
    );
    expect(relative).toBeLessThan(0.08);
    expect(ofQuantization).toBeLessThan(0.95);
  });

  it('Q4_K exactly → 4 bits, block 32, zero point 8 and a bias per block: the file\u2019s numbers to float rounding', () => {
    const big = randomLinear(2048, 16, 15);
    const bytes = encodeRows(GgmlType.Q4_K, big);
    const converted = toMatMulNBits(GgmlType.Q4_K, bytes, big.k, big.n, undefined, 'exact');
    expect(converted).toMatchObject({ bits: 4, blockSize: 32 });
    expect(converted.zeroPoints).toBeUndefined();
    expect(converted.blockBias).toHaveLength(big.n * (big.k / 32));
    const exact = toLinear(GgmlType.Q4_K, bytes, big.k, big.n).weight;
    const error = difference(dequantizeLinear(converted).weight, exact);
    expect(maxAbs(error)).toBeLessThanOrEqual(maxAbs(exact) * 2 ** -22);
  });

  it('quantized embedding tables keep their rows: a token\u2019s row is its column', () => {
    const table = randomLinear(256, 10, 13).weight; // 10 tokens of 256 values, row-major
    const bytes = encodeRows(GgmlType.Q8_0, { k: 256, n: 10, weight: transpose(table, 10, 256) });
    expect(dequantizeTable(toMatMulNBits(GgmlType.Q8_0, bytes, 256, 10))).toEqual(dequantize(GgmlType.Q8_0, bytes, 0, 2560));
  });
});

function transpose(values: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) out[c * rows + r] = values[r * columns + c];
  return out;
}

describe('fitting a Q4_K block to an integer zero point', () => {
  const values = (a: number, b: number, levels: Uint8Array) => Array.from(levels, (level) => a * level - b);
  const fitted = (fit: { scale: number; zero: number }, levels: Uint8Array) => Array.from(levels, (level) => fit.scale * (level - fit.zero));

  it('is exact when the zero point is an integer', () => {
    const levels = Uint8Array.from({ length: 32 }, (_, i) => i % 16);
    const original = values(0.5, 0.5 * 6, levels);
    const fit = fitZeroPoint(0.5, 3, levels);
    expect(fit).toEqual({ scale: 0.5, zero: 6 });
    expect(fitted(fit, levels)).toEqual(original);
  });

  it('stores a block of one repeated value, or of zeros, exactly', () => {
    const levels = new Uint8Array(32).fill(7);
    const fit = fitZeroPoint(0.25, 0.1, levels);
    expect(fitted(fit, levels).every((value) => Math.abs(value - (0.25 * 7 - 0.1)) < 1e-12)).toBe(true);
    const zeros = new Uint8Array(32).fill(3);
    expect(fitted(fitZeroPoint(0, 0, zeros), zeros)).toEqual(new Array(32).fill(0));
    const flat = Uint8Array.from({ length: 32 }, (_, i) => i % 16);
    expect(fitted(fitZeroPoint(0, -0.5, flat), flat)).toEqual(new Array(32).fill(0.5));
  });

  it('rounds the zero point and refits the scale, within half a step', () => {
    const levels = Uint8Array.from({ length: 32 }, (_, i) => (i * 7) % 16);
    const [a, b] = [0.1, 0.1 * 8.4];
    const original = values(a, b, levels);
    const fit = fitZeroPoint(a, b, levels);
    expect(fit.zero).toBe(8);
    const error = fitted(fit, levels).map((value, i) => Math.abs(value - original[i]));
    expect(Math.max(...error)).toBeLessThanOrEqual(a / 2 + 1e-12);
  });

  it('requantizes a block whose values all lie past the grid\u2019s end (all negative)', () => {
    const levels = Uint8Array.from({ length: 32 }, (_, i) => i % 16);
    const [a, b] = [0.1, 2.5]; // values from −2.5 to −1.0: zero point 25, outside 0–15
    const original = values(a, b, levels);
    const fit = fitZeroPoint(a, b, levels);
    expect(fit.zero).toBe(15);
    const error = fitted(fit, levels).map((value, i) => Math.abs(value - original[i]));
    expect(Math.max(...error)).toBeLessThanOrEqual(fit.scale / 2 + 1e-9);
  });
});

describe('the rotary row order', () => {
  it('undoes llama.cpp\u2019s interleaving of each head\u2019s halves', () => {
    for (const headDim of [4, 16, 128]) {
      const toGguf = ggufRowOfHfRow(headDim);
      const fromGguf = ropeInterleavedRow(headDim);
      for (let row = 0; row < 3 * headDim; row++) expect(fromGguf(toGguf(row))).toBe(row);
    }
    expect([0, 1, 2, 3, 4, 5, 6, 7].map(ggufRowOfHfRow(4))).toEqual([0, 2, 1, 3, 4, 6, 5, 7]);
  });

  it('moves whole rows of a q weight back, blocks intact', () => {
    const q = randomLinear(256, 32, 14);
    const headDim = 16;
    for (const type of [GgmlType.Q4_0, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q6_K] as QuantizedGgmlType[]) {
      const permuted = encodeRows(type, q, ropeInterleavedRow(headDim));
      const inOrder = encodeRows(type, q);
      // Each row's blocks depend on that row alone, so the rows come back converted exactly as if never moved.
      expect(toMatMulNBits(type, permuted, q.k, q.n, ggufRowOfHfRow(headDim))).toEqual(toMatMulNBits(type, inOrder, q.k, q.n));
      expect(toLinear(type, permuted, q.k, q.n, ggufRowOfHfRow(headDim)).weight).toEqual(toLinear(type, inOrder, q.k, q.n).weight);
    }
  });
});
