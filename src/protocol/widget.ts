/**
 * The embeddable widget's message protocol: what crosses the frame between a
 * host page (the SDK, src/widget-sdk) and the widget (embed.html, src/embed).
 *
 * 1. Handshake, by `window.postMessage`: the host sends `hello` to the iframe
 *    with the widget's origin as target; the widget, if the sender's origin is
 *    on the deployer's list and it is its parent, answers `welcome` to that
 *    origin alone and transfers the control port.
 * 2. Control port: widget events (status, progress, resize, error) go to the
 *    host; the host sends `request`s, each transferring a port of its own.
 * 3. Request port: `accepted`, then a `result`, or `chunk`s ended by `end`, or
 *    an `error`; `working` every few seconds while it runs. The host may send
 *    `abort`.
 *
 * Both sides treat every message from the other as untrusted: each is
 * size- and depth-checked before anything walks it, then parsed here.
 */
import { ApiError, isWireError, type WireError } from './errors.ts';
import type { LoadedModel, LoadProgress } from './types.ts';

export const WIDGET_PROTOCOL = 'deepseek-widget/1';

export type WidgetTheme = 'light' | 'dark' | 'auto';
export type WidgetStorage = 'shared' | 'partitioned' | 'blocked';

/** What the host chooses for the widget; all optional. */
export interface WidgetOptions {
  /** The model the widget's Load button loads; the catalog's default when absent. */
  model?: string;
  theme?: WidgetTheme;
  /** A CSS hex colour, `#rgb` or `#rrggbb`, for buttons and links. */
  accent?: string;
  /** The system prompt of the widget's own chat. */
  systemPrompt?: string;
  /** The host fixes the iframe's height: the widget scrolls inside it rather than growing. */
  fixedHeight?: boolean;
}

export interface WidgetHello {
  protocol: typeof WIDGET_PROTOCOL;
  kind: 'hello';
  /** Chosen by the host, echoed in `welcome`, so a stray welcome is not taken for this one. */
  nonce: string;
  options: WidgetOptions;
}

/** What the widget's engine is doing, and what the browser lets it do. */
export interface WidgetStatus {
  loaded: LoadedModel | null;
  loading: boolean;
  cross_origin_isolated: boolean;
  /**
   * This frame's storage, where the model cache lives: `shared` with the app's own site, `partitioned` under
   * the host's site (a model downloads once per host site), or `blocked` (it downloads on every visit).
   */
  storage: WidgetStorage;
}

export interface WidgetWelcome {
  protocol: typeof WIDGET_PROTOCOL;
  kind: 'welcome';
  nonce: string;
  status: WidgetStatus;
}

/** Widget → host on the control port. */
export type WidgetEvent =
  | { kind: 'status'; status: WidgetStatus }
  | { kind: 'progress'; progress: LoadProgress }
  | { kind: 'resize'; height: number }
  | { kind: 'error'; error: WireError };

/** The API call a request runs in the widget. Bodies are validated there by the same client as `window.deepseek`. */
export type WidgetOperation =
  | { name: 'chat.completions.create'; body: unknown }
  | { name: 'completions.create'; body: unknown }
  | { name: 'models.list' }
  | { name: 'models.retrieve'; id: string }
  /** `options` (device, dtype) are validated by the client, as `window.deepseek.load`'s are. */
  | { name: 'load'; model: string | null; options: unknown };

/** Host → widget on the control port; the request's own port travels with it. */
export interface WidgetRequest {
  kind: 'request';
  operation: WidgetOperation;
}

/** Widget → host on a request's port. */
export type WidgetReply =
  | { kind: 'accepted' }
  | { kind: 'working' }
  | { kind: 'progress'; progress: LoadProgress }
  | { kind: 'result'; body: Record<string, unknown> }
  | { kind: 'chunk'; chunk: Record<string, unknown> }
  | { kind: 'end' }
  | { kind: 'error'; error: WireError };

/** Host → widget on a request's port. */
export interface WidgetAbort {
  kind: 'abort';
}

/** Limits on any message, checked before anything walks it. */
export const MESSAGE_LIMITS = {
  /** Nesting of arrays and objects. */
  depth: 32,
  /** Values (primitives, arrays, objects) in all. */
  nodes: 100_000,
  /** Characters in all strings and keys together: a long conversation fits, a flood does not. */
  chars: 8 * 1024 * 1024,
} as const;

/** The widget's answer is silent this long: it is gone or hung. `working` comes every WORKING_EVERY_MS. */
export const WIDGET_SILENCE_MS = 20_000;
export const WORKING_EVERY_MS = 5_000;

export type Bounded = { ok: true } | { ok: false; reason: string };

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * Checks that a value is plain data (null, booleans, finite numbers, strings,
 * arrays, plain objects) within MESSAGE_LIMITS, without recursion: the depth
 * of an item is known before it is entered, so a deep or cyclic value costs
 * no stack and is refused at the limit.
 */
