/**
 * ggml's block layouts, both ways: the decoders (workers/model-build/ggml-blocks.ts) against
 * blocks laid out by hand from ggml-common.h, and the test models' encoders
 * (scripts/llama-graph/ggml-encode.ts) against those decoders, edge cases included.
 */
import { describe, expect, it } from 'vitest';
import { encodeQ4_0, encodeQ4_K, encodeQ6_K, encodeQ8_0 } from '../../scripts/llama-graph/ggml-encode.ts';
import { createRandom, normal } from '../../workers/engine/sampling/random.ts';
import { float32ToFloat16Bits } from '../../workers/model-build/float16.ts';
import { GgmlType, byteLength, dequantize, q4KScaleMin, readHalf } from '../../workers/model-build/ggml-blocks.ts';

const half = (value: number) => float32ToFloat16Bits(Float32Array.of(value))[0];
function putHalf(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = half(value) & 0xff;
  bytes[at + 1] = half(value) >> 8;
}

function randomValues(count: number, seed: number, std = 1): Float32Array {
  const random = createRandom(seed);
  return Float32Array.from({ length: count }, () => normal(random) * std);
}

describe('ggml decoders, against blocks laid out by hand', () => {
  it('Q4_0: d, then byte j holds element j (low nibble) and j + 16 (high)', () => {
    const block = new Uint8Array(18);
    putHalf(block, 0, 0.5);
    for (let j = 0; j < 16; j++) block[2 + j] = j | ((15 - j) << 4);
    const values = dequantize(GgmlType.Q4_0, block, 0, 32);
    expect(values[0]).toBe(0.5 * (0 - 8));
    expect(values[5]).toBe(0.5 * (5 - 8));
    expect(values[16]).toBe(0.5 * (15 - 8));
    expect(values[31]).toBe(0.5 * (0 - 8));
  });

  it('Q8_0: d, then 32 signed bytes', () => {
    const block = new Uint8Array(34);
    putHalf(block, 0, 0.25);
    block[2] = 0x80; // −128
    block[3] = 0x7f; // 127
    block[4] = 0xff; // −1
    const values = dequantize(GgmlType.Q8_0, block, 0, 32);
    expect(Array.from(values.slice(0, 4))).toEqual([-32, 31.75, -0.25, 0]);
  });

  it('Q4_K: 6-bit scales and mins, the upper four split into nibbles and top bits', () => {
    const scales = new Uint8Array(12);
    // Sub-blocks 0–3: the low 6 bits of bytes 0–3 (scale) and 4–7 (min).
    scales[0] = 5;
    scales[4] = 7;
    // Sub-block 5: scale 0b110011 = 51, min 0b101010 = 42: low nibbles in byte 9, top bits in bytes 1 and 5.
    scales[9] = (51 & 0x0f) | ((42 & 0x0f) << 4);
    scales[1] |= (51 >> 4) << 6;
    scales[5] |= (42 >> 4) << 6;
    expect(q4KScaleMin(scales, 0, 0)).toEqual({ scale: 5, min: 7 });
    expect(q4KScaleMin(scales, 0, 5)).toEqual({ scale: 51, min: 42 });
    expect(q4KScaleMin(Uint8Array.from({ length: 12 }, () => 0xff), 0, 7)).toEqual({ scale: 63, min: 63 });

    const block = new Uint8Array(144);
    putHalf(block, 0, 0.125); // d
    putHalf(block, 2, 0.0625); // dmin
    block.set(scales, 4);
    // 64 values per 32 bytes: element 3 is byte 3's low nibble, element 35 its high one; element 163 (sub-block 5) byte 67's high nibble.
    block[16 + 3] = 9 | (4 << 4);
    block[16 + 67] = 11 << 4;
    const values = dequantize(GgmlType.Q4_K, block, 0, 256);
    expect(values[3]).toBeCloseTo(0.125 * 5 * 9 - 0.0625 * 7, 6);
    expect(values[35]).toBeCloseTo(0.125 * 0 * 4 - 0.0625 * 0, 6); // sub-block 1: scale and min 0
    expect(values[163]).toBeCloseTo(0.125 * 51 * 11 - 0.0625 * 42, 6);
    expect(values[160]).toBeCloseTo(-0.0625 * 42, 6);
  });

  it('Q6_K: ql low nibbles, qh pairs of high bits, int8 scales per 16, d last', () => {
    const block = new Uint8Array(210);
    putHalf(block, 208, 0.5);
    for (let j = 0; j < 16; j++) block[192 + j] = (j - 8) & 0xff;
    // Second half (elements 128–255), l = 5: group 0 → e 133, group 1 → 165, group 2 → 197, group 3 → 229.
    block[64 + 5] = 0x3 | (0xa << 4); // ql[l]: group 0 low nibble 3, group 2 low nibble 10
    block[64 + 5 + 32] = 0xc | (0x1 << 4); // ql[l + 32]: group 1 low nibble 12, group 3 low nibble 1
    block[128 + 32 + 5] = 2 | (1 << 2) | (3 << 4) | (0 << 6); // qh[l]: high bits of groups 0–3
    const values = dequantize(GgmlType.Q6_K, block, 0, 256);
    const expected = (level: number, e: number) => 0.5 * ((e >> 4) - 8) * (level - 32);
    expect(values[133]).toBe(expected(3 | (2 << 4), 133));
    expect(values[165]).toBe(expected(12 | (1 << 4), 165));
    expect(values[197]).toBe(expected(10 | (3 << 4), 197));
    expect(values[229]).toBe(expected(1, 229));
    expect(values[0]).toBe(expected(0, 0));
  });
});

