import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/protocol/index.ts';
import {
  displayTitle,
  exportConversation,
  exportFileName,
  conversationMarkdown,
  FILE_FORMAT,
  matchesSearch,
  newConversation,
  parseConversationFile,
  type Conversation,
} from '../../src/ui/state/conversation.ts';

function conversation(): Conversation {
  const base = newConversation(1_700_000_000_000);
  return {
    ...base,
    systemPrompt: 'Answer briefly.',
    messages: [
      { id: 'u1', role: 'user', content: 'Write a binary search in Go\nplease' },
      {
        id: 'a1',
        role: 'assistant',
        content: '```go\nfunc search() {}\n```',
        finish: 'stop',
        timings: { time_to_first_token_ms: 120, prefill_tokens_per_second: 900, decode_tokens_per_second: 42 },
        usage: { prompt_tokens: 30, completion_tokens: 12, total_tokens: 42 },
      },
      { id: 'u2', role: 'user', content: 'And in Rust?' },
      { id: 'a2', role: 'assistant', content: '', finish: 'error', error: { message: 'Too long.', code: 'context_length_exceeded' } },
    ],
  };
}

function importError(file: unknown): ApiError {
  try {
    parseConversationFile(typeof file === 'string' ? file : JSON.stringify(file));
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('the file was accepted');
}

describe('conversation files', () => {
  it('round-trips an exported conversation, with new ids', () => {
    const original = conversation();
    const imported = parseConversationFile(JSON.stringify(exportConversation(original)), 1_800_000_000_000);
    expect(imported.messages.map(({ id: _id, ...message }) => message)).toEqual(original.messages.map(({ id: _id, ...message }) => message));
    expect(imported.systemPrompt).toBe('Answer briefly.');
    expect(imported.createdAt).toBe(original.createdAt);
    expect(imported.updatedAt).toBe(1_800_000_000_000);
    expect(imported.id).not.toBe(original.id);
    expect(new Set(imported.messages.map((message) => message.id)).size).toBe(4);
  });

  it('titles a conversation by its first user message until it is renamed', () => {
    const value = conversation();
    expect(displayTitle(value)).toBe('Write a binary search in Go');
    expect(exportFileName(value)).toBe('write-a-binary-search-in-go.json');
    expect(displayTitle({ ...value, title: 'Search' })).toBe('Search');
    expect(displayTitle(newConversation())).toBe('New conversation');
    expect(displayTitle({ ...value, messages: [{ id: 'x', role: 'user', content: 'x'.repeat(100) }] })).toHaveLength(60);
  });

  const valid = () => exportConversation(conversation()) as unknown as Record<string, unknown> & { messages: Record<string, unknown>[] };

  const cases: [string, unknown, string, RegExp][] = [
    ['not JSON', '{"format":', 'file', /not valid JSON/],
    ['an array', [], 'file', /JSON object/],
    ['another format', { ...valid(), format: 'chatgpt' }, 'format', /"format" must be "deepseek-coder-web.conversation"/],
    ['a future version', { ...valid(), version: 2 }, 'version', /cannot read version 2/],
    ['an unknown field', { ...valid(), extra: true }, 'extra', /unknown field "extra"/],
    ['no messages', { format: FILE_FORMAT, version: 1 }, 'messages', /"messages" must be an array/],
    ['a bad role', { ...valid(), messages: [{ role: 'system', content: 'x' }] }, 'messages[0].role', /"user" or "assistant"/],
    ['two user messages in a row', { ...valid(), messages: [{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }] }, 'messages[1].role', /must be "assistant"/],
    ['content that is not text', { ...valid(), messages: [{ role: 'user', content: 42 }] }, 'messages[0].content', /must be a string/],
    ['stats on a user message', { ...valid(), messages: [{ role: 'user', content: 'a', finish: 'stop' }] }, 'messages[0].finish', /unknown field "finish"/],
    ['an unknown finish', { ...valid(), messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b', finish: 'done' }] }, 'messages[1].finish', /must be one of/],
    ['an error without finish "error"', { ...valid(), messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b', finish: 'stop', error: { message: 'x', code: null } }] }, 'messages[1].error', /exactly when/],
    ['negative usage', { ...valid(), messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b', usage: { prompt_tokens: 1, completion_tokens: -1, total_tokens: 0 } }] }, 'messages[1].usage.completion_tokens', /integer ≥ 0/],
    ['timings that are not numbers', { ...valid(), messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b', timings: { time_to_first_token_ms: '1', prefill_tokens_per_second: 1, decode_tokens_per_second: 1 } }] }, 'messages[1].timings.time_to_first_token_ms', /number ≥ 0/],
    ['a title that is too long', { ...valid(), title: 'x'.repeat(201) }, 'title', /longer than 200/],
  ];
  for (const [name, file, param, message] of cases) {
    it(`refuses ${name}, naming ${param}`, () => {
      const error = importError(file);
      expect(error.status).toBe(400);
      expect(error.error.param).toBe(param);
      expect(error.error.code).toBe('invalid_conversation_file');
      expect(error.message).toMatch(/^Not a conversation export: /);
      expect(error.message).toMatch(message);
    });
  }
});

describe('matchesSearch', () => {
  it('finds words in the title and in any message, ignoring case', () => {
    const value = conversation();
    expect(matchesSearch(value, 'binary')).toBe(true);
    expect(matchesSearch(value, 'RUST')).toBe(true);
    expect(matchesSearch(value, 'func search')).toBe(true);
    expect(matchesSearch({ ...value, title: 'Kotlin help' }, 'kotlin')).toBe(true);
  });

  it('needs every word, each anywhere in the conversation', () => {
    const value = conversation();
    expect(matchesSearch(value, 'go rust')).toBe(true);
    expect(matchesSearch(value, 'go python')).toBe(false);
  });

  it('matches everything on a blank query, and nothing that is not there', () => {
    const value = conversation();
    expect(matchesSearch(value, '')).toBe(true);
    expect(matchesSearch(value, '  \n ')).toBe(true);
    expect(matchesSearch(value, 'haskell')).toBe(false);
    // The system prompt is a setting, not what the conversation is about.
    expect(matchesSearch(value, 'briefly')).toBe(false);
  });
});

describe('conversationMarkdown', () => {
  it('writes a heading per turn, the system prompt, and what happened to an answer that failed', () => {
    expect(conversationMarkdown(conversation())).toBe(
      [
        '# Write a binary search in Go',
        '',
        '**System prompt:** Answer briefly.',
        '',
        '## You',
        '',
        'Write a binary search in Go\nplease',
        '',
        '## DeepSeek Coder',
        '',
        '```go\nfunc search() {}\n```',
        '',
        '## You',
        '',
        'And in Rust?',
        '',
        '## DeepSeek Coder',
        '',
        '(Failed: Too long.)',
        '',
      ].join('\n'),
    );
  });

  it('says where an answer was stopped or hit its limit, and leaves out an empty system prompt', () => {
    const value: Conversation = {
      ...newConversation(0),
      title: 'Loops',
      messages: [
        { id: 'u', role: 'user', content: 'Loop?' },
        { id: 'a', role: 'assistant', content: 'for', finish: 'stopped' },
        { id: 'u2', role: 'user', content: 'More' },
        { id: 'a2', role: 'assistant', content: 'while', finish: 'length' },
      ],
    };
    expect(conversationMarkdown(value)).toBe(
      '# Loops\n\n## You\n\nLoop?\n\n## DeepSeek Coder\n\nfor\n\n(Stopped before the end.)\n\n## You\n\nMore\n\n## DeepSeek Coder\n\nwhile\n\n(The answer hit its token limit here.)\n',
    );
  });

  it('names the file after the title, with the extension asked for', () => {
    expect(exportFileName(conversation(), 'md')).toBe('write-a-binary-search-in-go.md');
  });
});
