/**
 * "View code": the call the playground would make, as code to paste. Pure, so
 * unit tests pin the exact text and check that it parses as JavaScript.
 */
import type { SamplingRequest } from './sampling.ts';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export type Endpoint = 'chat' | 'completions';

export interface CodeSnippets {
  /** The in-page API: `deepseek.chat.completions.create(...)` or `deepseek.completions.create(...)`. */
  client: string;
  /** The same request over HTTP to the page's `/v1` endpoint. */
  fetch: string;
}

export interface ChatSnippetInput {
  model: string;
  systemPrompt: string;
  messages: readonly { role: 'user' | 'assistant'; content: string }[];
  sampling: SamplingRequest;
  /** Streamed, as the playground sends it, or as one response. */
  stream: boolean;
}

export interface CompletionSnippetInput {
  model: string;
  prompt: string;
  /** Present (even empty) for fill-in-the-middle. */
  suffix?: string;
  sampling: SamplingRequest;
  stream: boolean;
}

const LINE_WIDTH = 80;
const INDENT = '  ';

const ENDPOINTS: Record<Endpoint, { method: string; path: string; output: string; delta: string }> = {
  chat: {
    method: 'deepseek.chat.completions.create',
    path: '/v1/chat/completions',
    output: 'completion.choices[0].message.content',
    delta: 'chunk.choices[0]?.delta.content ?? ""',
  },
  completions: {
    method: 'deepseek.completions.create',
    path: '/v1/completions',
    output: 'completion.choices[0].text',
    delta: 'chunk.choices[0]?.text ?? ""',
  },
};

function key(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name);
}

function entries(value: JsonValue[] | JsonObject): [prefix: string, item: JsonValue][] {
  return Array.isArray(value) ? value.map((item) => ['', item]) : Object.entries(value).map(([name, item]) => [`${key(name)}: `, item]);
}

function inline(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const joined = entries(value).map(([prefix, item]) => prefix + inline(item));
  if (joined.length === 0) return Array.isArray(value) ? '[]' : '{}';
  return Array.isArray(value) ? `[${joined.join(', ')}]` : `{ ${joined.join(', ')} }`;
}

/**
 * A JavaScript literal for a JSON value, laid out as Prettier would: a
 * container stays on one line when it fits, otherwise one entry per line with
 * trailing commas. `indent` is the indentation of the line the value is on and
 * `column` where on that line it starts.
 */
export function literal(value: JsonValue, indent: string, column = indent.length, forceMultiline = false): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const parts = entries(value);
  const oneLine = inline(value);
  // The +1 leaves room for the comma or bracket that follows.
  if (!forceMultiline && column + oneLine.length + 1 <= LINE_WIDTH) return oneLine;
  if (parts.length === 0) return oneLine;
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  const inner = indent + INDENT;
  const lines = parts.map(([prefix, item]) => `${inner}${prefix}${literal(item, inner, inner.length + prefix.length)},`);
  return `${open}\n${lines.join('\n')}\n${indent}${close}`;
}

function fetchStart(path: string, body: JsonObject): string[] {
  return [
    `const response = await fetch(${JSON.stringify(path)}, {`,
    `${INDENT}method: "POST",`,
    `${INDENT}headers: { "Content-Type": "application/json" },`,
    `${INDENT}body: JSON.stringify(${literal(body, INDENT, 0, true)}),`,
    '});',
  ];
}

/** Both snippets for one request body; streamed ones collect the text from the chunks. */
export function snippets(endpoint: Endpoint, body: JsonObject, stream = false): CodeSnippets {
  const { method, path, output, delta } = ENDPOINTS[endpoint];
  if (!stream) {
    const client = [`const completion = await ${method}(${literal(body, '', 0, true)});`, `console.log(${output});`].join('\n');
    const fetchCall = [
      ...fetchStart(path, body),
      'const completion = await response.json();',
      'if (!response.ok) throw new Error(completion.error.message);',
      `console.log(${output});`,
    ].join('\n');
    return { client, fetch: fetchCall };
  }
  const streamed = { ...body, stream: true };
  const client = [
    `const stream = await ${method}(${literal(streamed, '', 0, true)});`,
    'let text = "";',
    `for await (const chunk of stream) text += ${delta};`,
    'console.log(text);',
  ].join('\n');
  const fetchCall = [
    ...fetchStart(path, streamed),
    'if (!response.ok) throw new Error((await response.json()).error.message);',
    '// Server-sent events: one "data: {json}" per chunk, then "data: [DONE]".',
    'const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();',
    'let buffer = "";',
    'let text = "";',
    'for (let read = await reader.read(); !read.done; read = await reader.read()) {',
    `${INDENT}buffer += read.value;`,
    `${INDENT}const events = buffer.split("\\n\\n");`,
    `${INDENT}buffer = events.pop();`,
    `${INDENT}for (const event of events) {`,
    `${INDENT}${INDENT}const data = event.slice("data: ".length);`,
    `${INDENT}${INDENT}if (data === "[DONE]") continue;`,
    `${INDENT}${INDENT}const chunk = JSON.parse(data);`,
    `${INDENT}${INDENT}if (chunk.error) throw new Error(chunk.error.message);`,
    `${INDENT}${INDENT}text += ${delta};`,
    `${INDENT}}`,
    '}',
    'console.log(text);',
  ].join('\n');
  return { client, fetch: fetchCall };
}

function withSampling(body: JsonObject, sampling: SamplingRequest): JsonObject {
  for (const [name, value] of Object.entries(sampling)) {
    if (value !== undefined) body[name] = value;
  }
  return body;
}

/** The chat request the playground sends: the system prompt (if set), the conversation, the changed parameters. */
export function chatSnippets({ model, systemPrompt, messages, sampling, stream }: ChatSnippetInput): CodeSnippets {
  const system = systemPrompt.trim() ? [{ role: 'system', content: systemPrompt }] : [];
  const body: JsonObject = { model, messages: [...system, ...messages.map(({ role, content }) => ({ role, content }))] };
  return snippets('chat', withSampling(body, sampling), stream);
}

/** The raw completion Prompt mode sends, or with `suffix` the fill-in-the-middle that Code infill sends. */
export function completionSnippets({ model, prompt, suffix, sampling, stream }: CompletionSnippetInput): CodeSnippets {
  const body: JsonObject = suffix === undefined ? { model, prompt } : { model, prompt, suffix };
  return snippets('completions', withSampling(body, sampling), stream);
}
