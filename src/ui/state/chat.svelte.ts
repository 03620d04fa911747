import { toApiError, type ChatMessage, type FinishReason, type Timings } from '../../protocol/index.ts';
import { client } from './client.ts';
import { modelState } from './model.svelte.ts';
import { paramsState } from './params.svelte.ts';

export interface UiMessage {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  /** Why an assistant message ended; 'stopped' when the user pressed Stop. */
  finish?: FinishReason | 'stopped' | 'error';
  error?: string;
  timings?: Timings;
  completionTokens?: number;
}

/** The conversation and the generation in flight. */
class ChatState {
  messages = $state<UiMessage[]>([]);
  systemPrompt = $state('');
  streaming = $state(false);
  private controller: AbortController | null = null;

  async send(text: string): Promise<void> {
    const model = modelState.loaded?.id;
    if (!model || this.streaming || text.trim() === '') return;
    const history: ChatMessage[] = this.messages
      .filter((message) => message.finish !== 'error')
      .map(({ role, content }) => ({ role, content }));
    const system: ChatMessage[] = this.systemPrompt.trim() ? [{ role: 'system', content: this.systemPrompt }] : [];
    this.messages.push({ id: crypto.randomUUID(), role: 'user', content: text });
    this.messages.push({ id: crypto.randomUUID(), role: 'assistant', content: '' });
    const reply = this.messages[this.messages.length - 1];
    this.streaming = true;
    this.controller = new AbortController();
    try {
      const stream = await client().chat.completions.create(
        {
          model,
          messages: [...system, ...history, { role: 'user', content: text }],
          ...paramsState.request(),
          stream: true,
          stream_options: { include_usage: true },
        },
        { signal: this.controller.signal },
      );
      for await (const chunk of stream) {
        const choice = chunk.choices[0];
        if (choice?.delta.content) reply.content += choice.delta.content;
        if (choice?.finish_reason) reply.finish = choice.finish_reason;
        if (chunk.timings) reply.timings = chunk.timings;
        if (chunk.usage) reply.completionTokens = chunk.usage.completion_tokens;
      }
    } catch (thrown) {
      const error = toApiError(thrown);
      if (error.error.code === 'aborted') {
        reply.finish = 'stopped';
      } else {
        reply.finish = 'error';
        reply.error = error.message;
      }
    } finally {
      this.streaming = false;
      this.controller = null;
    }
  }

  stop(): void {
    this.controller?.abort();
  }

  clear(): void {
    this.stop();
    this.messages = [];
  }
}

export const chatState = new ChatState();
