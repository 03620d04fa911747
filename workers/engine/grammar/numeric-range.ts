/**
 * Grammars for numbers within bounds: `minimum`, `maximum` and their exclusive
 * forms. Integers in any range are spelled out digit by digit (the classic
 * range-to-pattern split); non-integers are written without an exponent, and
 * their bounds must be whole numbers, so the integer part decides the bound and
 * the fraction only matters at the ends.
 */
import { EMPTY, charClass, choice, literal, optional, repeat, sequence, type Expr } from './ebnf.ts';
import { MAX_FRACTION_DIGITS, MAX_INTEGER_DIGITS } from './json-grammar.ts';

/** The largest magnitude the number rules write: MAX_INTEGER_DIGITS nines. */
export const LARGEST = 10 ** MAX_INTEGER_DIGITS - 1;

const digits = (count: number) => repeat(charClass('[0-9]'), count, count);

function digitRange(from: number, to: number): Expr {
  return from === to ? literal(String(from)) : charClass(`[${from}-${to}]`);
}

/** Decimal strings of equal length between `low` and `high`, both included. */
function sameLength(low: string, high: string): Expr {
  if (low.length === 0) return EMPTY;
  if (low === high) return literal(low);
  const rest = low.length - 1;
  if (low[0] === high[0]) return sequence(literal(low[0]), sameLength(low.slice(1), high.slice(1)));
  const lowFull = /^0*$/.test(low.slice(1));
  const highFull = /^9*$/.test(high.slice(1));
  const options: Expr[] = [];
  if (!lowFull) options.push(sequence(literal(low[0]), sameLength(low.slice(1), '9'.repeat(rest))));
  const from = Number(low[0]) + (lowFull ? 0 : 1);
  const to = Number(high[0]) - (highFull ? 0 : 1);
  if (from <= to) options.push(sequence(digitRange(from, to), digits(rest)));
  if (!highFull) options.push(sequence(literal(high[0]), sameLength('0'.repeat(rest), high.slice(1))));
  return choice(...options);
}

/** Canonical decimals (no leading zeros) from `low` to `high`, 0 ≤ low ≤ high. */
function naturals(low: number, high: number): Expr {
  const options: Expr[] = [];
  if (low === 0) options.push(literal('0'));
  for (let length = String(Math.max(low, 1)).length; length <= String(high).length; length++) {
    const from = Math.max(low, 1, 10 ** (length - 1));
    const to = Math.min(high, 10 ** length - 1);
    if (from <= to) options.push(sameLength(String(from), String(to)));
  }
  return choice(...options);
}

/** Integers from `low` to `high`, both included; the caller ensures low ≤ high within ±LARGEST. */
export function integerRange(low: number, high: number): Expr {
  const options: Expr[] = [];
  if (low < 0) options.push(sequence(literal('-'), naturals(Math.max(1, -high), -low)));
  if (high >= 0) options.push(naturals(Math.max(0, low), high));
  return choice(...options);
}

const anyFraction = optional(sequence(literal('.'), repeat(charClass('[0-9]'), 1, MAX_FRACTION_DIGITS)));
const zeroFraction = optional(sequence(literal('.'), repeat(literal('0'), 1, MAX_FRACTION_DIGITS)));
/** A fraction above zero; ending it on a non-zero digit keeps it unambiguous. */
const positiveFraction = sequence(literal('.'), repeat(charClass('[0-9]'), 0, MAX_FRACTION_DIGITS - 1), charClass('[1-9]'));

export interface Bound {
  value: number;
  exclusive: boolean;
}

/**
 * Non-negative decimals `i.f` between whole numbers `low` and `high`
 * (0 ≤ low ≤ high; exclusive ends leave the end itself out).
 */
function magnitudes(low: Bound, high: Bound): Expr | null {
  const options: Expr[] = [];
  const lowest = low.exclusive ? low.value + 1 : low.value;
  if (low.exclusive && low.value < high.value) options.push(sequence(naturals(low.value, low.value), positiveFraction));
  if (lowest <= high.value - 1) options.push(sequence(naturals(lowest, high.value - 1), anyFraction));
  if (!high.exclusive && lowest <= high.value) options.push(sequence(naturals(high.value, high.value), zeroFraction));
  return options.length > 0 ? choice(...options) : null;
}

/** Decimals between whole-number bounds, without exponents; null if none fits. */
export function decimalRange(low: Bound, high: Bound): Expr | null {
  const options: Expr[] = [];
  if (low.value < 0) {
    // Zero belongs to the non-negative side, so the negative side starts just above it (no "-0").
    const nearest = high.value < 0 ? { value: -high.value, exclusive: high.exclusive } : { value: 0, exclusive: true };
    const negative = magnitudes(nearest, { value: -low.value, exclusive: low.exclusive });
    if (negative) options.push(sequence(literal('-'), negative));
  }
  if (high.value >= 0) {
    const positive = magnitudes(low.value < 0 ? { value: 0, exclusive: false } : low, high);
    if (positive) options.push(positive);
  }
  return options.length > 0 ? choice(...options) : null;
}
