/**
 * What the service worker and an engine page say to each other. The service
 * worker holds no model: it forwards each HTTP request to a page that has one,
 * over a MessageChannel of its own, and the page answers through `window.deepseek`.
 */
import type {
  ChatCompletion,
  ChatCompletionChunk,
  Completion,
  CompletionChunk,
  LoadedModel,
  ModelList,
  ModelObject,
  WireError,
} from '../protocol/index.ts';

/** Tags bridge messages, so that the service worker's other messages never mix with them. */
export const BRIDGE = 'deepseek-http-bridge';

/** The in-page API call an HTTP request maps to. Bodies travel unvalidated: the client validates them. */
export type BridgeOperation =
  | { name: 'chat.completions.create'; body: unknown }
  | { name: 'completions.create'; body: unknown }
  | { name: 'models.list' }
  | { name: 'models.retrieve'; id: string };

/** Page → service worker: this page can (or no longer can) serve requests. */
export interface HostAnnouncement {
  bridge: typeof BRIDGE;
  kind: 'host-ready' | 'host-gone';
}

/**
 * Service worker → page. `roll-call` asks every engine page to announce itself
 * (the service worker forgets its hosts when the browser stops it); `status` and
 * `request` carry the port their answers go to.
 */
export type BridgeCall =
  | { bridge: typeof BRIDGE; kind: 'roll-call' }
  | { bridge: typeof BRIDGE; kind: 'status' }
  | { bridge: typeof BRIDGE; kind: 'request'; operation: BridgeOperation };

export interface HostStatus {
  loaded: LoadedModel | null;
  /** HTTP requests this page is serving right now, queued ones included. */
  activeRequests: number;
}

export type BridgeResult = ChatCompletion | Completion | ModelList | ModelObject;
export type BridgeChunk = ChatCompletionChunk | CompletionChunk;

/**
 * Page → service worker over a call's port. A request is answered by `accepted`,
 * then either one `result`, or `chunk`s ended by `end`, or an `error` at any point.
 */
export type BridgeReply =
  | { kind: 'status'; status: HostStatus }
  | { kind: 'accepted' }
  | { kind: 'result'; body: BridgeResult }
  | { kind: 'chunk'; chunk: BridgeChunk }
  | { kind: 'end' }
  | { kind: 'error'; error: WireError };

/** Service worker → page over a request's port: the HTTP client went away. */
export interface BridgeAbort {
  kind: 'abort';
}

export function isBridgeMessage(value: unknown): value is { bridge: typeof BRIDGE; kind: string } {
  return typeof value === 'object' && value !== null && (value as { bridge?: unknown }).bridge === BRIDGE;
}