/** Largest |decoded − original| over a block, with the block's own step. */
function roundTrip(encode: (values: Float32Array) => Uint8Array, type: typeof GgmlType.Q8_0 | typeof GgmlType.Q4_K | typeof GgmlType.Q6_K, values: Float32Array) {
  const bytes = encode(values);
  expect(bytes.length).toBe(byteLength(type, values.length));
  return dequantize(type, bytes, 0, values.length);
}

const maxError = (a: Float32Array, b: Float32Array) => a.reduce((max, value, i) => Math.max(max, Math.abs(value - b[i])), 0);

describe('ggml encoders, against the decoders', () => {
  const edgeCases = (size: number): [string, Float32Array][] => [
    ['random', randomValues(size * 4, 1)],
    ['all zero', new Float32Array(size)],
    ['all positive', randomValues(size, 2).map(Math.abs)],
    ['all negative', randomValues(size, 3).map((value) => -Math.abs(value) - 0.5)],
    ['one value repeated', new Float32Array(size).fill(0.75)],
    // Sub-blocks of very different ranges, so 6-bit scales use their top bits.
    ['wide range', randomValues(size, 4).map((value, i) => value * (1 + (i % 256 >= 128 ? 40 : 0)))],
  ];

  it('Q4_0 gives each value its nearest level, the largest magnitude at −8', () => {
    for (const [label, values] of edgeCases(32)) {
      const bytes = encodeQ4_0(values);
      const decoded = dequantize(GgmlType.Q4_0, bytes, 0, values.length);
      for (let e = 0; e < values.length; e++) {
        const d = readHalf(bytes, (e >> 5) * 18);
        const [low, high] = d >= 0 ? [-8 * d, 7 * d] : [7 * d, -8 * d];
        const bound = Math.abs(d) / 2 + Math.max(0, low - values[e], values[e] - high) + 1e-6;
        expect(Math.abs(decoded[e] - values[e]), `${label}, element ${e}`).toBeLessThanOrEqual(bound);
      }
    }
  });

  it('Q8_0 holds every value within half a step', () => {
    for (const [label, values] of edgeCases(32)) {
      const decoded = roundTrip(encodeQ8_0, GgmlType.Q8_0, values);
      for (let block = 0; block < values.length / 32; block++) {
        const slice = values.subarray(block * 32, block * 32 + 32);
        const step = Math.max(...Array.from(slice, Math.abs)) / 127;
        expect(maxError(decoded.subarray(block * 32, block * 32 + 32), slice), label).toBeLessThanOrEqual(step * 0.5 + step * 2 ** -10 * 127);
      }
    }
  });

  /** How far x lies outside [low, high]: the error of the nearest level when clamping is unavoidable. */
  const outside = (x: number, low: number, high: number) => Math.max(0, low - x, x - high);

  it('Q4_K gives each value its nearest level in its sub-block, zero blocks exactly', () => {
    for (const [label, values] of edgeCases(256)) {
      const bytes = encodeQ4_K(values);
      const decoded = roundTrip(encodeQ4_K, GgmlType.Q4_K, values);
      for (let e = 0; e < values.length; e++) {
        const at = (e >> 8) * 144;
        const { scale, min } = q4KScaleMin(bytes, at + 4, (e & 255) >> 5);
        const step = readHalf(bytes, at) * scale;
        const low = -readHalf(bytes, at + 2) * min;
        const bound = step / 2 + outside(values[e], low, low + 15 * step) + 1e-6;
        expect(Math.abs(decoded[e] - values[e]), `${label}, element ${e}`).toBeLessThanOrEqual(bound);
      }
    }
    expect(Array.from(roundTrip(encodeQ4_K, GgmlType.Q4_K, new Float32Array(256)))).toEqual(new Array(256).fill(0));
  });

  it('Q6_K gives each value its nearest level in its sub-block of 16', () => {
    for (const [label, values] of edgeCases(256)) {
      const bytes = encodeQ6_K(values);
      const decoded = roundTrip(encodeQ6_K, GgmlType.Q6_K, values);
      for (let e = 0; e < values.length; e++) {
        const at = (e >> 8) * 210;
        const step = readHalf(bytes, at + 208) * ((bytes[at + 192 + ((e & 255) >> 4)] << 24) >> 24);
        const [low, high] = step >= 0 ? [-32 * step, 31 * step] : [31 * step, -32 * step];
        const bound = Math.abs(step) / 2 + outside(values[e], low, high) + 1e-6;
        expect(Math.abs(decoded[e] - values[e]), `${label}, element ${e}`).toBeLessThanOrEqual(bound);
      }
    }
  });

  it('keeps K-quant errors within a step for ordinary weights', () => {
    const values = randomValues(256 * 8, 9);
    for (const [encode, type, perBlock] of [[encodeQ4_K, GgmlType.Q4_K, 32], [encodeQ6_K, GgmlType.Q6_K, 16]] as const) {
      const decoded = roundTrip(encode, type, values);
      for (let block = 0; block < values.length / perBlock; block++) {
        const slice = values.subarray(block * perBlock, (block + 1) * perBlock);
        const range = Math.max(0, ...slice) - Math.min(0, ...slice);
        const levels = type === GgmlType.Q4_K ? 15 : 63;
        expect(maxError(decoded.subarray(block * perBlock, (block + 1) * perBlock), slice)).toBeLessThanOrEqual((range / levels) * 1.5);
      }
    }
  });

  it('uses the full 6-bit range of Q4_K scales, top bits included', () => {
    const bytes = encodeQ4_K(edgeCases(256)[5][1]);
    const scales = Array.from({ length: 8 }, (_, j) => q4KScaleMin(bytes, 4, j).scale);
    expect(Math.max(...scales)).toBe(63);
    expect(scales.slice(4).some((scale) => scale >= 16)).toBe(true);
  });
});
