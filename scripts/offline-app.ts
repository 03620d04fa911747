import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { PluginOption } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

/** What vite-plugin-pwa names the built workers/service-worker.ts; src/pwa/registration.ts registers it. */
export const SERVICE_WORKER_FILE = 'service-worker.js';

interface LargeFile {
  /** Its URL in the app, relative to the root. */
  url: string;
  /** Where it is on disk, to hash it for its revision. */
  path: string;
}

/**
 * The installable, offline app: the web app manifest, and the precache list
 * injected into the one service worker (workers/service-worker.ts), which
 * vite-plugin-pwa builds with the `injectManifest` strategy.
 *
 * The list holds the app shell (HTML, JS, CSS, fonts, icons) under Workbox's
 * default 2 MiB limit per file, and the build fails if a shell file grows past
 * it. ONNX Runtime's WASM (about 26 MB) is added on its own, the one file let
 * past that limit. Model weights are never listed: they are not in the build,
 * and the engine keeps them in its own cache.
 */
export function offlineApp({ largeFiles }: { largeFiles: LargeFile[] }): PluginOption {
  return VitePWA({
    strategies: 'injectManifest',
    srcDir: 'workers',
    filename: 'service-worker.ts',
    // src/pwa/registration.ts registers it, and owns the update prompt.
    injectRegister: false,
    includeManifestIcons: false,
    manifest: {
      id: '/',
      name: 'DeepSeek Coder Web',
      short_name: 'DeepSeek Coder',
      description: 'DeepSeek Coder running entirely in your browser: no server, no API key, and offline once a model is downloaded.',
      start_url: '/',
      scope: '/',
      display: 'standalone',
      // The light theme's; index.html's theme-color meta tags follow the dark theme too.
      theme_color: '#f5f6fa',
      background_color: '#f5f6fa',
      icons: [
        { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
        { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
        { src: 'icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
      ],
    },
    injectManifest: {
      // A classic script, as every browser with service workers runs it.
      rollupFormat: 'iife',
      globPatterns: ['**/*.{html,js,mjs,css,woff2,svg,png}'],
      // Test pages of `--mode test` builds, the host SDK (other sites fetch it, the app never does), the host's
      // not-found page (the app never shows it) and the ORT files, listed below.
      globIgnores: ['e2e/**', 'deepseek-widget.js', '404.html', 'ort/**', '**/*.onnx*'],
      additionalManifestEntries: largeFiles.map(({ url, path }) => ({
        url,
        revision: createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16),
      })),
    },
    devOptions: { enabled: false },
  });
}
