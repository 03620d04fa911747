import { checkBodyBounds, checkSchemaBounds } from './bounds.ts';
import { clip, invalidRequest, modelNotFound } from './errors.ts';
import type {
  ChatMessage,
  FunctionTool,
  GenerationParams,
  JsonSchema,
  LoadOptions,
  OutputConstraint,
  Role,
  ToolCall,
  ValidChatRequest,
  ValidCompletionRequest,
} from './types.ts';
import { MAX_WASM_THREADS } from './types.ts';

const ROLES: readonly Role[] = ['system', 'user', 'assistant', 'tool'];
export const MAX_STOP_SEQUENCES = 4;
export const MAX_SEED = 2 ** 32 - 1;
const MAX_CHOICES = 8;
const MAX_TOP_LOGPROBS = 20;
const MAX_TOOLS = 128;
/** Past this, every seen token is as good as banned; the cap keeps penalised logits finite. */
export const MAX_REPETITION_PENALTY = 100;
/** OpenAI's rule for function and schema names. */
const NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

/** Parameters both endpoints take. */
const SHARED_PARAMETERS = [
  'model',
  'temperature',
  'top_p',
  'top_k',
  'min_p',
  'max_tokens',
  'frequency_penalty',
  'presence_penalty',
  'repetition_penalty',
  'logit_bias',
  'stop',
  'seed',
  'n',
  'user',
  'stream',
  'stream_options',
];

const CHAT_PARAMETERS = new Set([
  ...SHARED_PARAMETERS,
  'messages',
  'max_completion_tokens',
  'logprobs',
  'top_logprobs',
  'response_format',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
]);

const COMPLETION_PARAMETERS = new Set([...SHARED_PARAMETERS, 'prompt', 'suffix', 'echo', 'logprobs']);

type Body = Record<string, unknown>;

/** A caller's value as an error message repeats it: its kind, and a short start of any text. */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing (it is missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return `the string ${JSON.stringify(clip(value))}`;
    case 'object':
      return 'an object';
    case 'function':
      return 'a function';
    default:
      return `${typeof value} ${clip(String(value))}`;
  }
}

/** A bound as a message states it: the real number, never a stand-in such as ∞. */
function formatBound(bound: number): string {
  return bound === Number.MAX_SAFE_INTEGER ? `${bound} (2^53 - 1)` : String(bound);
}

interface NumberRule {
  min: number;
  max: number;
  /** Whether the bound itself is allowed. */
  minInclusive?: boolean;
  integer?: boolean;
}

function checkNumber(value: unknown, param: string, rule: NumberRule): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw invalidRequest(`'${param}' must be a finite number, got ${describe(value)}.`, param, 'invalid_type');
  }
  if (rule.integer && !Number.isInteger(value)) {
    throw invalidRequest(`'${param}' must be an integer, got ${clip(String(value))}.`, param, 'invalid_type');
  }
  const minInclusive = rule.minInclusive ?? true;
  const belowMin = minInclusive ? value < rule.min : value <= rule.min;
  if (belowMin || value > rule.max) {
    const lower = minInclusive ? `[${rule.min}` : `(${rule.min}`;
    throw invalidRequest(`'${param}' must be in ${lower}, ${formatBound(rule.max)}], got ${clip(String(value))}.`, param);
  }
  return value;
}

function optionalNumber(body: Body, param: string, rule: NumberRule): number | undefined {
  const value = body[param];
  if (value === undefined || value === null) return undefined;
  return checkNumber(value, param, rule);
}

function optionalBoolean(body: Body, key: string, param = key): boolean | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') {
    throw invalidRequest(`'${param}' must be a boolean, got ${describe(value)}.`, param, 'invalid_type');
  }
  return value;
}

function optionalString(body: Body, key: string, param = key): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw invalidRequest(`'${param}' must be a string, got ${describe(value)}.`, param, 'invalid_type');
  }
  return value;
}

function requireObject(value: unknown, param: string | null): Body {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const what = param ? `'${param}'` : 'The request body';
    throw invalidRequest(`${what} must be a JSON object, got ${describe(value)}.`, param, 'invalid_type');
  }
  return value as Body;
}

