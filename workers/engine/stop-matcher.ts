/**
 * Finds stop strings in streamed text, across token boundaries. Text that could
 * still turn out to be the start of a stop string is held back, so no character
 * of a stop string is ever emitted.
 */
export interface StopMatch {
  text: string;
  stopped: boolean;
  matched?: string;
  after?: string;
}

export class StopMatcher {
  private pending = '';
  private readonly longest: number;

  constructor(private readonly stops: readonly string[]) {
    this.longest = Math.max(0, ...stops.map((s) => s.length));
  }

  /**
   * Feeds new text. `text` is safe to emit; `stopped` means a stop string ended
   * the output, and `matched` says which one, with `after` the text that followed it.
   */
  push(text: string): StopMatch {
    if (this.stops.length === 0) return { text, stopped: false };
    this.pending += text;
    let earliest = -1;
    let matched = '';
    for (const stop of this.stops) {
      const index = this.pending.indexOf(stop);
      if (index !== -1 && (earliest === -1 || index < earliest)) {
        earliest = index;
        matched = stop;
      }
    }
    if (earliest !== -1) {
      const safe = this.pending.slice(0, earliest);
      const after = this.pending.slice(earliest + matched.length);
      this.pending = '';
      return { text: safe, stopped: true, matched, after };
    }
    const held = this.heldSuffixLength();
    const safe = this.pending.slice(0, this.pending.length - held);
    this.pending = this.pending.slice(this.pending.length - held);
    return { text: safe, stopped: false };
  }

  /** At the end of generation, nothing can complete a stop string any more. */
  flush(): string {
    const rest = this.pending;
    this.pending = '';
    return rest;
  }

  /** Length of the longest tail of `pending` that is a proper prefix of some stop string. */
  private heldSuffixLength(): number {
    const maxCheck = Math.min(this.pending.length, this.longest - 1);
    for (let length = maxCheck; length > 0; length--) {
      const tail = this.pending.slice(this.pending.length - length);
      if (this.stops.some((stop) => stop.startsWith(tail))) return length;
    }
    return 0;
  }
}
