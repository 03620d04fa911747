/**
 * The weights of a warm load read ahead, on another thread, while the runtime
 * builds its session.
 *
 * A session build is one synchronous call into the runtime, which asks for
 * each tensor in turn (blob-bytes.ts) and copies it into its heap. Read there
 * and then, the reads and the runtime's own work take turns on one thread. The
 * order in which the runtime asks is fixed for a graph (it walks a hash map of
 * its initializers), so a load records it, and the next load of that file hands
 * it to a helper worker, which reads the tensors in that order into a ring of
 * shared memory ahead of the runtime. The ring is small (a few tensors), so the
 * read-ahead holds little memory; a tensor larger than the ring is read where
 * the runtime asks, as before. Where the runtime asks for anything but the
 * recorded order (a new runtime version), or the helper fails or stalls, the
 * rest is read where the runtime asks: never a wrong tensor, never a hang.
 */

/** A read of the weights file: [start, end) in bytes. */
export type ByteRange = readonly [start: number, end: number];

/** Bytes of shared memory the helper reads ahead into. */
export const RING_BYTES = 48 * 1024 * 1024;
/** How long the runtime's thread waits for one tensor before reading it itself (a stalled helper). */
const TAKE_TIMEOUT_MS = 5_000;

/** Slots of the control array, shared by both threads. */
export const CONTROL = {
  /** Reads the helper has placed in the ring (or passed over, for those too large). */
  produced: 0,
  /** Reads the runtime has finished with: their bytes in the ring may be overwritten. */
  consumed: 1,
  /** RUNNING, STOPPED (the runtime's thread wants no more) or FAILED (the helper could not read). */
  state: 2,
} as const;
export const STATE = { running: 0, stopped: 1, failed: 2 } as const;

/** What the helper is sent: everything it needs, once. */
export interface PrefetchStart {
  blob: Blob;
  order: ByteRange[];
  ring: SharedArrayBuffer;
  control: SharedArrayBuffer;
}

/**
 * Where each read of `order` lies in a ring of `capacity` bytes, as a position
 * in the ring's unwrapped stream (its offset in the ring is the position modulo
 * `capacity`): reads follow one another, a read that would straddle the ring's
 * end starts at the next lap, and a read larger than the ring gets null (it is
 * read where it is asked for). Both threads compute it the same way.
 */
export function ringPositions(order: readonly ByteRange[], capacity: number): Array<number | null> {
  let next = 0;
  return order.map(([start, end]) => {
    const length = end - start;
    if (length > capacity) return null;
    if ((next % capacity) + length > capacity) next += capacity - (next % capacity);
    const position = next;
    next += length;
    return position;
  });
}

/**
 * Whether the read at `position` (of `length` bytes) may be written: every
 * byte it covers belongs to reads the runtime has finished with. `oldestHeld`
 * is the position of the oldest read still in use, null where none is.
 */
export function ringHasRoom(position: number, length: number, oldestHeld: number | null, capacity: number): boolean {
  return oldestHeld === null || position + length - oldestHeld <= capacity;
}

/** The position of the first read at or after `index` that lies in the ring; null where none does. */
export function firstInRing(positions: ReadonlyArray<number | null>, index: number): number | null {
  for (let i = index; i < positions.length; i += 1) {
    const position = positions[i];
    if (position !== null && position !== undefined) return position;
  }
  return null;
}

/** The runtime's side: hands out each read from the ring once the helper has placed it. */
export class WeightPrefetch {
  /** Null once stopped, so that a model that keeps its load options does not keep the ring. */
  private ring: Uint8Array<SharedArrayBuffer> | null;
  private readonly control: Int32Array<SharedArrayBuffer>;
  private readonly positions: Array<number | null>;

  private constructor(
    private readonly order: readonly ByteRange[],
    private readonly worker: Worker,
  ) {
    this.ring = new Uint8Array(new SharedArrayBuffer(RING_BYTES));
    this.control = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * 3));
    this.positions = ringPositions(order, RING_BYTES);
  }

  /** Starts the helper reading `order` from `blob`; null where this thread cannot share memory (not cross-origin isolated). */
  static start(blob: Blob, order: readonly ByteRange[]): WeightPrefetch | null {
    if (typeof SharedArrayBuffer !== 'function' || !globalThis.crossOriginIsolated || typeof Worker !== 'function') return null;
    const worker = new Worker(new URL('./weight-prefetch.worker.ts', import.meta.url), { type: 'module', name: 'deepseek-weight-prefetch' });
    const prefetch = new WeightPrefetch(order, worker);
    const start: PrefetchStart = { blob, order: [...order], ring: prefetch.ring!.buffer, control: prefetch.control.buffer };
    worker.postMessage(start);
    return prefetch;
  }

  /**
   * Read `index` of the load, [start, end), from the ring: valid until the
   * next take, which hands its bytes back to the helper. Null where the ring
   * does not have it (read it now); a read the order did not predict, or a
   * helper that failed or stalled, stops the read-ahead for good.
   */
  take(index: number, start: number, end: number): Uint8Array | null {
    if (!this.ring) return null;
    // The runtime has copied every earlier read by now.
    Atomics.store(this.control, CONTROL.consumed, index);
    Atomics.notify(this.control, CONTROL.consumed);
    const expected = this.order[index];
    if (!expected || expected[0] !== start || expected[1] !== end) return this.stop();
    const position = this.positions[index];
    if (position === null || position === undefined) return null;
    for (;;) {
      const produced = Atomics.load(this.control, CONTROL.produced);
      if (produced > index) break;
      if (Atomics.load(this.control, CONTROL.state) !== STATE.running) return this.stop();
      if (Atomics.wait(this.control, CONTROL.produced, produced, TAKE_TIMEOUT_MS) === 'timed-out') return this.stop();
    }
    const offset = position % RING_BYTES;
    return this.ring.subarray(offset, offset + (end - start));
  }

  /** No more reads from the ring: the helper stops and is gone. */
  stop(): null {
    if (this.ring) {
      this.ring = null;
      Atomics.store(this.control, CONTROL.state, STATE.stopped);
      Atomics.notify(this.control, CONTROL.consumed);
      this.worker.terminate();
    }
    return null;
  }
}
