/**
 * The page side of the HTTP API: the service worker forwards `/v1` requests
 * here, and this answers them through the public client, exactly as any other
 * caller of `window.deepseek` would. The engine stays in this page's worker.
 */
import { toApiError, toWire, type ChatCompletionRequest, type CompletionRequest } from '../protocol/index.ts';
import type { DeepSeekClient } from './client.ts';
import {
  BRIDGE,
  isBridgeMessage,
  type BridgeAbort,
  type BridgeCall,
  type BridgeChunk,
  type BridgeOperation,
  type BridgeReply,
  type BridgeResult,
  type HostAnnouncement,
} from './http-bridge-messages.ts';

type Outcome = BridgeResult | AsyncIterable<BridgeChunk>;

async function perform(client: DeepSeekClient, operation: BridgeOperation, signal: AbortSignal): Promise<Outcome> {
  switch (operation.name) {
    case 'chat.completions.create':
      // The client validates the raw JSON and names the offending parameter.
      return client.chat.completions.create(operation.body as ChatCompletionRequest, { signal });
    case 'completions.create':
      return client.completions.create(operation.body as CompletionRequest, { signal });
    case 'models.list':
      return client.models.list();
    case 'models.retrieve':
      return client.models.retrieve(operation.id);
  }
}

function isStream(outcome: Outcome): outcome is AsyncIterable<BridgeChunk> {
  return Symbol.asyncIterator in outcome;
}

/**
 * Serves the service worker's calls from this page, and tells the service
 * worker when the page can serve (on start, focus and return from the
 * back/forward cache) and when it cannot (on leaving).
 */
export function startHttpBridge(client: DeepSeekClient, container: ServiceWorkerContainer = navigator.serviceWorker): void {
  let activeRequests = 0;

  const announce = async (kind: HostAnnouncement['kind']) => {
    const registration = await container.ready;
    const announcement: HostAnnouncement = { bridge: BRIDGE, kind };
    registration.active?.postMessage(announcement);
  };

  const serve = async (operation: BridgeOperation, port: MessagePort) => {
    const reply = (message: BridgeReply) => port.postMessage(message);
    const controller = new AbortController();
    activeRequests += 1;
    port.onmessage = (event: MessageEvent<BridgeAbort>) => {
      if (event.data.kind === 'abort') controller.abort();
    };
    reply({ kind: 'accepted' });
    try {
      const outcome = await perform(client, operation, controller.signal);
      if (isStream(outcome)) {
        for await (const chunk of outcome) reply({ kind: 'chunk', chunk });
        reply({ kind: 'end' });
      } else {
        reply({ kind: 'result', body: outcome });
      }
    } catch (error) {
      reply({ kind: 'error', error: toWire(toApiError(error)) });
    } finally {
      activeRequests -= 1;
      port.close();
    }
  };

  container.addEventListener('message', (event: MessageEvent<unknown>) => {
    if (!isBridgeMessage(event.data)) return;
    const call = event.data as BridgeCall;
    const [port] = event.ports;
    switch (call.kind) {
      case 'roll-call':
        void announce('host-ready');
        break;
      case 'status':
        port.postMessage({ kind: 'status', status: { loaded: client.loaded, activeRequests } } satisfies BridgeReply);
        port.close();
        break;
      case 'request':
        void serve(call.operation, port);
        break;
    }
  });
  // Messages from the service worker wait in a queue until the page says it listens.
  container.startMessages();

  const announceIfVisible = () => {
    if (document.visibilityState === 'visible') void announce('host-ready');
  };
  void announce('host-ready');
  // A new service worker version starts with an empty list of hosts.
  container.addEventListener('controllerchange', () => void announce('host-ready'));
  // Re-announcing on focus makes this the most recently used engine page.
  window.addEventListener('focus', () => void announce('host-ready'));
  document.addEventListener('visibilitychange', announceIfVisible);
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) void announce('host-ready');
  });
  window.addEventListener('pagehide', () => void announce('host-gone'));
}
