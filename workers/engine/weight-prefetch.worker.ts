/**
 * The helper of weight-prefetch.ts: reads the weights file in the order the
 * runtime will ask for it, into the shared ring, as far ahead as the ring has
 * room. It runs while the runtime's thread is inside one synchronous session
 * build, so the two share only memory: the control array's counters, waited
 * on with Atomics.
 */
import { isReadOrder } from './read-order-store.ts';
import { CONTROL, STATE, firstInRing, ringHasRoom, ringPositions, type PrefetchStart } from './weight-prefetch.ts';

/** How long one wait for room lasts before the helper looks at the state again. */
const ROOM_WAIT_MS = 1_000;
/** What one read of the stream may fill: the pipe from the browser delivers a few hundred kilobytes at a time. */
const STAGING_BYTES = 4 * 1024 * 1024;

function isPrefetchStart(value: unknown): value is PrefetchStart {
  const start = value as Partial<PrefetchStart> | null;
  return (
    typeof start === 'object' && start !== null &&
    start.blob instanceof Blob && start.ring instanceof SharedArrayBuffer && start.control instanceof SharedArrayBuffer &&
    isReadOrder(start.order)
  );
}

/**
 * Reads `slice` into `ring` at `offset`, through `staging`, which a byte
 * stream's reader fills and hands back each time: reading into the same memory
 * every time is what makes it fast (each read of a new buffer first maps fresh
 * pages, and `Blob.arrayBuffer()` read at less than half the speed in
 * Chromium). Resolves with the staging buffer to use next.
 */
async function readInto(ring: Uint8Array, offset: number, slice: Blob, staging: ArrayBuffer): Promise<ArrayBuffer> {
  const reader = slice.stream().getReader({ mode: 'byob' });
  let filled = 0;
  for (;;) {
    const { value, done } = await reader.read(new Uint8Array(staging));
    // The buffer read into comes back, filled or not; the one handed over is detached.
    staging = value?.buffer ?? new ArrayBuffer(STAGING_BYTES);
    if (done || !value) break;
    ring.set(value, offset + filled);
    filled += value.byteLength;
  }
  if (filled !== slice.size) throw new Error(`Read ${filled} of ${slice.size} bytes of the weights.`);
  return staging;
}

async function readAhead({ blob, order, ring: ringBuffer, control: controlBuffer }: PrefetchStart): Promise<void> {
  const ring = new Uint8Array(ringBuffer);
  const control = new Int32Array(controlBuffer);
  const positions = ringPositions(order, ring.length);
  let staging = new ArrayBuffer(STAGING_BYTES);
  for (let index = 0; index < order.length; index += 1) {
    const position = positions[index];
    const [start, end] = order[index]!;
    if (position !== null && position !== undefined) {
      // Wait until the runtime has finished with the reads whose bytes this one overwrites.
      for (;;) {
        if (Atomics.load(control, CONTROL.state) !== STATE.running) return;
        const consumed = Atomics.load(control, CONTROL.consumed);
        if (ringHasRoom(position, end - start, firstInRing(positions, consumed), ring.length)) break;
        Atomics.wait(control, CONTROL.consumed, consumed, ROOM_WAIT_MS);
      }
      staging = await readInto(ring, position % ring.length, blob.slice(start, end), staging);
    }
    Atomics.store(control, CONTROL.produced, index + 1);
    Atomics.notify(control, CONTROL.produced);
  }
}

self.onmessage = (event: MessageEvent<unknown>) => {
  const start = event.data;
  if (!isPrefetchStart(start)) return;
  readAhead(start).catch(() => {
    const control = new Int32Array(start.control);
    Atomics.store(control, CONTROL.state, STATE.failed);
    Atomics.notify(control, CONTROL.produced);
  });
};
