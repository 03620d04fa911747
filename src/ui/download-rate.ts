/** How far back the download speed looks: long enough to smooth bursts, short enough to follow a changing network. */
const WINDOW_MS = 3000;

/**
 * Download speed over the last few seconds. Bytes served from the browser
 * cache or a resumed prefix arrive in a burst at the start; a sliding window
 * lets the speed settle on what the network gives instead of averaging them in.
 */
export class RateMeter {
  private samples: { at: number; bytes: number }[] = [];

  /** Records that `bytes` have arrived in total by time `at` (milliseconds). */
  add(at: number, bytes: number): void {
    this.samples.push({ at, bytes });
    while (this.samples.length > 2 && this.samples[1].at <= at - WINDOW_MS) this.samples.shift();
  }

  /** Bytes per second across the window; 0 until two samples span some time. */
  get bytesPerSecond(): number {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last.at <= first.at) return 0;
    return Math.max(0, ((last.bytes - first.bytes) * 1000) / (last.at - first.at));
  }
}

/** "12 s", "4 min", "1 h 5 min": how long the rest takes at the current speed. */
export function formatEta(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.ceil(seconds))} s`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
