import { toApiError, type ChatMessage } from '../../protocol/index.ts';
import { LiveDecodeCounter, type LiveDecode } from '../live-decode.ts';
import { client } from './client.ts';
import type { Conversation, StoredMessage } from './conversation.ts';
import { conversationsState } from './conversations.svelte.ts';
import { modelState } from './model.svelte.ts';
import { paramsState } from './params.svelte.ts';

const PARTIAL_SAVE_INTERVAL_MS = 2000;

/** The open conversation's messages and the one generation that may be in flight. */
class ChatState {
  streaming = $state(false);
  /**
   * The tokens of the answer streaming now, or of the last one when it was
   * stopped before the engine's timings came: counted from its chunks.
   */
  live = $state<{ replyId: string; figures: LiveDecode } | null>(null);
  /** What the last Clear removed, so Undo can put it back until the conversation changes again. */
  cleared = $state<{ conversationId: string; messages: StoredMessage[] } | null>(null);
  private controller: AbortController | null = null;

  get conversation(): Conversation {
    return conversationsState.active;
  }

  get messages(): StoredMessage[] {
    return this.conversation.messages;
  }

  get canGenerate(): boolean {
    return modelState.loaded !== null && !this.streaming;
  }

  async send(text: string): Promise<void> {
    if (!this.canGenerate || text.trim() === '') return;
    this.conversation.messages.push({ id: crypto.randomUUID(), role: 'user', content: text });
    await this.generate(this.conversation);
  }

  /** Answers the last user message again, replacing the answer after it. */
  async regenerate(): Promise<void> {
    if (!this.canGenerate) return;
    const conversation = this.conversation;
    if (conversation.messages.at(-1)?.role === 'assistant') conversation.messages.pop();
    if (conversation.messages.length === 0) return;
    await this.generate(conversation);
  }

  /** Replaces a user message, drops everything after it, and answers it again. */
  async edit(messageId: string, text: string): Promise<void> {
    if (!this.canGenerate || text.trim() === '') return;
    const conversation = this.conversation;
    const index = conversation.messages.findIndex((message) => message.id === messageId && message.role === 'user');
    if (index < 0) return;
    conversation.messages.splice(index);
    conversation.messages.push({ id: crypto.randomUUID(), role: 'user', content: text });
    await this.generate(conversation);
  }

  stop(): void {
    this.controller?.abort();
  }

  clear(): void {
    this.stop();
    this.cleared = { conversationId: this.conversation.id, messages: this.conversation.messages };
    this.conversation.messages = [];
    void conversationsState.save(this.conversation, { touch: false });
  }

  get canUndoClear(): boolean {
    return this.cleared?.conversationId === this.conversation.id && this.messages.length === 0 && !this.streaming;
  }

  undoClear(): void {
    if (!this.canUndoClear || !this.cleared) return;
    this.conversation.messages = this.cleared.messages;
    this.cleared = null;
    void conversationsState.save(this.conversation, { touch: false });
  }

  setSystemPrompt(text: string): void {
    this.conversation.systemPrompt = text;
    void conversationsState.save(this.conversation, { touch: false });
  }

  private async generate(conversation: Conversation): Promise<void> {
    const model = modelState.loaded?.id;
    if (!model) return;
    const history: ChatMessage[] = conversation.messages
      .filter((message) => message.finish !== 'error')
      .map(({ role, content }) => ({ role, content }));
    const system: ChatMessage[] = conversation.systemPrompt.trim() ? [{ role: 'system', content: conversation.systemPrompt }] : [];
    this.cleared = null;
    conversation.messages.push({ id: crypto.randomUUID(), role: 'assistant', content: '' });
    const reply = conversation.messages[conversation.messages.length - 1];
    this.streaming = true;
    this.live = null;
    this.controller = new AbortController();
    const counter = new LiveDecodeCounter();
    void conversationsState.save(conversation, { touch: true });
    try {
      const stream = await client().chat.completions.create(
        { model, messages: [...system, ...history], ...paramsState.request(), stream: true, stream_options: { include_usage: true } },
        { signal: this.controller.signal },
      );
      let savedAt = performance.now();
      for await (const chunk of stream) {
        const choice = chunk.choices[0];
        if (choice?.delta.content) {
          reply.content += choice.delta.content;
          const figures = counter.record(performance.now());
          if (figures) this.live = { replyId: reply.id, figures };
        }
        if (choice?.finish_reason) reply.finish = choice.finish_reason;
        if (chunk.timings) reply.timings = chunk.timings;
        if (chunk.usage) reply.usage = chunk.usage;
        // A tab closed or reloaded mid-answer keeps what had arrived; the reload shows it as stopped.
        if (performance.now() - savedAt > PARTIAL_SAVE_INTERVAL_MS) {
          savedAt = performance.now();
          void conversationsState.save(conversation, { touch: false });
        }
      }
    } catch (thrown) {
      const error = toApiError(thrown);
      if (error.error.code === 'aborted') {
        reply.finish = 'stopped';
      } else {
        reply.finish = 'error';
        reply.error = { message: error.message, code: error.error.code };
        modelState.noticeFailure(error);
      }
    } finally {
      reply.finish ??= 'stop';
      this.streaming = false;
      const figures = counter.figures();
      this.live = reply.finish === 'stopped' && figures ? { replyId: reply.id, figures } : null;
      this.controller = null;
      await conversationsState.save(conversation, { touch: true });
    }
  }
}

export const chatState = new ChatState();
