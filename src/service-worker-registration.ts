/**
 * Registers the app's service worker (workers/service-worker.ts, built to
 * `/service-worker.js`): it serves the HTTP API and the precached app shell.
 * Resolves with the registration, or null where there are no service workers
 * or registering failed.
 */
export async function registerServiceWorker(): Promise<ServiceWorkerRegistration | null> {
  if (!('serviceWorker' in navigator)) return null;
  const base = import.meta.env.BASE_URL;
  try {
    return await navigator.serviceWorker.register(`${base}service-worker.js`, { scope: base });
  } catch (error) {
    console.warn('The service worker did not register, so the HTTP API (/v1) and offline use are off.', error);
    return null;
  }
}
