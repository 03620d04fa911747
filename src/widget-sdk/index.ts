/**
 * The host SDK for the embeddable widget, built as its own ES module
 * (`/deepseek-widget.js`). A host page mounts the widget in an iframe and
 * drives the same OpenAI-shaped API as `window.deepseek`: the same requests,
 * chunks, errors (ApiError) and abort, over postMessage (src/protocol/widget.ts).
 *
 *   import { DeepSeekWidget } from 'https://app.example/deepseek-widget.js';
 *   const widget = await DeepSeekWidget.mount(element, { src: 'https://app.example/embed.html' });
 */
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, Completion, CompletionRequest } from '../protocol/types.ts';
import type { Device, Dtype, LoadedModel, LoadProgress, ModelList, ModelObject } from '../protocol/types.ts';
import { ApiError, cancelled } from '../protocol/errors.ts';
import {
  WIDGET_PROTOCOL,
  WIDGET_SILENCE_MS,
  parseWelcome,
  parseWidgetEvent,
  parseWidgetReply,
  widgetUnavailable,
  type WidgetHello,
  type WidgetOperation,
  type WidgetOptions,
  type WidgetRequest,
  type WidgetStatus,
} from '../protocol/widget.ts';
import { ChunkStream } from '../api/chunk-stream.ts';

export { ApiError };
export type { WidgetStatus };

export interface MountOptions extends Omit<WidgetOptions, 'fixedHeight'> {
  /** The widget page's URL: `https://app.example/embed.html`. */
  src: string;
  /** A fixed height in CSS pixels. Without it the iframe's height follows its content. */
  height?: number;
  /** How long to wait for the widget to answer the handshake, in milliseconds. */
  timeoutMs?: number;
  /** The iframe's accessible title. */
  title?: string;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

export interface LoadOptions extends RequestOptions {
  /** As for `window.deepseek.load`: chosen for the device when absent. */
  device?: Device;
  dtype?: Dtype;
  onProgress?: (progress: LoadProgress) => void;
}

export interface WidgetEvents {
  /** A model is loaded and can answer. */
  ready: LoadedModel;
  progress: LoadProgress;
  /** The widget's content height changed; the iframe follows unless the host fixed its height. */
  resize: { height: number };
  error: ApiError;
}

type Handler<Name extends keyof WidgetEvents> = (value: WidgetEvents[Name]) => void;

const HELLO_EVERY_MS = 250;
const DEFAULT_TIMEOUT_MS = 20_000;
const INITIAL_HEIGHT = 420;

type StreamingRequest = ChatCompletionRequest & { stream: true };
type NonStreamingRequest = ChatCompletionRequest & { stream?: false | null };
type StreamingCompletionRequest = CompletionRequest & { stream: true };
type NonStreamingCompletionRequest = CompletionRequest & { stream?: false | null };

export class Widget {
  private readonly handlers = new Map<keyof WidgetEvents, Set<(value: never) => void>>();
  private readonly pending = new Set<(error: ApiError) => void>();
  private destroyed = false;
  private current: WidgetStatus;

  readonly chat = {
    completions: {
      create: ((body: ChatCompletionRequest, options?: RequestOptions) =>
        this.generate({ name: 'chat.completions.create', body }, body?.stream === true, options)) as {
        (body: StreamingRequest, options?: RequestOptions): Promise<AsyncIterable<ChatCompletionChunk>>;
        (body: NonStreamingRequest, options?: RequestOptions): Promise<ChatCompletion>;
        (body: ChatCompletionRequest, options?: RequestOptions): Promise<ChatCompletion | AsyncIterable<ChatCompletionChunk>>;
      },
    },
  };

  readonly completions = {
    create: ((body: CompletionRequest, options?: RequestOptions) =>
      this.generate({ name: 'completions.create', body }, body?.stream === true, options)) as {
      (body: StreamingCompletionRequest, options?: RequestOptions): Promise<AsyncIterable<Completion>>;
      (body: NonStreamingCompletionRequest, options?: RequestOptions): Promise<Completion>;
      (body: CompletionRequest, options?: RequestOptions): Promise<Completion | AsyncIterable<Completion>>;
    },
  };

  readonly models = {
    list: (): Promise<ModelList> => this.call({ name: 'models.list' }) as Promise<ModelList>,
    retrieve: (id: string): Promise<ModelObject> => this.call({ name: 'models.retrieve', id }) as Promise<ModelObject>,
  };

