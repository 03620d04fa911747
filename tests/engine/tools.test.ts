/**
 * Tool calls on the tiny random-weight instruct model. Its weights know nothing
 * of tools, so a valid call can only come from the grammar: each check is that
 * the constraint alone produces calls that parse and match their schema.
 */
import Ajv from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, type ChatCompletionChunk, type ChatCompletionRequest, type FunctionTool } from '../../src/protocol/index.ts';
import { CausalLM } from '../../workers/engine/causal-lm.ts';
import type { Engine } from '../../workers/engine/engine.ts';
import { generate } from '../../workers/engine/generate.ts';
import { GrammarCompiler } from '../../workers/engine/grammar/index.ts';
import { toolCallSchema } from '../../workers/engine/prompt.ts';
import { INSTRUCT, startEngine } from './harness.ts';

const WEATHER: FunctionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: {
      type: 'object',
      properties: {
        city: { type: 'string', maxLength: 20 },
        unit: { enum: ['celsius', 'fahrenheit'] },
      },
      required: ['city', 'unit'],
      additionalProperties: false,
    },
  },
};

const SEARCH: FunctionTool = {
  type: 'function',
  function: {
    name: 'search_code',
    parameters: {
      type: 'object',
      properties: {
        query: { type: 'string', maxLength: 30 },
        limit: { type: 'integer', minimum: 1, maximum: 50 },
        exact: { type: 'boolean' },
      },
      required: ['query', 'limit', 'exact'],
      additionalProperties: false,
    },
  },
};

const TOOLS = [WEATHER, SEARCH];
const ajv = new Ajv({ strict: false });
const validators = new Map(TOOLS.map((tool) => [tool.function.name, ajv.compile(tool.function.parameters ?? {})]));

let engine: Engine;
let close: () => Promise<void>;
let mirrorHost: string;

beforeAll(async () => {
  const started = await startEngine();
  ({ engine, close } = started);
  mirrorHost = started.mirror.host;
  await engine.load(INSTRUCT, { device: 'cpu', dtype: 'q4' });
});

afterAll(async () => {
  await close?.();
});

function request(extra: Partial<ChatCompletionRequest> = {}): ChatCompletionRequest {
  return {
    model: INSTRUCT,
    messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
    tools: TOOLS,
    max_tokens: 120,
    ...extra,
  };
}

function expectValidCall(name: string, args: string) {
  const validate = validators.get(name);
  expect(validate, `unknown tool ${name}`).toBeDefined();
  const parsed: unknown = JSON.parse(args);
  expect(validate?.(parsed), JSON.stringify(validate?.errors)).toBe(true);
}

describe('forced tool calls', () => {
  it("tool_choice 'required' gives a call of one of the tools whose arguments match its schema, for 10 seeds", async () => {
    for (let seed = 0; seed < 10; seed++) {
      const completion = await engine.chat(request({ tool_choice: 'required', seed, temperature: 1 }));
      const choice = completion.choices[0];
      expect(choice.finish_reason).toBe('tool_calls');
      expect(choice.message.content).toBeNull();
      const calls = choice.message.tool_calls ?? [];
      expect(calls).toHaveLength(1);
      expect(calls[0].id).toMatch(/^call_/);
      expect(calls[0].type).toBe('function');
      expectValidCall(calls[0].function.name, calls[0].function.arguments);
    }
  });

  it('a named function is the one called', async () => {
    for (let seed = 0; seed < 5; seed++) {
      const completion = await engine.chat(
        request({ tool_choice: { type: 'function', function: { name: 'search_code' } }, seed, temperature: 1 }),
      );
      const call = completion.choices[0].message.tool_calls?.[0];
      expect(call?.function.name).toBe('search_code');
      expectValidCall('search_code', call?.function.arguments ?? '');
    }
  });

  it('parameters with $defs and recursive $ref (as Pydantic writes them) give calls that match, alone or beside other tools', async () => {
    const tree: FunctionTool = {
      type: 'function',
      function: {
        name: 'add_node',
        parameters: {
          type: 'object',
          properties: { node: { $ref: '#/$defs/Node' } },
          required: ['node'],
          additionalProperties: false,
          $defs: {
            Node: {
              type: 'object',
              properties: {
                label: { type: 'string', maxLength: 8 },
                children: { type: 'array', items: { $ref: '#/$defs/Node' }, maxItems: 2 },
              },
              required: ['label', 'children'],
              additionalProperties: false,
            },
          },
        },
      },
    };
    const validateTree = ajv.compile(tree.function.parameters ?? {});
    const named = { type: 'function', function: { name: 'add_node' } } as const;
    // Named: the call's schema is the one tool's. Required with two tools: an anyOf of both, which moves the references again.
    for (const [seed, tools, choice] of [[0, [tree], named], [1, [tree], named], [2, [WEATHER, tree], 'required'], [3, [tree, WEATHER], 'required'], [4, [WEATHER, tree], 'required']] as const) {
      const completion = await engine.chat(request({ tools: [...tools], tool_choice: choice, seed, temperature: 1, max_tokens: 200 }));
      const call = completion.choices[0].message.tool_calls?.[0];
      expect(call).toBeDefined();
      const validate = call?.function.name === 'add_node' ? validateTree : validators.get(call?.function.name ?? '');
      const args: unknown = JSON.parse(call?.function.arguments ?? 'null');
      expect(validate?.(args), JSON.stringify(validate?.errors)).toBe(true);
    }
  });

  it('streams the call as one tool_calls delta, then finish_reason tool_calls', async () => {
    const chunks: ChatCompletionChunk[] = [];
    const completion = await engine.chat(request({ tool_choice: 'required', seed: 4, stream: true }), (chunk) => chunks.push(chunk));
    const deltas = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    expect(deltas).toHaveLength(1);
    expect(deltas[0]).toMatchObject({ index: 0, type: 'function', id: completion.choices[0].message.tool_calls?.[0].id });
    expect(chunks.at(-1)?.choices[0].finish_reason).toBe('tool_calls');
    expect(chunks.some((chunk) => chunk.choices[0]?.delta.content)).toBe(false);
  });

  it('feeds a tool result back and answers', async () => {
    const first = await engine.chat(request({ tool_choice: 'required', seed: 1 }));
    const message = first.choices[0].message;
    const call = message.tool_calls?.[0];
    expect(call).toBeDefined();
    const followUp = await engine.chat(
      request({
        temperature: 0,
        max_tokens: 10,
        messages: [
          { role: 'user', content: 'What is the weather in Paris?' },
          { role: 'assistant', content: null, tool_calls: message.tool_calls },
          { role: 'tool', tool_call_id: call?.id ?? '', content: '{"celsius": 21}' },
        ],
      }),
    );
    expect(followUp.choices[0].message.tool_calls).toBeUndefined();
    expect(typeof followUp.choices[0].message.content).toBe('string');
    expect(followUp.usage.prompt_tokens).toBeGreaterThan(first.usage.prompt_tokens);
  });

  it('with tool_choice none the tools are neither described nor called', async () => {
    const withNone = await engine.chat(request({ tool_choice: 'none', temperature: 0, max_tokens: 8 }));
    const withoutTools = await engine.chat({ ...request({ temperature: 0, max_tokens: 8 }), tools: undefined });
    expect(withNone.usage.prompt_tokens).toBe(withoutTools.usage.prompt_tokens);
    expect(withNone.choices[0].message.content).toBe(withoutTools.choices[0].message.content);
  });

  it("describes the tools in the prompt with 'auto', and answers in text when the model writes no call", async () => {
    const auto = await engine.chat(request({ temperature: 0, max_tokens: 8 }));
    const none = await engine.chat(request({ tool_choice: 'none', temperature: 0, max_tokens: 8 }));
    expect(auto.usage.prompt_tokens).toBeGreaterThan(none.usage.prompt_tokens);
    expect(auto.choices[0].finish_reason).not.toBe('tool_calls');
  });
});

