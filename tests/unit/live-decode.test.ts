import { describe, expect, it } from 'vitest';
import { LiveDecodeCounter } from '../../src/ui/live-decode.ts';

describe('LiveDecodeCounter', () => {
  it('shows the first chunk at once, with no rate until a second token', () => {
    const counter = new LiveDecodeCounter();
    expect(counter.record(1000)).toEqual({ tokens: 1, tokensPerSecond: null });
  });

  it('counts the rate from the first token, as the engine does, and refreshes at most every 250 ms', () => {
    const counter = new LiveDecodeCounter();
    counter.record(1000);
    const shown = [];
    for (let token = 1; token <= 20; token += 1) shown.push(counter.record(1000 + token * 50));
    // Chunks every 50 ms: figures at 1250, 1500, 1750, 2000 ms only.
    expect(shown.filter((figures) => figures !== null)).toEqual([
      { tokens: 6, tokensPerSecond: 20 },
      { tokens: 11, tokensPerSecond: 20 },
      { tokens: 16, tokensPerSecond: 20 },
      { tokens: 21, tokensPerSecond: 20 },
    ]);
  });

  it('gives the latest figures on demand, between refreshes', () => {
    const counter = new LiveDecodeCounter();
    counter.record(0);
    counter.record(100);
    counter.record(200);
    expect(counter.figures()).toEqual({ tokens: 3, tokensPerSecond: 10 });
  });

  it('has no figures before the first chunk', () => {
    expect(new LiveDecodeCounter().figures()).toBeNull();
  });

  it('has no rate when every chunk arrives in the same millisecond', () => {
    const counter = new LiveDecodeCounter();
    counter.record(5);
    counter.record(5);
    expect(counter.figures()).toEqual({ tokens: 2, tokensPerSecond: null });
  });
});
