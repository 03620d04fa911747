/**
 * A split graph's weights, read by ONNX Runtime one tensor at a time from a
 * Blob, rather than from the whole file held in memory.
 *
 * onnxruntime-web takes external data as whole arrays and keeps them all
 * mounted while it builds the session, copying each initializer into its
 * heap: a file handed over as bytes is held twice at the peak of a load, once
 * in JavaScript and once in the heap. A Blob of Cache Storage lives on disk,
 * so reading each tensor from it when the runtime asks holds the weights once.
 *
 * onnxruntime-web (1.31, pinned in package.json) mounts a Uint8Array as it is
 * and reads an initializer with `data.subarray(offset, offset + length)`,
 * after checking the range against `byteLength`; so those two are all this
 * class answers. A runtime that read it any other way would see an empty
 * array and fail the load, never compute on wrong weights; the end-to-end
 * tests load through it on WASM and WebGPU.
 *
 * The reads are synchronous, as the runtime's copy is: FileReaderSync, which
 * only dedicated workers have (the engine runs in one).
 *
 * Each read is released as the next is asked for: the runtime has copied it by
 * then (into its heap on WASM, into a mapped GPU buffer on WebGPU; both copies
 * are synchronous). Left as garbage, the reads would wait for the worker's next
 * garbage collection, which a session build, one synchronous call into the
 * runtime, holds off: at full size (q8, 1.35 GB) about 300 MiB of them piled
 * up in a bare worker, and the renderer's peak fell from 1967-2005 to 1671 MiB
 * once they were released.
 */
export class BlobBytes extends Uint8Array {
  /** Methods that make a new array (`slice`, `map`) make a plain one: this class only reads. */
  static get [Symbol.species](): Uint8ArrayConstructor {
    return Uint8Array;
  }

  private blob: Blob | null = null;
  /** The buffer of the read the runtime was last handed. */
  private lastRead: ArrayBuffer | null = null;
  /**
   * Where a read goes once it is done with: sending a buffer detaches it, and
   * a port whose other end is closed drops it, so its memory is freed now.
   */
  private readonly discard = closedPort();

  /** `blob` now, or later through `attach`: a download is mounted before it has arrived. */
  constructor(blob: Blob | null = null) {
    super(0);
    this.blob = blob;
  }

  /** The file's bytes, once they are all there; the runtime reads nothing before its graph has arrived, which comes after. */
  attach(blob: Blob): void {
    this.blob = blob;
  }

  override get byteLength(): number {
    return this.file().size;
  }

  /**
   * The bytes from `start` to `end`, read from the Blob now: a copy the
   * runtime copies and drops, and valid until the next read, which releases it.
   */
  override subarray(start = 0, end = this.byteLength): Uint8Array<ArrayBuffer> {
    if (this.lastRead) this.discard.postMessage(null, [this.lastRead]);
    this.lastRead = new FileReaderSync().readAsArrayBuffer(this.file().slice(start, end));
    return new Uint8Array(this.lastRead);
  }

  private file(): Blob {
    if (!this.blob) throw new Error('The weights were read before their download had finished.');
    return this.blob;
  }
}

function closedPort(): MessagePort {
  const { port1, port2 } = new MessageChannel();
  port2.close();
  return port1;
}

/** Whether this thread can read a Blob synchronously: dedicated workers can, pages and Node cannot. */
export function canReadBlobsSynchronously(): boolean {
  return typeof FileReaderSync === 'function';
}
