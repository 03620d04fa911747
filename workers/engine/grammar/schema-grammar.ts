/**
 * JSON Schema → grammar. We convert schemas ourselves instead of using
 * xgrammar's converter because 0.1.27's converter lets strings with a length
 * bound contain raw control characters (which `JSON.parse` rejects), leaves
 * whitespace unbounded inside free-form values, and answers a schema it does
 * not understand with an opaque abort from its WebAssembly (`Aborted()` or a
 * bare number; the reason only goes to the console). Here every keyword is
 * either honoured exactly, ignored because it only annotates, or refused with
 * a 400 naming the schema location, so output that follows the grammar always
 * validates against the schema.
 */
import { invalidRequest } from '../../../src/protocol/errors.ts';
import { EMPTY, Grammar, choice, choiceOf, literal, ref, repeat, sequence, type Expr } from './ebnf.ts';
import { BOOLEAN, INTEGER, MAX_INTEGER_DIGITS, NULL, NUMBER, PLAIN_CHAR, STRING, STRING_REST, VALUE, WS, arrayOf, defineJsonBasics, mapOf } from './json-grammar.ts';
import { LARGEST, decimalRange, integerRange, type Bound } from './numeric-range.ts';

/**
 * Length and item bounds we compile. xgrammar unrolls a bounded repetition into
 * one grammar position per step and precomputes token masks for each, so
 * compile time grows with the bound (about 15 ms per step on a slow CPU).
 */
export const MAX_BOUND = 256;
/** A schema needing more rules than this is refused rather than compiled for seconds. */
const MAX_RULES = 2000;

const ANNOTATIONS = new Set([
  'title',
  'description',
  'default',
  'examples',
  '$schema',
  '$id',
  '$anchor',
  '$comment',
  'deprecated',
  'readOnly',
  'writeOnly',
  '$defs',
  'definitions',
]);

/** The keywords each type honours. Bounds on numbers imply `number`, which includes the integers. */
const TYPE_KEYWORDS: Record<string, readonly string[]> = {
  string: ['minLength', 'maxLength'],
  array: ['items', 'minItems', 'maxItems', 'uniqueItems'],
  object: ['properties', 'required', 'additionalProperties', 'unevaluatedProperties'],
  number: ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'],
  integer: [],
  boolean: [],
  null: [],
};
const TYPES = Object.keys(TYPE_KEYWORDS);
const SUPPORTED = new Set(['type', 'enum', 'const', 'anyOf', '$ref', ...Object.values(TYPE_KEYWORDS).flat()]);

/** Keywords other libraries accept that we cannot turn into a grammar, with what to use instead. */
const UNSUPPORTED_HINTS = new Map([
  ['oneOf', "use 'anyOf'"],
  ['allOf', 'merge the schemas into one'],
  ['pattern', 'use enum, or minLength/maxLength'],
  ['format', 'use enum, or minLength/maxLength'],
]);

type SchemaObject = Record<string, unknown>;

function isPlainObject(value: unknown): value is SchemaObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isJsonValue(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isJsonValue);
  return isPlainObject(value) && Object.values(value).every(isJsonValue);
}

function typeOfJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function matchesType(value: unknown, type: string): boolean {
  const actual = typeOfJson(value);
  return actual === type || (type === 'number' && actual === 'integer');
}

/** The node a JSON Pointer step leads to (`~1` is `/`, `~0` is `~`), or undefined. */
function pointerStep(node: unknown, step: string): unknown {
  let key: string;
  try {
    key = decodeURIComponent(step).replace(/~1/g, '/').replace(/~0/g, '~');
  } catch {
    return undefined;
  }
  if (Array.isArray(node)) return /^(0|[1-9][0-9]*)$/.test(key) ? node[Number(key)] : undefined;
  return isPlainObject(node) && Object.hasOwn(node, key) ? node[key] : undefined;
}

class SchemaConverter {
  private readonly grammar = new Grammar();
  private readonly refRules = new Map<string, string>();
  private readonly sharedRules = new Map<string, string>();
  private ruleCount = 0;

  constructor(
    private readonly root: unknown,
    private readonly param: string,
  ) {}

  convert(): Grammar {
    defineJsonBasics(this.grammar);
    this.grammar.define('root', this.expr(this.root, '#'));
    if (this.grammar.unproductiveRules().includes('root')) {
      this.fail('#', 'the schema admits no finite JSON value (every value would have to contain itself).');
    }
    return this.grammar;
  }

