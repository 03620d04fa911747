import { describe, expect, it } from 'vitest';
import { DEFAULT_SAMPLING, samplingRequest } from '../../src/ui/sampling.ts';
import { chatSnippets, completionSnippets, literal, snippets } from '../../src/ui/view-code.ts';

const MODEL = 'tiny-random/deepseek-coder-instruct';
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (...args: unknown[]) => Promise<void>;

/** Compiles a snippet as the body of an async function, the way a console runs top-level await; throws SyntaxError if it is not valid JavaScript. */
function compile(code: string): (...args: unknown[]) => Promise<void> {
  return new AsyncFunction('deepseek', 'fetch', 'console', code);
}

describe('literal', () => {
  it('writes primitives as JSON, which is valid JavaScript', () => {
    expect(literal('a "quoted"\nline', '')).toBe('"a \\"quoted\\"\\nline"');
    expect(literal(0.7, '')).toBe('0.7');
    expect(literal(null, '')).toBe('null');
    expect(literal(true, '')).toBe('true');
  });

  it('keeps short containers on one line and quotes keys only when needed', () => {
    expect(literal({ role: 'user', content: 'hi' }, '')).toBe('{ role: "user", content: "hi" }');
    expect(literal({ 'Content-Type': 'x', a_b: 1 }, '')).toBe('{ "Content-Type": "x", a_b: 1 }');
    expect(literal(['\n\n', 'END'], '')).toBe('["\\n\\n", "END"]');
    expect(literal([], '')).toBe('[]');
    expect(literal({}, '')).toBe('{}');
  });

  it('breaks a container that does not fit in 80 columns into one entry per line with trailing commas', () => {
    const long = 'x'.repeat(70);
    expect(literal([{ role: 'user', content: long }], '')).toBe(`[\n  {\n    role: "user",\n    content: "${long}",\n  },\n]`);
    expect(literal([{ role: 'user', content: 'x'.repeat(40) }], '')).toBe(`[{ role: "user", content: "${'x'.repeat(40)}" }]`);
  });

  it('counts the key before a value when deciding whether it fits', () => {
    // 76 columns inline on its own, 86 after "  messages: ": it must break.
    const value = { messages: [{ role: 'user', content: 'y'.repeat(46) }] };
    expect(literal(value, '', 0, true)).toBe(`{\n  messages: [\n    { role: "user", content: "${'y'.repeat(46)}" },\n  ],\n}`);
  });
});

