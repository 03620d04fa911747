/**
 * The playground's sampling parameters: their ranges, the playground's defaults,
 * the API's defaults, and the request fields they turn into. Pure, so the
 * parameter panel, the requests and the "View code" snippets all agree.
 */

import { MAX_SEED, MAX_STOP_SEQUENCES, defaultGenerationParams } from '../protocol/index.ts';

export interface SamplingValues {
  temperature: number;
  top_p: number;
  top_k: number;
  min_p: number;
  max_tokens: number;
  frequency_penalty: number;
  presence_penalty: number;
  repetition_penalty: number;
  /** null: a fresh random seed for every request. */
  seed: number | null;
  stop: string[];
}

export type NumericParam = Exclude<keyof SamplingValues, 'seed' | 'stop'>;

/** The request fields sampling contributes; each is present only when it differs from the API's default. */
export type SamplingRequest = Partial<SamplingValues>;

export interface NumericParamSpec {
  key: NumericParam;
  label: string;
  min: number;
  max: number;
  step: number;
  /** The bound itself is not allowed (top_p > 0); the smallest allowed value is min + step. */
  minExclusive?: boolean;
  integer?: boolean;
  hint: string;
  testid: string;
}

export { MAX_SEED, MAX_STOP_SEQUENCES };

/** What the playground starts with: tuned for code from a small model, not the API's neutral defaults. */
export const DEFAULT_SAMPLING: Readonly<SamplingValues> = Object.freeze({
  temperature: 0.7,
  top_p: 0.95,
  top_k: 0,
  min_p: 0,
  max_tokens: 1024,
  frequency_penalty: 0,
  presence_penalty: 0,
  repetition_penalty: 1,
  seed: null,
  stop: [],
});

/**
 * What the API does when a field is left out. A request (and the code the
 * "View code" dialog shows) carries only the fields that differ from these, so
 * it stays short and still means exactly what the playground sends.
 */
const apiDefaults = defaultGenerationParams();
export const API_DEFAULTS: Readonly<Omit<SamplingValues, 'max_tokens'>> = Object.freeze({
  temperature: apiDefaults.temperature,
  top_p: apiDefaults.topP,
  top_k: apiDefaults.topK,
  min_p: apiDefaults.minP,
  frequency_penalty: apiDefaults.frequencyPenalty,
  presence_penalty: apiDefaults.presencePenalty,
  repetition_penalty: apiDefaults.repetitionPenalty,
  seed: apiDefaults.seed,
  stop: apiDefaults.stop,
});

export const NUMERIC_PARAMS: readonly NumericParamSpec[] = [
  { key: 'temperature', label: 'Temperature', min: 0, max: 2, step: 0.05, hint: '0 is greedy: always the most likely token. Higher is more varied.', testid: 'param-temperature' },
  { key: 'top_p', label: 'Top p', min: 0, max: 1, step: 0.01, minExclusive: true, hint: 'Sample only from the most likely tokens that together reach this probability.', testid: 'param-top-p' },
  { key: 'top_k', label: 'Top k', min: 0, max: 100, step: 1, integer: true, hint: 'Sample only from the k most likely tokens; 0 turns it off.', testid: 'param-top-k' },
  { key: 'min_p', label: 'Min p', min: 0, max: 1, step: 0.01, hint: 'Drop tokens less likely than this fraction of the most likely one; 0 turns it off.', testid: 'param-min-p' },
  { key: 'max_tokens', label: 'Max tokens', min: 1, max: 4096, step: 1, integer: true, hint: 'The longest answer, in tokens.', testid: 'param-max-tokens' },
  { key: 'frequency_penalty', label: 'Frequency penalty', min: -2, max: 2, step: 0.05, hint: 'Above 0, tokens become less likely the more often they already appeared.', testid: 'param-frequency-penalty' },
  { key: 'presence_penalty', label: 'Presence penalty', min: -2, max: 2, step: 0.05, hint: 'Above 0, tokens that already appeared at all become less likely.', testid: 'param-presence-penalty' },
  { key: 'repetition_penalty', label: 'Repetition penalty', min: 0.5, max: 2, step: 0.01, hint: 'Above 1, tokens already seen become less likely; below 1, more likely.', testid: 'param-repetition-penalty' },
];

