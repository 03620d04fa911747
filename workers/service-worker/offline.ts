/**
 * The offline half of the service worker: Workbox precaches the app shell,
 * fonts and ONNX Runtime's WASM files that the build lists at Workbox's
 * injection point (see vite.config.ts), and answers them from the cache.
 * Model weights are never in that list: they live in the model cache the
 * engine manages, which no update touches.
 */
import { cleanupOutdatedCaches, precacheAndRoute, type PrecacheEntry } from 'workbox-precaching';

/** Where the build writes the list: Workbox finds the injection point by its exact text, once in the file. */
interface InjectionPoint {
  /** Replaced at build time by vite-plugin-pwa (injectManifest) with the precache list; `[]` in the dev server. */
  __WB_MANIFEST: Array<PrecacheEntry | string>;
}

export function servePrecachedShell(): void {
  // Only Workbox's own earlier precache formats: the model cache is not Workbox's and stays.
  cleanupOutdatedCaches();
  // `/` is answered with the precached index.html, so the app starts offline.
  precacheAndRoute((self as unknown as InjectionPoint).__WB_MANIFEST, { directoryIndex: 'index.html', ignoreURLParametersMatching: [/.*/] });
}
