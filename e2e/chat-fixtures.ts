/** Conversation files for the chat tests, in the app's export format. */

export const CODE_ANSWER = [
  'Here is a small, typed `debounce` helper. It waits until calls stop for `ms` milliseconds, then runs the function once with the latest arguments.',
  '',
  '```ts',
  'export function debounce<T extends unknown[]>(fn: (...args: T) => void, ms = 200) {',
  '  let timer: ReturnType<typeof setTimeout> | undefined;',
  '  return (...args: T): void => {',
  '    clearTimeout(timer);',
  '    // Only the last call in a burst gets through.',
  '    timer = setTimeout(() => fn(...args), ms);',
  '  };',
  '}',
  '```',
  '',
  'Use it for input that fires often:',
  '',
  '1. **Search boxes**: query once the user pauses typing.',
  '2. **Resize handlers**: lay out once the window settles.',
  '',
  '```python',
  'import time',
  '',
  'def measure(fn, *args):',
  '    """Return how long fn takes, in seconds."""',
  '    start = time.perf_counter()',
  '    fn(*args)',
  '    return time.perf_counter() - start',
  '```',
  '',
  '| Option | Default | Meaning |',
  '|--------|--------:|---------|',
  '| `ms` | 200 | quiet time before the call |',
].join('\n');

export const CODE_SNIPPET = CODE_ANSWER.split('```ts\n')[1].split('\n```')[0];

export function conversationFile(title: string, messages: { role: 'user' | 'assistant'; content: string }[]): string {
  return JSON.stringify({
    format: 'deepseek-coder-web.conversation',
    version: 1,
    title,
    systemPrompt: '',
    createdAt: 1_750_000_000_000,
    updatedAt: 1_750_000_000_000,
    messages: messages.map((message) => (message.role === 'assistant' ? { ...message, finish: 'stop' } : message)),
  });
}

export const CODE_CONVERSATION = conversationFile('', [
  { role: 'user', content: 'Write a debounce function in TypeScript and tell me when to use it.' },
  { role: 'assistant', content: CODE_ANSWER },
]);

/** Every payload would set window.xssFired, open a dialog, or make a request to port 1, if it ever ran. */
const HTML_PAYLOADS = [
  '<script>window.xssFired = "script"</script>',
  '<img src=x onerror="window.xssFired=\'img\'; alert(1)">',
  '<svg onload="window.xssFired=\'svg\'"><image href="http://127.0.0.1:1/svg.png"/><use href="http://127.0.0.1:1/sprite.svg#x"/></svg>',
  '<iframe src="javascript:parent.xssFired=\'iframe\'"></iframe>',
  '<iframe srcdoc="<script>parent.xssFired=\'srcdoc\'</script>"></iframe>',
  '<a href="data:text/html,<script>alert(1)</script>">data link</a>',
  '<style>body { background: url(http://127.0.0.1:1/style.png) }</style>',
  '<div style="background-image: url(http://127.0.0.1:1/div.png)">styled div</div>',
  '<form action="http://127.0.0.1:1/steal"><input name="q" value="x"><button>Send form</button></form>',
  '<meta http-equiv="refresh" content="0;url=http://127.0.0.1:1/meta">',
  '<base href="http://127.0.0.1:1/">',
  '<img srcset="http://127.0.0.1:1/srcset.png 1x" src="http://127.0.0.1:1/img.png">',
  '<video poster="http://127.0.0.1:1/poster.png" autoplay src="http://127.0.0.1:1/v.mp4"></video>',
  '<object data="http://127.0.0.1:1/object.swf"></object><embed src="http://127.0.0.1:1/embed.swf">',
  '<link rel="stylesheet" href="http://127.0.0.1:1/sheet.css">',
  '<details open ontoggle="window.xssFired=\'details\'"><summary>toggle</summary></details>',
  'Inline <img src=x onerror=alert(1)> and <b onmouseover="window.xssFired=\'hover\'">hover me</b>.',
].join('\n\n');

const MARKDOWN_PAYLOADS = [
  '# Heading <img src=x onerror="window.xssFired=\'heading\'">',
  '[click me](javascript:window.xssFired=\'link\')',
  '[mixed case](JaVaScRiPt:alert(1)) and [data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==) and [vb](vbscript:msgbox(1))',
  '<javascript:alert(1)>',
  '![x](http://127.0.0.1:1/x.png)',
  '![y](javascript:alert(1))',
  '[reference][evil]',
  '[evil]: javascript:alert(1)',
  '| cell <img src=x onerror=alert(1)> | [t](javascript:alert(1)) |\n|---|---|\n| <script>alert(1)</script> | ok |',
  '```html\n<script>window.xssFired = "code"</script>\n```',
  '[a safe link](https://example.com/docs)',
].join('\n\n');

export const XSS_CONVERSATION = conversationFile('Payloads <img src=x onerror=alert(1)>', [
  { role: 'user', content: 'Show me HTML <img src=x onerror="window.xssFired=\'user\'">' },
  { role: 'assistant', content: HTML_PAYLOADS },
  { role: 'user', content: 'And markdown?' },
  { role: 'assistant', content: MARKDOWN_PAYLOADS },
]);
