/**
 * Serves the generated tiny models the way huggingface.co serves a repository:
 *
 *   GET {mountPath}{owner}/{name}/resolve/{revision}/{file}      the file, with Range support
 *   GET {mountPath}api/models/{owner}/{name}/tree/{revision}[/{path}][?recursive=true]
 *                                                                the hub API's file listing
 *
 * The engine loads them through the same hub code path as real models, with no network.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, readdirSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, dirname, join, normalize, relative, sep } from 'node:path';
import { hubDir } from './generate-fixtures.ts';

export const MIRROR_MOUNT = '/hf-mirror/';

const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'content-range, accept-ranges, etag, link',
  'cross-origin-resource-policy': 'cross-origin',
};

/** Files the hub keeps in LFS (or Xet): its listing reports them with an `lfs` record. */
const LFS_FILE = /\.(onnx|onnx_data(_\d+)?|gguf)$/;

/** A path under the mirror, or null when it would leave it. */
function insideHub(...parts: string[]): string | null {
  const path = normalize(join(hubDir, ...parts));
  return path === hubDir || path.startsWith(hubDir + sep) ? path : null;
}

/** The file a hub URL path names, or null when it is outside the mirror or missing. */
export function resolveMirrorFile(pathname: string): string | null {
  if (!pathname.startsWith(MIRROR_MOUNT)) return null;
  const match = /^([^/]+)\/([^/]+)\/resolve\/[^/]+\/(.+)$/.exec(decodeURIComponent(pathname.slice(MIRROR_MOUNT.length)));
  if (!match) return null;
  const [, owner, name, file] = match;
  const path = insideHub(owner, name, file);
  if (!path || !existsSync(path) || !statSync(path).isFile()) return null;
  return path;
}

interface TreeEntry {
  type: 'file' | 'directory';
  oid: string;
  size: number;
  path: string;
  lfs?: { oid: string; size: number; pointerSize: number };
}

interface Digests {
  size: number;
  mtimeMs: number;
  gitBlob: string;
  sha256: string;
}

const digests = new Map<string, Promise<Digests>>();

/** Where a file's digests are kept between server runs: hashing the full-size model's 4 GB takes half a minute. */
const digestRecordPath = (path: string): string => join(dirname(path), `.${basename(path)}.digests.json`);

function recordedDigests(path: string, stats: Stats): Digests | null {
  try {
    const record = JSON.parse(readFileSync(digestRecordPath(path), 'utf8')) as Digests;
    return record.size === stats.size && record.mtimeMs === stats.mtimeMs ? record : null;
  } catch {
    return null;
  }
}

/**
 * The ids the hub lists: the git blob SHA-1 and, for LFS files, the content's
 * SHA-256. Read as a stream, so that the server answers other requests (the
 * model's files themselves) while a large file is hashed, as the hub, which
 * has them precomputed, would.
 */
function digestsOf(path: string, stats: Stats): Promise<Digests> {
  // Keyed by the file's version: a file rewritten since is hashed again.
  const key = `${path}:${stats.size}:${stats.mtimeMs}`;
  let computing = digests.get(key);
  if (computing) return computing;
  const recorded = recordedDigests(path, stats);
  computing = recorded
    ? Promise.resolve(recorded)
    : new Promise<Digests>((resolve, reject) => {
        const gitBlob = createHash('sha1').update(`blob ${stats.size}\0`);
        const sha256 = createHash('sha256');
        createReadStream(path)
          .on('data', (chunk) => {
            gitBlob.update(chunk);
            sha256.update(chunk);
          })
          .on('error', reject)
          .on('end', () => {
            const fresh = { size: stats.size, mtimeMs: stats.mtimeMs, gitBlob: gitBlob.digest('hex'), sha256: sha256.digest('hex') };
            try {
              writeFileSync(digestRecordPath(path), JSON.stringify(fresh));
            } catch {
              // A read-only mirror hashes again next run.
            }
            resolve(fresh);
          });
      });
  digests.set(key, computing);
  computing.catch(() => digests.delete(key));
  return computing;
}

