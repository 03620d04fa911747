/**
 * Answers `/v1` and `/health` in the service worker by forwarding each request
 * to an engine page, then turning the page's replies into OpenAI's HTTP: a JSON
 * body, or server-sent events for a stream.
 */
import { ApiError, cancelled, checkBodyBounds, requestRefusal, toApiError, type LoadedModel } from '../../src/protocol/index.ts';
import { BRIDGE, type BridgeOperation, type BridgeReply } from '../../src/api/http-bridge-messages.ts';
import type { BridgeConnection } from './bridge-connection.ts';
import type { EngineHosts } from './engine-hosts.ts';
import { SSE_DONE, SSE_HEADERS, errorResponse, jsonResponse, parseJsonBody, readBody, requestedModel, sseEvent } from './http.ts';
import type { Route } from './routes.ts';

/** A page that accepted nothing within this long is taken as frozen, and the next page is tried. */
const ACCEPT_TIMEOUT_MS = 5000;

export interface HealthReport {
  /** 'ok' when a page has a model loaded: then the API can generate. */
  status: 'ok' | 'no_model_loaded' | 'no_engine_page';
  engine_pages: number;
  loaded_models: LoadedModel[];
  /** Requests the engine pages are serving now, queued ones included. */
  active_requests: number;
}

function engineUnavailable(message: string): ApiError {
  return new ApiError({ message, type: 'server_error', param: null, code: 'engine_unavailable' }, 503);
}

const NO_ENGINE_PAGE =
  'No page with the DeepSeek Coder engine is open, or none answered in time. Open the app in a browser tab and load a model; it serves this API.';
const NO_ANSWER = 'The page with the DeepSeek Coder engine did not answer in time. Check that its tab is open and not frozen.';

/** What the fetch event gives the API for one request. */
export interface Exchange {
  request: Request;
  /** The client that made the request, or null. */
  requesterId: string | null;
  /** That client's origin, when the service worker knows it. */
  requesterOrigin: string | null;
  /** Keeps the service worker alive after the response has started, while a stream runs. */
  keepAlive: (work: Promise<unknown>) => void;
}

export class HttpApi {
  private readonly encoder = new TextEncoder();

  /** `appOrigin` is the only origin whose pages the API answers. */
  constructor(
    private readonly hosts: EngineHosts,
    private readonly appOrigin: string,
  ) {}

  async respond(route: Route, exchange: Exchange): Promise<Response> {
    try {
      const { request } = exchange;
      const facts = { method: request.method, mode: request.mode, headers: request.headers, clientOrigin: exchange.requesterOrigin };
      // Refused before anything else sees the request, the engine included.
      const refused = requestRefusal(facts, this.appOrigin);
      if (refused) return errorResponse(refused);
      switch (route.kind) {
        case 'error':
          return errorResponse(route.error, route.allow ? { Allow: route.allow } : {});
        case 'health':
          return await this.health();
        case 'chat.completions.create':
        case 'completions.create': {
          const body = parseJsonBody(await readBody(request));
          // Structured clone recurses: a body nested thousands deep would overflow the stack on its way to the page.
          checkBodyBounds(body);
          return await this.forward({ name: route.kind, body }, requestedModel(body), exchange);
        }
        case 'models.list':
          return await this.forward({ name: route.kind }, null, exchange);
        case 'models.retrieve':
          return await this.forward({ name: route.kind, id: route.id }, null, exchange);
      }
    } catch (error) {
      return errorResponse(toApiError(error));
    }
  }

  private async health(): Promise<Response> {
    const hosts = await this.hosts.available(null);
    const loaded = hosts.flatMap((host) => (host.status.loaded ? [host.status.loaded] : []));
    const status: HealthReport['status'] = hosts.length === 0 ? 'no_engine_page' : loaded.length === 0 ? 'no_model_loaded' : 'ok';
    const report: HealthReport = {
      status,
      engine_pages: hosts.length,
      loaded_models: loaded,
      active_requests: hosts.reduce((sum, host) => sum + host.status.activeRequests, 0),
    };
    return jsonResponse(report, status === 'ok' ? 200 : 503);
  }

  /** Hands the request to the best engine page that accepts it. */
  private async forward(operation: BridgeOperation, model: string | null, exchange: Exchange): Promise<Response> {
    const hosts = await this.hosts.available(model);
    if (hosts.length === 0) throw engineUnavailable(NO_ENGINE_PAGE);
    for (const host of hosts) {
      if (exchange.request.signal.aborted) throw cancelled();
      const call = { bridge: BRIDGE, kind: 'request', operation } as const;
      const connection = await this.hosts.connect(host.clientId, call, exchange.requesterId);
      if (!connection) continue;
      const first = await connection.next(ACCEPT_TIMEOUT_MS);
      if (first?.kind === 'accepted') return this.answer(connection, exchange);
      connection.close();
      this.hosts.forget(host.clientId);
    }
    throw engineUnavailable(NO_ANSWER);
  }

  /**
   * The first reply after `accepted` decides the response: a result is JSON, a
   * chunk starts a stream, an error is its status. So a stream's status is sent
   * only once the engine has started it, and errors found before then keep theirs.
   */
  private async answer(connection: BridgeConnection, { request, keepAlive }: Exchange): Promise<Response> {
    // The spec aborts this signal when the HTTP client aborts; Chromium (156) does not, so streams also watch cancel.
    const { signal } = request;
    const abort = () => connection.abort();
    signal.addEventListener('abort', abort, { once: true });
    const first = await connection.next();
    switch (first?.kind) {
      case 'chunk':
      case 'end':
        return this.stream(connection, first, keepAlive, () => signal.removeEventListener('abort', abort));
      case 'result':
        signal.removeEventListener('abort', abort);
        connection.close();
        return jsonResponse(first.body);
      default:
        signal.removeEventListener('abort', abort);
        connection.close();
        throw replyError(first);
    }
  }

  /**
   * Server-sent events: each chunk as `data: {json}`, then `data: [DONE]`. The
   * status is already sent, so a failure mid-stream is an `error` event.
   * Reading waits for the HTTP client (pull), and its cancel stops the generation.
   */
  private stream(connection: BridgeConnection, first: BridgeReply, keepAlive: Exchange['keepAlive'], finished: () => void): Response {
    let pending: BridgeReply | null = first;
    let clientGone = false;
    let settle = () => {};
    keepAlive(new Promise<void>((resolve) => (settle = resolve)));
    const end = () => {
      connection.close();
      finished();
      settle();
    };
    const body = new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        const reply = pending ?? (await connection.next());
        pending = null;
        if (clientGone) return;
        if (reply?.kind === 'chunk') {
          controller.enqueue(this.encoder.encode(sseEvent(reply.chunk)));
          return;
        }
        controller.enqueue(this.encoder.encode(reply?.kind === 'end' ? SSE_DONE : sseEvent(replyError(reply).toJSON())));
        controller.close();
        end();
      },
      cancel: () => {
        clientGone = true;
        connection.abort();
        end();
      },
    });
    return new Response(body, { headers: SSE_HEADERS });
  }
}

/** An error reply becomes its ApiError; anything else out of turn is a bridge fault. */
function replyError(reply: BridgeReply | null): ApiError {
  if (reply?.kind === 'error') return new ApiError(reply.error.error, reply.error.status);
  return new ApiError(
    { message: `The engine page answered out of turn (${reply?.kind ?? 'nothing'}).`, type: 'server_error', param: null, code: 'bridge_error' },
    502,
  );
}
