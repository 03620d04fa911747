/**
 * Quantizes float rows into ggml's Q4_0, Q8_0, Q4_K and Q6_K blocks, byte for byte
 * in ggml's layouts (ggml-common.h), for the test models' GGUF files. The
 * choice of levels follows ggml's reference quantizers in spirit (absmax for
 * Q4_0, Q8_0 and Q6_K, min/max for Q4_K, 6- and 8-bit sub-block scales against
 * fp16 super-block scales), not their search for the best scale: llama.cpp
 * reads any levels, and the tests compare against these files' own values.
 */
import { float32ToFloat16Bits, roundToFloat16 } from '../../workers/model-build/float16.ts';

function writeHalf(out: Uint8Array, at: number, value: number): number {
  const bits = float32ToFloat16Bits(Float32Array.of(value))[0];
  out[at] = bits & 0xff;
  out[at + 1] = bits >> 8;
  return roundToFloat16(Float32Array.of(value))[0];
}

const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));

/**
 * Q4_0 as ggml's reference quantizer makes it: per 32 values an fp16 d = (the value of largest
 * magnitude) / −8, then levels round(x / d) + 8 in 0–15, element j in byte j's low nibble and
 * j + 16 in its high one.
 */
export function encodeQ4_0(values: Float32Array): Uint8Array {
  const out = new Uint8Array((values.length / 32) * 18);
  for (let block = 0; block < values.length / 32; block++) {
    const x = values.subarray(block * 32, block * 32 + 32);
    const at = block * 18;
    const peak = x.reduce((best, value) => (Math.abs(value) > Math.abs(best) ? value : best), 0);
    const d = writeHalf(out, at, peak / -8);
    const level = (value: number) => (d === 0 ? 8 : clamp(Math.round(value / d) + 8, 0, 15));
    for (let j = 0; j < 16; j++) out[at + 2 + j] = level(x[j]) | (level(x[j + 16]) << 4);
  }
  return out;
}

/** Q8_0: per 32 values an fp16 d = absmax / 127, then 32 int8 levels round(x / d). */
export function encodeQ8_0(values: Float32Array): Uint8Array {
  const out = new Uint8Array((values.length / 32) * 34);
  for (let block = 0; block < values.length / 32; block++) {
    const x = values.subarray(block * 32, block * 32 + 32);
    const at = block * 34;
    const d = writeHalf(out, at, Math.max(...Array.from(x, Math.abs)) / 127);
    for (let j = 0; j < 32; j++) out[at + 2 + j] = (d === 0 ? 0 : clamp(Math.round(x[j] / d), -127, 127)) & 0xff;
  }
  return out;
}

/**
 * Q4_K: per 256 values fp16 d and dmin, then 8 sub-blocks of 32, each with a 6-bit scale and a
 * 6-bit min (x = d·sc·q − dmin·m, q in 0–15) packed into 12 bytes, then 128 bytes of nibbles.
 * Each sub-block spans [min(0, lowest), highest], as ggml's quantizer keeps zero in range; each
 * value takes the nearest level.
 */
