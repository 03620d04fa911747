/**
 * Serves the generated tiny models the way huggingface.co serves a repository:
 * GET {mountPath}{owner}/{name}/resolve/{revision}/{file}. The engine loads them
 * through the same hub code path as real models, with no network.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize, sep } from 'node:path';
import { hubDir } from './generate-fixtures.ts';

export const MIRROR_MOUNT = '/hf-mirror/';

/** The file a hub URL path names, or null when it is outside the mirror or missing. */
export function resolveMirrorFile(pathname: string): string | null {
  if (!pathname.startsWith(MIRROR_MOUNT)) return null;
  const match = /^([^/]+)\/([^/]+)\/resolve\/[^/]+\/(.+)$/.exec(decodeURIComponent(pathname.slice(MIRROR_MOUNT.length)));
  if (!match) return null;
  const [, owner, name, file] = match;
  const path = normalize(join(hubDir, owner, name, file));
  if (!path.startsWith(hubDir + sep) || !existsSync(path) || !statSync(path).isFile()) return null;
  return path;
}

/** Connect-style middleware for Vite's dev and preview servers; returns false when not a mirror path. */
export function serveMirror(request: IncomingMessage, response: ServerResponse): boolean {
  const pathname = new URL(request.url ?? '/', 'http://localhost').pathname;
  if (!pathname.startsWith(MIRROR_MOUNT)) return false;
  const file = resolveMirrorFile(pathname);
  if (!file) {
    response.writeHead(404, { 'content-type': 'text/plain', 'access-control-allow-origin': '*' });
    response.end('Entry not found');
    return true;
  }
  response.writeHead(200, {
    'content-type': file.endsWith('.json') ? 'application/json' : 'application/octet-stream',
    'content-length': String(statSync(file).size),
    'access-control-allow-origin': '*',
    'cross-origin-resource-policy': 'cross-origin',
    'cache-control': 'no-cache',
  });
  if (request.method === 'HEAD') response.end();
  else createReadStream(file).pipe(response);
  return true;
}

/** A standalone mirror on 127.0.0.1 for Node tests; resolves with its base URL. */
export async function startMirrorServer(): Promise<{ host: string; close: () => Promise<void> }> {
  const server = createServer((request, response) => {
    if (!serveMirror(request, response)) {
      response.writeHead(404);
      response.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `http://127.0.0.1:${port}${MIRROR_MOUNT}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
