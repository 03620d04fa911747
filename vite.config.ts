import { copyFileSync, createReadStream, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { serveMirror } from './scripts/hub-mirror.ts';
import { headersFile, headersFor, NOT_FOUND_FILE, notFoundPage } from './scripts/security-headers.ts';
import { runtimeChains } from './scripts/runtime-chains-plugin.ts';
import { scriptBundle } from './scripts/script-bundle.ts';
import { widgetHostOrigins } from './scripts/embed-framing.ts';
import { offlineApp, SERVICE_WORKER_FILE } from './scripts/offline-app.ts';

/** The ORT build transformers.js runs on WebGPU and WASM (its default when no JSPI). */
const ORT_FILES = ['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'];
/** Pinned to the exact version transformers.js imports, so npm keeps one copy and these files match its JS. */
const ortDist = 'node_modules/onnxruntime-web/dist';

type Next = () => void;

/** Pages only test builds contain. */
const TEST_PAGES = ['e2e/pages/openai-sdk.html', 'e2e/pages/bench-transformers.html', 'e2e/pages/bench-wllama.html'];

/** Serves ONNX Runtime's WASM files from the app's own origin in dev, and copies them into the build. */
function onnxRuntimeFiles(): Plugin {
  let outDir = 'dist';
  const middleware = (request: IncomingMessage, response: ServerResponse, next: Next) => {
    const name = new URL(request.url ?? '/', 'http://localhost').pathname.split('/ort/')[1];
    if (!name || !ORT_FILES.includes(name)) return next();
    response.setHeader('Content-Type', name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
    createReadStream(join(ortDist, name)).pipe(response);
  };
  return {
    name: 'onnxruntime-files',
    configResolved(config) {
      outDir = config.build.outDir;
    },
    configureServer(server) {
      server.middlewares.use(middleware);
    },
    writeBundle() {
      mkdirSync(join(outDir, 'ort'), { recursive: true });
      for (const name of ORT_FILES) copyFileSync(join(ortDist, name), join(outDir, 'ort', name));
    },
  };
}

/**
 * Sends each response's headers (cross-origin isolation, framing) from
 * headersFor in the dev and preview servers, and writes them as `_headers` into
 * the build for hosts that read that file, with the `404.html` those hosts
 * serve for paths the build has no file for.
 */
function securityHeaders(widgetHostOrigins: readonly string[]): Plugin {
  let base = '/';
  const middleware = (request: IncomingMessage, response: ServerResponse, next: Next) => {
    const { pathname } = new URL(request.url ?? '/', 'http://localhost');
    const path = pathname.startsWith(base) ? `/${pathname.slice(base.length)}` : pathname;
    for (const [name, value] of Object.entries(headersFor(path, widgetHostOrigins))) response.setHeader(name, value);
    next();
  };
  return {
    name: 'security-headers',
    configResolved(config) {
      base = config.base;
    },
    configureServer(server) {
      server.middlewares.use(middleware);
    },
    configurePreviewServer(server) {
      server.middlewares.use(middleware);
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: '_headers', source: headersFile(base, widgetHostOrigins) });
      this.emitFile({ type: 'asset', fileName: NOT_FOUND_FILE, source: notFoundPage(base) });
    },
  };
}

/** Serves the generated tiny models in hub layout; dev and preview only, never copied into a build. */
function tinyModelMirror(): Plugin {
  const middleware = (request: IncomingMessage, response: ServerResponse, next: Next) => {
    if (!serveMirror(request, response)) next();
  };
  return {
    name: 'tiny-model-mirror',
    configureServer(server) {
      if (!existsSync('fixtures/hub/.stamp')) server.config.logger.warn('Tiny test models are missing: run `npm run fixtures`.');
      server.middlewares.use(middleware);
    },
    configurePreviewServer(server) {
      server.middlewares.use(middleware);
    },
  };
}

/**
 * The host origins allowed to drive the embeddable widget (embed.html): a
 * comma-separated list in DEEPSEEK_WIDGET_ORIGINS at build time, e.g.
 * `DEEPSEEK_WIDGET_ORIGINS=https://blog.example,https://docs.example npm run build`.
 * Empty means no other site may frame or drive it.
 */
const hostOrigins = widgetHostOrigins(process.env.DEEPSEEK_WIDGET_ORIGINS);

export default defineConfig(({ command, mode }) => ({
  plugins: [
    securityHeaders(hostOrigins),
    svelte(),
    onnxRuntimeFiles(),
    tinyModelMirror(),
    // The service worker in the dev server; builds get it from offlineApp, with the precache list injected.
    scriptBundle({
      entry: 'workers/service-worker.ts',
      fileName: SERVICE_WORKER_FILE,
      format: 'iife',
      emitInBuild: false,
      define: { 'self.__WB_MANIFEST': '[]' },
    }),
    // The host SDK: one ES module other sites import (its CORS headers come from security-headers.ts).
    scriptBundle({
      entry: 'src/widget-sdk/index.ts',
      fileName: 'deepseek-widget.js',
      format: 'es',
      emitInBuild: true,
    }),
    offlineApp({ largeFiles: ORT_FILES.map((name) => ({ url: `ort/${name}`, path: join(ortDist, name) })) }),
    runtimeChains(),
  ],
  define: {
    __DEV_MODELS__: JSON.stringify(command === 'serve' || mode === 'test'),
    __WIDGET_HOST_ORIGINS__: JSON.stringify(hostOrigins),
  },
  // No CORS: Vite's default lets any localhost page read the servers' answers (/health, /v1/models among them).
  server: { cors: false },
  preview: { cors: false },
  // The engine's worker bundle gets only these plugins, not the app's.
  worker: { format: 'es', plugins: () => [runtimeChains()] },
  optimizeDeps: {
    exclude: ['@huggingface/transformers', 'onnxruntime-web'],
    // The scan starts at index.html and does not follow the worker's imports: xgrammar (loaded on first use), and the
    // GGUF reader and protobuf encoder of the graph builder. Found late, they would be bundled on the first visit and
    // the page reloaded ("optimized dependencies changed"), so they are named here.
    include: ['@mlc-ai/web-xgrammar', '@huggingface/gguf', 'onnx-proto'],
  },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 2048,
    // Test builds add the page that drives the HTTP API through the official openai SDK, and the
    // benchmark's pages for bare transformers.js and wllama (scripts/bench-full.ts).
    rolldownOptions: {
      input: mode === 'test' ? ['index.html', 'embed.html', ...TEST_PAGES] : ['index.html', 'embed.html'],
    },
  },
}));
