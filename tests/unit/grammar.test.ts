/**
 * The grammar module over DeepSeek Coder's real tokenizer, without a model:
 * which tokens each grammar allows, what it accepts and refuses, and that the
 * budget-aware constraint closes a document drawn from random logits.
 */
import { AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';
import { Grammar, Testings } from '@mlc-ai/web-xgrammar';
import { beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../src/protocol/errors.ts';
import { GrammarCompiler, type CompiledJsonGrammar, type TokenConstraint } from '../../workers/engine/grammar/index.ts';
import { MAX_INDENT, MAX_INTEGER_DIGITS } from '../../workers/engine/grammar/json-grammar.ts';
import { MAX_BOUND, schemaGrammar } from '../../workers/engine/grammar/schema-grammar.ts';
import { createRandom } from '../../workers/engine/sampling/random.ts';

/** The logits width of DeepSeek Coder: 32,022 tokenizer entries, padded to 32,256 rows. */
const VOCAB_SIZE = 32256;
const TOKENIZER_ENTRIES = 32022;
const EOT = 32021;

let tokenizer: PreTrainedTokenizer;
let compiler: GrammarCompiler;

beforeAll(async () => {
  env.localModelPath = 'fixtures/';
  env.allowLocalModels = true;
  env.allowRemoteModels = false;
  tokenizer = await AutoTokenizer.from_pretrained('deepseek-coder');
  compiler = new GrammarCompiler(tokenizer, { vocabSize: VOCAB_SIZE, stopTokenIds: [EOT] });
}, 60_000);

const encode = (text: string) => tokenizer.encode(text, { add_special_tokens: false });
const textOf = (id: number) => tokenizer.decode([id], { skip_special_tokens: false });

async function allowed(constraint: TokenConstraint): Promise<number[]> {
  const logits = new Float32Array(VOCAB_SIZE);
  await constraint.mask(logits);
  const ids: number[] = [];
  logits.forEach((logit, id) => {
    if (logit !== -Infinity) ids.push(id);
  });
  return ids;
}

/** Feeds `text` token by token, checking that the mask allowed each token first. */
async function feed(constraint: TokenConstraint, text: string): Promise<void> {
  for (const id of encode(text)) {
    expect(await allowed(constraint), `token ${JSON.stringify(textOf(id))} of ${JSON.stringify(text)}`).toContain(id);
    constraint.accept(id);
  }
}

async function withConstraint(grammar: Promise<CompiledJsonGrammar>, use: (constraint: TokenConstraint) => Promise<void>, budget: number | null = null) {
  const constraint = await (await grammar).constrain(budget);
  try {
    await use(constraint);
  } finally {
    constraint.dispose();
  }
}

/** Accepts `text` in full and ends on a complete document, after which only the stop token is allowed. */
async function expectComplete(grammar: Promise<CompiledJsonGrammar>, text: string): Promise<void> {
  await withConstraint(grammar, async (constraint) => {
    await feed(constraint, text);
    expect(constraint.isTerminated()).toBe(true);
    expect(await allowed(constraint)).toEqual([EOT]);
  });
}

/** Feeds `prefix`, then expects the grammar to refuse the next token of `rest`. */
async function expectRefused(grammar: Promise<CompiledJsonGrammar>, prefix: string, rest: string): Promise<void> {
  await withConstraint(grammar, async (constraint) => {
    await feed(constraint, prefix);
    const next = encode(rest)[0];
    expect(await allowed(constraint)).not.toContain(next);
    expect(() => constraint.accept(next)).toThrow(/does not fit the grammar/);
  });
}

/** Samples a document from random logits under the constraint; returns its text and how many tokens were drawn. */
async function sampleRandom(grammar: CompiledJsonGrammar, seed: number, budget: number): Promise<{ text: string; drawn: number; stopped: boolean }> {
  const random = createRandom(seed);
  const constraint = await grammar.constrain(budget);
  const ids: number[] = [];
  try {
    const logits = new Float32Array(VOCAB_SIZE);
    for (let drawn = 1; drawn <= budget; drawn++) {
      for (let id = 0; id < logits.length; id++) logits[id] = random.next() * 10;
      await constraint.mask(logits);
      let best = 0;
      for (let id = 1; id < logits.length; id++) if (logits[id] > logits[best]) best = id;
      if (best === EOT) return { text: tokenizer.decode(ids), drawn, stopped: true };
      constraint.accept(best);
      ids.push(best);
    }
    return { text: tokenizer.decode(ids), drawn: budget, stopped: false };
  } finally {
    constraint.dispose();
  }
}

describe('json_object', () => {
  it('accepts a JSON object token by token, then allows only the stop token', async () => {
    await expectComplete(
      compiler.jsonObject(),
      '{"name": "Ada \\"the\\" first\\u00e9", "tags": ["x", 1, -2.5e3, true, null],\n    "nested": {"empty": {}, "list": []}}',
    );
  });

  it('must start an object, and never allows added tokens or padding rows', async () => {
    await withConstraint(compiler.jsonObject(), async (constraint) => {
      const first = await allowed(constraint);
      expect(first.length).toBeGreaterThan(0);
      for (const id of first) expect(textOf(id).startsWith('{')).toBe(true);
      await feed(constraint, '{"a": "');
      const inString = await allowed(constraint);
      expect(inString.length).toBeGreaterThan(10_000);
      expect(inString.filter((id) => id >= 32000)).toEqual([]);
      expect(Math.max(...inString)).toBeLessThan(TOKENIZER_ENTRIES);
    });
  });

  it('throws when a forbidden token is accepted', async () => {
    await expectRefused(compiler.jsonObject(), '', '[1]');
    await expectRefused(compiler.jsonObject(), '{"a": 1', ' "b"');
  });

  it('allows one space, or one line break and at most MAX_INDENT blanks, between tokens', async () => {
    const isBlank = (id: number) => /^[ \t\n\r]+$/.test(textOf(id));
    await withConstraint(compiler.jsonObject(), async (constraint) => {
      await feed(constraint, '{ ');
      expect((await allowed(constraint)).filter(isBlank)).toEqual([]);
    });
    await withConstraint(compiler.jsonObject(), async (constraint) => {
      await feed(constraint, `{\n${' '.repeat(MAX_INDENT)}`);
      expect((await allowed(constraint)).filter(isBlank)).toEqual([]);
      await feed(constraint, '"a": 1}');
      expect(constraint.isTerminated()).toBe(true);
    });
  });

  it('keeps control characters out of strings and digit runs within exact doubles', async () => {
    await expectRefused(compiler.jsonObject(), '{"a": "x', '\t');
    await expectRefused(compiler.jsonObject(), `{"a": 1${'2'.repeat(MAX_INTEGER_DIGITS - 1)}`, '3');
  });

  it('closes the object before the token budget runs out, from random logits', async () => {
    const grammar = await compiler.jsonObject();
    for (let seed = 0; seed < 20; seed++) {
      const { text, drawn, stopped } = await sampleRandom(grammar, seed, 40);
      expect(stopped, `seed ${seed}: ${text}`).toBe(true);
      expect(drawn).toBeLessThanOrEqual(40);
      expect(typeof JSON.parse(text)).toBe('object');
    }
  });

  it('writes the shortest document when the budget barely fits one', async () => {
    for (let seed = 0; seed < 5; seed++) {
      const { text, stopped } = await sampleRandom(await compiler.jsonObject(), seed, 3);
      expect(text).toBe('{}');
      expect(stopped).toBe(true);
    }
  });
});

describe('json_schema', () => {
  const schema = (value: unknown) => compiler.jsonSchema(value, 'response_format.json_schema.schema');

  it('honours enum and const', async () => {
    const colour = schema({
      type: 'object',
      properties: { colour: { enum: ['red', 'green'] }, kind: { const: 'paint' } },
      required: ['colour', 'kind'],
      additionalProperties: false,
    });
    await expectComplete(colour, '{"colour": "green", "kind": "paint"}');
    await expectRefused(colour, '{"colour": "', 'blue');
    await expectRefused(colour, '{"colour": "red", "kind": "', 'glue');
  });

  it('honours minLength and maxLength, counting characters', async () => {
    const short = schema({ type: 'string', minLength: 2, maxLength: 4 });
    await expectComplete(short, '"ab"');
    await expectComplete(short, '"é🙂x"');
    await expectRefused(short, '"a', '"');
    await expectRefused(short, '"abcd', 'e');
  });

  it('honours minItems and maxItems', async () => {
    const pair = schema({ type: 'array', items: { type: 'integer' }, minItems: 1, maxItems: 2 });
    await expectComplete(pair, '[1, 2]');
    await expectRefused(pair, '[', ']');
    await expectRefused(pair, '[1, 2', ',');
  });

  it('writes required properties, allows declared optional ones, and nothing else', async () => {
    const person = schema({
      type: 'object',
      properties: { name: { type: 'string' }, age: { type: 'integer' }, email: { type: 'string' } },
      required: ['name', 'email'],
      additionalProperties: false,
    });
    await expectComplete(person, '{"name": "Ada", "email": "a@b.c"}');
    await expectComplete(person, '{"name": "Ada", "age": 36, "email": "a@b.c"}');
    await expectRefused(person, '{', '}');
    await expectRefused(person, '{"name": "Ada"', '}');
    await expectRefused(person, '{"name": "Ada", "', 'x');
  });

  it('follows $ref recursion, anyOf, type lists and nested objects', async () => {
    const tree = schema({
      $defs: {
        node: {
          type: 'object',
          properties: {
            value: { type: ['integer', 'null'] },
            label: { anyOf: [{ type: 'string', maxLength: 5 }, { type: 'boolean' }] },
            children: { type: 'array', items: { $ref: '#/$defs/node' }, maxItems: 2 },
          },
          required: ['value', 'children'],
          additionalProperties: false,
        },
      },
      $ref: '#/$defs/node',
    });
    await expectComplete(tree, '{"value": 1, "label": "root", "children": [{"value": null, "label": false, "children": []}]}');
    await expectRefused(tree, '{"value": 1, "label": "abcde', 'f');
    const listOfFirst = schema({ anyOf: [{ type: 'integer' }, { type: 'array', items: { $ref: '#/anyOf/0' } }] });
    await expectComplete(listOfFirst, '[1, 2]');
    await expectRefused(listOfFirst, '[', '[');
  });

  /** Which of `candidates` the schema's grammar accepts as a whole, by xgrammar's own string matcher. */
  async function acceptedBy(value: unknown, candidates: string[]): Promise<string[]> {
    const grammar = await Grammar.fromEBNF(schemaGrammar(value, 'schema').toEbnf());
    try {
      const accepted: string[] = [];
      for (const candidate of candidates) if (await Testings.isGrammarAcceptString(grammar, candidate)) accepted.push(candidate);
      return accepted;
    } finally {
      grammar.dispose();
    }
  }

  it('honours minimum and maximum on integers, digit by digit', async () => {
    const candidates = Array.from({ length: 261 }, (_, i) => String(i - 130));
    const inRange = (low: number, high: number) => candidates.filter((text) => Number(text) >= low && Number(text) <= high);
    expect(await acceptedBy({ type: 'integer', minimum: -12, maximum: 105 }, candidates)).toEqual(inRange(-12, 105));
    expect(await acceptedBy({ type: 'integer', exclusiveMinimum: 0, exclusiveMaximum: 100 }, candidates)).toEqual(inRange(1, 99));
    expect(await acceptedBy({ type: 'integer', minimum: 7 }, candidates)).toEqual(inRange(7, 130));
  });

  it('honours whole-number bounds on numbers, exclusive ones included', async () => {
    const candidates = ['-2.5', '-2', '-2.0', '-1.99', '-1', '0', '0.5', '2.999', '3', '3.0', '3.01', '4', '1e2'];
    expect(await acceptedBy({ type: 'number', exclusiveMinimum: -2, maximum: 3 }, candidates)).toEqual([
      '-1.99',
      '-1',
      '0',
      '0.5',
      '2.999',
      '3',
      '3.0',
    ]);
    expect(await acceptedBy({ type: 'number', minimum: 0, exclusiveMaximum: 3 }, candidates)).toEqual(['0', '0.5', '2.999']);
  });

  it('treats a schema without properties or type as any object or any value', async () => {
    await expectComplete(schema({ type: 'object' }), '{"free": [1, {"form": null}]}');
    await expectComplete(schema({}), '[1, "two", {"three": 3}]');
  });

  it.each<[string, unknown, RegExp]>([
    ['an unsupported keyword', { type: 'string', pattern: '^a+$' }, /#: the keyword 'pattern' is not supported/],
    ['oneOf', { oneOf: [{ type: 'string' }] }, /'oneOf' is not supported; use 'anyOf'/],
    ['an unknown type', { type: 'strin' }, /#\/type: 'type' must be one of/],
    ['minLength above maxLength', { type: 'string', minLength: 5, maxLength: 2 }, /'minLength' \(5\) is greater than 'maxLength' \(2\)/],
    ['a bound too large to compile', { type: 'string', maxLength: MAX_BOUND + 1 }, /'maxLength' above 256 is not supported/],
    ['a reference that does not resolve', { $ref: '#/$defs/missing' }, /'#\/\$defs\/missing' does not resolve/],
    ['a remote reference', { $ref: 'https://example.com/schema.json' }, /only references inside the schema/],
    ['the false schema', false, /admits no value/],
    ['a schema every value of which contains itself', { $ref: '#' }, /admits no finite JSON value/],
    ['a required property that is not declared', { type: 'object', properties: {}, required: ['constructor'] }, /'constructor' is required but not declared/],
    ['an enum with no value of the type', { type: 'string', enum: [1, 2] }, /no value in 'enum' has the type 'string'/],
    ['enum next to other constraints', { enum: ['a'], minLength: 1 }, /'enum' cannot be combined with 'minLength'/],
    ['fractional bounds on a number', { type: 'number', maximum: 0.5 }, /bounds on a 'number' must be whole numbers/],
    ['bounds no integer fits', { type: 'integer', minimum: 3, maximum: 2.5 }, /no integer of at most 15 digits lies within the bounds/],
    ['a nested problem', { type: 'object', properties: { when: { type: 'string', format: 'date' } } }, /at #\/properties\/when: the keyword 'format'/],
  ])('rejects %s with a 400 naming the parameter', async (_, value, message) => {
    const error = await compiler.jsonSchema(value, 'tools[0].function.parameters').then(
      () => null,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(ApiError);
    const apiError = error as ApiError;
    expect(apiError.status).toBe(400);
    expect(apiError.error.param).toBe('tools[0].function.parameters');
    expect(apiError.error.code).toBe('invalid_json_schema');
    expect(apiError.message).toMatch(message);
  });

  it('keeps working after a schema is refused', async () => {
    await expect(schema({ type: 'strin' })).rejects.toBeInstanceOf(ApiError);
    await expectComplete(schema({ type: 'boolean' }), 'true');
  });

  it('a constraint may be disposed twice, and a grammar constrains any number of generations', async () => {
    const grammar = await schema({ type: 'null' });
    for (let round = 0; round < 3; round++) {
      const constraint = await grammar.constrain();
      await feed(constraint, 'null');
      expect(constraint.isTerminated()).toBe(true);
      constraint.dispose();
      constraint.dispose();
    }
  });
});

describe('schemaGrammar on long lists', () => {
  it('turns an enum of 150,000 values into a grammar without spreading them onto the stack', () => {
    const values = Array.from({ length: 150_000 }, (_, index) => `v${index}`);
    const ebnf = schemaGrammar({ enum: values }, 'schema').toEbnf();
    expect(ebnf).toContain('"\\"v149999\\""');
  });
});
