import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SAMPLING,
  NUMERIC_PARAMS,
  checkNumber,
  checkSeed,
  formatStopSequence,
  isDefaultSampling,
  parseStopSequence,
  restoreSampling,
  samplingRequest,
  type NumericParam,
} from '../../src/ui/sampling.ts';

function spec(key: NumericParam) {
  const found = NUMERIC_PARAMS.find((candidate) => candidate.key === key);
  if (!found) throw new Error(`no spec for ${key}`);
  return found;
}

describe('NUMERIC_PARAMS', () => {
  it('covers every numeric parameter once, with defaults inside their ranges', () => {
    const keys = NUMERIC_PARAMS.map((param) => param.key).sort();
    expect(keys).toStrictEqual(Object.keys(DEFAULT_SAMPLING).filter((key) => key !== 'seed' && key !== 'stop').sort());
    for (const param of NUMERIC_PARAMS) {
      expect(checkNumber(param, DEFAULT_SAMPLING[param.key]).problem, param.key).toBeNull();
    }
  });

  it('keeps the e2e test ids', () => {
    expect(spec('temperature').testid).toBe('param-temperature');
    expect(spec('max_tokens').testid).toBe('param-max-tokens');
  });
});

describe('checkNumber', () => {
  it('accepts values in range as they are', () => {
    expect(checkNumber(spec('temperature'), 1.3)).toStrictEqual({ value: 1.3, problem: null });
    expect(checkNumber(spec('frequency_penalty'), -2)).toStrictEqual({ value: -2, problem: null });
  });

  it('clamps values out of range and says what the range is', () => {
    expect(checkNumber(spec('temperature'), 5)).toStrictEqual({ value: 2, problem: 'Temperature must be between 0 and 2.' });
    expect(checkNumber(spec('presence_penalty'), -3)).toStrictEqual({ value: -2, problem: 'Presence penalty must be between -2 and 2.' });
  });

  it('treats an exclusive minimum as out of range and clamps one step above it', () => {
    expect(checkNumber(spec('top_p'), 0)).toStrictEqual({ value: 0.01, problem: 'Top p must be above 0 and at most 1.' });
    expect(checkNumber(spec('top_p'), 0.001).problem).toBeNull();
  });

  it('rounds fractions of integer parameters', () => {
    expect(checkNumber(spec('max_tokens'), 10.6)).toStrictEqual({ value: 11, problem: 'Max tokens must be a whole number.' });
  });

  it('falls back to the default for something that is not a number', () => {
    expect(checkNumber(spec('top_k'), Number.NaN)).toStrictEqual({ value: 0, problem: 'Top k must be a number.' });
  });
});

describe('checkSeed', () => {
  it('reads empty as random and accepts whole numbers up to 2^32 - 1', () => {
    expect(checkSeed('  ')).toStrictEqual({ value: null, problem: null });
    expect(checkSeed('42')).toStrictEqual({ value: 42, problem: null });
    expect(checkSeed('4294967295')).toStrictEqual({ value: 4294967295, problem: null });
  });

  it('flags anything else', () => {
    for (const typed of ['-1', '1.5', 'abc', '4294967296']) {
      expect(checkSeed(typed).problem, typed).toBe('Seed must be a whole number from 0 to 4294967295, or empty for random.');
    }
  });
});

describe('stop sequences as typed', () => {
  it('turns \\n, \\t, \\r and \\\\ into the characters, and back for display', () => {
    expect(parseStopSequence('\\n\\nEND\\t\\\\n')).toBe('\n\nEND\t\\n');
    expect(formatStopSequence('\n\nEND\t\\n')).toBe('\\n\\nEND\\t\\\\n');
    expect(parseStopSequence(formatStopSequence('a\r\n\\b'))).toBe('a\r\n\\b');
  });
});

describe('samplingRequest', () => {
  it('sends only what differs from the API defaults, and always max_tokens', () => {
    expect(samplingRequest({ ...DEFAULT_SAMPLING })).toStrictEqual({ temperature: 0.7, top_p: 0.95, max_tokens: 1024 });
    expect(samplingRequest({ ...DEFAULT_SAMPLING, temperature: 1, top_p: 1, max_tokens: 8 })).toStrictEqual({ max_tokens: 8 });
  });

  it('includes every changed parameter, in a fixed order', () => {
    const request = samplingRequest({
      temperature: 0,
      top_p: 0.5,
      top_k: 40,
      min_p: 0.05,
      max_tokens: 64,
      frequency_penalty: 0.5,
      presence_penalty: -0.5,
      repetition_penalty: 1.1,
      seed: 7,
      stop: ['\n\n'],
    });
    expect(Object.keys(request)).toStrictEqual([
      'temperature',
      'top_p',
      'top_k',
      'min_p',
      'max_tokens',
      'frequency_penalty',
      'presence_penalty',
      'repetition_penalty',
      'seed',
      'stop',
    ]);
    expect(request.seed).toBe(7);
    expect(request.stop).toStrictEqual(['\n\n']);
  });
});

describe('restoreSampling', () => {
  it('gives the defaults for nothing saved or garbage', () => {
    expect(restoreSampling(null)).toStrictEqual(DEFAULT_SAMPLING);
    expect(restoreSampling('{not json')).toStrictEqual(DEFAULT_SAMPLING);
    expect(restoreSampling('42')).toStrictEqual(DEFAULT_SAMPLING);
  });

  it('keeps each valid saved field and drops the invalid ones', () => {
    const saved = JSON.stringify({ temperature: 0.2, top_p: 0, top_k: 'ten', max_tokens: 12, seed: 3, stop: ['a', '', 'a', 5, 'b', 'c', 'd', 'e'] });
    expect(restoreSampling(saved)).toStrictEqual({ ...DEFAULT_SAMPLING, temperature: 0.2, max_tokens: 12, seed: 3, stop: ['a', 'b', 'c', 'd'] });
    expect(restoreSampling(JSON.stringify({ seed: -4 })).seed).toBeNull();
  });
});

describe('isDefaultSampling', () => {
  it('is true only when nothing was changed', () => {
    expect(isDefaultSampling({ ...DEFAULT_SAMPLING, stop: [] })).toBe(true);
    expect(isDefaultSampling({ ...DEFAULT_SAMPLING, stop: ['x'] })).toBe(false);
    expect(isDefaultSampling({ ...DEFAULT_SAMPLING, seed: 0 })).toBe(false);
    expect(isDefaultSampling({ ...DEFAULT_SAMPLING, min_p: 0.1 })).toBe(false);
  });
});
