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
 *
 * Where the order of the runtime's reads is known from an earlier load, a
 * helper reads them ahead on another thread (weight-prefetch.ts); what it does
 * not have is read here.
 */
import type { ByteRange, WeightPrefetch } from './weight-prefetch.ts';

export class BlobBytes extends Uint8Array<ArrayBufferLike> {
  /** Methods that make a new array (`slice`, `map`) make a plain one: this class only reads. */
  static get [Symbol.species](): Uint8ArrayConstructor {
    return Uint8Array;
  }

  private blob: Blob | null = null;
  /** The buffer of the read the runtime was last handed, where it was read here. */
  private lastRead: ArrayBuffer | null = null;
  /** The reads the runtime asked for, in its order. */
  private readonly asked: ByteRange[] = [];
  /** How many of them the helper had read ahead. */
  private readAhead = 0;
  /**
   * Where a read goes once it is done with: sending a buffer detaches it, and
   * a port whose other end is closed drops it, so its memory is freed now.
   */
  private readonly discard = closedPort();

  /**
   * `blob` now, or later through `attach`: a download is mounted before it has
   * arrived. `prefetch` reads ahead what the runtime is expected to ask for.
   */
  constructor(
    blob: Blob | null = null,
    private readonly prefetch: WeightPrefetch | null = null,
  ) {
    super(new ArrayBuffer(0));
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
  override subarray(start = 0, end = this.byteLength): Uint8Array {
    if (this.lastRead) this.discard.postMessage(null, [this.lastRead]);
    this.lastRead = null;
    const ahead = this.prefetch?.take(this.asked.length, start, end);
    this.asked.push([start, end]);
    if (ahead) {
      this.readAhead += 1;
      return ahead;
    }
    this.lastRead = new FileReaderSync().readAsArrayBuffer(this.file().slice(start, end));
    return new Uint8Array(this.lastRead);
  }

  /**
   * The session is built (or failed): the read-ahead stops. Returns the
   * runtime's reads in its order, and how many of them had been read ahead.
   */
  finish(): { asked: ByteRange[]; readAhead: number } {
    this.prefetch?.stop();
    return { asked: [...this.asked], readAhead: this.readAhead };
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