async function listTree(repoDir: string, dir: string, recursive: boolean): Promise<TreeEntry[]> {
  const entries: TreeEntry[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    const stats = statSync(path);
    const repoPath = relative(repoDir, path).split(sep).join('/');
    if (stats.isDirectory()) {
      entries.push({ type: 'directory', oid: createHash('sha1').update(repoPath).digest('hex'), size: 0, path: repoPath });
      if (recursive) entries.push(...(await listTree(repoDir, path, true)));
      continue;
    }
    const { gitBlob, sha256 } = await digestsOf(path, stats);
    entries.push({
      type: 'file',
      oid: gitBlob,
      size: stats.size,
      path: repoPath,
      ...(LFS_FILE.test(name) && { lfs: { oid: sha256, size: stats.size, pointerSize: 134 } }),
    });
  }
  return entries;
}

function send(response: ServerResponse, status: number, headers: OutgoingHttpHeaders, body: string): void {
  response.writeHead(status, { ...CORS_HEADERS, ...headers });
  response.end(body);
}

function serveTree(apiPath: string, search: URLSearchParams, response: ServerResponse): void {
  const match = /^models\/([^/]+)\/([^/]+)\/tree\/[^/]+(?:\/(.*))?$/.exec(apiPath);
  const repoDir = match && insideHub(match[1], match[2]);
  if (!match || !repoDir || !existsSync(repoDir)) {
    send(response, 404, { 'content-type': 'application/json' }, JSON.stringify({ error: 'Repository not found' }));
    return;
  }
  const dir = insideHub(match[1], match[2], match[3] ?? '');
  if (!dir || !existsSync(dir) || !statSync(dir).isDirectory()) {
    send(response, 404, { 'content-type': 'application/json' }, JSON.stringify({ error: 'Entry not found' }));
    return;
  }
  listTree(repoDir, dir, search.get('recursive') === 'true').then(
    (tree) => send(response, 200, { 'content-type': 'application/json', 'cache-control': 'no-cache' }, JSON.stringify(tree)),
    (error: unknown) => send(response, 500, { 'content-type': 'application/json' }, JSON.stringify({ error: String(error) })),
  );
}

/** `bytes=start-` or `bytes=start-end`, clamped to the file; null when absent or unsatisfiable. */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'invalid' | null {
  if (!header) return null;
  const match = /^bytes=(\d+)-(\d*)$/.exec(header.trim());
  if (!match) return 'invalid';
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  return start < size && start <= end ? { start, end } : 'invalid';
}

function serveFile(file: string, request: IncomingMessage, response: ServerResponse): void {
  const stats = statSync(file);
  const headers: OutgoingHttpHeaders = {
    ...CORS_HEADERS,
    'content-type': file.endsWith('.json') ? 'application/json' : 'application/octet-stream',
    'accept-ranges': 'bytes',
    etag: `"${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`,
    'cache-control': 'no-cache',
  };
  const range = parseRange(request.headers.range, stats.size);
  if (range === 'invalid') {
    response.writeHead(416, { ...headers, 'content-range': `bytes */${stats.size}` });
    response.end();
    return;
  }
  const { start, end } = range ?? { start: 0, end: stats.size - 1 };
  response.writeHead(range ? 206 : 200, {
    ...headers,
    'content-length': String(end - start + 1),
    ...(range && { 'content-range': `bytes ${start}-${end}/${stats.size}` }),
  });
  if (request.method === 'HEAD') response.end();
  else createReadStream(file, { start, end }).pipe(response);
}

/** Connect-style middleware for Vite's dev and preview servers; returns false when not a mirror path. */
export function serveMirror(request: IncomingMessage, response: ServerResponse): boolean {
  const url = new URL(request.url ?? '/', 'http://localhost');
  if (!url.pathname.startsWith(MIRROR_MOUNT)) return false;
  const apiPath = url.pathname.slice(MIRROR_MOUNT.length);
  if (apiPath.startsWith('api/')) {
    serveTree(decodeURIComponent(apiPath.slice('api/'.length)), url.searchParams, response);
    return true;
  }
  const file = resolveMirrorFile(url.pathname);
  if (!file) send(response, 404, { 'content-type': 'text/plain' }, 'Entry not found');
  else serveFile(file, request, response);
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