export function encodeQ4_K(values: Float32Array): Uint8Array {
  const out = new Uint8Array((values.length / 256) * 144);
  for (let superBlock = 0; superBlock < values.length / 256; superBlock++) {
    const x = values.subarray(superBlock * 256, superBlock * 256 + 256);
    const at = superBlock * 144;
    const stepOf = new Float64Array(8);
    const floorOf = new Float64Array(8);
    for (let j = 0; j < 8; j++) {
      const sub = x.subarray(32 * j, 32 * j + 32);
      const low = Math.min(0, ...sub);
      stepOf[j] = (Math.max(...sub) - low) / 15;
      floorOf[j] = -low;
    }
    const d = writeHalf(out, at, Math.max(...stepOf) / 63);
    const dmin = writeHalf(out, at + 2, Math.max(...floorOf) / 63);
    // Rounded up, so each sub-block's grid still spans its values once the 6-bit scale and min are applied.
    const sc = Array.from(stepOf, (step) => (d === 0 ? 0 : clamp(Math.ceil(step / d), 0, 63)));
    const m = Array.from(floorOf, (floor) => (dmin === 0 ? 0 : clamp(Math.ceil(floor / dmin), 0, 63)));
    // get_scale_min_k4's packing: sub-blocks 0–3 in the low 6 bits of bytes 0–3 (scales) and 4–7
    // (mins); sub-blocks 4–7 in the nibbles of bytes 8–11, their top 2 bits in the top bits of 0–7.
    for (let j = 0; j < 4; j++) {
      out[at + 4 + j] = sc[j] | ((sc[j + 4] >> 4) << 6);
      out[at + 4 + j + 4] = m[j] | ((m[j + 4] >> 4) << 6);
      out[at + 4 + j + 8] = (sc[j + 4] & 0x0f) | ((m[j + 4] & 0x0f) << 4);
    }
    for (let e = 0; e < 256; e++) {
      const j = e >> 5;
      const step = d * sc[j];
      const level = step === 0 ? 0 : clamp(Math.round((x[e] + dmin * m[j]) / step), 0, 15);
      // Each 64 values share 32 bytes: the first 32 in the low nibbles, the next 32 in the high ones.
      out[at + 16 + 32 * (e >> 6) + (e & 31)] |= e & 32 ? level << 4 : level;
    }
  }
  return out;
}

/**
 * Q6_K: per 256 values 16 sub-blocks of 16, each with an int8 scale against one fp16 d
 * (x = d·sc·(q − 32), q in 0–63): low nibbles in 128 bytes (ql), the top 2 bits in 64 (qh),
 * then the 16 scales, then d.
 */
export function encodeQ6_K(values: Float32Array): Uint8Array {
  const out = new Uint8Array((values.length / 256) * 210);
  const levels = new Uint8Array(256);
  for (let superBlock = 0; superBlock < values.length / 256; superBlock++) {
    const x = values.subarray(superBlock * 256, superBlock * 256 + 256);
    const at = superBlock * 210;
    // Each sub-block's scale maps its largest magnitude to level −32, keeping its sign, as Q4_0 does.
    const subScales = Array.from({ length: 16 }, (_, j) => {
      const sub = x.subarray(16 * j, 16 * j + 16);
      const peak = sub.reduce((best, value) => (Math.abs(value) > Math.abs(best) ? value : best), 0);
      return peak / -32;
    });
    const largest = subScales.reduce((best, value) => (Math.abs(value) > Math.abs(best) ? value : best), 0);
    const d = writeHalf(out, at + 208, largest === 0 ? 0 : largest / -128);
    const sc = subScales.map((scale) => (d === 0 ? 0 : clamp(Math.round(scale / d), -128, 127)));
    sc.forEach((scale, j) => (out[at + 192 + j] = scale & 0xff));
    for (let e = 0; e < 256; e++) {
      const step = d * sc[e >> 4];
      levels[e] = (step === 0 ? 0 : clamp(Math.round(x[e] / step), -32, 31)) + 32;
    }
    for (let half = 0; half < 2; half++) {
      const l0 = 128 * half;
      for (let l = 0; l < 32; l++) {
        const [a, b, c, e] = [levels[l0 + l], levels[l0 + l + 32], levels[l0 + l + 64], levels[l0 + l + 96]];
        out[at + 64 * half + l] = (a & 0x0f) | ((c & 0x0f) << 4);
        out[at + 64 * half + l + 32] = (b & 0x0f) | ((e & 0x0f) << 4);
        out[at + 128 + 32 * half + l] = (a >> 4) | ((b >> 4) << 2) | ((c >> 4) << 4) | ((e >> 4) << 6);
      }
    }
  }
  return out;
}
