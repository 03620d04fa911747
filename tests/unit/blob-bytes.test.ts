import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobBytes } from '../../workers/engine/blob-bytes.ts';

/**
 * Node has no FileReaderSync (only dedicated workers do), so these tests read
 * Blobs that keep their bytes; the end-to-end tests load real sessions through
 * BlobBytes from Cache Storage on WASM and WebGPU.
 */
class BytesBlob extends Blob {
  constructor(readonly content: Uint8Array<ArrayBuffer>) {
    super([content]);
  }

  override slice(start = 0, end = this.size): BytesBlob {
    return new BytesBlob(this.content.slice(start, end));
  }
}

class BytesBlobReader {
  readAsArrayBuffer(blob: Blob): ArrayBuffer {
    if (!(blob instanceof BytesBlob)) throw new Error('This reader reads BytesBlobs only.');
    return blob.content.slice().buffer;
  }
}

const file = new BytesBlob(Uint8Array.from({ length: 256 }, (_, i) => i));

describe('BlobBytes', () => {
  beforeAll(() => {
    (globalThis as { FileReaderSync?: unknown }).FileReaderSync = BytesBlobReader;
  });
  afterAll(() => {
    delete (globalThis as { FileReaderSync?: unknown }).FileReaderSync;
  });

  it('answers the file size and reads the range the runtime asks for', () => {
    const bytes = new BlobBytes(file);
    expect(bytes.byteLength).toBe(256);
    expect([...bytes.subarray(10, 14)]).toEqual([10, 11, 12, 13]);
  });

  it('releases a read when the next is asked for, so reads never pile up while the session builds', () => {
    const bytes = new BlobBytes(file);
    const first = bytes.subarray(0, 64);
    expect(first.byteLength).toBe(64);
    const second = bytes.subarray(64, 128);
    expect(first.buffer.byteLength).toBe(0);
    expect(first.byteLength).toBe(0);
    expect(second[0]).toBe(64);
    expect(second.byteLength).toBe(64);
  });

  it('reads nothing before its file is attached, then reads the attached file', () => {
    const bytes = new BlobBytes();
    expect(() => bytes.subarray(0, 1)).toThrow(/before their download had finished/);
    bytes.attach(file);
    expect([...bytes.subarray(255, 256)]).toEqual([255]);
  });

  it('makes plain arrays when an array method copies it', () => {
    expect(Object.getPrototypeOf(new BlobBytes(file).slice(0, 0))).toBe(Uint8Array.prototype);
  });
});