/** A plain string parameter, such as the text of `internals.nextTokenLogits`. */
export function validateText(value: unknown, param: string): string {
  return requireString(value, param);
}

function requireString(value: unknown, param: string): string {
  if (typeof value !== 'string') {
    throw invalidRequest(`'${param}' must be a string, got ${describe(value)}.`, param, 'invalid_type');
  }
  return value;
}

/** `prefix` is the path of a nested object, e.g. 'stream_options.', so the error names the full param. */
function rejectUnknown(body: Body, known: ReadonlySet<string>, prefix = ''): void {
  for (const key of Object.keys(body)) {
    if (!known.has(key)) {
      const param = clip(`${prefix}${key}`);
      throw invalidRequest(`Unrecognized request argument supplied: ${param}`, param, 'unknown_parameter');
    }
  }
}

function validateName(value: unknown, param: string): string {
  const name = requireString(value, param);
  if (!NAME_PATTERN.test(name)) {
    throw invalidRequest(`'${param}' must be 1 to 64 letters, digits, underscores or dashes, got ${describe(name)}.`, param);
  }
  return name;
}

/** Content as a string, or as text parts joined in order; other part types are not supported by a text model. */
function validateContent(value: unknown, param: string, allowNull: boolean): string | null {
  if (value === null || value === undefined) {
    if (allowNull) return null;
    throw invalidRequest(`'${param}' must be a string or an array of text parts, got ${describe(value)}.`, param, 'invalid_type');
  }
  if (typeof value === 'string') return value;
  if (!Array.isArray(value)) {
    throw invalidRequest(`'${param}' must be a string or an array of text parts, got ${describe(value)}.`, param, 'invalid_type');
  }
  return value
    .map((raw, index) => {
      const partParam = `${param}[${index}]`;
      const part = requireObject(raw, partParam);
      // The type first: an image part's own key (image_url) would otherwise be reported as an unknown parameter.
      if (part.type !== 'text') {
        throw invalidRequest(
          `'${partParam}.type' must be 'text': DeepSeek Coder reads text only, got ${describe(part.type)}.`,
          `${partParam}.type`,
        );
      }
      rejectUnknown(part, new Set(['type', 'text']), `${partParam}.`);
      return requireString(part.text, `${partParam}.text`);
    })
    .join('');
}

function validateToolCalls(value: unknown, param: string): ToolCall[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw invalidRequest(`'${param}' must be a non-empty array of tool calls, got ${describe(value)}.`, param, 'invalid_type');
  }
  return value.map((raw, index) => {
    const callParam = `${param}[${index}]`;
    const call = requireObject(raw, callParam);
    rejectUnknown(call, new Set(['id', 'type', 'function']), `${callParam}.`);
    if (call.type !== 'function') throw invalidRequest(`'${callParam}.type' must be 'function'.`, `${callParam}.type`);
    const fn = requireObject(call.function, `${callParam}.function`);
    rejectUnknown(fn, new Set(['name', 'arguments']), `${callParam}.function.`);
    return {
      id: requireString(call.id, `${callParam}.id`),
      type: 'function',
      function: {
        name: validateName(fn.name, `${callParam}.function.name`),
        arguments: requireString(fn.arguments, `${callParam}.function.arguments`),
      },
    };
  });
}

const MESSAGE_FIELDS: Record<Role, ReadonlySet<string>> = {
  system: new Set(['role', 'content', 'name']),
  user: new Set(['role', 'content', 'name']),
  assistant: new Set(['role', 'content', 'name', 'tool_calls', 'refusal']),
  tool: new Set(['role', 'content', 'tool_call_id']),
};

