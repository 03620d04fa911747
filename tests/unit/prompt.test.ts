import { beforeAll, describe, expect, it } from 'vitest';
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import { Ajv } from 'ajv';
import {
  DEFAULT_SYSTEM_PROMPT,
  FIM_TOKENS,
  TOOL_CALL_CLOSE,
  TOOL_CALL_OPEN,
  fimPromptIds,
  templateMessages,
  toolCallSchema,
} from '../../workers/engine/prompt.ts';
import type { ChatMessage, FunctionTool } from '../../src/protocol/types.ts';
import { encodeText, loadDeepSeekTokenizer } from './fixture-tokenizer.ts';

const BOS = '<｜begin▁of▁sentence｜>';
/** The system prompt as DeepSeek Coder's tokenizer_config.json writes it, typed out. */
const TEMPLATE_SYSTEM_PROMPT =
  'You are an AI programming assistant, utilizing the Deepseek Coder model, developed by Deepseek Company, ' +
  'and you only answer questions related to computer science. For politically sensitive questions, security ' +
  'and privacy issues, and other non-computer science questions, you will refuse to answer\n';

const WEATHER: FunctionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather in a city.',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};
const TIME: FunctionTool = { type: 'function', function: { name: 'get_time' } };
const CALL = { id: 'call_1', type: 'function' as const, function: { name: 'get_weather', arguments: '{"city": "Paris"}' } };

/** The tool instructions for [WEATHER, TIME], written out as the README documents them. */
const INSTRUCTIONS =
  'You can call functions. To call one, answer with only\n' +
  '<tool_call>{"name": <function name>, "arguments": <arguments as a JSON object>}</tool_call>\n' +
  'and nothing else. Results come back in <tool_result> tags. If no function helps, answer normally.\n' +
  'Functions:\n' +
  '{"name":"get_weather","description":"Current weather in a city.","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}\n' +
  '{"name":"get_time","description":"","parameters":{"type":"object"}}\n';

let tokenizer: PreTrainedTokenizer;

beforeAll(async () => {
  tokenizer = await loadDeepSeekTokenizer();
});

/** What CausalLM.chatPromptIds renders before encoding: the template with the generation prompt. */
function render(messages: ChatMessage[]): string {
  return tokenizer.apply_chat_template(messages, { tokenize: false, add_generation_prompt: true }) as string;
}

const user = (content: string): ChatMessage => ({ role: 'user', content });
const system = (content: string): ChatMessage => ({ role: 'system', content });
const assistant = (content: string): ChatMessage => ({ role: 'assistant', content });

describe("DeepSeek Coder's chat template, byte for byte", () => {
  it('a single user message gets the default system prompt', () => {
    expect(render([user('hi')])).toBe(`${BOS}${TEMPLATE_SYSTEM_PROMPT}### Instruction:\nhi\n### Response:\n`);
  });

  it('a system message replaces the default and runs straight into the first instruction', () => {
    expect(render([system('You are terse.'), user('Sort a list.')])).toBe(
      `${BOS}You are terse.### Instruction:\nSort a list.\n### Response:\n`,
    );
  });

  it('multi-turn: each assistant turn ends with <|EOT|>', () => {
    expect(
      render([system('S\n'), user('a'), assistant('b'), user('c'), assistant('d\ne'), user('f')]),
    ).toBe(
      `${BOS}S\n### Instruction:\na\n### Response:\nb\n<|EOT|>\n### Instruction:\nc\n### Response:\nd\ne\n<|EOT|>\n` +
        '### Instruction:\nf\n### Response:\n',
    );
  });

  it('multi-turn without a system message gets the default system prompt once', () => {
    expect(render([user('a'), assistant('b'), user('c')])).toBe(
      `${BOS}${TEMPLATE_SYSTEM_PROMPT}### Instruction:\na\n### Response:\nb\n<|EOT|>\n### Instruction:\nc\n### Response:\n`,
    );
  });

  it('DEFAULT_SYSTEM_PROMPT is exactly what the template inserts', () => {
    expect(DEFAULT_SYSTEM_PROMPT).toBe(TEMPLATE_SYSTEM_PROMPT);
    expect(render([system(DEFAULT_SYSTEM_PROMPT), user('hi')])).toBe(render([user('hi')]));
    expect(render([user('hi')])).toBe(`${BOS}${DEFAULT_SYSTEM_PROMPT}### Instruction:\nhi\n### Response:\n`);
  });

  it('the rendered prompt starts with the BOS token, once', () => {
    const ids = encodeText(tokenizer, render([user('hi')]));
    expect(ids[0]).toBe(32013);
    expect(ids.filter((id) => id === 32013)).toHaveLength(1);
  });
});

