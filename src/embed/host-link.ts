/**
 * The widget's side of the host protocol (src/protocol/widget.ts). It answers
 * a `hello` only from its parent window and only from an origin the deployer
 * listed at build time (DEEPSEEK_WIDGET_ORIGINS); anything else is ignored, so
 * another page learns nothing, not even that the widget is there. After the
 * handshake, requests run through the same client as `window.deepseek`.
 */
import type { DeepSeekClient } from '../api/client.ts';
import {
  ApiError,
  WIDGET_PROTOCOL,
  badWidgetRequest,
  WORKING_EVERY_MS,
  isWidgetAbort,
  parseHello,
  parseWidgetRequest,
  toApiError,
  toWire,
  type ChatCompletionRequest,
  type CompletionRequest,
  type LoadOptions,
  type WidgetEvent,
  type WidgetOperation,
  type WidgetOptions,
  type WidgetReply,
  type WidgetWelcome,
} from '../protocol/index.ts';
import { widgetState } from './widget.svelte.ts';

/** The origins allowed to drive this widget, fixed by the build. */
export const HOST_ORIGINS: readonly string[] = __WIDGET_HOST_ORIGINS__;

type Outcome = object | AsyncIterable<object>;

function isStream(outcome: Outcome): outcome is AsyncIterable<object> {
  return Symbol.asyncIterator in outcome;
}

async function perform(client: DeepSeekClient, operation: WidgetOperation, signal: AbortSignal, reply: (message: WidgetReply) => void): Promise<Outcome> {
  switch (operation.name) {
    case 'chat.completions.create':
      // The client validates the body as it does for every caller, and names the offending parameter.
      return client.chat.completions.create(operation.body as ChatCompletionRequest, { signal });
    case 'completions.create':
      return client.completions.create(operation.body as CompletionRequest, { signal });
    case 'models.list':
      return client.models.list();
    case 'models.retrieve':
      return client.models.retrieve(operation.id);
    case 'load': {
      // Only device and dtype pass; the client validates them as it does for `window.deepseek.load`.
      const { device, dtype } = (operation.options ?? {}) as { device?: unknown; dtype?: unknown };
      return widgetState.load(operation.model ?? undefined, {
        device: device as LoadOptions['device'],
        dtype: dtype as LoadOptions['dtype'],
        signal,
        onProgress: (progress) => reply({ kind: 'progress', progress }),
      });
    }
  }
}

/** Runs one request on its own port: accepted, working… , then a result, chunks and end, or an error. */
async function serve(client: DeepSeekClient, data: unknown, port: MessagePort): Promise<void> {
  const reply = (message: WidgetReply) => port.postMessage(message);
  const parsed = parseWidgetRequest(data);
  if (parsed instanceof ApiError) {
    reply({ kind: 'error', error: toWire(parsed) });
    port.close();
    return;
  }
  const controller = new AbortController();
  port.onmessage = (event: MessageEvent<unknown>) => isWidgetAbort(event.data) && controller.abort();
  const working = setInterval(() => reply({ kind: 'working' }), WORKING_EVERY_MS);
  reply({ kind: 'accepted' });
  try {
    const outcome = await perform(client, parsed.operation, controller.signal, reply);
    if (isStream(outcome)) {
      for await (const chunk of outcome) reply({ kind: 'chunk', chunk: chunk as Record<string, unknown> });
      reply({ kind: 'end' });
    } else {
      reply({ kind: 'result', body: outcome as Record<string, unknown> });
    }
  } catch (error) {
    reply({ kind: 'error', error: toWire(toApiError(error)) });
  } finally {
    clearInterval(working);
    port.close();
  }
}

/**
 * Waits for the host's hello; on each valid one, sets up a fresh control port
 * (the previous host connection, if any, is closed) and applies the options.
 */
export function listenForHost(client: DeepSeekClient, applyOptions: (options: WidgetOptions) => void): void {
  let control: MessagePort | null = null;
  let stopWatching: (() => void) | null = null;
  let connectedNonce: string | null = null;

  window.addEventListener('message', (event: MessageEvent<unknown>) => {
    // Only the page that embeds this frame, and only from a listed origin.
    if (window.parent === window || event.source !== window.parent || !HOST_ORIGINS.includes(event.origin)) return;
    const parsed = parseHello(event.data);
    // The SDK repeats its hello until it hears back; a repeat is the connection it already has.
    if (!parsed || parsed.hello.nonce === connectedNonce) return;
    const { hello, rejectedOptions } = parsed;
    connectedNonce = hello.nonce;
    control?.close();
    stopWatching?.();
    const channel = new MessageChannel();
    control = channel.port1;
    const send = (message: WidgetEvent) => channel.port1.postMessage(message);
    channel.port1.onmessage = (request: MessageEvent<unknown>) => {
      const [port] = request.ports;
      if (port) void serve(client, request.data, port);
    };
    applyOptions(hello.options);
    stopWatching = watchWidget(send, hello.options.fixedHeight === true);
    const welcome: WidgetWelcome = { protocol: WIDGET_PROTOCOL, kind: 'welcome', nonce: hello.nonce, status: widgetState.status };
    window.parent.postMessage(welcome, event.origin, [channel.port2]);
    // An option the widget could not use was dropped; the host hears which, as a 400 naming it.
    for (const option of rejectedOptions) {
      send({ kind: 'error', error: toWire(badWidgetRequest(`The widget option '${option}' is not valid and was ignored.`, `options.${option}`)) });
    }
  });
}

/** Passes status, progress and the content's height on to the host; returns how to stop. */
function watchWidget(send: (message: WidgetEvent) => void, fixedHeight: boolean): () => void {
  const stopChanges = widgetState.onChange((change) => {
    if (change.status) send({ kind: 'status', status: change.status });
    if (change.progress) send({ kind: 'progress', progress: change.progress });
    if (change.error) send({ kind: 'error', error: change.error });
  });
  if (fixedHeight) return stopChanges;
  let last = -1;
  const content = document.getElementById('widget')!;
  const observer = new ResizeObserver(() => {
    const height = Math.ceil(content.getBoundingClientRect().height);
    if (height === last) return;
    last = height;
    send({ kind: 'resize', height });
  });
  observer.observe(content);
  return () => {
    stopChanges();
    observer.disconnect();
  };
}
