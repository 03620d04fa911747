import { invalidRequest, type FinishReason, type Timings, type Usage } from '../../protocol/index.ts';

/** Why an assistant message ended: the API's reasons, plus the user pressing Stop and a failed request. */
export type MessageFinish = FinishReason | 'stopped' | 'error';

export interface MessageError {
  message: string;
  /** The API error's code, which decides the advice shown with it. */
  code: string | null;
}

export interface StoredMessage {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  finish?: MessageFinish;
  error?: MessageError;
  timings?: Timings;
  usage?: Usage;
}

export interface Conversation {
  id: string;
  /** Set by the user; empty means "use the first user message". */
  title: string;
  /** Empty means the model's own default system prompt. */
  systemPrompt: string;
  messages: StoredMessage[];
  createdAt: number;
  updatedAt: number;
}

const TITLE_LENGTH = 60;

export function newConversation(now = Date.now()): Conversation {
  return { id: crypto.randomUUID(), title: '', systemPrompt: '', messages: [], createdAt: now, updatedAt: now };
}

export function displayTitle(conversation: Conversation): string {
  if (conversation.title.trim()) return conversation.title.trim();
  const first = conversation.messages.find((message) => message.role === 'user')?.content.trim().split('\n')[0]?.trim();
  if (!first) return 'New conversation';
  return first.length > TITLE_LENGTH ? `${first.slice(0, TITLE_LENGTH - 1).trimEnd()}…` : first;
}

/**
 * Whether every word of `query` appears, ignoring case, in the conversation's
 * title or in one of its messages: "rust async" finds a conversation that
 * mentions both anywhere. A blank query matches everything.
 */
export function matchesSearch(conversation: Conversation, query: string): boolean {
  const words = query.toLocaleLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const texts = [displayTitle(conversation), ...conversation.messages.map((message) => message.content)].map((text) => text.toLocaleLowerCase());
  return words.every((word) => texts.some((text) => text.includes(word)));
}

/** Whether a conversation holds anything worth keeping. */
export function isBlank(conversation: Conversation): boolean {
  return conversation.messages.length === 0 && conversation.systemPrompt === '' && conversation.title === '';
}

/** An assistant message whose generation was cut short by a reload shows as stopped, not as forever streaming. */
export function settleInterrupted(conversation: Conversation): Conversation {
  for (const message of conversation.messages) {
    if (message.role === 'assistant' && message.finish === undefined) message.finish = 'stopped';
  }
  return conversation;
}

export const FILE_FORMAT = 'deepseek-coder-web.conversation';
export const FILE_VERSION = 1;
/** Imports larger than this are refused before they are read. */
export const MAX_FILE_BYTES = 5 * 1024 * 1024;
const MAX_MESSAGES = 5000;
const MAX_TITLE_LENGTH = 200;

type ExportedMessage = Omit<StoredMessage, 'id'>;

/** JSON keeps everything and imports again; Markdown is for reading and sharing. */
export type ExportFormat = 'json' | 'md';

export interface ConversationFile {
  format: typeof FILE_FORMAT;
  version: typeof FILE_VERSION;
  title: string;
  systemPrompt: string;
  createdAt: number;
  updatedAt: number;
  messages: ExportedMessage[];
}

export function exportConversation(conversation: Conversation): ConversationFile {
  return {
    format: FILE_FORMAT,
    version: FILE_VERSION,
    title: conversation.title,
    systemPrompt: conversation.systemPrompt,
    createdAt: conversation.createdAt,
    updatedAt: conversation.updatedAt,
    messages: conversation.messages.map(({ id: _id, ...message }) => message),
  };
}

/** A file name for the export: the title in lowercase words, safe on every file system. */
export function exportFileName(conversation: Conversation, format: ExportFormat = 'json'): string {
  const slug = displayTitle(conversation).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 48);
  return `${slug || 'conversation'}.${format}`;
}

const ENDINGS_WORTH_SAYING: Partial<Record<MessageFinish, string>> = {
  length: '(The answer hit its token limit here.)',
  stopped: '(Stopped before the end.)',
};

/**
 * The conversation as a Markdown document to read or share: a heading per
 * turn, the messages as written (they are Markdown already), and a note where
 * an answer was cut short or failed. Unlike the JSON export it is not meant
 * to be imported again.
 */
export function conversationMarkdown(conversation: Conversation): string {
  const parts = [`# ${displayTitle(conversation)}`];
  if (conversation.systemPrompt.trim()) parts.push(`**System prompt:** ${conversation.systemPrompt.trim()}`);
  for (const message of conversation.messages) {
    parts.push(message.role === 'user' ? '## You' : '## DeepSeek Coder');
    if (message.content) parts.push(message.content);
    if (message.finish === 'error') parts.push(`(Failed: ${message.error?.message ?? 'unknown error'})`);
    else if (message.finish) {
      const ending = ENDINGS_WORTH_SAYING[message.finish];
      if (ending) parts.push(ending);
    }
  }
  return `${parts.join('\n\n')}\n`;
}

const FINISHES: readonly MessageFinish[] = ['stop', 'length', 'tool_calls', 'stopped', 'error'];
const TIMING_KEYS = ['time_to_first_token_ms', 'prefill_tokens_per_second', 'decode_tokens_per_second'] as const;
const USAGE_KEYS = ['prompt_tokens', 'completion_tokens', 'total_tokens'] as const;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(message: string, param: string): never {
  throw invalidRequest(`Not a conversation export: ${message}`, param, 'invalid_conversation_file');
}

