import { toApiError } from '../../protocol/index.ts';
import {
  conversationMarkdown,
  exportConversation,
  exportFileName,
  isBlank,
  MAX_FILE_BYTES,
  newConversation,
  parseConversationFile,
  settleInterrupted,
  type Conversation,
  type ExportFormat,
} from './conversation.ts';
import { mergeConversation, reconcileMessages } from './conversation-merge.ts';
import { Database } from './idb.ts';

type ChatSchema = { conversations: Conversation };

const DATABASE = 'deepseek-coder-web';
const ACTIVE_KEY = 'deepseek-coder-web:active-conversation';
const CHANNEL = 'deepseek-coder-web:conversations';

/** What a tab tells the app's other tabs after a write: which conversation to read again, or drop. */
export interface ConversationNotice {
  kind: 'saved' | 'deleted';
  id: string;
}

function isNotice(value: unknown): value is ConversationNotice {
  if (typeof value !== 'object' || value === null) return false;
  const notice = value as Partial<ConversationNotice>;
  return (notice.kind === 'saved' || notice.kind === 'deleted') && typeof notice.id === 'string';
}

const newestFirst = (a: Conversation, b: Conversation) => b.updatedAt - a.updatedAt;

/**
 * The saved conversations and which one is open. They live in IndexedDB and
 * survive reloads; a new, still empty conversation is only kept in memory
 * until something is written in it.
 *
 * Several tabs share them. Every write merges with what is stored (see
 * conversation-merge.ts), so two tabs adding turns to one conversation keep
 * both, and a BroadcastChannel tells the other tabs to read it again, so they
 * show new conversations, turns and renames without a reload.
 */
class ConversationsState {
  /** Most recently updated first. */
  items = $state<Conversation[]>([newConversation()]);
  activeId = $state('');
  /** Why conversations cannot be saved, when they cannot: the storage would not open, or the last write failed. */
  storageError = $state<{ failure: 'unavailable' | 'write'; message: string } | null>(null);
  importError = $state<string | null>(null);
  /**
   * Writes not yet committed. A page that unloads aborts them, so a reload
   * before this is back to 0 can lose the last change.
   */
  pendingWrites = $state(0);
  private database: Promise<Database<ChatSchema>> | null = null;
  /** Each conversation as this tab last read or wrote it: the base of its next merge. */
  private readonly base = new Map<string, Conversation>();
  private channel: BroadcastChannel | null = null;
  /** Writes and reads of other tabs' changes run one at a time, so each merge starts from the base the last one left. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor() {
    this.activeId = this.items[0].id;
  }

  get active(): Conversation {
    return this.items.find((conversation) => conversation.id === this.activeId) ?? this.items[0];
  }

  async init(): Promise<void> {
    if (this.database) return;
    this.database = Database.open<ChatSchema>(DATABASE, 1, { conversations: 'id' });
    if (typeof BroadcastChannel !== 'undefined') {
      this.channel = new BroadcastChannel(CHANNEL);
      this.channel.onmessage = (event: MessageEvent<unknown>) => {
        // A notice that cannot be read (storage gone) leaves this tab as it is; its own writes still merge.
        if (isNotice(event.data)) void this.receive(event.data).catch(() => undefined);
      };
    }
    try {
      const stored = (await (await this.database).store('conversations').getAll()).map(settleInterrupted);
      for (const conversation of stored) this.base.set(conversation.id, structuredClone(conversation));
      if (stored.length === 0) return;
      const current = this.active;
      const keep = isBlank(current) ? [] : [current];
      this.items = [...keep, ...stored].sort((a, b) => b.updatedAt - a.updatedAt);
      const remembered = localStorage.getItem(ACTIVE_KEY);
      if (keep.length === 0) this.activeId = this.items.find((item) => item.id === remembered)?.id ?? this.items[0].id;
    } catch (error) {
      this.storageError = { failure: 'unavailable', message: toApiError(error).message };
    }
  }

  /** Opens an empty conversation, reusing the current one when it is still empty. */
  create(): void {
    if (isBlank(this.active)) return;
    const conversation = newConversation();
    this.items.unshift(conversation);
    this.select(conversation.id);
  }

  select(id: string): void {
    this.activeId = id;
    localStorage.setItem(ACTIVE_KEY, id);
  }

  rename(id: string, title: string): void {
    const conversation = this.items.find((item) => item.id === id);
    if (!conversation) return;
    conversation.title = title.trim();
    void this.save(conversation, { touch: false });
  }

  remove(id: string): void {
    if (!this.drop(id)) return;
    void this.write(async (database) => {
      await database.store('conversations').delete(id);
      this.base.delete(id);
      this.notify({ kind: 'deleted', id });
    });
  }

