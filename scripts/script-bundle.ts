import type { ServerResponse } from 'node:http';
import { build, type Plugin } from 'vite';

export interface ScriptBundle {
  /** The source entry, relative to the project root. */
  entry: string;
  /** Where it is served and written, at the root of the app. */
  fileName: string;
  /** 'iife' for a classic script (a service worker any browser runs), 'es' for a module others import. */
  format: 'iife' | 'es';
  /** Also written into every build's output; false when another plugin builds it there. */
  emitInBuild: boolean;
  /** Extra compile-time constants for this file alone. */
  define?: Record<string, string>;
}

/**
 * One self-contained file. `configFile: false` keeps the app's own config (and
 * these plugins) out of the nested build; the app's `define`s come along.
 */
async function bundle(bundleSpec: ScriptBundle, root: string, mode: string, minify: boolean, define: Record<string, unknown>): Promise<string> {
  const result = await build({
    configFile: false,
    root,
    mode,
    logLevel: 'warn',
    publicDir: false,
    define: { ...define, ...bundleSpec.define },
    build: {
      write: false,
      minify,
      target: 'es2022',
      rolldownOptions: {
        input: bundleSpec.entry,
        // Vite drops an app entry's exports; a module others import needs them.
        preserveEntrySignatures: 'strict',
        output: { format: bundleSpec.format, entryFileNames: bundleSpec.fileName },
      },
    },
  });
  const outputs = Array.isArray(result) ? result : [result];
  for (const output of outputs) {
    if (!('output' in output)) continue;
    const chunk = output.output.find((file) => file.type === 'chunk' && file.fileName === bundleSpec.fileName);
    if (chunk?.type === 'chunk') return chunk.code;
  }
  throw new Error(`Building ${bundleSpec.entry} produced no ${bundleSpec.fileName}.`);
}

/**
 * Builds `spec.entry` to `/{spec.fileName}` as one file: in the dev server on
 * request (rebuilt after any source change), and into the build's output when
 * `emitInBuild`.
 */
export function scriptBundle(spec: ScriptBundle): Plugin {
  let root = process.cwd();
  let mode = 'production';
  let minify = true;
  let define: Record<string, unknown> = {};
  return {
    name: `script-bundle:${spec.fileName}`,
    configResolved(config) {
      root = config.root;
      mode = config.mode;
      minify = config.build.minify !== false;
      define = config.define ?? {};
    },
    configureServer(server) {
      let bundled: Promise<string> | null = null;
      server.watcher.on('change', () => (bundled = null));
      server.middlewares.use((request, response: ServerResponse, next) => {
        if (new URL(request.url ?? '/', 'http://localhost').pathname !== `${server.config.base}${spec.fileName}`) return next();
        bundled ??= bundle(spec, root, mode, false, define);
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
      if (!spec.emitInBuild) return;
      this.emitFile({ type: 'asset', fileName: spec.fileName, source: await bundle(spec, root, mode, minify, define) });
    },
  };
}
