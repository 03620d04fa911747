import { cancelled } from '../../src/protocol/errors.ts';

/**
 * How far requests for the model already loaded may overtake a load waiting in
 * the queue: far enough that a model keeps serving while a load waits for the
 * answers ahead of it, not so far that steady traffic holds the load off forever.
 */
export const MAX_OVERTAKES = 16;

export interface QueueOptions {
  /** A load: requests that may overtake pass it while it waits. */
  load?: boolean;
  /** Goes ahead of loads waiting at the end of the queue (each one at most MAX_OVERTAKES times). */
  overtakeLoads?: boolean;
}

interface Waiting {
  start(): void;
  load: boolean;
  /** How many requests have gone ahead of this load. */
  overtaken: number;
}

/**
 * Runs tasks one at a time in arrival order. The model has one KV cache and the
 * runtime one session, so generations must not interleave. A task whose signal
 * aborts while it waits rejects at once and never runs. The one exception to
 * the order: a request for the model loaded now may go ahead of loads waiting
 * behind the running task, since that model stays loaded until a load starts.
 */
export class RequestQueue {
  private readonly waiting: Waiting[] = [];
  private running = false;

  run<T>(signal: AbortSignal | undefined, task: () => Promise<T>, options: QueueOptions = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Waiting = {
        load: options.load === true,
        overtaken: 0,
        start: async () => {
          try {
            resolve(await task());
          } catch (error) {
            reject(error);
          } finally {
            signal?.removeEventListener('abort', onAbort);
            this.running = false;
            this.next();
          }
        },
      };
      // Waiting, it leaves the queue; running, its caller is told at once, and the queue waits for the task to finish.
      const onAbort = () => {
        const index = this.waiting.indexOf(entry);
        if (index !== -1) this.waiting.splice(index, 1);
        reject(cancelled());
      };
      if (signal?.aborted) return reject(cancelled());
      signal?.addEventListener('abort', onAbort, { once: true });
      let at = this.waiting.length;
      if (options.overtakeLoads) {
        while (at > 0 && this.waiting[at - 1].load && this.waiting[at - 1].overtaken < MAX_OVERTAKES) at--;
        for (const passed of this.waiting.slice(at)) passed.overtaken += 1;
      }
      this.waiting.splice(at, 0, entry);
      // Started on a later turn, as a promise chain would: a caller's code right after run() comes first.
      queueMicrotask(() => this.next());
    });
  }

  private next(): void {
    if (this.running) return;
    const entry = this.waiting.shift();
    if (!entry) return;
    this.running = true;
    entry.start();
  }
}
