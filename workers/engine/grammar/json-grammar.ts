/**
 * The JSON rules every grammar here shares, written so that any text they
 * accept is valid JSON that `JSON.parse` reads exactly, and so that a model
 * cannot stall in them: whitespace and digit runs are bounded.
 */
import { Grammar, charClass, choice, literal, optional, ref, repeat, sequence, type Expr } from './ebnf.ts';

/**
 * Whitespace between tokens is nothing, one space, or one line break with up to
 * this many spaces or tabs of indentation: enough for pretty-printed JSON a few
 * levels deep, and never an endless run of blanks.
 */
export const MAX_INDENT = 16;
/** Integer digits: up to 15, so every integer is exact in a double (below 2^53). */
export const MAX_INTEGER_DIGITS = 15;
export const MAX_FRACTION_DIGITS = 15;
export const MAX_EXPONENT_DIGITS = 2;

/** A raw string character: anything but the quote, the backslash and the control characters JSON forbids. */
export const PLAIN_CHAR = charClass('[^"\\\\\\x00-\\x1f]');

export const WS = 'ws';
export const VALUE = 'json_value';
export const STRING = 'json_string';
/** The rest of a string after its opening quote, escapes allowed, closing quote included. */
export const STRING_REST = 'json_string_rest';
export const INTEGER = 'json_integer';
export const NUMBER = 'json_number';
export const BOOLEAN = 'json_boolean';
export const NULL = 'json_null';

/** `[`, items separated by commas, `]`, with the bounded whitespace in between. */
export function arrayOf(item: Expr, minItems = 0, maxItems: number | null = null): Expr {
  const ws = ref(WS);
  const empty = sequence(literal('['), ws, literal(']'));
  if (maxItems === 0) return empty;
  const more = repeat(sequence(literal(','), ws, item), Math.max(0, minItems - 1), maxItems === null ? null : maxItems - 1);
  const filled = sequence(literal('['), ws, item, more, ws, literal(']'));
  return minItems === 0 ? choice(empty, filled) : filled;
}

/** `{`, `"key": value` members separated by commas, `}`, with any string as the key. */
export function mapOf(value: Expr): Expr {
  const ws = ref(WS);
  const member = sequence(ref(STRING), literal(':'), ws, value);
  return sequence(literal('{'), ws, optional(sequence(member, repeat(sequence(literal(','), ws, member), 0, null), ws)), literal('}'));
}

/** Adds the shared rules (whitespace, strings, numbers, any JSON value) to `grammar`. */
export function defineJsonBasics(grammar: Grammar): void {
  if (grammar.has(VALUE)) return;
  grammar.define(WS, choice(literal(''), literal(' '), sequence(literal('\n'), repeat(charClass('[ \\t]'), 0, MAX_INDENT))));
  const escape = sequence(literal('\\'), choice(charClass('["\\\\/bfnrt]'), sequence(literal('u'), repeat(charClass('[0-9a-fA-F]'), 4, 4))));
  // Right recursion rather than `(char | escape)*`: xgrammar keeps one parse for it instead of piling up
  // states, so a mask inside a long string takes microseconds instead of hundreds of milliseconds.
  grammar.define(STRING_REST, choice(literal('"'), sequence(PLAIN_CHAR, ref(STRING_REST)), sequence(escape, ref(STRING_REST))));
  grammar.define(STRING, sequence(literal('"'), ref(STRING_REST)));
  const digits = (min: number, max: number) => repeat(charClass('[0-9]'), min, max);
  const integerPart = choice(literal('0'), sequence(charClass('[1-9]'), digits(0, MAX_INTEGER_DIGITS - 1)));
  grammar.define(INTEGER, sequence(optional(literal('-')), integerPart));
  grammar.define(
    NUMBER,
    sequence(
      ref(INTEGER),
      optional(sequence(literal('.'), digits(1, MAX_FRACTION_DIGITS))),
      optional(sequence(charClass('[eE]'), optional(charClass('[+-]')), digits(1, MAX_EXPONENT_DIGITS))),
    ),
  );
  grammar.define(BOOLEAN, choice(literal('true'), literal('false')));
  grammar.define(NULL, literal('null'));
  grammar.define('json_array', arrayOf(ref(VALUE)));
  grammar.define('json_object', mapOf(ref(VALUE)));
  grammar.define(VALUE, choice(ref('json_object'), ref('json_array'), ref(STRING), ref(NUMBER), ref(BOOLEAN), ref(NULL)));
}

/** `response_format: { type: 'json_object' }`: any JSON object. */
export function jsonObjectGrammar(): Grammar {
  const grammar = new Grammar();
  grammar.define('root', ref('json_object'));
  defineJsonBasics(grammar);
  return grammar;
}