  private fail(path: string, problem: string): never {
    throw invalidRequest(`Invalid or unsupported JSON schema for '${this.param}' at ${path}: ${problem}`, this.param, 'invalid_json_schema');
  }

  private newRuleName(): string {
    this.ruleCount += 1;
    if (this.ruleCount > MAX_RULES) this.fail('#', `the schema is too large to compile (over ${MAX_RULES} grammar rules).`);
    return `schema_${this.ruleCount}`;
  }

  private newRule(expr: Expr): string {
    return this.grammar.define(this.newRuleName(), expr);
  }

  /** Names a compound expression as a rule, so repeating it does not copy it. */
  private named(expr: Expr): Expr {
    return expr.kind === 'rule' || expr.kind === 'terminal' ? expr : ref(this.newRule(expr));
  }

  private expr(schema: unknown, path: string): Expr {
    if (schema === true) return ref(VALUE);
    if (schema === false) this.fail(path, 'the schema `false` admits no value.');
    if (!isPlainObject(schema)) this.fail(path, 'a schema must be an object or a boolean.');
    for (const keyword of Object.keys(schema)) {
      if (ANNOTATIONS.has(keyword) || SUPPORTED.has(keyword)) continue;
      const hint = UNSUPPORTED_HINTS.get(keyword);
      this.fail(path, `the keyword '${keyword}' is not supported${hint ? `; ${hint}` : ''}.`);
    }
    const constraints = Object.keys(schema).filter((keyword) => !ANNOTATIONS.has(keyword));

    if ('$ref' in schema) {
      this.only(path, ['$ref'], constraints);
      return this.reference(schema.$ref, path);
    }
    if ('enum' in schema || 'const' in schema) {
      const keyword = 'enum' in schema ? 'enum' : 'const';
      this.only(path, [keyword, 'type'], constraints);
      return this.literalChoice(schema, keyword, path);
    }
    if ('anyOf' in schema) {
      this.only(path, ['anyOf'], constraints);
      const options = schema.anyOf;
      if (!Array.isArray(options) || options.length === 0) this.fail(`${path}/anyOf`, "'anyOf' must be a non-empty array of schemas.");
      return choiceOf(options.map((option, index) => this.expr(option, `${path}/anyOf/${index}`)));
    }
    const types = this.types(schema, path);
    return choice(...types.map((type) => this.typed(type, schema, path)));
  }

  /** Refuses keywords next to `keywords` that we would otherwise have to combine with them. */
  private only(path: string, keywords: readonly string[], constraints: readonly string[]): void {
    const extra = constraints.find((keyword) => !keywords.includes(keyword));
    if (extra) this.fail(path, `'${keywords[0]}' cannot be combined with '${extra}' here.`);
  }

  private types(schema: SchemaObject, path: string): string[] {
    if ('type' in schema) {
      const declared = Array.isArray(schema.type) ? schema.type : [schema.type];
      if (declared.length === 0) this.fail(`${path}/type`, "'type' must name at least one type.");
      for (const type of declared) {
        if (typeof type !== 'string' || !TYPES.includes(type)) {
          this.fail(`${path}/type`, `'type' must be one of ${TYPES.join(', ')}, got ${JSON.stringify(type)}.`);
        }
      }
      return [...new Set(declared as string[])];
    }
    // Without `type`, keywords of a type only constrain values of that type; producing only those types is valid.
    const implied = TYPES.filter((type) => TYPE_KEYWORDS[type].some((keyword) => keyword in schema));
    return implied.length > 0 ? implied : ['any'];
  }

  private typed(type: string, schema: SchemaObject, path: string): Expr {
    switch (type) {
      case 'string':
        return this.string(schema, path);
      case 'integer':
        return this.integer(schema, path);
      case 'number':
        return this.number(schema, path);
      case 'boolean':
        return ref(BOOLEAN);
      case 'null':
        return ref(NULL);
      case 'array':
        return this.array(schema, path);
      case 'object':
        return this.object(schema, path);
      default:
        return ref(VALUE);
    }
  }