function validateMessage(raw: unknown, index: number): ChatMessage {
  const param = `messages[${index}]`;
  const message = requireObject(raw, param);
  const role = message.role;
  if (typeof role !== 'string' || !ROLES.includes(role as Role)) {
    throw invalidRequest(
      `'${param}.role' must be one of ${ROLES.map((r) => `'${r}'`).join(', ')}, got ${describe(role)}.`,
      `${param}.role`,
    );
  }
  const typedRole = role as Role;
  rejectUnknown(message, MESSAGE_FIELDS[typedRole], `${param}.`);
  const hasToolCalls = typedRole === 'assistant' && message.tool_calls !== undefined && message.tool_calls !== null;
  const content = validateContent(message.content, `${param}.content`, hasToolCalls);
  const result: ChatMessage = { role: typedRole, content: content ?? '' };
  const name = optionalString(message, 'name', `${param}.name`);
  if (name !== undefined) result.name = name;
  if (hasToolCalls) result.tool_calls = validateToolCalls(message.tool_calls, `${param}.tool_calls`);
  if (typedRole === 'tool') result.tool_call_id = requireString(message.tool_call_id, `${param}.tool_call_id`);
  return result;
}

function validateMessages(value: unknown): ChatMessage[] {
  if (!Array.isArray(value)) {
    throw invalidRequest(`'messages' must be an array of messages, got ${describe(value)}.`, 'messages', 'invalid_type');
  }
  if (value.length === 0) {
    throw invalidRequest("'messages' must contain at least one message.", 'messages', 'empty_array');
  }
  const messages = value.map(validateMessage);
  // A tool result answers a call made before it, as OpenAI requires.
  const earlierCallIds = new Set<string>();
  messages.forEach((message, index) => {
    if (message.role === 'tool' && !earlierCallIds.has(message.tool_call_id ?? '')) {
      throw invalidRequest(
        `'messages[${index}].tool_call_id' is '${clip(message.tool_call_id ?? '')}', which no earlier assistant message's tool_calls has.`,
        `messages[${index}].tool_call_id`,
      );
    }
    for (const call of message.tool_calls ?? []) earlierCallIds.add(call.id);
  });
  return messages;
}

function validateStop(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.some((item) => typeof item !== 'string')) {
    throw invalidRequest(`'stop' must be a string or an array of strings, got ${describe(value)}.`, 'stop', 'invalid_type');
  }
  if (list.length > MAX_STOP_SEQUENCES) {
    throw invalidRequest(`'stop' takes at most ${MAX_STOP_SEQUENCES} sequences, got ${list.length}.`, 'stop');
  }
  if (list.some((item) => item.length === 0)) {
    throw invalidRequest("'stop' sequences must not be empty strings.", 'stop');
  }
  return list as string[];
}

/** Keys are token ids as strings (JSON objects have string keys); values are added to the logits, −100 bans and 100 forces. */
function validateLogitBias(value: unknown): Map<number, number> {
  const bias = new Map<number, number>();
  if (value === undefined || value === null) return bias;
  const entries = requireObject(value, 'logit_bias');
  for (const [key, amount] of Object.entries(entries)) {
    const param = `logit_bias.${key}`;
    if (!/^(0|[1-9]\d{0,9})$/.test(key) || Number(key) > 2 ** 31 - 1) {
      throw invalidRequest(`'logit_bias' keys must be token ids (non-negative integers), got ${JSON.stringify(clip(key))}.`, 'logit_bias');
    }
    bias.set(Number(key), checkNumber(amount, param, { min: -100, max: 100 }));
  }
  return bias;
}

/** `minimum` is 0 only for completions with `echo`, where max_tokens 0 scores a prompt without generating. */
function validateMaxTokens(body: Body, minimum: 0 | 1): number | null {
  const rule = { min: minimum, max: Number.MAX_SAFE_INTEGER, integer: true };
  const maxTokens = optionalNumber(body, 'max_tokens', rule);
  const maxCompletionTokens = optionalNumber(body, 'max_completion_tokens', rule);
  if (maxTokens !== undefined && maxCompletionTokens !== undefined && maxTokens !== maxCompletionTokens) {
    throw invalidRequest(
      `'max_tokens' (${maxTokens}) and 'max_completion_tokens' (${maxCompletionTokens}) disagree; send only 'max_completion_tokens'.`,
      'max_tokens',
    );
  }
  return maxCompletionTokens ?? maxTokens ?? null;
}

/** What a request that sets no sampling parameter runs with. */
export function defaultGenerationParams(): GenerationParams {
  return {
    temperature: 1,
    topP: 1,
    topK: 0,
    minP: 0,
    maxTokens: null,
    frequencyPenalty: 0,
    presencePenalty: 0,
    repetitionPenalty: 1,
    logitBias: new Map(),
    stop: [],
    seed: null,
    topLogprobs: null,
  };
}