describe('chatSnippets', () => {
  const input = {
    model: MODEL,
    systemPrompt: 'You are terse.',
    messages: [
      { role: 'user' as const, content: 'Reverse a list in Python' },
      { role: 'assistant' as const, content: 'Use `items[::-1]`.' },
    ],
    sampling: samplingRequest({ ...DEFAULT_SAMPLING, temperature: 0, stop: ['\n\n'] }),
    stream: false,
  };

  it('writes the exact in-page call: system prompt, conversation, and only the parameters the API would not default', () => {
    expect(chatSnippets(input).client).toBe(
      [
        'const completion = await deepseek.chat.completions.create({',
        '  model: "tiny-random/deepseek-coder-instruct",',
        '  messages: [',
        '    { role: "system", content: "You are terse." },',
        '    { role: "user", content: "Reverse a list in Python" },',
        '    { role: "assistant", content: "Use `items[::-1]`." },',
        '  ],',
        '  temperature: 0,',
        '  top_p: 0.95,',
        '  max_tokens: 1024,',
        '  stop: ["\\n\\n"],',
        '});',
        'console.log(completion.choices[0].message.content);',
      ].join('\n'),
    );
  });

  it('writes the same request as a fetch to /v1/chat/completions', () => {
    expect(chatSnippets(input).fetch).toBe(
      [
        'const response = await fetch("/v1/chat/completions", {',
        '  method: "POST",',
        '  headers: { "Content-Type": "application/json" },',
        '  body: JSON.stringify({',
        '    model: "tiny-random/deepseek-coder-instruct",',
        '    messages: [',
        '      { role: "system", content: "You are terse." },',
        '      { role: "user", content: "Reverse a list in Python" },',
        '      { role: "assistant", content: "Use `items[::-1]`." },',
        '    ],',
        '    temperature: 0,',
        '    top_p: 0.95,',
        '    max_tokens: 1024,',
        '    stop: ["\\n\\n"],',
        '  }),',
        '});',
        'const completion = await response.json();',
        'if (!response.ok) throw new Error(completion.error.message);',
        'console.log(completion.choices[0].message.content);',
      ].join('\n'),
    );
  });

  it('leaves the system message out when the system prompt is blank', () => {
    const { client } = chatSnippets({ ...input, systemPrompt: '   ', messages: [input.messages[0]] });
    expect(client).not.toContain('system');
    expect(client).toContain('messages: [{ role: "user", content: "Reverse a list in Python" }],');
  });

  it('produces JavaScript that parses, whatever the messages contain', () => {
    const hostile = {
      ...input,
      systemPrompt: '`${alert(1)}` </script> \\ "',
      messages: [{ role: 'user' as const, content: "');\n}) ; // \u2028 \u2029 \u0000" }],
    };
    const { client, fetch } = chatSnippets(hostile);
    expect(() => compile(client)).not.toThrow();
    expect(() => compile(fetch)).not.toThrow();
  });

  it('sends what it shows: running the snippets passes the body through unchanged', async () => {
    const { client, fetch } = chatSnippets(input);
    const calls: unknown[] = [];
    const deepseek = {
      chat: { completions: { create: async (body: unknown) => (calls.push(body), { choices: [{ message: { content: 'ok' } }] }) } },
    };
    const logged: unknown[] = [];
    const quiet = { log: (value: unknown) => logged.push(value) };
    await compile(client)(deepseek, undefined, quiet);
    const fetchStub = async (url: string, init: { body: string }) => {
      calls.push({ url, body: JSON.parse(init.body) });
      return { ok: true, json: async () => ({ choices: [{ message: { content: 'ok' } }] }) };
    };
    await compile(fetch)(undefined, fetchStub, quiet);
    const expected = {
      model: MODEL,
      messages: [{ role: 'system', content: 'You are terse.' }, ...input.messages],
      temperature: 0,
      top_p: 0.95,
      max_tokens: 1024,
      stop: ['\n\n'],
    };
    expect(calls).toStrictEqual([expected, { url: '/v1/chat/completions', body: expected }]);
    expect(logged).toStrictEqual(['ok', 'ok']);
  });
});

describe('completionSnippets', () => {
  const sampling = samplingRequest({ ...DEFAULT_SAMPLING });

  it('writes a raw completion for Prompt mode', () => {
    expect(completionSnippets({ model: MODEL, prompt: 'def add(a, b):\n', sampling, stream: false }).client).toBe(
      [
        'const completion = await deepseek.completions.create({',
        '  model: "tiny-random/deepseek-coder-instruct",',
        '  prompt: "def add(a, b):\\n",',
        '  temperature: 0.7,',
        '  top_p: 0.95,',
        '  max_tokens: 1024,',
        '});',
        'console.log(completion.choices[0].text);',
      ].join('\n'),
    );
  });

  it('writes fill-in-the-middle with the suffix, even an empty one, and posts to /v1/completions', () => {
    const { client, fetch } = completionSnippets({ model: MODEL, prompt: 'a = [', suffix: '', sampling, stream: false });
    expect(client).toContain('  prompt: "a = [",\n  suffix: "",\n');
    expect(fetch.split('\n')[0]).toBe('const response = await fetch("/v1/completions", {');
    expect(fetch).toContain('    suffix: "",\n');
    expect(fetch.endsWith('console.log(completion.choices[0].text);')).toBe(true);
  });

  it('throws the API error message when the fetch fails', async () => {
    const { fetch } = completionSnippets({ model: MODEL, prompt: 'x', sampling, stream: false });
    const failing = async () => ({ ok: false, json: async () => ({ error: { message: "'temperature' must be in [0, 2]" } }) });
    await expect(compile(fetch)(undefined, failing, console)).rejects.toThrow("'temperature' must be in [0, 2]");
  });
});

