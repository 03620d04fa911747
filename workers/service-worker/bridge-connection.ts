import { ApiError, cancelled, toWire } from '../../src/protocol/index.ts';
import type { BridgeAbort, BridgeCall, BridgeReply } from '../../src/api/http-bridge-messages.ts';

/** How often a call checks that its pages still exist: a closed tab sends no goodbye on a port. */
const PRESENCE_CHECK_INTERVAL_MS = 2000;

export function engineGone(): ApiError {
  return new ApiError(
    {
      message: 'The page running the engine was closed while it answered this request. Open the app again and retry.',
      type: 'server_error',
      param: null,
      code: 'engine_gone',
    },
    503,
  );
}

/**
 * One call to an engine page over its own MessageChannel, read reply by reply.
 * Replies that arrive before they are read wait in order.
 */
export class BridgeConnection {
  private readonly port: MessagePort;
  private readonly replies: BridgeReply[] = [];
  private wake: (() => void) | null = null;
  private readonly presenceCheck: ReturnType<typeof setInterval>;
  private open = true;

  /**
   * `requesterId` is the client that made the HTTP request, if any: when it
   * closes, the call is aborted, since Chromium does not abort an intercepted
   * request's signal when its fetch is aborted or its page closes.
   */
  constructor(host: Client, call: BridgeCall, clients: Clients, requesterId: string | null = null) {
    const channel = new MessageChannel();
    this.port = channel.port1;
    this.port.onmessage = (event: MessageEvent<BridgeReply>) => this.push(event.data);
    host.postMessage(call, [channel.port2]);
    this.presenceCheck = setInterval(() => {
      void clients.get(host.id).then((found) => {
        if (!found) this.push({ kind: 'error', error: toWire(engineGone()) });
      });
      if (requesterId) {
        void clients.get(requesterId).then((found) => {
          if (!found) this.abort();
        });
      }
    }, PRESENCE_CHECK_INTERVAL_MS);
  }

  private push(reply: BridgeReply): void {
    if (!this.open) return;
    this.replies.push(reply);
    this.wake?.();
    this.wake = null;
  }

  /** The next reply; null when none came within `timeoutMs`. */
  async next(timeoutMs?: number): Promise<BridgeReply | null> {
    const waiting = this.replies.shift();
    if (waiting) return waiting;
    if (!this.open) return { kind: 'error', error: toWire(cancelled()) };
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      if (timeoutMs !== undefined) timer = setTimeout(resolve, timeoutMs);
    });
    clearTimeout(timer);
    return this.replies.shift() ?? (this.open ? null : { kind: 'error', error: toWire(cancelled()) });
  }

  /** The HTTP client went away: the page stops the generation, and a pending `next` settles. */
  abort(): void {
    if (!this.open) return;
    this.port.postMessage({ kind: 'abort' } satisfies BridgeAbort);
    this.close();
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    clearInterval(this.presenceCheck);
    this.port.close();
    this.wake?.();
    this.wake = null;
  }
}