describe('templateMessages without tools', () => {
  it('passes plain messages through unchanged', () => {
    const messages = [system('S'), user('a'), assistant('b'), user('c')];
    expect(templateMessages(messages, [])).toStrictEqual(messages);
    expect(render(templateMessages(messages, []))).toBe(render(messages));
  });

  it('does not change its input', () => {
    const messages: ChatMessage[] = [user('a'), { role: 'assistant', content: '', tool_calls: [CALL] }];
    const copy = structuredClone(messages);
    templateMessages(messages, [WEATHER]);
    expect(messages).toStrictEqual(copy);
  });

  it('still rewrites earlier tool turns (tool_choice none keeps the history readable)', () => {
    const messages: ChatMessage[] = [
      user('Weather in Paris?'),
      { role: 'assistant', content: '', tool_calls: [CALL] },
      { role: 'tool', content: '{"temp_c": 21}', tool_call_id: 'call_1' },
    ];
    expect(templateMessages(messages, [])).toStrictEqual([
      user('Weather in Paris?'),
      assistant('<tool_call>{"name":"get_weather","arguments":{"city":"Paris"}}</tool_call>'),
      user('<tool_result name="get_weather" id="call_1">\n{"temp_c": 21}\n</tool_result>'),
    ]);
  });
});

describe('templateMessages with tools', () => {
  it('without a system message: the default system prompt, then the instructions', () => {
    expect(templateMessages([user('hi')], [WEATHER, TIME])).toStrictEqual([
      system(DEFAULT_SYSTEM_PROMPT + INSTRUCTIONS),
      user('hi'),
    ]);
  });

  it('with a system message: the instructions are appended to it after a newline', () => {
    expect(templateMessages([system('Be brief.'), user('hi')], [WEATHER, TIME])).toStrictEqual([
      system(`Be brief.\n${INSTRUCTIONS}`),
      user('hi'),
    ]);
  });

  it('only the first system message gets the instructions', () => {
    expect(templateMessages([system('A'), user('hi'), system('B')], [TIME])[2]).toStrictEqual(system('B'));
  });

  it('the instructions use the tool-call markers the engine watches for', () => {
    expect(TOOL_CALL_OPEN).toBe('<tool_call>');
    expect(TOOL_CALL_CLOSE).toBe('</tool_call>');
    expect(INSTRUCTIONS).toContain(`${TOOL_CALL_OPEN}{"name": `);
  });

  it('renders byte-exact through the chat template', () => {
    expect(render(templateMessages([user('Weather in Paris?')], [WEATHER, TIME]))).toBe(
      `${BOS}${TEMPLATE_SYSTEM_PROMPT}${INSTRUCTIONS}### Instruction:\nWeather in Paris?\n### Response:\n`,
    );
  });

  it('an assistant tool call becomes <tool_call>{"name":..,"arguments":..}</tool_call>, with the arguments as JSON', () => {
    // index 0 is the system turn with the instructions
    const [, , call] = templateMessages([user('q'), { role: 'assistant', content: '', tool_calls: [CALL] }], [WEATHER]);
    expect(call).toStrictEqual(assistant('<tool_call>{"name":"get_weather","arguments":{"city":"Paris"}}</tool_call>'));
  });

  it('text before the calls stays, and several calls go one per line', () => {
    const second = { id: 'call_2', type: 'function' as const, function: { name: 'get_time', arguments: '{}' } };
    const [, , call] = templateMessages(
      [user('q'), { role: 'assistant', content: 'Checking both.', tool_calls: [CALL, second] }],
      [WEATHER, TIME],
    );
    expect(call).toStrictEqual(
      assistant(
        'Checking both.\n' +
          '<tool_call>{"name":"get_weather","arguments":{"city":"Paris"}}</tool_call>\n' +
          '<tool_call>{"name":"get_time","arguments":{}}</tool_call>',
      ),
    );
  });

  it('arguments that are not JSON are kept as a string', () => {
    const odd = { id: 'call_x', type: 'function' as const, function: { name: 'get_time', arguments: 'now, please' } };
    const [, , call] = templateMessages([user('q'), { role: 'assistant', content: '', tool_calls: [odd] }], [TIME]);
    expect(call.content).toBe('<tool_call>{"name":"get_time","arguments":"now, please"}</tool_call>');
  });

  it('a tool result becomes a user turn in <tool_result name=".." id="..">, named after its call', () => {
    const second = { id: 'call_2', type: 'function' as const, function: { name: 'get_time', arguments: '{}' } };
    const messages: ChatMessage[] = [
      user('q'),
      { role: 'assistant', content: '', tool_calls: [CALL, second] },
      { role: 'tool', content: '12:00', tool_call_id: 'call_2' },
      { role: 'tool', content: 'sunny, 21 °C', tool_call_id: 'call_1' },
    ];
    expect(templateMessages(messages, [WEATHER, TIME]).slice(3)).toStrictEqual([
      user('<tool_result name="get_time" id="call_2">\n12:00\n</tool_result>'),
      user('<tool_result name="get_weather" id="call_1">\nsunny, 21 °C\n</tool_result>'),
    ]);
  });

  it('a whole tool conversation renders byte-exact', () => {
    const messages: ChatMessage[] = [
      system('Be brief.'),
      user('Weather in Paris?'),
      { role: 'assistant', content: '', tool_calls: [CALL] },
      { role: 'tool', content: '{"temp_c": 21}', tool_call_id: 'call_1' },
    ];
    expect(render(templateMessages(messages, [WEATHER, TIME]))).toBe(
      `${BOS}Be brief.\n${INSTRUCTIONS}` +
        '### Instruction:\nWeather in Paris?\n' +
        '### Response:\n<tool_call>{"name":"get_weather","arguments":{"city":"Paris"}}</tool_call>\n<|EOT|>\n' +
        '### Instruction:\n<tool_result name="get_weather" id="call_1">\n{"temp_c": 21}\n</tool_result>\n' +
        '### Response:\n',
    );
  });
});

