import { describe, expect, it } from 'vitest';
import { RateMeter, formatEta } from '../../src/ui/download-rate.ts';

describe('download rate', () => {
  it('is 0 until two samples span some time', () => {
    const meter = new RateMeter();
    expect(meter.bytesPerSecond).toBe(0);
    meter.add(1000, 500);
    expect(meter.bytesPerSecond).toBe(0);
  });

  it('is bytes over seconds between the window ends', () => {
    const meter = new RateMeter();
    meter.add(0, 0);
    meter.add(1000, 2_000_000);
    meter.add(2000, 4_000_000);
    expect(meter.bytesPerSecond).toBe(2_000_000);
  });

  it('forgets a burst once it is more than 3 s old', () => {
    const meter = new RateMeter();
    // 100 MB from the browser cache at once, then the network's 1 MB/s.
    meter.add(0, 0);
    meter.add(10, 100_000_000);
    for (let second = 1; second <= 6; second++) meter.add(10 + second * 1000, 100_000_000 + second * 1_000_000);
    expect(meter.bytesPerSecond).toBeCloseTo(1_000_000, -3);
  });
});

describe('time left', () => {
  it('reads in seconds, minutes, then hours', () => {
    expect(formatEta(0.2)).toBe('1 s');
    expect(formatEta(42.1)).toBe('43 s');
    expect(formatEta(61)).toBe('2 min');
    expect(formatEta(3 * 3600 + 5 * 60)).toBe('3 h 5 min');
  });
});