  constructor(
    readonly iframe: HTMLIFrameElement,
    private readonly control: MessagePort,
    status: WidgetStatus,
    private readonly fixedHeight: boolean,
  ) {
    this.current = status;
    control.onmessage = (event: MessageEvent<unknown>) => this.onEvent(event.data);
  }

  /** What the widget last reported: the loaded model, a load under way, isolation and storage partitioning. */
  get status(): WidgetStatus {
    return this.current;
  }

  /** Loads a model in the widget: the one given at mount when `model` is absent. */
  load(model?: string, { signal, onProgress, ...options }: LoadOptions = {}): Promise<LoadedModel> {
    return this.call({ name: 'load', model: model ?? null, options }, { signal, onProgress }) as Promise<LoadedModel>;
  }

  on<Name extends keyof WidgetEvents>(name: Name, handler: Handler<Name>): () => void {
    const set = this.handlers.get(name) ?? new Set();
    set.add(handler as (value: never) => void);
    this.handlers.set(name, set);
    return () => set.delete(handler as (value: never) => void);
  }

  /** Removes the iframe; requests still running reject with `widget_unavailable`. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.control.close();
    this.iframe.remove();
    for (const reject of [...this.pending]) reject(widgetUnavailable('The widget was destroyed.'));
    this.handlers.clear();
  }

  private emit<Name extends keyof WidgetEvents>(name: Name, value: WidgetEvents[Name]): void {
    for (const handler of this.handlers.get(name) ?? []) (handler as Handler<Name>)(value);
  }

  private onEvent(data: unknown): void {
    const event = parseWidgetEvent(data);
    if (!event) return;
    switch (event.kind) {
      case 'status': {
        const was = this.current.loaded?.id;
        this.current = event.status;
        if (event.status.loaded && event.status.loaded.id !== was) this.emit('ready', event.status.loaded);
        break;
      }
      case 'progress':
        this.emit('progress', event.progress);
        break;
      case 'resize':
        if (!this.fixedHeight) this.iframe.style.height = `${event.height}px`;
        this.emit('resize', { height: event.height });
        break;
      case 'error':
        this.emit('error', new ApiError(event.error.error, event.error.status));
        break;
    }
  }

  private async generate(operation: WidgetOperation, stream: boolean, options: RequestOptions = {}): Promise<object> {
    return stream ? this.openStream(operation, options) : this.call(operation, options);
  }

  /**
   * Sends one request on a port of its own. Resolves with its result (or, for a
   * stream, at its first chunk), rejects with its ApiError, with `cancelled`
   * when the signal aborts, or with `widget_unavailable` when the widget falls
   * silent for WIDGET_SILENCE_MS.
   */
  private call(operation: WidgetOperation, options: LoadOptions = {}): Promise<object> {
    return new Promise((resolve, reject) => {
      this.send(operation, options, {
        result: resolve,
        chunk: () => reject(widgetUnavailable('The widget streamed an answer that was not asked to stream.')),
        end: () => reject(widgetUnavailable('The widget ended without a result.')),
        fail: reject,
      });
    });
  }

  private openStream(operation: WidgetOperation, options: RequestOptions): Promise<AsyncIterable<object>> {
    return new Promise((resolve, reject) => {
      let chunks: ChunkStream<object> | null = null;
      const start = () => {
        if (!chunks) {
          chunks = new ChunkStream<object>(() => abort());
          resolve(chunks);
        }
        return chunks;
      };
      const abort = this.send(operation, options, {
        result: () => reject(widgetUnavailable('The widget answered a stream with one result.')),
        chunk: (chunk) => start().push(chunk),
        end: () => start().end(),
        fail: (error) => (chunks ? (error.status === 499 ? chunks.abandon(error) : chunks.fail(error)) : reject(error)),
      });
    });
  }