export function checkBounds(value: unknown, limits: typeof MESSAGE_LIMITS = MESSAGE_LIMITS): Bounded {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  let nodes = 0;
  let chars = 0;
  while (stack.length > 0) {
    const item = stack.pop()!;
    nodes += 1;
    if (nodes > limits.nodes) return { ok: false, reason: `more than ${limits.nodes} values` };
    const current = item.value;
    if (current === null || typeof current === 'boolean') continue;
    if (typeof current === 'number') {
      if (!Number.isFinite(current)) return { ok: false, reason: 'a number that is not finite' };
      continue;
    }
    if (typeof current === 'string') {
      chars += current.length;
      if (chars > limits.chars) return { ok: false, reason: `more than ${limits.chars} characters` };
      continue;
    }
    if (typeof current !== 'object') return { ok: false, reason: `a value of type ${typeof current}` };
    if (item.depth >= limits.depth) return { ok: false, reason: `nesting deeper than ${limits.depth}` };
    if (Array.isArray(current)) {
      for (const element of current) stack.push({ value: element, depth: item.depth + 1 });
      continue;
    }
    if (!isPlainObject(current)) return { ok: false, reason: 'an object that is not plain data' };
    for (const [key, element] of Object.entries(current)) {
      chars += key.length;
      if (chars > limits.chars) return { ok: false, reason: `more than ${limits.chars} characters` };
      stack.push({ value: element, depth: item.depth + 1 });
    }
  }
  return { ok: true };
}

type Fields = Record<string, unknown>;

/** A bounded plain object, or null. */
function record(value: unknown): Fields | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  return checkBounds(value).ok ? (value as Fields) : null;
}

const HEX_COLOUR = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;
const MAX_MODEL_ID = 200;
const MAX_NONCE = 64;
const MAX_SYSTEM_PROMPT = 32_000;

function optionalString(value: unknown, max: number): string | undefined | null {
  if (value === undefined) return undefined;
  return typeof value === 'string' && value.length <= max ? value : null;
}

/** The host's options, each checked; a wrong one is dropped, not fatal, and named in `rejected`. */
export function parseWidgetOptions(value: unknown): { options: WidgetOptions; rejected: string[] } {
  const fields = record(value) ?? {};
  const options: WidgetOptions = {};
  const rejected: string[] = [];
  const model = optionalString(fields.model, MAX_MODEL_ID);
  if (model === null) rejected.push('model');
  else if (model !== undefined) options.model = model;
  if (fields.theme !== undefined) {
    if (fields.theme === 'light' || fields.theme === 'dark' || fields.theme === 'auto') options.theme = fields.theme;
    else rejected.push('theme');
  }
  if (fields.accent !== undefined) {
    if (typeof fields.accent === 'string' && HEX_COLOUR.test(fields.accent)) options.accent = fields.accent;
    else rejected.push('accent');
  }
  const systemPrompt = optionalString(fields.systemPrompt, MAX_SYSTEM_PROMPT);
  if (systemPrompt === null) rejected.push('systemPrompt');
  else if (systemPrompt !== undefined) options.systemPrompt = systemPrompt;
  if (fields.fixedHeight !== undefined) {
    if (typeof fields.fixedHeight === 'boolean') options.fixedHeight = fields.fixedHeight;
    else rejected.push('fixedHeight');
  }
  return { options, rejected };
}

function isNonce(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_NONCE;
}

/** Host → widget by window.postMessage: a hello and the options it dropped, or null for anything else. */
export function parseHello(data: unknown): { hello: WidgetHello; rejectedOptions: string[] } | null {
  const fields = record(data);
  if (!fields || fields.protocol !== WIDGET_PROTOCOL || fields.kind !== 'hello' || !isNonce(fields.nonce)) return null;
  const { options, rejected } = parseWidgetOptions(fields.options);
  return { hello: { protocol: WIDGET_PROTOCOL, kind: 'hello', nonce: fields.nonce, options }, rejectedOptions: rejected };
}

function parseLoadedModel(value: unknown): LoadedModel | null {
  const fields = record(value);
  if (!fields || typeof fields.id !== 'string' || (fields.device !== 'webgpu' && fields.device !== 'wasm')) return null;
  if (typeof fields.dtype !== 'string' || typeof fields.context_length !== 'number') return null;
  return fields as unknown as LoadedModel;
}

function parseStatus(value: unknown): WidgetStatus | null {
  const fields = record(value);
  if (!fields || typeof fields.loading !== 'boolean' || typeof fields.cross_origin_isolated !== 'boolean') return null;
  if (fields.storage !== 'shared' && fields.storage !== 'partitioned' && fields.storage !== 'blocked') return null;
  const loaded = fields.loaded === null ? null : parseLoadedModel(fields.loaded);
  if (fields.loaded !== null && !loaded) return null;
  return { loaded, loading: fields.loading, cross_origin_isolated: fields.cross_origin_isolated, storage: fields.storage };
}