describe('snippets', () => {
  it('always puts the top-level body on several lines, as the dialog shows it', () => {
    expect(snippets('completions', { model: 'm', prompt: '' }).client).toBe(
      'const completion = await deepseek.completions.create({\n  model: "m",\n  prompt: "",\n});\nconsole.log(completion.choices[0].text);',
    );
  });
});

describe('streamed snippets', () => {
  const sampling = samplingRequest({ ...DEFAULT_SAMPLING, temperature: 0 });
  const chatInput = { model: MODEL, systemPrompt: '', messages: [{ role: 'user' as const, content: 'hi' }], sampling, stream: true };

  /** A /v1 response as the service worker sends it: server-sent events, cut at arbitrary places. */
  function sseResponse(events: unknown[], cuts: number[]): Response {
    const text = events.map((event) => `data: ${typeof event === 'string' ? event : JSON.stringify(event)}\n\n`).join('');
    const pieces: string[] = [];
    let from = 0;
    for (const cut of [...cuts, text.length]) {
      pieces.push(text.slice(from, cut));
      from = cut;
    }
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const piece of pieces) controller.enqueue(new TextEncoder().encode(piece));
        controller.close();
      },
    });
    return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
  }

  const chatChunk = (content: string) => ({ choices: [{ index: 0, delta: { content } }] });

  it('asks for stream: true and joins the deltas, in the page and over fetch', async () => {
    const { client, fetch } = chatSnippets(chatInput);
    expect(client.split('\n')[0]).toBe('const stream = await deepseek.chat.completions.create({');
    expect(client).toContain('  stream: true,\n});\nlet text = "";\nfor await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";');
    expect(fetch).toContain('    stream: true,\n  }),\n});');

    const bodies: unknown[] = [];
    const deepseek = {
      chat: {
        completions: {
          create: async (body: unknown) => {
            bodies.push(body);
            return (async function* () {
              yield { choices: [{ index: 0, delta: { role: 'assistant', content: '' } }] };
              yield chatChunk('Hel');
              yield chatChunk('lo');
              yield { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] };
            })();
          },
        },
      },
    };
    const logged: unknown[] = [];
    await compile(client)(deepseek, undefined, { log: (value: unknown) => logged.push(value) });
    const events = [chatChunk(''), chatChunk('Hel'), chatChunk('lo, "wor'), chatChunk('ld"'), { choices: [], usage: {} }, '[DONE]'];
    // Cut inside an event, inside a JSON string, and between the two newlines of a separator.
    const fetchStub = async (url: string, init: { body: string }) => {
      bodies.push({ url, body: JSON.parse(init.body) });
      return sseResponse(events, [7, 40, 41, 75]);
    };
    await compile(fetch)(undefined, fetchStub, { log: (value: unknown) => logged.push(value) });
    expect(logged).toStrictEqual(['Hello', 'Hello, "world"']);
    const expected = { model: MODEL, messages: [{ role: 'user', content: 'hi' }], temperature: 0, top_p: 0.95, max_tokens: 1024, stream: true };
    expect(bodies).toStrictEqual([expected, { url: '/v1/chat/completions', body: expected }]);
  });

  it('a completions stream joins choices[0].text', async () => {
    const { fetch } = completionSnippets({ model: MODEL, prompt: 'a = [', suffix: '', sampling, stream: true });
    const logged: unknown[] = [];
    const fetchStub = async () => sseResponse([{ choices: [{ index: 0, text: '1, ' }] }, { choices: [{ index: 0, text: '2]' }] }, '[DONE]'], [10]);
    await compile(fetch)(undefined, fetchStub, { log: (value: unknown) => logged.push(value) });
    expect(logged).toStrictEqual(['1, 2]']);
  });

  it('throws the error a stream ends with, and the error of a failed request', async () => {
    const { fetch } = chatSnippets(chatInput);
    const failingMidway = async () => sseResponse([chatChunk('a'), { error: { message: 'The engine tab closed.' } }], []);
    await expect(compile(fetch)(undefined, failingMidway, console)).rejects.toThrow('The engine tab closed.');
    const refused = async () => new Response(JSON.stringify({ error: { message: "'top_p' must be in (0, 1]" } }), { status: 400 });
    await expect(compile(fetch)(undefined, refused, console)).rejects.toThrow("'top_p' must be in (0, 1]");
  });
});
