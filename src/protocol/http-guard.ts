/**
 * Who may call the HTTP API (`/v1`, `/health`): only the app's own pages. Any
 * other site could otherwise make the engine generate on the user's machine, by
 * a form posted into a new tab or a hidden iframe, or by `window.open`, since
 * the service worker answers every request in its scope. It cannot read the
 * answer, but it can burn the user's compute and fill the queue.
 */
import { clip, forbidden, unsupportedMediaType, type ApiError } from './errors.ts';

/** What the service worker knows of a request when it decides whether to answer it. */
export interface RequestFacts {
  method: string;
  /** `Request.mode`: 'navigate' for a link, a form, an iframe or `window.open`. */
  mode: string;
  headers: { get(name: string): string | null };
  /** The origin of the page or worker that sent the request, when the service worker knows that client. */
  clientOrigin: string | null;
}

const NAVIGATION_REFUSED =
  "The DeepSeek Coder HTTP API does not answer navigations (a link, a form, an iframe or window.open), so that no other site can make the engine run. Call it with fetch() from the app's own pages.";

/**
 * Why the API refuses this request (a 403, or a 415 for a body that is not
 * JSON), or null when it may answer. Fetch Metadata first: `Sec-Fetch-Mode` and
 * `Sec-Fetch-Site` when present must say a same-origin request that is not a
 * navigation. Then every origin the request carries (its `Origin` header, the
 * client that sent it) must be the app's own, and at least one must be known.
 */
export function requestRefusal(facts: RequestFacts, appOrigin: string): ApiError | null {
  const fetchMode = facts.headers.get('sec-fetch-mode');
  if (facts.mode === 'navigate' || fetchMode === 'navigate') return forbidden(NAVIGATION_REFUSED, 'navigation_refused');

  const site = facts.headers.get('sec-fetch-site');
  const origins = [facts.headers.get('origin'), facts.clientOrigin].filter((origin) => origin !== null);
  const foreign = origins.find((origin) => origin !== appOrigin);
  if ((site !== null && site !== 'same-origin') || foreign !== undefined || (site === null && origins.length === 0)) {
    const from = foreign !== undefined ? `'${clip(foreign)}'` : site !== null && site !== 'same-origin' ? `a ${site} page` : 'an unknown origin';
    return forbidden(
      `The DeepSeek Coder HTTP API answers only the app's own pages (${appOrigin}); this request came from ${from}.`,
      'cross_origin_refused',
    );
  }

  if (facts.method === 'POST') {
    const contentType = facts.headers.get('content-type');
    const mediaType = contentType?.split(';')[0].trim().toLowerCase() ?? '';
    if (mediaType !== 'application/json') {
      return unsupportedMediaType(
        `Send the body as JSON with 'Content-Type: application/json'; this request's Content-Type is ${contentType ? `'${clip(contentType)}'` : 'missing'}.`,
      );
    }
  }
  return null;
}
