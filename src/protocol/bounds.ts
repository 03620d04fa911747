/**
 * Bounds on the size of any input, checked before anything recursive runs on it
 * and before it crosses a postMessage: structured clone, the grammar builder and
 * the tokenizer all recurse or allocate in proportion to it. A request past a
 * bound gets a 400 naming the parameter in milliseconds.
 */
import { clip, invalidRequest } from './errors.ts';

/** Containers inside containers, a request body: far deeper than any real request, far shallower than a call stack. */
export const MAX_BODY_DEPTH = 128;
/** The same for a JSON Schema (`response_format.json_schema.schema`, a tool's `parameters`), which the grammar builder walks recursively. */
export const MAX_SCHEMA_DEPTH = 64;
/** Values (objects, arrays, strings, numbers, ...) in one request body. */
export const MAX_BODY_VALUES = 100_000;
/**
 * Bytes of one HTTP request body. A prompt that fills the largest context is
 * about 16,384 tokens × 65 characters × 4 bytes, a quarter of this.
 */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

type Key = string | number;

interface Frame {
  value: unknown;
  depth: number;
  parent: Frame | null;
  key: Key | null;
}

interface Excess {
  /** Too deep, too many values, or a value JSON has no form for (a function, a symbol, a bigint). */
  reason: 'depth' | 'size' | 'not_json';
  path: Key[];
}

const NOT_JSON = new Set(['function', 'symbol', 'bigint']);

function pathOf(frame: Frame): Key[] {
  const path: Key[] = [];
  for (let at: Frame | null = frame; at !== null && at.key !== null; at = at.parent) path.push(at.key);
  return path.reverse();
}

/**
 * Where `root` first nests more than `maxDepth` containers deep, holds more
 * than `maxValues` values, or holds a value JSON cannot carry; null when none. Walks with its own stack,
 * so any input, however deep, is measured without recursion. The value count
 * also ends the walk on a cyclic object (in-page callers can pass one).
 */
function findExcess(root: unknown, maxDepth: number, maxValues: number): Excess | null {
  const stack: Frame[] = [{ value: root, depth: 0, parent: null, key: null }];
  let seen = 1;
  while (stack.length > 0) {
    const frame = stack.pop() as Frame;
    const { value } = frame;
    // In-page callers can pass anything; structured clone throws on these, where a 400 belongs.
    if (NOT_JSON.has(typeof value)) return { reason: 'not_json', path: pathOf(frame) };
    if (typeof value !== 'object' || value === null) continue;
    if (frame.depth >= maxDepth) return { reason: 'depth', path: pathOf(frame) };
    const keys: Key[] = Array.isArray(value) ? Array.from(value.keys()) : Object.keys(value);
    seen += keys.length;
    if (seen > maxValues) return { reason: 'size', path: pathOf(frame) };
    for (const key of keys) {
      stack.push({ value: (value as Record<Key, unknown>)[key], depth: frame.depth + 1, parent: frame, key });
    }
  }
  return null;
}

function formatPath(path: readonly Key[]): string {
  return path.map((key, index) => (typeof key === 'number' ? `[${key}]` : index === 0 ? key : `.${key}`)).join('');
}

/**
 * The parameter to blame for an excess at `path`: the schema it is inside, when
 * it is inside one, else the top-level parameter (with its index, for arrays).
 */
function blamedParam(path: readonly Key[]): string | null {
  if (path.length === 0) return null;
  const [first, second, third, fourth] = path;
  if (first === 'response_format' && second === 'json_schema' && third === 'schema') return 'response_format.json_schema.schema';
  if (first === 'tools' && typeof second === 'number' && third === 'function' && fourth === 'parameters') {
    return `tools[${second}].function.parameters`;
  }
  return formatPath(typeof second === 'number' ? [first, second] : [first]);
}

function excessError(excess: Excess, param: string | null, maxDepth: number, maxValues: number) {
  const what = param === null ? 'The request body' : `'${clip(param)}'`;
  if (excess.reason === 'depth') {
    return invalidRequest(
      `${what} nests objects and arrays more than ${maxDepth} levels deep (at '${clip(formatPath(excess.path), 120)}'); flatten it.`,
      param,
      'too_deeply_nested',
    );
  }
  if (excess.reason === 'not_json') {
    return invalidRequest(
      `${what} holds a value JSON cannot carry (at '${clip(formatPath(excess.path), 120)}'); send JSON values only.`,
      param,
      'invalid_type',
    );
  }
  return invalidRequest(`${what} holds more than ${maxValues} values; send a smaller request.`, param, 'too_large');
}

/**
 * Checks a whole request body's depth and size, naming the parameter where it
 * goes too far. Run first by the validators, and by the service worker before it
 * posts a body to a page.
 */
export function checkBodyBounds(body: unknown): void {
  const excess = findExcess(body, MAX_BODY_DEPTH, MAX_BODY_VALUES);
  if (excess) throw excessError(excess, blamedParam(excess.path), MAX_BODY_DEPTH, MAX_BODY_VALUES);
}

/** Checks a JSON Schema's depth before the grammar builder recurses into it. */
export function checkSchemaBounds(schema: unknown, param: string): void {
  const excess = findExcess(schema, MAX_SCHEMA_DEPTH, MAX_BODY_VALUES);
  if (excess) throw excessError(excess, param, MAX_SCHEMA_DEPTH, MAX_BODY_VALUES);
}

/** What the loaded model's context admits, for the length check that runs before tokenizing. */
export interface ContextBound {
  /** The context length in tokens. */
  tokens: number;
  /** The longest text one token of the vocabulary can stand for, in UTF-16 code units. */
  longestTokenChars: number;
}

/**
 * The fewest tokens `chars` characters of text can take: no token stands for more
 * than `longestTokenChars` characters, so this many tokens are needed at least.
 */
export function fewestTokens(chars: number, bound: ContextBound): number {
  return Math.ceil(chars / Math.max(1, bound.longestTokenChars));
}

/**
 * Rejects text that cannot fit the context whatever the tokenizer makes of it,
 * from its length alone: answered at once, where tokenizing megabytes would take
 * seconds while other requests wait.
 */
export function checkTextFitsContext(chars: number, bound: ContextBound, param: string, what: string): void {
  const tokens = fewestTokens(chars, bound);
  if (tokens < bound.tokens) return;
  throw invalidRequest(
    `This model's context is ${bound.tokens} tokens; ${chars} characters of ${what} make at least ${tokens} tokens. Shorten the ${what}.`,
    param,
    'context_length_exceeded',
  );
}
