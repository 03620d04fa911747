/**
 * The benchmark's browser side: a test build served by Vite's preview server
 * (cross-origin isolated, the mirror on the same origin), Debian's Chromium
 * with the flags of playwright.config.ts, and the renderers' peak memory.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { chromium, type Browser, type BrowserContext, type CDPSession } from 'playwright-core';
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

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

interface ProcessInfo {
  id: number;
  type: string;
}

/** Chromium's renderer processes, from the browser's own process list. */
export async function rendererPids(browser: Browser): Promise<Set<number>> {
  const session: CDPSession = await browser.newBrowserCDPSession();
  try {
    const { processInfo } = (await session.send('SystemInfo.getProcessInfo')) as { processInfo: ProcessInfo[] };
    return new Set(processInfo.filter((info) => info.type === 'renderer').map((info) => info.id));
  } finally {
    await session.detach();
  }
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
 * Watches the renderers a browser context starts (the page and its workers run
 * in them) and keeps the highest peak any of them reached, also of those that
 * have exited by the end: it is sampled while the engine runs.
 */
export class RendererMemory {
  private readonly seen = new Map<number, number>();
  private timer: ReturnType<typeof setInterval> | null = null;

  private constructor(
    private readonly browser: Browser,
    private readonly before: Set<number>,
  ) {}

  static async watch(browser: Browser): Promise<RendererMemory> {
    const memory = new RendererMemory(browser, await rendererPids(browser));
    memory.timer = setInterval(() => void memory.sample(), 500);
    return memory;
  }

  async sample(): Promise<void> {
    for (const pid of await rendererPids(this.browser).catch(() => new Set<number>())) {
      if (this.before.has(pid)) continue;
      this.seen.set(pid, Math.max(this.seen.get(pid) ?? 0, peakResidentBytes(pid)));
    }
  }

  /** The highest peak among the context's renderers, in bytes. */
  async stop(): Promise<number> {
    await this.sample();
    if (this.timer) clearInterval(this.timer);
    return Math.max(0, ...this.seen.values());
  }
}

/** A fresh profile: an empty HTTP cache, Cache Storage and OPFS. */
export function freshContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext();
}
