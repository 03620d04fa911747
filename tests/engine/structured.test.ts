/**
 * JSON mode and JSON Schema on the tiny random-weight instruct model. Its
 * weights know nothing of JSON, so every valid document here comes from the
 * constraint alone: the grammar shapes each token, bounded whitespace, strings
 * and numbers keep it from stalling, and the budget-aware closing finishes it
 * before max_tokens.
 */
import Ajv from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, type ChatCompletionRequest } from '../../src/protocol/index.ts';
import type { GenerationParams } from '../../src/protocol/types.ts';
import { CausalLM } from '../../workers/engine/causal-lm.ts';
import type { Engine } from '../../workers/engine/engine.ts';
import { GrammarCompiler, type CompiledJsonGrammar } from '../../workers/engine/grammar/index.ts';
import { createRandom } from '../../workers/engine/sampling/random.ts';
import { createSampler } from '../../workers/engine/sampling/sampler.ts';
import { INSTRUCT, startEngine } from './harness.ts';

const SEEDS = Array.from({ length: 20 }, (_, seed) => seed);
const MAX_TOKENS = 300;
/** 20 generations of up to 300 tokens: about 15 ms a token on an idle CPU, mostly the forward pass and the sampler. */
const TWENTY_GENERATIONS_MS = 600_000;

const PROFILE_SCHEMA = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 20 },
    age: { type: 'integer', minimum: 0, maximum: 150 },
    score: { type: 'number' },
    active: { type: 'boolean' },
    role: { enum: ['admin', 'editor', 'viewer'] },
    tags: { type: 'array', items: { type: 'string', maxLength: 12 }, maxItems: 3 },
    address: {
      type: 'object',
      properties: {
        city: { type: 'string', maxLength: 16 },
        zip: { type: 'string', minLength: 5, maxLength: 5 },
      },
      required: ['city'],
      additionalProperties: false,
    },
  },
  required: ['name', 'age', 'active', 'role', 'address'],
  additionalProperties: false,
};

const validateProfile = new Ajv({ strict: true }).compile(PROFILE_SCHEMA);

let engine: Engine;
let close: () => Promise<void>;
let lm: CausalLM;
let grammars: GrammarCompiler;

beforeAll(async () => {
  const started = await startEngine();
  ({ engine, close } = started);
  await engine.load(INSTRUCT, { device: 'cpu', dtype: 'q4' });
  lm = await CausalLM.load({ id: INSTRUCT, host: started.mirror.host, device: 'cpu', dtype: 'q4', modelFileName: 'model', onFileProgress: () => undefined });
  grammars = new GrammarCompiler(lm.tokenizer, { vocabSize: lm.logitsWidth, stopTokenIds: [...lm.eosTokenIds] });
});

afterAll(async () => {
  grammars?.dispose();
  await lm?.dispose();
  await close?.();
});

function samplingParams(seed: number): GenerationParams {
  return {
    temperature: 1,
    topP: 1,
    topK: 0,
    minP: 0,
    maxTokens: MAX_TOKENS,
    frequencyPenalty: 0,
    presencePenalty: 0,
    repetitionPenalty: 1,
    logitBias: new Map(),
    stop: [],
    seed,
    topLogprobs: null,
  };
}

/**
 * Our own decode loop over the model: forward, mask, sample at temperature 1,
 * accept. `budget` counts every token drawn, the stop token included.
 */
async function sampleConstrained(grammar: CompiledJsonGrammar, seed: number): Promise<{ text: string; stopped: boolean; drawn: number }> {
  const promptIds = lm.chatPromptIds([{ role: 'user', content: 'Describe a user as JSON.' }]);
  const sampler = createSampler(samplingParams(seed), lm.vocabularyLimit, createRandom(seed), promptIds.length);
  const history = [...promptIds];
  const written: number[] = [];
  const constraint = await grammar.constrain(MAX_TOKENS);
  try {
    await lm.reset();
    let logits = await lm.forward(promptIds);
    for (let drawn = 1; drawn <= MAX_TOKENS; drawn++) {
      await constraint.mask(logits);
      const token = sampler.next(logits, history);
      if (lm.eosTokenIds.has(token)) return { text: lm.decode(written), stopped: true, drawn };
      constraint.accept(token);
      written.push(token);
      history.push(token);
      if (drawn < MAX_TOKENS) logits = await lm.forward([token]);
    }
    return { text: lm.decode(written), stopped: false, drawn: MAX_TOKENS };
  } finally {
    constraint.dispose();
  }
}

