import { describe, expect, it } from 'vitest';
import { firstInRing, ringHasRoom, ringPositions, type ByteRange } from '../../workers/engine/weight-prefetch.ts';

/** Reads of these lengths, one after another in the file. */
function reads(...lengths: number[]): ByteRange[] {
  let at = 0;
  return lengths.map((length) => {
    const range: ByteRange = [at, at + length];
    at += length;
    return range;
  });
}

describe('ringPositions', () => {
  it('places reads one after another, each whole within one lap of the ring', () => {
    const positions = ringPositions(reads(40, 40, 30, 100, 10), 100);
    expect(positions).toEqual([0, 40, 100, 200, 300]);
    for (const [i, position] of positions.entries()) {
      const length = [40, 40, 30, 100, 10][i]!;
      expect((position! % 100) + length).toBeLessThanOrEqual(100);
    }
  });

  it('passes over a read larger than the ring, which is read where it is asked for', () => {
    expect(ringPositions(reads(60, 150, 30), 100)).toEqual([0, null, 60]);
  });

  it('places a read of nothing, which takes no room', () => {
    expect(ringPositions(reads(0, 100, 0), 100)).toEqual([0, 0, 100]);
  });
});

describe('the ring has room for a read', () => {
  const capacity = 100;
  const positions = ringPositions(reads(40, 40, 30, 50), capacity);

  it('while nothing is held', () => {
    expect(ringHasRoom(positions[2]!, 30, null, capacity)).toBe(true);
  });

  it('not over bytes of a read still held, and once that read is done with', () => {
    // Read 2 wraps to the next lap, over read 0's bytes: it waits until read 0 is done with.
    expect(ringHasRoom(positions[2]!, 30, firstInRing(positions, 0), capacity)).toBe(false);
    expect(ringHasRoom(positions[2]!, 30, firstInRing(positions, 1), capacity)).toBe(true);
    // Read 3 covers read 1's bytes too.
    expect(ringHasRoom(positions[3]!, 50, firstInRing(positions, 1), capacity)).toBe(false);
    expect(ringHasRoom(positions[3]!, 50, firstInRing(positions, 2), capacity)).toBe(true);
  });

  it('counting from the first held read that lies in the ring', () => {
    const withLarge = ringPositions(reads(40, 500, 40), capacity);
    expect(firstInRing(withLarge, 1)).toBe(40);
    expect(firstInRing(withLarge, 3)).toBeNull();
  });
});