describe("'auto': the call marker switches on the grammar", () => {
  it('text before the marker streams as content; what follows is a call constrained to the schema', async () => {
    const lm = await CausalLM.load({
      id: INSTRUCT,
      host: mirrorHost,
      device: 'cpu',
      dtype: 'q4',
      modelFileName: 'model',
      onFileProgress: () => undefined,
    });
    const grammar = new GrammarCompiler(lm.tokenizer, { vocabSize: lm.logitsWidth, stopTokenIds: [...lm.eosTokenIds] });
    try {
      const promptIds = lm.chatPromptIds([{ role: 'user', content: 'Explain closures' }]);
      const params = {
        temperature: 0,
        topP: 1,
        topK: 0,
        minP: 0,
        maxTokens: 80,
        frequencyPenalty: 0,
        presencePenalty: 0,
        repetitionPenalty: 1,
        logitBias: new Map<number, number>(),
        stop: [],
        seed: 1,
        topLogprobs: null,
      };
      const tokens: string[] = [];
      await generate(lm, {
        promptIds,
        params: { ...params, topLogprobs: 0 },
        seed: 1,
        maxNewTokens: 80,
        onText: (_, logprobs) => tokens.push(...logprobs.map((entry) => lm.tokenTable.text(entry.token))),
      });
      // The tiny model's own greedy tokens stand in for the marker a real model would write.
      const start = tokens.findIndex((token, index) => index >= 2 && ![token, tokens[index + 1]].join('').includes('\uFFFD'));
      const marker = tokens[start] + tokens[start + 1];
      const compiled = await grammar.jsonSchema(toolCallSchema(TOOLS), 'tools');
      let content = '';
      const result = await generate(lm, {
        promptIds,
        params,
        seed: 1,
        maxNewTokens: 80,
        constrained: { create: (budget) => compiled.constrain(budget), trigger: marker, capture: true },
        onText: (text) => (content += text),
      });
      expect(content).toBe(tokens.slice(0, start).join(''));
      expect(result.finishReason).toBe('tool_calls');
      const call = JSON.parse(result.captured ?? '') as { name: string; arguments: unknown };
      expectValidCall(call.name, JSON.stringify(call.arguments));
    } finally {
      grammar.dispose();
      await lm.dispose();
    }
  });
});

describe('tool errors', () => {
  it('rejects an unknown named tool and a schema the grammar cannot honour, naming the param; the engine stays usable', async () => {
    const unknown = await engine
      .chat(request({ tool_choice: { type: 'function', function: { name: 'nope' } } }))
      .catch((error: unknown) => error);
    expect(unknown).toBeInstanceOf(ApiError);
    expect((unknown as ApiError).error.param).toBe('tool_choice.function.name');
    const bad: FunctionTool = {
      type: 'function',
      function: { name: 'bad', parameters: { type: 'object', properties: { x: { type: 'string', pattern: '(' } } } },
    };
    const unsupported = await engine
      .chat(request({ tools: [bad], tool_choice: 'required' }))
      .catch((error: unknown) => error);
    expect(unsupported).toBeInstanceOf(ApiError);
    expect((unsupported as ApiError).status).toBe(400);
    expect((unsupported as ApiError).error.param).toBe('tools[0].function.parameters');
    const after = await engine.chat(request({ tool_choice: 'required', seed: 2 }));
    expect(after.choices[0].finish_reason).toBe('tool_calls');
  });
});