  /** The plumbing of one request; returns how to abort it. */
  private send(
    operation: WidgetOperation,
    { signal, onProgress }: LoadOptions,
    on: { result: (body: object) => void; chunk: (chunk: object) => void; end: () => void; fail: (error: ApiError) => void },
  ): () => void {
    if (this.destroyed) {
      on.fail(widgetUnavailable('The widget was destroyed.'));
      return () => undefined;
    }
    if (signal?.aborted) {
      on.fail(cancelled());
      return () => undefined;
    }
    const channel = new MessageChannel();
    const port = channel.port1;
    let silence: ReturnType<typeof setTimeout> | undefined;
    let settled = false;
    const settle = () => {
      settled = true;
      clearTimeout(silence);
      signal?.removeEventListener('abort', abort);
      this.pending.delete(fail);
      port.close();
    };
    const fail = (error: ApiError) => {
      if (settled) return;
      settle();
      on.fail(error);
    };
    const listen = () => {
      clearTimeout(silence);
      silence = setTimeout(() => fail(widgetUnavailable(`The widget did not answer for ${WIDGET_SILENCE_MS / 1000} s.`)), WIDGET_SILENCE_MS);
    };
    const abort = () => {
      if (settled) return;
      port.postMessage({ kind: 'abort' });
      fail(cancelled());
    };
    port.onmessage = (event: MessageEvent<unknown>) => {
      if (settled) return;
      const reply = parseWidgetReply(event.data);
      if (!reply) return fail(widgetUnavailable('The widget sent a reply this SDK does not understand.'));
      listen();
      switch (reply.kind) {
        case 'progress':
          onProgress?.(reply.progress);
          break;
        case 'result':
          settle();
          on.result(reply.body);
          break;
        case 'chunk':
          on.chunk(reply.chunk);
          break;
        case 'end':
          settle();
          on.end();
          break;
        case 'error':
          fail(new ApiError(reply.error.error, reply.error.status));
          break;
      }
    };
    signal?.addEventListener('abort', abort, { once: true });
    this.pending.add(fail);
    listen();
    const request: WidgetRequest = { kind: 'request', operation };
    this.control.postMessage(request, [channel.port2]);
    return abort;
  }
}

/** Mounts the widget in `element` and resolves once it has answered the handshake. */
async function mount(element: HTMLElement, options: MountOptions): Promise<Widget> {
  const src = new URL(options.src, location.href);
  const origin = src.origin;
  const iframe = document.createElement('iframe');
  iframe.src = src.href;
  iframe.title = options.title ?? 'DeepSeek Coder chat';
  // Threads for WASM where this page is cross-origin isolated; Copy buttons in answers.
  iframe.allow = 'cross-origin-isolated; clipboard-write';
  iframe.referrerPolicy = 'no-referrer';
  Object.assign(iframe.style, { display: 'block', width: '100%', border: '0', height: `${options.height ?? INITIAL_HEIGHT}px` });
  element.append(iframe);

  const fixedHeight = options.height !== undefined;
  const hello: WidgetHello = {
    protocol: WIDGET_PROTOCOL,
    kind: 'hello',
    nonce: crypto.randomUUID(),
    options: { model: options.model, theme: options.theme, accent: options.accent, systemPrompt: options.systemPrompt, fixedHeight },
  };
  // Undefined options would arrive as present-but-undefined; drop them.
  hello.options = Object.fromEntries(Object.entries(hello.options).filter(([, value]) => value !== undefined));

  return new Promise<Widget>((resolve, reject) => {
    const finish = () => {
      clearInterval(greeting);
      clearTimeout(timeout);
      window.removeEventListener('message', onMessage);
    };
    const onMessage = (event: MessageEvent<unknown>) => {
      // Only the iframe this call created, and only from the widget's own origin.
      if (event.source !== iframe.contentWindow || event.origin !== origin) return;
      const welcome = parseWelcome(event.data);
      const [control] = event.ports;
      if (!welcome || welcome.nonce !== hello.nonce || !control) return;
      finish();
      const widget = new Widget(iframe, control, welcome.status, fixedHeight);
      resolve(widget);
    };
    window.addEventListener('message', onMessage);
    // Until the widget's script listens, hellos are lost; one every 250 ms finds it as soon as it does.
    const greet = () => iframe.contentWindow?.postMessage(hello, origin);
    const greeting = setInterval(greet, HELLO_EVERY_MS);
    iframe.addEventListener('load', greet);
    const timeout = setTimeout(() => {
      finish();
      iframe.remove();
      reject(
        widgetUnavailable(
          `The widget at ${origin} did not answer within ${(options.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000} s: it is unreachable, or this page's origin (${location.origin}) is not among the hosts it allows.`,
        ),
      );
    }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  });
}

export const DeepSeekWidget = { mount };
