/**
 * ggml's tensor types that a GGUF conversion reads, and their blocks, decoded
 * as ggml's own dequantize_row_* functions decode them (ggml-common.h,
 * ggml-quants.c). A row of K values is K / values-per-block blocks, stored
 * one after another; rows follow each other.
 *
 *   Q4_0  18 bytes / 32:  fp16 d, 16 bytes; byte j: element j (low nibble), j + 16 (high); x = d·(q − 8)
 *   Q8_0  34 bytes / 32:  fp16 d, 32 int8;  x = d·q
 *   Q4_K 144 bytes / 256: fp16 d, fp16 dmin, 12 bytes of 6-bit scales and mins (8 each), 128 bytes of nibbles;
 *                         sub-block j (32 values): x = d·sc_j·q − dmin·m_j
 *   Q6_K 210 bytes / 256: 128 bytes low nibbles (ql), 64 bytes high 2-bit pairs (qh), 16 int8 scales, fp16 d;
 *                         sub-block j (16 values): x = d·sc_j·(q − 32)
 */
import { float16BitsToFloat32 } from './float16.ts';

export const GgmlType = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 8, Q4_K: 12, Q6_K: 14 } as const;
export type SupportedGgmlType = (typeof GgmlType)[keyof typeof GgmlType];

/** Values per block and bytes per block of each supported type. */
export const BLOCK_LAYOUT: Record<SupportedGgmlType, { values: number; bytes: number }> = {
  [GgmlType.F32]: { values: 1, bytes: 4 },
  [GgmlType.F16]: { values: 1, bytes: 2 },
  [GgmlType.Q4_0]: { values: 32, bytes: 18 },
  [GgmlType.Q8_0]: { values: 32, bytes: 34 },
  [GgmlType.Q4_K]: { values: 256, bytes: 144 },
  [GgmlType.Q6_K]: { values: 256, bytes: 210 },
};

export function isSupportedType(type: number): type is SupportedGgmlType {
  return Object.values(GgmlType).includes(type as SupportedGgmlType);
}

/** Bytes of `values` values of a type: whole blocks only, as ggml requires of a row. */
export function byteLength(type: SupportedGgmlType, values: number): number {
  const { values: perBlock, bytes } = BLOCK_LAYOUT[type];
  if (values % perBlock !== 0) throw new Error(`${values} values are not whole blocks of ${perBlock}.`);
  return (values / perBlock) * bytes;
}

/** Every binary16 bit pattern's value: one lookup per block scale, where a model has 10^8 blocks. */
let halfValues: Float32Array | null = null;

export function readHalf(bytes: Uint8Array, offset: number): number {
  halfValues ??= float16BitsToFloat32(Uint16Array.from({ length: 65536 }, (_, bits) => bits));
  return halfValues[bytes[offset] | (bytes[offset + 1] << 8)];
}

/** The 6-bit scale and min of sub-block j (0–7) of a Q4_K block whose 12 scale bytes start at `at`: ggml's get_scale_min_k4. */
export function q4KScaleMin(bytes: Uint8Array, at: number, j: number): { scale: number; min: number } {
  if (j < 4) return { scale: bytes[at + j] & 63, min: bytes[at + j + 4] & 63 };
  return {
    scale: (bytes[at + j + 4] & 0x0f) | ((bytes[at + j - 4] >> 6) << 4),
    min: (bytes[at + j + 4] >> 4) | ((bytes[at + j] >> 6) << 4),
  };
}

/** The nibble of element e (0–255) of a Q4_K block whose 128 quant bytes start at `at`. */
export function q4KLevel(bytes: Uint8Array, at: number, e: number): number {
  // Each 64 values share 32 bytes: the first 32 in the low nibbles, the next 32 in the high ones.
  const byte = bytes[at + 32 * (e >> 6) + (e & 31)];
  return e & 32 ? byte >> 4 : byte & 0x0f;
}

/** The 6-bit level (0–63) of element e (0–255) of a Q6_K block starting at `at`. */
export function q6KLevel(bytes: Uint8Array, at: number, e: number): number {
  // Each half of 128 values has 64 ql bytes and 32 qh bytes; within it, l = e % 32 and g = the 32-value group.
  const half = e >> 7;
  const within = e & 127;
  const group = within >> 5;
  const l = within & 31;
  const ql = bytes[at + 64 * half + l + (group & 1 ? 32 : 0)];
  const low = group & 2 ? ql >> 4 : ql & 0x0f;
  const high = (bytes[at + 128 + 32 * half + l] >> (2 * group)) & 3;
  return low | (high << 4);
}

/** Decodes `count` values of a type from `bytes` at `offset` into float32. */
export function dequantize(type: SupportedGgmlType, bytes: Uint8Array, offset: number, count: number): Float32Array {
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Float tables are read whole (an embedding has 10^8 values), not value by value.
  if (type === GgmlType.F32) {
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i, true);
    return out;
  }
  if (type === GgmlType.F16) {
    for (let i = 0; i < count; i++) out[i] = readHalf(bytes, offset + 2 * i);
    return out;
  }
  const { values: perBlock, bytes: blockBytes } = BLOCK_LAYOUT[type];
  for (let block = 0; block < count / perBlock; block++) {
    const at = offset + block * blockBytes;
    const base = block * perBlock;
    switch (type) {
      case GgmlType.Q4_0: {
        const d = readHalf(bytes, at);
        for (let j = 0; j < 16; j++) {
          out[base + j] = d * ((bytes[at + 2 + j] & 0x0f) - 8);
          out[base + j + 16] = d * ((bytes[at + 2 + j] >> 4) - 8);
        }
        break;
      }
      case GgmlType.Q8_0: {
        const d = readHalf(bytes, at);
        for (let j = 0; j < 32; j++) out[base + j] = d * view.getInt8(at + 2 + j);
        break;
      }
      case GgmlType.Q4_K: {
        const d = readHalf(bytes, at);
        const dmin = readHalf(bytes, at + 2);
        for (let e = 0; e < 256; e++) {
          // In float32 step by step, as ggml computes it: d1 = d·sc, m1 = dmin·m, then d1·q − m1.
          const { scale, min } = q4KScaleMin(bytes, at + 4, e >> 5);
          out[base + e] = Math.fround(Math.fround(d * scale) * q4KLevel(bytes, at + 16, e)) - Math.fround(dmin * min);
        }
        break;
      }
      case GgmlType.Q6_K: {
        const d = readHalf(bytes, at + 208);
        for (let e = 0; e < 256; e++) out[base + e] = Math.fround(d * view.getInt8(at + 192 + (e >> 4))) * (q6KLevel(bytes, at, e) - 32);
        break;
      }
    }
  }
  return out;
}
