/**
 * The benchmark's browser side: a test build served by Vite's preview server
 * (cross-origin isolated, the mirror on the same origin), Debian's Chromium
 * with the flags of playwright.config.ts, and the renderers' peak memory.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';

export const BUILD_DIR = 'dist-test-bench';

export const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface BenchServer {
  url: string;
  close: () => Promise<void>;
}

export async function startServer(port: number, skipBuild: boolean): Promise<BenchServer> {
  if (!skipBuild) await build({ mode: 'test', logLevel: 'warn', build: { outDir: BUILD_DIR } });
  const server: PreviewServer = await preview({
    mode: 'test',
    logLevel: 'warn',
    build: { outDir: BUILD_DIR },
    preview: { host: '127.0.0.1', port, strictPort: port !== 0 },
  });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('The preview server did not report its URL.');
  return { url, close: () => new Promise<void>((resolve) => server.httpServer.close(() => resolve())) };
}

/**
 * Confines this process, and so the browser it launches, to the first
 * `cores` CPUs, where the machine has more: the app sizes its WASM thread
 * pool from `navigator.hardwareConcurrency` (which Chromium reads from the
 * CPU affinity), and DevTools' override of it does not reach workers. Every
 * engine then runs `cores` threads on the same `cores` CPUs.
 */
export function confineToCores(cores: number): void {
  if (availableParallelism() <= cores) return;
  execFileSync('taskset', ['--all-tasks', '--cpu-list', '--pid', `0-${cores - 1}`, String(process.pid)]);
}

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/**
 * The renderer processes of the browser that keeps its profile in `profileDir`
 * (the page and its workers run in them), from /proc: each Chromium process
 * carries its profile's `--user-data-dir`. `type: 'gpu-process'` finds its GPU
 * process instead, which holds WebGPU's buffers.
 */
export function rendererPids(profileDir: string, type = 'renderer'): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Chromium's child processes rewrite their command line into one space-separated string.
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split(/[\0 ]/);
      if (args.includes(`--type=${type}`) && args.includes(`--user-data-dir=${profileDir}`)) pids.push(Number(entry));
    } catch {
      // The process exited meanwhile.
    }
  }
  return pids;
}

/** A process's peak resident memory (VmHWM), in bytes; 0 once it has exited. */
export function peakResidentBytes(pid: number): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Watches the renderers (or the GPU process) of one profile's browser and keeps the highest peak
 * any of them reached, also of those that have exited by the end: it is
 * sampled while the engine runs.
 */
export class RendererMemory {
  private readonly seen = new Map<number, number>();
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly profileDir: string,
    private readonly type = 'renderer',
  ) {
    this.timer = setInterval(() => this.sample(), 500);
  }

  sample(): void {
    for (const pid of rendererPids(this.profileDir, this.type)) this.seen.set(pid, Math.max(this.seen.get(pid) ?? 0, peakResidentBytes(pid)));
  }

  /** The highest peak so far among the watched processes, in bytes. */
  peak(): number {
    this.sample();
    return Math.max(0, ...this.seen.values());
  }

  /** The highest peak among the watched processes, in bytes; stops watching. */
  stop(): number {
    clearInterval(this.timer);
    return this.peak();
  }
}

export interface Profile {
  context: BrowserContext;
  dir: string;
  close: () => Promise<void>;
}

/**
 * A fresh profile on disk (an empty HTTP cache, Cache Storage and OPFS), in a
 * browser of its own. On disk, as a person's profile is: an incognito
 * context keeps Cache Storage in memory, where a 1.3 GB file does not fit,
 * so a "warm" load there would download again.
 */
export async function freshProfile(): Promise<Profile> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-profile-'));
  const context = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  return {
    context,
    dir,
    close: async () => {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
