/**
 * The app's service worker, served at `/sw.js` with the app's scope. It answers
 * the OpenAI-compatible HTTP API (`/v1/*`, `/health`) by forwarding to an open
 * engine page; every other request goes to the network as if it were not here.
 */
import { isBridgeMessage, type HostAnnouncement } from '../src/api/http-bridge-messages.ts';
import { EngineHosts } from './service-worker/engine-hosts.ts';
import { HttpApi } from './service-worker/http-api.ts';
import { pathInScope, route } from './service-worker/routes.ts';

const worker = self as unknown as ServiceWorkerGlobalScope;
const hosts = new EngineHosts(worker.clients);
const api = new HttpApi(hosts, worker.location.origin);

/** The origin of the page or worker that sent a request; null when the service worker does not know it. */
async function originOf(clientId: string): Promise<string | null> {
  const client = clientId ? await worker.clients.get(clientId).catch(() => undefined) : undefined;
  return client ? new URL(client.url).origin : null;
}

// Take over at once, so the first page load can call /v1 without a reload.
worker.addEventListener('install', () => void worker.skipWaiting());
worker.addEventListener('activate', (event) => event.waitUntil(worker.clients.claim()));

worker.addEventListener('fetch', (event) => {
  const path = pathInScope(event.request.url, worker.registration.scope);
  const apiRoute = path === null ? null : route(event.request.method, path);
  // Without respondWith the browser fetches the request itself, headers and all.
  if (!apiRoute) return;
  event.respondWith(
    originOf(event.clientId).then((requesterOrigin) =>
      api.respond(apiRoute, {
        request: event.request,
        requesterId: event.clientId || null,
        requesterOrigin,
        keepAlive: (work) => event.waitUntil(work),
      }),
    ),
  );
});

worker.addEventListener('message', (event) => {
  if (isBridgeMessage(event.data) && event.source instanceof Client) {
    hosts.onAnnouncement(event.source.id, event.data as HostAnnouncement);
  }
});
