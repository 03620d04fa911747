import { describe, expect, it } from 'vitest';
import { contextUse } from '../../src/ui/stats.ts';

const KIB = 1024;

describe('contextUse', () => {
  it('prices the used tokens at the KV cache bytes per token (1.3B in fp16: 192 KiB each)', () => {
    expect(contextUse(1000, 5461, 192 * KIB)).toStrictEqual({
      usedTokens: 1000,
      contextLength: 5461,
      fraction: 1000 / 5461,
      level: 'ok',
      kvBytes: 1000 * 192 * KIB,
      kvCapacityBytes: 5461 * 192 * KIB,
    });
  });

  it('warns from 75 % and calls it full from 90 %', () => {
    expect(contextUse(74, 100, 1).level).toBe('ok');
    expect(contextUse(75, 100, 1).level).toBe('high');
    expect(contextUse(90, 100, 1).level).toBe('full');
  });

  it('stays within 0 and the context length', () => {
    expect(contextUse(-5, 100, 2)).toMatchObject({ usedTokens: 0, fraction: 0, kvBytes: 0 });
    expect(contextUse(150, 100, 2)).toMatchObject({ usedTokens: 100, fraction: 1, kvBytes: 200 });
    expect(contextUse(0, 0, 2).fraction).toBe(0);
  });

  it('still counts tokens when their memory cost is unknown', () => {
    expect(contextUse(10, 100, null)).toMatchObject({ usedTokens: 10, fraction: 0.1, kvBytes: null, kvCapacityBytes: null });
  });
});