function validateParams(body: Body, topLogprobs: number | null, maxTokensMinimum: 0 | 1 = 1): GenerationParams {
  const defaults = defaultGenerationParams();
  return {
    temperature: optionalNumber(body, 'temperature', { min: 0, max: 2 }) ?? defaults.temperature,
    topP: optionalNumber(body, 'top_p', { min: 0, max: 1, minInclusive: false }) ?? defaults.topP,
    topK: optionalNumber(body, 'top_k', { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true }) ?? defaults.topK,
    minP: optionalNumber(body, 'min_p', { min: 0, max: 1 }) ?? defaults.minP,
    maxTokens: validateMaxTokens(body, maxTokensMinimum),
    frequencyPenalty: optionalNumber(body, 'frequency_penalty', { min: -2, max: 2 }) ?? defaults.frequencyPenalty,
    presencePenalty: optionalNumber(body, 'presence_penalty', { min: -2, max: 2 }) ?? defaults.presencePenalty,
    repetitionPenalty:
      optionalNumber(body, 'repetition_penalty', { min: 0, max: MAX_REPETITION_PENALTY, minInclusive: false }) ??
      defaults.repetitionPenalty,
    logitBias: validateLogitBias(body.logit_bias),
    stop: validateStop(body.stop),
    seed: optionalNumber(body, 'seed', { min: 0, max: MAX_SEED, integer: true }) ?? defaults.seed,
    topLogprobs,
  };
}

interface StreamSettings {
  stream: boolean;
  includeUsage: boolean;
}

function validateStreaming(body: Body): StreamSettings {
  const stream = optionalBoolean(body, 'stream') ?? false;
  let includeUsage = false;
  if (body.stream_options !== undefined && body.stream_options !== null) {
    if (!stream) {
      throw invalidRequest("'stream_options' is only allowed when 'stream' is true.", 'stream_options');
    }
    const options = requireObject(body.stream_options, 'stream_options');
    rejectUnknown(options, new Set(['include_usage']), 'stream_options.');
    includeUsage = optionalBoolean(options, 'include_usage', 'stream_options.include_usage') ?? false;
  }
  return { stream, includeUsage };
}

function validateSchema(value: unknown, param: string): JsonSchema {
  if (typeof value === 'boolean') return value ? {} : { not: {} };
  const schema = requireObject(value, param);
  // The grammar builder recurses into the schema: bound it first.
  checkSchemaBounds(schema, param);
  return schema;
}

function validateResponseFormat(value: unknown): OutputConstraint {
  if (value === undefined || value === null) return { kind: 'text' };
  const format = requireObject(value, 'response_format');
  switch (format.type) {
    case 'text':
      rejectUnknown(format, new Set(['type']), 'response_format.');
      return { kind: 'text' };
    case 'json_object':
      rejectUnknown(format, new Set(['type']), 'response_format.');
      return { kind: 'json_object' };
    case 'json_schema': {
      rejectUnknown(format, new Set(['type', 'json_schema']), 'response_format.');
      const spec = requireObject(format.json_schema, 'response_format.json_schema');
      rejectUnknown(spec, new Set(['name', 'description', 'schema', 'strict']), 'response_format.json_schema.');
      validateName(spec.name, 'response_format.json_schema.name');
      optionalString(spec, 'description', 'response_format.json_schema.description');
      optionalBoolean(spec, 'strict', 'response_format.json_schema.strict');
      const param = 'response_format.json_schema.schema';
      const schema = spec.schema === undefined || spec.schema === null ? {} : validateSchema(spec.schema, param);
      return { kind: 'json_schema', schema, param };
    }
    default:
      throw invalidRequest(
        `'response_format.type' must be 'text', 'json_object' or 'json_schema', got ${describe(format.type)}.`,
        'response_format.type',
      );
  }
}