describe('the constraint alone, in a decode loop of our own', () => {
  it('json_object: 20 seeds at temperature 1 each end on the stop token with a JSON object', async () => {
    const grammar = await grammars.jsonObject();
    for (const seed of SEEDS) {
      const { text, stopped, drawn } = await sampleConstrained(grammar, seed);
      expect(stopped, `seed ${seed} ran out of tokens: ${text}`).toBe(true);
      expect(drawn).toBeLessThanOrEqual(MAX_TOKENS);
      const parsed: unknown = JSON.parse(text);
      expect(parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed), text).toBe(true);
    }
  }, TWENTY_GENERATIONS_MS);

  it('json_schema: 20 seeds at temperature 1 each end on the stop token with a document ajv accepts', async () => {
    const grammar = await grammars.jsonSchema(PROFILE_SCHEMA, 'response_format.json_schema.schema');
    for (const seed of SEEDS) {
      const { text, stopped } = await sampleConstrained(grammar, seed);
      expect(stopped, `seed ${seed} ran out of tokens: ${text}`).toBe(true);
      const parsed: unknown = JSON.parse(text);
      expect(validateProfile(parsed), `${text}\n${JSON.stringify(validateProfile.errors)}`).toBe(true);
    }
  }, TWENTY_GENERATIONS_MS);
});

describe('response_format through engine.chat', () => {
  function request(extra: Partial<ChatCompletionRequest>): ChatCompletionRequest {
    return { model: INSTRUCT, messages: [{ role: 'user', content: 'Describe a user as JSON.' }], temperature: 1, max_tokens: MAX_TOKENS, ...extra };
  }

  it('json_object: 20 seeds give content that parses as an object, finishing with stop', async () => {
    for (const seed of SEEDS) {
      const completion = await engine.chat(request({ seed, response_format: { type: 'json_object' } }));
      const { content } = completion.choices[0].message;
      expect(completion.choices[0].finish_reason, `seed ${seed}: ${content}`).toBe('stop');
      expect(completion.usage.completion_tokens).toBeLessThanOrEqual(MAX_TOKENS);
      const parsed: unknown = JSON.parse(content ?? '');
      expect(parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed), content ?? '').toBe(true);
    }
  }, TWENTY_GENERATIONS_MS);

  it('json_schema: 20 seeds give content that validates against the schema', async () => {
    const responseFormat = { type: 'json_schema', json_schema: { name: 'profile', strict: true, schema: PROFILE_SCHEMA } } as const;
    for (const seed of SEEDS) {
      const completion = await engine.chat(request({ seed, response_format: responseFormat }));
      const { content } = completion.choices[0].message;
      expect(completion.choices[0].finish_reason, `seed ${seed}: ${content}`).toBe('stop');
      expect(validateProfile(JSON.parse(content ?? '')), `${content}\n${JSON.stringify(validateProfile.errors)}`).toBe(true);
    }
  }, TWENTY_GENERATIONS_MS);

  it('a schema the grammar cannot honour is a 400 naming the schema, and the engine answers the next request', async () => {
    const error = await engine
      .chat(request({ response_format: { type: 'json_schema', json_schema: { name: 'bad', schema: { type: 'string', pattern: '^a+$' } } } }))
      .then(
        () => null,
        (thrown: unknown) => thrown,
      );
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(400);
    expect((error as ApiError).error.param).toBe('response_format.json_schema.schema');
    const next = await engine.chat(request({ seed: 1, max_tokens: 40, response_format: { type: 'json_object' } }));
    expect(typeof JSON.parse(next.choices[0].message.content ?? '')).toBe('object');
  });
});
