import { invalidRequest, modelNotFound } from './errors.ts';
import type { ChatMessage, GenerationParams, LoadOptions, Role, ValidChatRequest } from './types.ts';

const ROLES: readonly Role[] = ['system', 'user', 'assistant'];
const MAX_STOP_SEQUENCES = 4;

const CHAT_PARAMETERS = new Set([
  'model',
  'messages',
  'temperature',
  'top_p',
  'top_k',
  'min_p',
  'max_tokens',
  'repetition_penalty',
  'stop',
  'seed',
  'stream',
  'stream_options',
]);

type Body = Record<string, unknown>;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? `the string ${JSON.stringify(value)}` : `${typeof value} ${String(value)}`;
}

interface NumberRule {
  min: number;
  max: number;
  /** Whether the bound itself is allowed. */
  minInclusive?: boolean;
  integer?: boolean;
}

function optionalNumber(body: Body, param: string, rule: NumberRule): number | undefined {
  const value = body[param];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw invalidRequest(`'${param}' must be a finite number, got ${describe(value)}.`, param, 'invalid_type');
  }
  if (rule.integer && !Number.isInteger(value)) {
    throw invalidRequest(`'${param}' must be an integer, got ${value}.`, param, 'invalid_type');
  }
  const minInclusive = rule.minInclusive ?? true;
  const belowMin = minInclusive ? value < rule.min : value <= rule.min;
  if (belowMin || value > rule.max) {
    const lower = minInclusive ? `[${rule.min}` : `(${rule.min}`;
    const upper = rule.max === Number.MAX_SAFE_INTEGER ? '∞)' : `${rule.max}]`;
    throw invalidRequest(`'${param}' must be in ${lower}, ${upper}, got ${value}.`, param);
  }
  return value;
}

function optionalBoolean(body: Body, key: string, param = key): boolean | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') {
    throw invalidRequest(`'${param}' must be a boolean, got ${describe(value)}.`, param, 'invalid_type');
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

/** `prefix` is the path of a nested object, e.g. 'stream_options.', so the error names the full param. */
function rejectUnknown(body: Body, known: Set<string>, prefix = ''): void {
  for (const key of Object.keys(body)) {
    if (!known.has(key)) {
      const param = `${prefix}${key}`;
      throw invalidRequest(`Unrecognized request argument supplied: ${param}`, param, 'unknown_parameter');
    }
  }
}

function validateMessages(value: unknown): ChatMessage[] {
  if (!Array.isArray(value)) {
    throw invalidRequest(`'messages' must be an array of messages, got ${describe(value)}.`, 'messages', 'invalid_type');
  }
  if (value.length === 0) {
    throw invalidRequest("'messages' must contain at least one message.", 'messages', 'empty_array');
  }
  return value.map((raw, index) => {
    const param = `messages[${index}]`;
    const message = requireObject(raw, param);
    const role = message.role;
    if (typeof role !== 'string' || !ROLES.includes(role as Role)) {
      throw invalidRequest(
        `'${param}.role' must be one of ${ROLES.map((r) => `'${r}'`).join(', ')}, got ${describe(role)}.`,
        `${param}.role`,
      );
    }
    if (typeof message.content !== 'string') {
      throw invalidRequest(
        `'${param}.content' must be a string, got ${describe(message.content)}.`,
        `${param}.content`,
        'invalid_type',
      );
    }
    return { role: role as Role, content: message.content };
  });
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

function validateParams(body: Body): GenerationParams {
  return {
    temperature: optionalNumber(body, 'temperature', { min: 0, max: 2 }) ?? 1,
    topP: optionalNumber(body, 'top_p', { min: 0, max: 1, minInclusive: false }) ?? 1,
    topK: optionalNumber(body, 'top_k', { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true }) ?? 0,
    minP: optionalNumber(body, 'min_p', { min: 0, max: 1 }) ?? 0,
    maxTokens: optionalNumber(body, 'max_tokens', { min: 1, max: Number.MAX_SAFE_INTEGER, integer: true }) ?? null,
    repetitionPenalty:
      optionalNumber(body, 'repetition_penalty', { min: 0, max: Number.MAX_SAFE_INTEGER, minInclusive: false }) ?? 1,
    stop: validateStop(body.stop),
    seed: optionalNumber(body, 'seed', { min: 0, max: 2 ** 32 - 1, integer: true }) ?? null,
  };
}

export function validateModelField(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalidRequest(`'model' must be a non-empty string, got ${describe(value)}.`, 'model', 'invalid_type');
  }
  return value;
}

/**
 * Checks a chat request against OpenAI's rules and our ranges, naming the first
 * offending parameter. `loadedModel` is the id the engine can run, if any.
 */
export function validateChatRequest(input: unknown, loadedModel: string | null): ValidChatRequest {
  const body = requireObject(input, null);
  rejectUnknown(body, CHAT_PARAMETERS);
  const model = validateModelField(body.model);
  const messages = validateMessages(body.messages);
  const params = validateParams(body);
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
  if (model !== loadedModel) {
    throw modelNotFound(
      model,
      loadedModel ? `is not loaded; the loaded model is '${loadedModel}'.` : 'is not loaded; call load() first.',
    );
  }
  return { model, messages, params, stream, includeUsage };
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
  return options;
}
