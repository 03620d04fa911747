import { copyFileSync, createReadStream, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { serveMirror } from './scripts/hub-mirror.ts';
import { serviceWorker } from './scripts/service-worker-plugin.ts';

/** Cross-origin isolation: SharedArrayBuffer, hence multi-threaded WASM. The hub sends CORS headers, so it still loads. */
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

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

export default defineConfig(({ command, mode }) => ({
  plugins: [svelte(), onnxRuntimeFiles(), tinyModelMirror(), serviceWorker()],
  define: {
    __DEV_MODELS__: JSON.stringify(command === 'serve' || mode === 'test'),
  },
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
  worker: { format: 'es' },
  optimizeDeps: { exclude: ['@huggingface/transformers', 'onnxruntime-web'] },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 2048,
    // Test builds add the page that drives the HTTP API through the official openai SDK, and the
    // benchmark's pages for bare transformers.js and wllama (scripts/bench-full.ts).
    rolldownOptions: { input: mode === 'test' ? ['index.html', ...TEST_PAGES] : ['index.html'] },
  },
}));
