/**
 * The wire-format reading both graph walks share: varints of every size a
 * model file uses (past 2^32 for offsets in files over 4 GB), and field
 * headers that arrive a byte at a time.
 */
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { MAX_HEADER_BYTES, WIRE_FIXED32, WIRE_LENGTH, WIRE_VARINT, encodeVarint, readFieldHeader, readVarint } from '../../workers/model-build/protobuf-wire.ts';

const { onnx } = onnxProto;

describe('protobuf wire format', () => {
  it('encodes and reads back varints up to 2^53', () => {
    for (const value of [0, 1, 127, 128, 300, 16_383, 16_384, 2 ** 31, 2 ** 32 + 5, 1_349_165_606, Number.MAX_SAFE_INTEGER]) {
      const bytes = Uint8Array.from(encodeVarint(value));
      expect(readVarint(bytes, 0, bytes.length)).toEqual({ value, next: bytes.length });
    }
  });

  it('reads no varint from bytes that end inside one', () => {
    const bytes = Uint8Array.from(encodeVarint(2 ** 40));
    expect(readVarint(bytes, 0, bytes.length - 1)).toBeNull();
  });

  it("reads the headers protobufjs writes, and none until the header's last byte has come", () => {
    const tensor = onnx.TensorProto.encode({ name: 'w', dataType: 1, rawData: new Uint8Array(70_000) }).finish();
    // data_type (2), name (8), raw_data (9): the order onnx.proto declares them in, which protobufjs writes.
    const fields = [
      { number: 2, wire: WIRE_VARINT },
      { number: 8, wire: WIRE_LENGTH, length: 1 },
      { number: 9, wire: WIRE_LENGTH, length: 70_000 },
    ];
    let at = 0;
    for (const expected of fields) {
      const rest = tensor.subarray(at);
      const header = readFieldHeader(rest, MAX_HEADER_BYTES);
      expect(header).toMatchObject(expected);
      if (!header) return;
      for (let end = 0; end < header.size; end++) expect(readFieldHeader(rest, end)).toBeNull();
      at += header.size + header.length;
    }
    expect(at).toBe(tensor.length);
  });

  it('reads a fixed-width field as its tag alone', () => {
    const bytes = Uint8Array.of((3 << 3) | WIRE_FIXED32, 0, 0, 128, 63);
    expect(readFieldHeader(bytes, bytes.length)).toEqual({ number: 3, wire: WIRE_FIXED32, length: 0, size: 1 });
  });
});
