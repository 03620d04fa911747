import type { ApiErrorBody } from './types.ts';

/**
 * The one error type every API surface throws. `error` is exactly OpenAI's error
 * object, so `err.error.param` names what was wrong; `status` is the HTTP status
 * an HTTP transport answers with.
 */
export class ApiError extends Error {
  readonly error: ApiErrorBody;
  readonly status: number;

  constructor(body: ApiErrorBody, status: number) {
    super(body.message);
    this.name = 'ApiError';
    this.error = body;
    this.status = status;
  }

  toJSON(): { error: ApiErrorBody } {
    return { error: this.error };
  }
}

/** Longest piece of a caller's value an error message repeats: a 100,000-character id is echoed as its start. */
const ECHO_LIMIT = 64;

/** `text` as an error message may repeat it: whole when short, else its start and an ellipsis. */
export function clip(text: string, limit = ECHO_LIMIT): string {
  if (text.length <= limit) return text;
  // Never end on half a surrogate pair.
  const end = /[\uD800-\uDBFF]/.test(text[limit - 1]) ? limit - 1 : limit;
  return `${text.slice(0, end)}…`;
}

export function invalidRequest(message: string, param: string | null, code: string | null = 'invalid_value'): ApiError {
  return new ApiError({ message, type: 'invalid_request_error', param, code }, 400);
}

export function modelNotFound(model: string, detail: string): ApiError {
  return new ApiError(
    { message: `The model '${clip(model)}' ${detail}`, type: 'invalid_request_error', param: 'model', code: 'model_not_found' },
    404,
  );
}

export function cancelled(): ApiError {
  return new ApiError({ message: 'The request was aborted.', type: 'cancelled', param: null, code: 'aborted' }, 499);
}

/**
 * The HTTP API refuses a request that did not come from the app's own pages:
 * another site, a navigation (a link, a form, window.open), or an unknown origin.
 */
export function forbidden(message: string, code: string): ApiError {
  return new ApiError({ message, type: 'invalid_request_error', param: null, code }, 403);
}

export function unsupportedMediaType(message: string): ApiError {
  return new ApiError({ message, type: 'invalid_request_error', param: null, code: 'unsupported_media_type' }, 415);
}

export function payloadTooLarge(message: string): ApiError {
  return new ApiError({ message, type: 'invalid_request_error', param: null, code: 'request_too_large' }, 413);
}

export function serverError(message: string, code: string | null = null): ApiError {
  return new ApiError({ message, type: 'server_error', param: null, code }, 500);
}

/** Turns anything thrown into an ApiError, keeping one that already is. */
export function toApiError(thrown: unknown): ApiError {
  if (thrown instanceof ApiError) return thrown;
  if (isWireError(thrown)) return new ApiError(thrown.error, thrown.status);
  if (thrown instanceof DOMException && thrown.name === 'AbortError') return cancelled();
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return serverError(message);
}

/** The form an ApiError takes across postMessage, where class identity is lost. */
export interface WireError {
  error: ApiErrorBody;
  status: number;
}

export function toWire(error: ApiError): WireError {
  return { error: error.error, status: error.status };
}

export function isWireError(value: unknown): value is WireError {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<WireError>;
  return typeof candidate.status === 'number' && typeof candidate.error?.message === 'string';
}