function onlyKeys(value: Json, allowed: readonly string[], path: string): void {
  const unknown = Object.keys(value).find((key) => !allowed.includes(key));
  if (unknown !== undefined) fail(`${path ? `${path} has` : 'it has'} an unknown field "${unknown}".`, path ? `${path}.${unknown}` : unknown);
}

function text(value: unknown, path: string, maxLength: number): string {
  if (typeof value !== 'string') fail(`${path} must be a string.`, path);
  if (value.length > maxLength) fail(`${path} is longer than ${maxLength} characters.`, path);
  return value;
}

function timestamp(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) fail(`${path} must be a time in milliseconds.`, path);
  return value;
}

function readTimings(value: unknown, path: string): Timings {
  if (!isObject(value)) fail(`${path} must be an object.`, path);
  onlyKeys(value, TIMING_KEYS, path);
  const timings = {} as Timings;
  for (const key of TIMING_KEYS) {
    const number = value[key];
    if (typeof number !== 'number' || !Number.isFinite(number) || number < 0) fail(`${path}.${key} must be a number ≥ 0.`, `${path}.${key}`);
    timings[key] = number;
  }
  return timings;
}

function count(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) fail(`${path} must be an integer ≥ 0.`, path);
  return value;
}

function readUsage(value: unknown, path: string): Usage {
  if (!isObject(value)) fail(`${path} must be an object.`, path);
  onlyKeys(value, [...USAGE_KEYS, 'prompt_tokens_details'], path);
  const usage = {} as Usage;
  for (const key of USAGE_KEYS) usage[key] = count(value[key], `${path}.${key}`);
  const details = value.prompt_tokens_details;
  if (details !== undefined) {
    const detailsPath = `${path}.prompt_tokens_details`;
    if (!isObject(details)) fail(`${detailsPath} must be an object.`, detailsPath);
    onlyKeys(details, ['cached_tokens'], detailsPath);
    usage.prompt_tokens_details = { cached_tokens: count(details.cached_tokens, `${detailsPath}.cached_tokens`) };
  }
  return usage;
}

function readMessage(value: unknown, index: number): ExportedMessage {
  const path = `messages[${index}]`;
  if (!isObject(value)) fail(`${path} must be an object.`, path);
  const expectedRole = index % 2 === 0 ? 'user' : 'assistant';
  if (value.role !== 'user' && value.role !== 'assistant') fail(`${path}.role must be "user" or "assistant".`, `${path}.role`);
  if (value.role !== expectedRole) fail(`${path}.role must be "${expectedRole}": messages alternate, starting with the user.`, `${path}.role`);
  const content = text(value.content, `${path}.content`, 1_000_000);
  if (value.role === 'user') {
    onlyKeys(value, ['role', 'content'], path);
    return { role: 'user', content };
  }
  onlyKeys(value, ['role', 'content', 'finish', 'error', 'timings', 'usage'], path);
  const message: ExportedMessage = { role: 'assistant', content };
  if (value.finish !== undefined) {
    if (!FINISHES.includes(value.finish as MessageFinish)) fail(`${path}.finish must be one of ${FINISHES.map((finish) => `"${finish}"`).join(', ')}.`, `${path}.finish`);
    message.finish = value.finish as MessageFinish;
  }
  if (value.error !== undefined) {
    if (!isObject(value.error)) fail(`${path}.error must be an object.`, `${path}.error`);
    onlyKeys(value.error, ['message', 'code'], `${path}.error`);
    const code = value.error.code;
    if (code !== null && typeof code !== 'string') fail(`${path}.error.code must be a string or null.`, `${path}.error.code`);
    message.error = { message: text(value.error.message, `${path}.error.message`, 10_000), code };
  }
  if ((message.error !== undefined) !== (message.finish === 'error')) {
    fail(`${path} must have an error exactly when its finish is "error".`, `${path}.error`);
  }
  if (value.timings !== undefined) message.timings = readTimings(value.timings, `${path}.timings`);
  if (value.usage !== undefined) message.usage = readUsage(value.usage, `${path}.usage`);
  return message;
}

/**
 * Reads an exported conversation, strictly: anything but this app's own export
 * format is refused with an ApiError naming the offending field.
 */
export function parseConversationFile(json: string, now = Date.now()): Conversation {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    fail(`the file is not valid JSON (${(error as Error).message}).`, 'file');
  }
  if (!isObject(value)) fail('the file must hold a JSON object.', 'file');
  if (value.format !== FILE_FORMAT) fail(`"format" must be "${FILE_FORMAT}".`, 'format');
  if (value.version !== FILE_VERSION) fail(`"version" must be ${FILE_VERSION}; this app cannot read version ${JSON.stringify(value.version)}.`, 'version');
  onlyKeys(value, ['format', 'version', 'title', 'systemPrompt', 'createdAt', 'updatedAt', 'messages'], '');
  if (!Array.isArray(value.messages)) fail('"messages" must be an array.', 'messages');
  if (value.messages.length > MAX_MESSAGES) fail(`"messages" holds more than ${MAX_MESSAGES} messages.`, 'messages');
  return {
    id: crypto.randomUUID(),
    title: value.title === undefined ? '' : text(value.title, 'title', MAX_TITLE_LENGTH),
    systemPrompt: value.systemPrompt === undefined ? '' : text(value.systemPrompt, 'systemPrompt', 100_000),
    createdAt: value.createdAt === undefined ? now : timestamp(value.createdAt, 'createdAt'),
    updatedAt: now,
    messages: value.messages.map((message, index) => ({ id: crypto.randomUUID(), ...readMessage(message, index) })),
  };
}