  /** Takes a conversation off the list, opening its neighbour if it was open; whether it was there. */
  private drop(id: string): boolean {
    const index = this.items.findIndex((item) => item.id === id);
    if (index < 0) return false;
    this.items.splice(index, 1);
    if (this.items.length === 0) this.items.push(newConversation());
    if (this.activeId === id) this.select(this.items[Math.min(index, this.items.length - 1)].id);
    return true;
  }

  /**
   * Stores a conversation. `touch` moves it to the top of the list, for new
   * messages; a rename or a system prompt edit leaves the order alone.
   */
  async save(conversation: Conversation, { touch }: { touch: boolean }): Promise<void> {
    if (touch) {
      conversation.updatedAt = Date.now();
      const index = this.items.indexOf(conversation);
      if (index > 0) this.items.unshift(...this.items.splice(index, 1));
    }
    const id = conversation.id;
    if (isBlank(conversation)) {
      await this.write(async (database) => {
        await database.store('conversations').delete(id);
        this.base.delete(id);
        this.notify({ kind: 'deleted', id });
      });
      return;
    }
    await this.write(async (database) => {
      // Taken when the write runs, not when it was asked for: the latest text of a streaming answer goes in.
      const sent = $state.snapshot(conversation) as Conversation;
      const base = this.base.get(id) ?? null;
      const merged = await database.store('conversations').update(id, (stored) => mergeConversation(base, sent, stored ?? null));
      this.base.set(id, structuredClone(merged));
      this.adopt(conversation, sent, merged);
      this.notify({ kind: 'saved', id });
    });
  }

  /** Another tab wrote or deleted a conversation: show what is stored now, keeping this tab's unsaved changes. */
  private receive(notice: ConversationNotice): Promise<void> {
    return this.serial(async () => {
      if (!this.database) return;
      if (notice.kind === 'deleted') {
        this.base.delete(notice.id);
        this.drop(notice.id);
        return;
      }
      const stored = await (await this.database).store('conversations').get(notice.id);
      if (!stored) return;
      const local = this.items.find((item) => item.id === notice.id);
      if (local) {
        const sent = $state.snapshot(local) as Conversation;
        this.adopt(local, sent, mergeConversation(this.base.get(notice.id) ?? null, sent, stored));
      } else {
        this.items.push(structuredClone(stored));
      }
      this.base.set(notice.id, structuredClone(stored));
      this.items.sort(newestFirst);
    });
  }

  /**
   * Brings a conversation this tab shows up to `merged`, computed from its
   * `sent` snapshot. Its own message objects stay wherever they are current,
   * so an answer streaming into one goes on arriving; a rename typed since
   * the snapshot stays too.
   */
  private adopt(conversation: Conversation, sent: Conversation, merged: Conversation): void {
    if (conversation.title === sent.title) conversation.title = merged.title;
    if (conversation.systemPrompt === sent.systemPrompt) conversation.systemPrompt = merged.systemPrompt;
    conversation.updatedAt = Math.max(conversation.updatedAt, merged.updatedAt);
    const messages = reconcileMessages(conversation.messages, sent.messages, merged.messages);
    const changed = messages.length !== conversation.messages.length || messages.some((message, index) => message !== conversation.messages[index]);
    if (changed) conversation.messages = messages;
  }

  private notify(notice: ConversationNotice): void {
    this.channel?.postMessage(notice);
  }

  private serial<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.queue.then(operation);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Reads an exported conversation from a file and opens it; a bad file leaves a clear error in `importError`. */
  async importFile(file: File): Promise<void> {
    this.importError = null;
    try {
      if (file.size > MAX_FILE_BYTES) throw new Error(`${file.name} is larger than ${MAX_FILE_BYTES / 1024 / 1024} MB: not a conversation export.`);
      const conversation = parseConversationFile(await file.text());
      if (isBlank(this.active)) this.items.splice(this.items.indexOf(this.active), 1);
      this.items.unshift(conversation);
      this.select(conversation.id);
      await this.save(conversation, { touch: false });
    } catch (error) {
      this.importError = `${file.name}: ${toApiError(error).message}`;
    }
  }

  exportFile(conversation: Conversation, format: ExportFormat): { name: string; type: string; text: string } {
    const snapshot = $state.snapshot(conversation) as Conversation;
    const name = exportFileName(snapshot, format);
    if (format === 'md') return { name, type: 'text/markdown', text: conversationMarkdown(snapshot) };
    return { name, type: 'application/json', text: JSON.stringify(exportConversation(snapshot), null, 2) };
  }

  private async write(operation: (database: Database<ChatSchema>) => Promise<void>): Promise<void> {
    const database = this.database;
    if (!database) return;
    this.pendingWrites += 1;
    try {
      await this.serial(async () => operation(await database));
      // A write that works again (space freed, say) ends the warning the last failed one left.
      if (this.storageError?.failure === 'write') this.storageError = null;
    } catch (error) {
      this.storageError = { failure: 'write', message: toApiError(error).message };
    } finally {
      this.pendingWrites -= 1;
    }
  }
}

export const conversationsState = new ConversationsState();