/** Widget → host by window.postMessage. */
export function parseWelcome(data: unknown): WidgetWelcome | null {
  const fields = record(data);
  if (!fields || fields.protocol !== WIDGET_PROTOCOL || fields.kind !== 'welcome' || !isNonce(fields.nonce)) return null;
  const status = parseStatus(fields.status);
  return status && { protocol: WIDGET_PROTOCOL, kind: 'welcome', nonce: fields.nonce, status };
}

function parseProgress(value: unknown): LoadProgress | null {
  const fields = record(value);
  if (!fields || !['convert', 'download', 'prepare', 'ready'].includes(fields.stage as string)) return null;
  const numbers = [fields.loaded_bytes, fields.total_bytes, fields.percent];
  if (!numbers.every((number) => typeof number === 'number' && number >= 0)) return null;
  if (fields.file !== undefined && typeof fields.file !== 'string') return null;
  if (fields.notice !== undefined && typeof fields.notice !== 'string') return null;
  return fields as unknown as LoadProgress;
}

/** Widget → host on the control port. */
export function parseWidgetEvent(data: unknown): WidgetEvent | null {
  const fields = record(data);
  if (!fields) return null;
  switch (fields.kind) {
    case 'status': {
      const status = parseStatus(fields.status);
      return status && { kind: 'status', status };
    }
    case 'progress': {
      const progress = parseProgress(fields.progress);
      return progress && { kind: 'progress', progress };
    }
    case 'resize':
      return typeof fields.height === 'number' && fields.height >= 0 && fields.height <= 100_000 ? { kind: 'resize', height: fields.height } : null;
    case 'error':
      return isWireError(fields.error) ? { kind: 'error', error: fields.error } : null;
    default:
      return null;
  }
}

/** Why a host's request was refused before it ran: an OpenAI-shaped 400 naming the field. */
export function badWidgetRequest(message: string, param: string | null): ApiError {
  return new ApiError({ message, type: 'invalid_request_error', param, code: 'invalid_widget_request' }, 400);
}

/** Host → widget on the control port: a request, or the error to answer its port with. */
export function parseWidgetRequest(data: unknown): WidgetRequest | ApiError {
  if (typeof data !== 'object' || data === null) return badWidgetRequest('A widget request must be an object.', null);
  const bounded = checkBounds(data);
  if (!bounded.ok) return badWidgetRequest(`The request was refused: it has ${bounded.reason}.`, null);
  const fields = data as Fields;
  if (fields.kind !== 'request') return badWidgetRequest("'kind' must be 'request'.", 'kind');
  const operation = record(fields.operation);
  if (!operation) return badWidgetRequest("'operation' must be an object.", 'operation');
  switch (operation.name) {
    case 'chat.completions.create':
    case 'completions.create':
      return { kind: 'request', operation: { name: operation.name, body: operation.body } };
    case 'models.list':
      return { kind: 'request', operation: { name: 'models.list' } };
    case 'models.retrieve':
      if (typeof operation.id !== 'string' || operation.id.length > MAX_MODEL_ID) {
        return badWidgetRequest("'operation.id' must be a model id.", 'operation.id');
      }
      return { kind: 'request', operation: { name: 'models.retrieve', id: operation.id } };
    case 'load':
      if (operation.model !== null && (typeof operation.model !== 'string' || operation.model.length > MAX_MODEL_ID)) {
        return badWidgetRequest("'operation.model' must be a model id or null.", 'operation.model');
      }
      return { kind: 'request', operation: { name: 'load', model: operation.model, options: operation.options ?? {} } };
    default:
      return badWidgetRequest(`'operation.name' is not an operation the widget runs.`, 'operation.name');
  }
}

/** Host → widget on a request's port. */
export function isWidgetAbort(data: unknown): data is WidgetAbort {
  return record(data)?.kind === 'abort';
}

/** Widget → host on a request's port. */
export function parseWidgetReply(data: unknown): WidgetReply | null {
  const fields = record(data);
  if (!fields) return null;
  switch (fields.kind) {
    case 'accepted':
    case 'working':
    case 'end':
      return { kind: fields.kind };
    case 'progress': {
      const progress = parseProgress(fields.progress);
      return progress && { kind: 'progress', progress };
    }
    case 'result': {
      const body = record(fields.body);
      return body && { kind: 'result', body };
    }
    case 'chunk': {
      const chunk = record(fields.chunk);
      return chunk && typeof chunk.object === 'string' ? { kind: 'chunk', chunk } : null;
    }
    case 'error':
      return isWireError(fields.error) ? { kind: 'error', error: fields.error } : null;
    default:
      return null;
  }
}

/** The widget did not answer in time, or went away. */
export function widgetUnavailable(message: string): ApiError {
  return new ApiError({ message, type: 'server_error', param: null, code: 'widget_unavailable' }, 503);
}
