import type { ServerResponse } from 'node:http';
import { build, type Plugin } from 'vite';

const ENTRY = 'workers/service-worker.ts';
/** At the root of the app, so that its scope covers the whole app. */
const FILE_NAME = 'sw.js';

/**
 * One self-contained classic script: every browser that has service workers
 * runs it, module service workers or not. `configFile: false` keeps the app's
 * own config (and this plugin) out of the nested build.
 */
async function bundleServiceWorker(root: string, mode: string, minify: boolean): Promise<string> {
  const result = await build({
    configFile: false,
    root,
    mode,
    logLevel: 'warn',
    publicDir: false,
    build: {
      write: false,
      minify,
      target: 'es2022',
      rolldownOptions: { input: ENTRY, output: { format: 'iife', entryFileNames: FILE_NAME } },
    },
  });
  const outputs = Array.isArray(result) ? result : [result];
  for (const output of outputs) {
    if (!('output' in output)) continue;
    const chunk = output.output.find((file) => file.type === 'chunk' && file.fileName === FILE_NAME);
    if (chunk?.type === 'chunk') return chunk.code;
  }
  throw new Error(`Building ${ENTRY} produced no ${FILE_NAME}.`);
}

/**
 * Builds workers/service-worker.ts to `/sw.js`: in the dev server on request
 * (rebuilt after any source change), and into every build's output.
 */
export function serviceWorker(): Plugin {
  let root = process.cwd();
  let mode = 'production';
  let minify = true;
  return {
    name: 'service-worker',
    configResolved(config) {
      root = config.root;
      mode = config.mode;
      minify = config.build.minify !== false;
    },
    configureServer(server) {
      let bundled: Promise<string> | null = null;
      server.watcher.on('change', () => (bundled = null));
      server.middlewares.use((request, response: ServerResponse, next) => {
        if (new URL(request.url ?? '/', 'http://localhost').pathname !== `${server.config.base}${FILE_NAME}`) return next();
        bundled ??= bundleServiceWorker(root, mode, false);
        bundled.then(
          (code) => {
            response.setHeader('Content-Type', 'text/javascript');
            response.setHeader('Cache-Control', 'no-cache');
            response.end(code);
          },
          (error: unknown) => {
            bundled = null;
            next(error);
          },
        );
      });
    },
    async generateBundle() {
      this.emitFile({ type: 'asset', fileName: FILE_NAME, source: await bundleServiceWorker(root, mode, minify) });
    },
  };
}
