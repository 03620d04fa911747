/**
 * Protobuf's wire format, for the walks that read an ONNX file's bytes as
 * they pass (external-weights.ts, fresh-kv-outputs.ts) rather than parsing
 * the whole file: a field is a varint tag (number and wire type), then a
 * varint value, a length and that many bytes, or 8 or 4 fixed bytes.
 */

/** ModelProto's graph field (onnx.proto numbering). */
export const MODEL_GRAPH = 7;
export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH = 2;
export const WIRE_FIXED32 = 5;
/** A tag and a length are at most 10 bytes each. */
export const MAX_HEADER_BYTES = 20;

export interface FieldHeader {
  number: number;
  wire: number;
  /** The length of a length-delimited field's payload. */
  length: number;
  /** The header's bytes, the value of a varint field included. */
  size: number;
}

/** Reads a varint at `at`, or null when `bytes` ends before it does. */
export function readVarint(bytes: Uint8Array, at: number, end: number): { value: number; next: number } | null {
  let value = 0;
  let scale = 1;
  for (let i = at; i < end && i < at + 10; i++) {
    value += (bytes[i] & 0x7f) * scale;
    if ((bytes[i] & 0x80) === 0) return { value, next: i + 1 };
    scale *= 128;
  }
  return null;
}

/** The field header at the start of `bytes`, or null when it ends before the header does. */
export function readFieldHeader(bytes: Uint8Array, end: number): FieldHeader | null {
  const tag = readVarint(bytes, 0, end);
  if (!tag) return null;
  const wire = tag.value % 8;
  const number = Math.floor(tag.value / 8);
  if (wire === WIRE_VARINT || wire === WIRE_LENGTH) {
    const value = readVarint(bytes, tag.next, end);
    return value ? { number, wire, length: wire === WIRE_LENGTH ? value.value : 0, size: value.next } : null;
  }
  return { number, wire, length: 0, size: tag.next };
}

/** `value`'s varint bytes. */
export function encodeVarint(value: number): number[] {
  const bytes: number[] = [];
  while (value >= 0x80) {
    bytes.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  bytes.push(value);
  return bytes;
}
