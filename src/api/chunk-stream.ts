/**
 * An async iterable fed by pushes: chunks arrive from the worker faster or
 * slower than the caller reads, so they wait in a queue. Breaking out of a
 * `for await` loop calls `onCancel`, which aborts the generation.
 */
export class ChunkStream<T> implements AsyncIterable<T> {
  private readonly buffered: T[] = [];
  private done = false;
  private failure: unknown = null;
  private wake: (() => void) | null = null;

  constructor(private readonly onCancel: () => void) {}

  push(item: T): void {
    this.buffered.push(item);
    this.notify();
  }

  end(): void {
    this.done = true;
    this.notify();
  }

  fail(error: unknown): void {
    this.failure = error;
    this.done = true;
    this.notify();
  }

  /** The caller aborted: chunks still waiting are dropped, as the answer they belong to was abandoned. */
  abandon(error: unknown): void {
    this.buffered.length = 0;
    this.fail(error);
  }

  private notify(): void {
    this.wake?.();
    this.wake = null;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    let completed = false;
    try {
      for (;;) {
        const next = this.buffered.shift();
        if (next !== undefined) {
          yield next;
          continue;
        }
        if (this.failure) throw this.failure;
        if (this.done) {
          completed = true;
          return;
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      if (!completed && !this.failure) this.onCancel();
    }
  }
}
