import { DownloadServerError } from './load-errors.ts';
import type { Fetch } from './resumable-download.ts';

/**
 * The fetch one model load uses. Every request carries the load's abort
 * signal, so cancelling stops the downloads themselves. And the first network
 * failure, of a request or of a body mid-stream, rejects `failed`: in
 * transformers.js 4.3.1 a failed external-data download leaves its loading
 * promise pending forever, so a load must race against this instead of only
 * awaiting transformers.js. A server error (5xx) fails the load the same
 * way, as a DownloadServerError, so it is reported as the server's failure.
 */
export class DownloadGuard {
  readonly failed: Promise<never>;
  private fail!: (error: unknown) => void;

  constructor(
    private readonly base: Fetch,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.failed = new Promise<never>((_, reject) => {
      this.fail = reject;
    });
    // Only a race observes `failed`; a load that ends first must not leave it unhandled.
    this.failed.catch(() => undefined);
    signal?.addEventListener('abort', () => this.fail(signal.reason), { once: true });
  }

  readonly fetch: Fetch = async (input, init) => {
    this.signal?.throwIfAborted();
    let response: Response;
    try {
      response = await this.base(input, { ...init, signal: this.signal });
    } catch (error) {
      this.fail(error);
      throw error;
    }
    if (response.status >= 500) {
      const error = new DownloadServerError(response.status, String(input));
      this.fail(error);
      await response.body?.cancel().catch(() => undefined);
      throw error;
    }
    if (!response.body) return response;
    return new Response(this.watched(response.body), { status: response.status, statusText: response.statusText, headers: response.headers });
  };

  /** Runs `load`, rejecting as soon as a download fails or the signal aborts. */
  race<T>(load: Promise<T>): Promise<T> {
    return Promise.race([load, this.failed]);
  }

  private watched(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
    const reader = body.getReader();
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          const chunk = await reader.read();
          if (chunk.done) controller.close();
          else controller.enqueue(chunk.value);
        } catch (error) {
          this.fail(error);
          controller.error(error);
        }
      },
      cancel: (reason) => reader.cancel(reason),
    });
  }
}