function validateTools(value: unknown): FunctionTool[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    throw invalidRequest(`'tools' must be an array of function tools, got ${describe(value)}.`, 'tools', 'invalid_type');
  }
  if (value.length > MAX_TOOLS) throw invalidRequest(`'tools' takes at most ${MAX_TOOLS} tools, got ${value.length}.`, 'tools');
  const names = new Set<string>();
  return value.map((raw, index) => {
    const param = `tools[${index}]`;
    const tool = requireObject(raw, param);
    rejectUnknown(tool, new Set(['type', 'function']), `${param}.`);
    if (tool.type !== 'function') {
      throw invalidRequest(`'${param}.type' must be 'function', got ${describe(tool.type)}.`, `${param}.type`);
    }
    const fn = requireObject(tool.function, `${param}.function`);
    rejectUnknown(fn, new Set(['name', 'description', 'parameters', 'strict']), `${param}.function.`);
    const name = validateName(fn.name, `${param}.function.name`);
    if (names.has(name)) throw invalidRequest(`Tool names must be unique; '${name}' appears twice.`, `${param}.function.name`);
    names.add(name);
    const result: FunctionTool = { type: 'function', function: { name } };
    const description = optionalString(fn, 'description', `${param}.function.description`);
    if (description !== undefined) result.function.description = description;
    if (fn.parameters !== undefined && fn.parameters !== null) {
      result.function.parameters = validateSchema(fn.parameters, `${param}.function.parameters`);
    }
    const strict = optionalBoolean(fn, 'strict', `${param}.function.strict`);
    if (strict !== undefined) result.function.strict = strict;
    return result;
  });
}

function validateToolChoice(value: unknown, tools: FunctionTool[]): 'none' | 'auto' | 'required' | { name: string } {
  if (value === undefined || value === null) return tools.length > 0 ? 'auto' : 'none';
  if (tools.length === 0) {
    throw invalidRequest("'tool_choice' is only allowed when 'tools' are given.", 'tool_choice');
  }
  if (value === 'none' || value === 'auto' || value === 'required') return value;
  if (typeof value === 'string') {
    throw invalidRequest(
      `'tool_choice' must be 'none', 'auto', 'required' or a named function, got ${describe(value)}.`,
      'tool_choice',
    );
  }
  const choice = requireObject(value, 'tool_choice');
  rejectUnknown(choice, new Set(['type', 'function']), 'tool_choice.');
  if (choice.type !== 'function') throw invalidRequest("'tool_choice.type' must be 'function'.", 'tool_choice.type');
  const fn = requireObject(choice.function, 'tool_choice.function');
  rejectUnknown(fn, new Set(['name']), 'tool_choice.function.');
  const name = requireString(fn.name, 'tool_choice.function.name');
  if (!tools.some((tool) => tool.function.name === name)) {
    throw invalidRequest(`'tool_choice' names '${clip(name)}', which is not in 'tools'.`, 'tool_choice.function.name');
  }
  return { name };
}

function validateOutput(body: Body): { output: OutputConstraint; tools: FunctionTool[] } {
  const format = validateResponseFormat(body.response_format);
  const tools = validateTools(body.tools);
  const choice = validateToolChoice(body.tool_choice, tools);
  optionalBoolean(body, 'parallel_tool_calls');
  if (choice === 'none') return { output: format, tools: [] };
  if (format.kind !== 'text') {
    throw invalidRequest(
      "'response_format' cannot constrain the output while tools may be called; set 'tool_choice' to 'none', or drop one of them.",
      'response_format',
    );
  }
  return { output: { kind: 'tools', tools, choice }, tools };
}

export function validateModelField(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalidRequest(`'model' must be a non-empty string, got ${describe(value)}.`, 'model', 'invalid_type');
  }
  return value;
}

function requireLoaded(model: string, loadedModel: string | null): void {
  if (model !== loadedModel) {
    throw modelNotFound(
      model,
      loadedModel ? `is not loaded; the loaded model is '${loadedModel}'.` : 'is not loaded; call load() first.',
    );
  }
}

function validateChoiceCount(body: Body): number {
  return optionalNumber(body, 'n', { min: 1, max: MAX_CHOICES, integer: true }) ?? 1;
}

/**
 * Checks a chat request against OpenAI's rules and our ranges, naming the first
 * offending parameter. `loadedModel` is the id the engine can run, if any.
 */
