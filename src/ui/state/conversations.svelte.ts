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
import { Database } from './idb.ts';

type ChatSchema = { conversations: Conversation };

const DATABASE = 'deepseek-coder-web';
const ACTIVE_KEY = 'deepseek-coder-web:active-conversation';

/**
 * The saved conversations and which one is open. They live in IndexedDB and
 * survive reloads; a new, still empty conversation is only kept in memory
 * until something is written in it.
 */
class ConversationsState {
  /** Most recently updated first. */
  items = $state<Conversation[]>([newConversation()]);
  activeId = $state('');
  /** Why conversations cannot be saved, when they cannot. */
  storageError = $state<string | null>(null);
  importError = $state<string | null>(null);
  /**
   * Writes not yet committed. A page that unloads aborts them, so a reload
   * before this is back to 0 can lose the last change.
   */
  pendingWrites = $state(0);
  private database: Promise<Database<ChatSchema>> | null = null;

  constructor() {
    this.activeId = this.items[0].id;
  }

  get active(): Conversation {
    return this.items.find((conversation) => conversation.id === this.activeId) ?? this.items[0];
  }

  async init(): Promise<void> {
    if (this.database) return;
    this.database = Database.open<ChatSchema>(DATABASE, 1, { conversations: 'id' });
    try {
      const stored = (await (await this.database).store('conversations').getAll()).map(settleInterrupted);
      if (stored.length === 0) return;
      const current = this.active;
      const keep = isBlank(current) ? [] : [current];
      this.items = [...keep, ...stored].sort((a, b) => b.updatedAt - a.updatedAt);
      const remembered = localStorage.getItem(ACTIVE_KEY);
      if (keep.length === 0) this.activeId = this.items.find((item) => item.id === remembered)?.id ?? this.items[0].id;
    } catch (error) {
      this.storageError = `Conversations cannot be saved in this browser (${toApiError(error).message}); they last until you close the tab.`;
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
    const index = this.items.findIndex((item) => item.id === id);
    if (index < 0) return;
    this.items.splice(index, 1);
    if (this.items.length === 0) this.items.push(newConversation());
    if (this.activeId === id) this.select(this.items[Math.min(index, this.items.length - 1)].id);
    void this.write((database) => database.store('conversations').delete(id));
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
    if (isBlank(conversation)) {
      await this.write((database) => database.store('conversations').delete(conversation.id));
      return;
    }
    const snapshot = $state.snapshot(conversation) as Conversation;
    await this.write((database) => database.store('conversations').put(snapshot));
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
    if (!this.database) return;
    this.pendingWrites += 1;
    try {
      await operation(await this.database);
    } catch (error) {
      this.storageError = `Could not save conversations: ${toApiError(error).message}`;
    } finally {
      this.pendingWrites -= 1;
    }
  }
}

export const conversationsState = new ConversationsState();