describe('toolCallSchema', () => {
  const ajv = new Ajv({ strict: false });

  it('one tool: an object with its name as a constant and its parameters as the arguments', () => {
    expect(toolCallSchema([WEATHER])).toStrictEqual({
      type: 'object',
      properties: {
        name: { const: 'get_weather' },
        arguments: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      },
      required: ['name', 'arguments'],
      additionalProperties: false,
    });
  });

  it('a tool without parameters takes any object as arguments', () => {
    expect(toolCallSchema([TIME])).toStrictEqual({
      type: 'object',
      properties: { name: { const: 'get_time' }, arguments: { type: 'object' } },
      required: ['name', 'arguments'],
      additionalProperties: false,
    });
  });

  it('several tools: anyOf one variant per tool, in order', () => {
    expect(toolCallSchema([WEATHER, TIME])).toStrictEqual({ anyOf: [toolCallSchema([WEATHER]), toolCallSchema([TIME])] });
  });

  it("moves the parameters' own $ref under the call, so $defs (Pydantic, zod) still resolve, one tool or several", () => {
    const TREE: FunctionTool = {
      type: 'function',
      function: {
        name: 'add_node',
        parameters: {
          type: 'object',
          properties: { node: { $ref: '#/$defs/node' }, raw: { const: { $ref: '#/not-a-reference' } } },
          required: ['node'],
          $defs: { node: { type: 'object', properties: { children: { type: 'array', items: { $ref: '#/$defs/node' } } } } },
        },
      },
    };
    const one = toolCallSchema([TREE]) as { properties: { arguments: { properties: { node: unknown; raw: unknown } } } };
    expect(one.properties.arguments.properties.node).toEqual({ $ref: '#/properties/arguments/$defs/node' });
    expect(one.properties.arguments.properties.raw).toEqual({ const: { $ref: '#/not-a-reference' } });
    const call = { name: 'add_node', arguments: { node: { children: [{ children: [] }] } } };
    expect(ajv.compile(toolCallSchema([TREE]))(call)).toBe(true);
    expect(ajv.compile(toolCallSchema([TREE]))({ ...call, arguments: { node: { children: [1] } } })).toBe(false);
    const several = toolCallSchema([WEATHER, TREE]);
    expect(JSON.stringify(several)).toContain('"#/anyOf/1/properties/arguments/$defs/node"');
    expect(ajv.compile(several)(call)).toBe(true);
  });

  it('accepts exactly the calls the tools allow', () => {
    const validate = ajv.compile(toolCallSchema([WEATHER, TIME]));
    expect(validate({ name: 'get_weather', arguments: { city: 'Paris' } })).toBe(true);
    expect(validate({ name: 'get_time', arguments: {} })).toBe(true);
    expect(validate({ name: 'get_weather', arguments: {} })).toBe(false);
    expect(validate({ name: 'get_date', arguments: {} })).toBe(false);
    expect(validate({ name: 'get_time', arguments: {}, extra: 1 })).toBe(false);
    expect(validate({ name: 'get_time' })).toBe(false);
    expect(validate({ name: 'get_time', arguments: 'now' })).toBe(false);
  });
});