export function validateChatRequest(input: unknown, loadedModel: string | null): ValidChatRequest {
  const body = requireObject(input, null);
  checkBodyBounds(body);
  rejectUnknown(body, CHAT_PARAMETERS);
  const model = validateModelField(body.model);
  const messages = validateMessages(body.messages);
  const logprobs = optionalBoolean(body, 'logprobs') ?? false;
  const topLogprobs = optionalNumber(body, 'top_logprobs', { min: 0, max: MAX_TOP_LOGPROBS, integer: true });
  if (topLogprobs !== undefined && !logprobs) {
    throw invalidRequest("'top_logprobs' needs 'logprobs' set to true.", 'top_logprobs');
  }
  const params = validateParams(body, logprobs ? (topLogprobs ?? 0) : null);
  const n = validateChoiceCount(body);
  optionalString(body, 'user');
  const streaming = validateStreaming(body);
  const { output, tools } = validateOutput(body);
  requireLoaded(model, loadedModel);
  return { model, messages, params, n, ...streaming, output, tools };
}

function validatePrompt(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'string') return value[0];
  if (Array.isArray(value) && value.length > 1 && value.every((item) => typeof item === 'string')) {
    throw invalidRequest(`'prompt' holds ${value.length} prompts; send one request per prompt.`, 'prompt', 'unsupported_value');
  }
  throw invalidRequest(`'prompt' must be a string, got ${describe(value)}.`, 'prompt', 'invalid_type');
}

/** Checks a completions request: raw text, or fill-in-the-middle when `suffix` is set. */
export function validateCompletionRequest(input: unknown, loadedModel: string | null): ValidCompletionRequest {
  const body = requireObject(input, null);
  checkBodyBounds(body);
  rejectUnknown(body, COMPLETION_PARAMETERS);
  const model = validateModelField(body.model);
  const prompt = validatePrompt(body.prompt);
  const suffix = optionalString(body, 'suffix') ?? null;
  const echo = optionalBoolean(body, 'echo') ?? false;
  if (echo && suffix !== null) {
    throw invalidRequest("'echo' cannot be used with 'suffix': a fill-in-the-middle answer is not a continuation of the prompt.", 'echo');
  }
  const topLogprobs = optionalNumber(body, 'logprobs', { min: 0, max: MAX_TOP_LOGPROBS, integer: true }) ?? null;
  const params = validateParams(body, topLogprobs, echo ? 0 : 1);
  const n = validateChoiceCount(body);
  optionalString(body, 'user');
  const streaming = validateStreaming(body);
  requireLoaded(model, loadedModel);
  return { model, prompt, suffix, echo, params, n, ...streaming };
}

const DEVICES = new Set(['webgpu', 'wasm', 'cpu']);
const DTYPES = new Set(['fp32', 'fp16', 'q4', 'q4f16', 'q8']);

export function validateLoadOptions(input: unknown): LoadOptions {
  if (input === undefined || input === null) return {};
  const body = requireObject(input, 'options');
  const options: LoadOptions = {};
  if (body.device !== undefined && body.device !== null) {
    if (typeof body.device !== 'string' || !DEVICES.has(body.device)) {
      throw invalidRequest(`'device' must be 'webgpu', 'wasm' or 'cpu', got ${describe(body.device)}.`, 'device');
    }
    options.device = body.device as LoadOptions['device'];
  }
  if (body.dtype !== undefined && body.dtype !== null) {
    if (typeof body.dtype !== 'string' || !DTYPES.has(body.dtype)) {
      throw invalidRequest(`'dtype' must be one of ${[...DTYPES].join(', ')}, got ${describe(body.dtype)}.`, 'dtype');
    }
    options.dtype = body.dtype as LoadOptions['dtype'];
  }
  if (body.wasm_threads !== undefined && body.wasm_threads !== null) {
    const threads = body.wasm_threads;
    if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1 || threads > MAX_WASM_THREADS) {
      throw invalidRequest(`'wasm_threads' must be an integer from 1 to ${MAX_WASM_THREADS}, got ${describe(threads)}.`, 'wasm_threads');
    }
    options.wasm_threads = threads;
  }
  return options;
}
