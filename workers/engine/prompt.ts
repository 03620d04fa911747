/**
 * Prompt building beyond the tokenizer's own chat template: tools, and
 * fill-in-the-middle. DeepSeek Coder's template knows only system, user and
 * assistant turns, so tool definitions, calls and results are written into
 * those turns in one documented format (README, "Tools").
 */
import type { ChatMessage, FunctionTool, JsonSchema } from '../../src/protocol/types.ts';

export const TOOL_CALL_OPEN = '<tool_call>';
export const TOOL_CALL_CLOSE = '</tool_call>';

/**
 * The system prompt DeepSeek Coder's template inserts when a conversation has
 * none. Tool instructions go into a system turn, which would drop it, so they
 * carry it themselves. A unit test checks it against the template.
 */
export const DEFAULT_SYSTEM_PROMPT =
  'You are an AI programming assistant, utilizing the Deepseek Coder model, developed by Deepseek Company, and you only answer questions related to computer science. For politically sensitive questions, security and privacy issues, and other non-computer science questions, you will refuse to answer\n';

/** Keywords whose values are data, not schemas: a `$ref` key inside them is not a reference. */
const DATA_KEYWORDS = new Set(['const', 'enum', 'default', 'examples']);

/**
 * `schema` with every local `$ref` (`#`, `#/…`) moved under `base`: a tool's
 * parameters are nested inside the call's schema, and references written
 * against their own root (Pydantic's and zod's `#/$defs/…`) must still resolve.
 */
function rebaseReferences(schema: unknown, base: string): unknown {
  if (Array.isArray(schema)) return schema.map((item) => rebaseReferences(item, base));
  if (typeof schema !== 'object' || schema === null) return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([key, value]) => {
      if (key === '$ref' && typeof value === 'string' && value.startsWith('#')) return [key, base + value.slice(1)];
      return [key, DATA_KEYWORDS.has(key) ? value : rebaseReferences(value, base)];
    }),
  );
}

/** The JSON a tool call is decoded as: the function's name, then its arguments. */
export function toolCallSchema(tools: readonly FunctionTool[]): JsonSchema {
  const variants = tools.map((tool, index) => ({
    type: 'object',
    properties: {
      name: { const: tool.function.name },
      arguments: rebaseReferences(
        tool.function.parameters ?? { type: 'object' },
        tools.length === 1 ? '#/properties/arguments' : `#/anyOf/${index}/properties/arguments`,
      ),
    },
    required: ['name', 'arguments'],
    additionalProperties: false,
  }));
  return variants.length === 1 ? variants[0] : { anyOf: variants };
}

function toolInstructions(tools: readonly FunctionTool[]): string {
  const described = tools
    .map((tool) => JSON.stringify({ name: tool.function.name, description: tool.function.description ?? '', parameters: tool.function.parameters ?? { type: 'object' } }))
    .join('\n');
  return (
    'You can call functions. To call one, answer with only\n' +
    `${TOOL_CALL_OPEN}{"name": <function name>, "arguments": <arguments as a JSON object>}${TOOL_CALL_CLOSE}\n` +
    'and nothing else. Results come back in <tool_result> tags. If no function helps, answer normally.\n' +
    `Functions:\n${described}\n`
  );
}

function renderCall(message: ChatMessage): string {
  const calls = (message.tool_calls ?? []).map((call) => {
    let args: unknown = call.function.arguments;
    try {
      args = JSON.parse(call.function.arguments);
    } catch {
      // Arguments a client wrote by hand may not be JSON; the model still sees them verbatim.
    }
    return `${TOOL_CALL_OPEN}${JSON.stringify({ name: call.function.name, arguments: args })}${TOOL_CALL_CLOSE}`;
  });
  return [message.content, ...calls].filter(Boolean).join('\n');
}

/**
 * Rewrites a conversation into the roles the chat template knows. Without tools
 * and tool turns the messages pass through untouched, so the template's output
 * stays byte-exact.
 */
export function templateMessages(messages: readonly ChatMessage[], tools: readonly FunctionTool[]): ChatMessage[] {
  const callNames = new Map(messages.flatMap((message) => message.tool_calls?.map((call) => [call.id, call.function.name] as const) ?? []));
  const rewritten = messages.map((message): ChatMessage => {
    if (message.role === 'tool') {
      const name = callNames.get(message.tool_call_id ?? '') ?? '';
      return { role: 'user', content: `<tool_result name="${name}" id="${message.tool_call_id}">\n${message.content}\n</tool_result>` };
    }
    if (message.role === 'assistant' && message.tool_calls) return { role: 'assistant', content: renderCall(message) };
    return { role: message.role, content: message.content };
  });
  if (tools.length === 0) return rewritten;
  const firstSystem = rewritten.findIndex((message) => message.role === 'system');
  if (firstSystem === -1) return [{ role: 'system', content: DEFAULT_SYSTEM_PROMPT + toolInstructions(tools) }, ...rewritten];
  return rewritten.map((message, index) =>
    index === firstSystem ? { role: 'system', content: `${message.content}\n${toolInstructions(tools)}` } : message,
  );
}

/** DeepSeek Coder's FIM special tokens, by their text; their ids come from the loaded tokenizer. */
export const FIM_TOKENS = {
  begin: '<｜fim▁begin｜>',
  hole: '<｜fim▁hole｜>',
  end: '<｜fim▁end｜>',
} as const;

export interface FimTokenIds {
  begin: number;
  hole: number;
  end: number;
}

/**
 * `<｜fim▁begin｜>prefix<｜fim▁hole｜>suffix<｜fim▁end｜>`, built from the marker
 * ids themselves rather than by tokenizing the joined string, so the ids are
 * exact whatever the code next to them is.
 */
export function fimPromptIds(
  encode: (text: string) => number[],
  ids: FimTokenIds,
  bos: number | null,
  prefix: string,
  suffix: string,
): number[] {
  return [...(bos === null ? [] : [bos]), ids.begin, ...encode(prefix), ids.hole, ...encode(suffix), ids.end];
}
