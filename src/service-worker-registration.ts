/**
 * Registers the app's service worker (workers/service-worker.ts, built to
 * `/sw.js`): it serves the HTTP API, and will carry offline caching.
 */
export function registerServiceWorker(): boolean {
  if (!('serviceWorker' in navigator)) return false;
  const base = import.meta.env.BASE_URL;
  navigator.serviceWorker
    .register(`${base}sw.js`, { scope: base })
    .catch((error: unknown) => console.warn('The service worker did not register, so the HTTP API (/v1) is off.', error));
  return true;
}
