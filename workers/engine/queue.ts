import { cancelled } from '../../src/protocol/errors.ts';

/**
 * Runs tasks one at a time in arrival order. The model has one KV cache and the
 * runtime one session, so generations must not interleave. A task whose signal
 * aborts while it waits rejects at once and never runs.
 */
export class RequestQueue {
  private tail: Promise<void> = Promise.resolve();

  run<T>(signal: AbortSignal | undefined, task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(cancelled());
      signal?.addEventListener('abort', onAbort, { once: true });
      const start = async () => {
        if (signal?.aborted) return reject(cancelled());
        try {
          resolve(await task());
        } catch (error) {
          reject(error);
        } finally {
          signal?.removeEventListener('abort', onAbort);
        }
      };
      this.tail = this.tail.then(start);
    });
  }
}