  private bound(schema: SchemaObject, keyword: string, path: string): number | null {
    const value = schema[keyword];
    if (value === undefined) return null;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      this.fail(`${path}/${keyword}`, `'${keyword}' must be a non-negative integer.`);
    }
    if (value > MAX_BOUND) this.fail(`${path}/${keyword}`, `'${keyword}' above ${MAX_BOUND} is not supported.`);
    return value;
  }

  private bounds(schema: SchemaObject, path: string, minKeyword: string, maxKeyword: string): [number, number | null] {
    const min = this.bound(schema, minKeyword, path) ?? 0;
    const max = this.bound(schema, maxKeyword, path);
    if (max !== null && min > max) this.fail(path, `'${minKeyword}' (${min}) is greater than '${maxKeyword}' (${max}).`);
    return [min, max];
  }

  /** The tighter of the inclusive and the exclusive bound on one side; null when neither is given. */
  private numericBound(schema: SchemaObject, path: string, inclusive: string, exclusive: string, tighter: (a: number, b: number) => boolean): Bound | null {
    let bound: Bound | null = null;
    for (const [keyword, isExclusive] of [[inclusive, false], [exclusive, true]] as const) {
      const value = schema[keyword];
      if (value === undefined) continue;
      if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(`${path}/${keyword}`, `'${keyword}' must be a number.`);
      if (!bound || tighter(value, bound.value) || (value === bound.value && isExclusive)) bound = { value, exclusive: isExclusive };
    }
    return bound;
  }

  private numericBounds(schema: SchemaObject, path: string): [Bound | null, Bound | null] {
    return [
      this.numericBound(schema, path, 'minimum', 'exclusiveMinimum', (a, b) => a > b),
      this.numericBound(schema, path, 'maximum', 'exclusiveMaximum', (a, b) => a < b),
    ];
  }

  private integer(schema: SchemaObject, path: string): Expr {
    const [low, high] = this.numericBounds(schema, path);
    if (!low && !high) return ref(INTEGER);
    const from = Math.max(-LARGEST, low ? (low.exclusive ? Math.floor(low.value) + 1 : Math.ceil(low.value)) : -LARGEST);
    const to = Math.min(LARGEST, high ? (high.exclusive ? Math.ceil(high.value) - 1 : Math.floor(high.value)) : LARGEST);
    if (from > to) this.fail(path, `no integer of at most ${MAX_INTEGER_DIGITS} digits lies within the bounds.`);
    return this.cachedRule(`integer:${from}:${to}`, () => integerRange(from, to));
  }

  private number(schema: SchemaObject, path: string): Expr {
    const [low, high] = this.numericBounds(schema, path);
    if (!low && !high) return ref(NUMBER);
    for (const bound of [low, high]) {
      if (bound && !Number.isInteger(bound.value)) this.fail(path, "bounds on a 'number' must be whole numbers.");
    }
    // The number rules write magnitudes up to LARGEST; a bound beyond that on the far side changes nothing.
    const from = low && low.value > -LARGEST ? low : { value: -LARGEST, exclusive: false };
    const to = high && high.value < LARGEST ? high : { value: LARGEST, exclusive: false };
    const key = `number:${from.value}:${from.exclusive}:${to.value}:${to.exclusive}`;
    const range = from.value <= to.value ? decimalRange(from, to) : null;
    if (!range) this.fail(path, `no number of at most ${MAX_INTEGER_DIGITS} integer digits lies within the bounds.`);
    return this.cachedRule(key, () => range);
  }

  /** One rule per distinct shape (string lengths, number ranges), shared by every property that has it. */
  private cachedRule(key: string, build: () => Expr): Expr {
    let rule = this.sharedRules.get(key);
    if (!rule) {
      rule = this.newRule(build());
      this.sharedRules.set(key, rule);
    }
    return ref(rule);
  }

  /**
   * A string with length bounds is written without escapes up to its bound, so
   * each character in the grammar is one code point of the value and the bounds
   * count exactly what JSON Schema counts. Past a `minLength` with no
   * `maxLength`, escapes are fine again: they only make the string longer.
   */
  private string(schema: SchemaObject, path: string): Expr {
    const [min, max] = this.bounds(schema, path, 'minLength', 'maxLength');
    if (min === 0 && max === null) return ref(STRING);
    return this.cachedRule(`string:${min}:${max}`, () =>
      sequence(literal('"'), max === null ? sequence(repeat(PLAIN_CHAR, min, min), ref(STRING_REST)) : sequence(repeat(PLAIN_CHAR, min, max), literal('"'))),
    );
  }

  private array(schema: SchemaObject, path: string): Expr {
    if (schema.uniqueItems === true) this.fail(`${path}/uniqueItems`, "'uniqueItems: true' is not supported.");
    if ('uniqueItems' in schema && typeof schema.uniqueItems !== 'boolean') this.fail(`${path}/uniqueItems`, "'uniqueItems' must be a boolean.");
    const [min, max] = this.bounds(schema, path, 'minItems', 'maxItems');
    if (schema.items === false) {
      if (min > 0) this.fail(path, "'items: false' leaves no array with 'minItems' items.");
      return arrayOf(ref(VALUE), 0, 0);
    }
    const item = 'items' in schema ? this.named(this.expr(schema.items, `${path}/items`)) : ref(VALUE);
    return arrayOf(item, min, max);
  }

  /**
   * Declared properties come in the order the schema lists them; required ones
   * always, optional ones when the model writes them. Undeclared properties are
   * written only for a schema that declares none and allows them (a map).
   */
  private object(schema: SchemaObject, path: string): Expr {
    const properties = schema.properties ?? {};
    if (!isPlainObject(properties)) this.fail(`${path}/properties`, "'properties' must be an object.");
    const required = schema.required ?? [];
    if (!Array.isArray(required) || !required.every((name) => typeof name === 'string')) {
      this.fail(`${path}/required`, "'required' must be an array of property names.");
    }
    for (const name of required) {
      if (!Object.hasOwn(properties, name)) this.fail(`${path}/required`, `'${name}' is required but not declared in 'properties'.`);
    }
    if ('unevaluatedProperties' in schema && schema.unevaluatedProperties !== false) {
      this.fail(`${path}/unevaluatedProperties`, "only 'unevaluatedProperties: false' is supported.");
    }
    const additional = schema.additionalProperties;
    const names = Object.keys(properties);
    if (names.length === 0) {
      if (additional === false) return sequence(literal('{'), ref(WS), literal('}'));
      const value = additional === undefined || additional === true ? ref(VALUE) : this.named(this.expr(additional, `${path}/additionalProperties`));
      return mapOf(value);
    }

    const members = names.map((name) =>
      sequence(literal(JSON.stringify(name)), literal(':'), ref(WS), this.named(this.expr(properties[name], `${path}/properties/${name}`))),
    );
    const isRequired = names.map((name) => required.includes(name));
    // after[i]: the members from i on once one has been written (each needs a comma), then the closing whitespace.
    // first[i]: the members from i on while none has been written yet.
    let after: Expr = ref(WS);
    let first: Expr = EMPTY;
    for (let i = names.length - 1; i >= 0; i--) {
      const withThis = sequence(members[i], after);
      first = isRequired[i] ? withThis : choice(withThis, first);
      if (i === 0) break;
      first = ref(this.newRule(first));
      const withComma = sequence(literal(','), ref(WS), members[i], after);
      after = ref(this.newRule(isRequired[i] ? withComma : choice(withComma, after)));
    }
    return sequence(literal('{'), ref(WS), first, literal('}'));
  }

  private literalChoice(schema: SchemaObject, keyword: 'enum' | 'const', path: string): Expr {
    const values = keyword === 'enum' ? schema.enum : [schema.const];
    if (!Array.isArray(values) || values.length === 0) this.fail(`${path}/enum`, "'enum' must be a non-empty array.");
    if (!values.every(isJsonValue)) this.fail(`${path}/${keyword}`, `'${keyword}' must hold JSON values only.`);
    const types = 'type' in schema ? this.types(schema, path) : null;
    const allowed = types ? values.filter((value) => types.some((type) => matchesType(value, type))) : values;
    if (allowed.length === 0) this.fail(path, `no value in '${keyword}' has the type '${types?.join(', ')}'.`);
    return choiceOf([...new Set(allowed.map((value) => JSON.stringify(value)))].map(literal));
  }

  private reference(target: unknown, path: string): Expr {
    if (typeof target !== 'string' || !target.startsWith('#')) {
      this.fail(`${path}/$ref`, "only references inside the schema ('#', '#/$defs/…') are supported.");
    }
    const existing = this.refRules.get(target);
    if (existing) return ref(existing);
    let node: unknown = this.root;
    const pointer = target.slice(1);
    if (pointer !== '' && !pointer.startsWith('/')) this.fail(`${path}/$ref`, `'${target}' is not a JSON Pointer reference.`);
    for (const step of pointer === '' ? [] : pointer.slice(1).split('/')) {
      node = pointerStep(node, step);
      if (node === undefined) this.fail(`${path}/$ref`, `'${target}' does not resolve.`);
    }
    // Registered before converting so a schema that refers to itself becomes a recursive rule.
    const name = this.newRuleName();
    this.refRules.set(target, name);
    this.grammar.define(name, this.expr(node, target));
    return ref(name);
  }
}

/** The grammar for `schema`; throws a 400 naming `param` for a schema it cannot honour. */
export function schemaGrammar(schema: unknown, param: string): Grammar {
  return new SchemaConverter(schema, param).convert();
}
