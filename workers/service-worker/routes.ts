/**
 * Which HTTP requests the service worker answers, and as what. Everything
 * outside `/v1` and `/health` is not ours and goes to the network untouched.
 */
import { ApiError, invalidRequest } from '../../src/protocol/index.ts';

export type Route =
  | { kind: 'health' }
  | { kind: 'chat.completions.create' }
  | { kind: 'completions.create' }
  | { kind: 'models.list' }
  | { kind: 'models.retrieve'; id: string }
  | { kind: 'error'; error: ApiError; allow?: string };

type Method = 'GET' | 'POST';

const MODELS_PREFIX = '/v1/models/';

function unknownUrl(method: string, path: string): Route {
  return {
    kind: 'error',
    error: new ApiError({ message: `Invalid URL (${method} ${path})`, type: 'invalid_request_error', param: null, code: 'unknown_url' }, 404),
  };
}

function methodNotAllowed(method: string, path: string, allowed: Method): Route {
  return {
    kind: 'error',
    error: new ApiError(
      {
        message: `${method} is not allowed on ${path}; use ${allowed}.`,
        type: 'invalid_request_error',
        param: null,
        code: 'method_not_allowed',
      },
      405,
    ),
    allow: allowed,
  };
}

function only(method: string, path: string, allowed: Method, route: Route): Route {
  return method === allowed ? route : methodNotAllowed(method, path, allowed);
}

/** The model id in `/v1/models/{id}`: ids hold a slash, sent raw or as `%2F`. */
function modelId(method: string, path: string): Route {
  const encoded = path.slice(MODELS_PREFIX.length);
  let id: string;
  try {
    id = decodeURIComponent(encoded);
  } catch {
    return { kind: 'error', error: invalidRequest(`The model id in ${path} is not valid percent-encoding.`, 'model') };
  }
  return only(method, path, 'GET', { kind: 'models.retrieve', id });
}

/**
 * Routes a request by method and by its path relative to the service worker's
 * scope (`/v1/models`, not `/app/v1/models`). Null means not ours.
 */
export function route(method: string, path: string): Route | null {
  if (path === '/health') return only(method, path, 'GET', { kind: 'health' });
  if (path !== '/v1' && !path.startsWith('/v1/')) return null;
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  switch (trimmed) {
    case '/v1/chat/completions':
      return only(method, trimmed, 'POST', { kind: 'chat.completions.create' });
    case '/v1/completions':
      return only(method, trimmed, 'POST', { kind: 'completions.create' });
    case '/v1/models':
      return only(method, trimmed, 'GET', { kind: 'models.list' });
  }
  if (trimmed.startsWith(MODELS_PREFIX)) return modelId(method, trimmed);
  return unknownUrl(method, path);
}

/** A request's path relative to the scope, with a leading slash; null when outside it. */
export function pathInScope(url: string, scope: string): string | null {
  const { origin, pathname } = new URL(url);
  const base = new URL(scope);
  if (origin !== base.origin || !pathname.startsWith(base.pathname)) return null;
  return `/${pathname.slice(base.pathname.length)}`;
}