export interface CheckedNumber {
  /** The nearest allowed value. */
  value: number;
  /** Why the typed value was not allowed as is, or null when it was. */
  problem: string | null;
}

function decimals(step: number): number {
  return (String(step).split('.')[1] ?? '').length;
}

export function rangeText(spec: NumericParamSpec): string {
  return spec.minExclusive ? `above ${spec.min} and at most ${spec.max}` : `between ${spec.min} and ${spec.max}`;
}

/** Brings a typed value into the parameter's range, saying what was wrong with it. */
export function checkNumber(spec: NumericParamSpec, typed: number): CheckedNumber {
  if (!Number.isFinite(typed)) return { value: DEFAULT_SAMPLING[spec.key], problem: `${spec.label} must be a number.` };
  const lowest = spec.minExclusive ? Number((spec.min + spec.step).toFixed(decimals(spec.step))) : spec.min;
  const outOfRange = spec.minExclusive ? typed <= spec.min || typed > spec.max : typed < spec.min || typed > spec.max;
  if (outOfRange) {
    return { value: Math.min(spec.max, Math.max(lowest, typed)), problem: `${spec.label} must be ${rangeText(spec)}.` };
  }
  if (spec.integer && !Number.isInteger(typed)) {
    return { value: Math.round(typed), problem: `${spec.label} must be a whole number.` };
  }
  return { value: typed, problem: null };
}

/** A seed as typed: empty means random; otherwise a whole number in [0, 2³²−1]. */
export function checkSeed(typed: string): { value: number | null; problem: string | null } {
  const text = typed.trim();
  if (text === '') return { value: null, problem: null };
  const seed = Number(text);
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    return { value: null, problem: `Seed must be a whole number from 0 to ${MAX_SEED}, or empty for random.` };
  }
  return { value: seed, problem: null };
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\' };

/** A stop sequence as typed into the chip input: `\n`, `\t`, `\r` and `\\` stand for the characters people cannot type there. */
export function parseStopSequence(typed: string): string {
  return typed.replace(/\\([ntr\\])/g, (_, letter: string) => ESCAPES[letter]);
}

/** The inverse of parseStopSequence, for showing a stop sequence on a chip. */
export function formatStopSequence(stop: string): string {
  return stop.replace(/[\\\n\t\r]/g, (character) => {
    const letter = Object.keys(ESCAPES).find((key) => ESCAPES[key] === character);
    return `\\${letter}`;
  });
}

export function isDefaultSampling(values: SamplingValues): boolean {
  return (
    NUMERIC_PARAMS.every((spec) => values[spec.key] === DEFAULT_SAMPLING[spec.key]) &&
    values.seed === DEFAULT_SAMPLING.seed &&
    values.stop.length === 0
  );
}

/** The request fields for these values, in a fixed order, leaving out every field equal to the API's default. */
export function samplingRequest(values: SamplingValues): SamplingRequest {
  const request: SamplingRequest = {};
  for (const spec of NUMERIC_PARAMS) {
    const value = values[spec.key];
    if (spec.key === 'max_tokens' || value !== API_DEFAULTS[spec.key]) request[spec.key] = value;
  }
  if (values.seed !== null) request.seed = values.seed;
  if (values.stop.length > 0) request.stop = [...values.stop];
  return request;
}

/** Saved values, trusted only field by field: anything missing, of the wrong type or out of range falls back to the default. */
export function restoreSampling(saved: string | null): SamplingValues {
  const restored: SamplingValues = { ...DEFAULT_SAMPLING, stop: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(saved ?? '{}');
  } catch {
    return restored;
  }
  if (typeof parsed !== 'object' || parsed === null) return restored;
  const record = parsed as Record<string, unknown>;
  for (const spec of NUMERIC_PARAMS) {
    const value = record[spec.key];
    if (typeof value === 'number' && checkNumber(spec, value).problem === null) restored[spec.key] = value;
  }
  if (typeof record.seed === 'number') restored.seed = checkSeed(String(record.seed)).value;
  if (Array.isArray(record.stop)) {
    const stops = record.stop.filter((item): item is string => typeof item === 'string' && item.length > 0);
    restored.stop = [...new Set(stops)].slice(0, MAX_STOP_SEQUENCES);
  }
  return restored;
}