describe('fill-in-the-middle', () => {
  it('the FIM markers are tokens 32016 (begin), 32015 (hole) and 32017 (end)', () => {
    const vocabulary = tokenizer.get_vocab() as Map<string, number>;
    expect(vocabulary.get(FIM_TOKENS.begin)).toBe(32016);
    expect(vocabulary.get(FIM_TOKENS.hole)).toBe(32015);
    expect(vocabulary.get(FIM_TOKENS.end)).toBe(32017);
    expect(encodeText(tokenizer, FIM_TOKENS.begin)).toEqual([32016]);
    expect(encodeText(tokenizer, FIM_TOKENS.hole)).toEqual([32015]);
    expect(encodeText(tokenizer, FIM_TOKENS.end)).toEqual([32017]);
  });

  it('the BOS token is 32013', () => {
    expect(tokenizer.bos_token_id).toBe(32013);
  });

  const ids = { begin: 32016, hole: 32015, end: 32017 };
  const encode = (text: string) => encodeText(tokenizer, text);

  it('fimPromptIds is [BOS, begin, ...prefix, hole, ...suffix, end], exactly', () => {
    const prefix = 'def f():\n';
    const suffix = '\n    return 1';
    expect(encode(prefix)).toEqual([1551, 267, 10942, 185]);
    expect(encode(suffix)).toEqual([185, 315, 967, 207, 16]);
    expect(fimPromptIds(encode, ids, 32013, prefix, suffix)).toEqual([
      32013, 32016, 1551, 267, 10942, 185, 32015, 185, 315, 967, 207, 16, 32017,
    ]);
  });

  it('decodes to the FIM prompt DeepSeek Coder documents', () => {
    const prompt = fimPromptIds(encode, ids, 32013, 'a = ', '\nprint(a)');
    expect(tokenizer.decode(prompt, { skip_special_tokens: false })).toBe(
      `${BOS}<｜fim▁begin｜>a = <｜fim▁hole｜>\nprint(a)<｜fim▁end｜>`,
    );
  });

  it('is what tokenizing the joined FIM string gives, when the text does not merge across the markers', () => {
    const prefix = 'function add(a, b) {\n  return ';
    const suffix = ';\n}\n';
    expect(fimPromptIds(encode, ids, 32013, prefix, suffix)).toEqual([
      32013,
      ...encode(`${FIM_TOKENS.begin}${prefix}${FIM_TOKENS.hole}${suffix}${FIM_TOKENS.end}`),
    ]);
  });

  it('empty prefix and suffix leave just the markers', () => {
    expect(fimPromptIds(encode, ids, 32013, '', '')).toEqual([32013, 32016, 32015, 32017]);
  });

  it('without a BOS token the prompt starts at the begin marker', () => {
    expect(fimPromptIds(encode, ids, null, 'x', 'y')).toEqual([32016, ...encode('x'), 32015, ...encode('y'), 32017]);
  });

  it("text that spells a special token is read as that token, as Hugging Face's tokenizer reads it (README, Completions)", () => {
    const prompt = fimPromptIds(encode, ids, 32013, 's = "<|EOT|>"', '');
    expect(prompt.filter((id) => id === 32016 || id === 32015 || id === 32017)).toEqual([32016, 32015, 32017]);
    expect(prompt).toContain(32021);
    expect(encode(`a${FIM_TOKENS.hole}b`)).toEqual([...encode('a'), 32015, ...encode('b')]);
  });
});
