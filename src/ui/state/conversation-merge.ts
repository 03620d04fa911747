/**
 * Two tabs can hold the same conversation and both write it. Each tab keeps
 * the version it last read or wrote (its base); a write merges three ways, in
 * the same IndexedDB transaction as it reads what is stored, so the other
 * tab's turns, renames and edits survive: what this tab changed since its base
 * wins, everything else comes from storage.
 */
import type { Conversation, StoredMessage } from './conversation.ts';

/** Key order does not matter: a message built up field by field equals its stored copy. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, field]) => field !== undefined).sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([key, field]) => `${JSON.stringify(key)}:${canonical(field)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function sameMessage(a: StoredMessage, b: StoredMessage): boolean {
  return canonical(a) === canonical(b);
}

function byId(messages: readonly StoredMessage[]): Map<string, StoredMessage> {
  return new Map(messages.map((message) => [message.id, message]));
}

/**
 * What to store when this tab's `local` copy, read as `base`, meets `stored`.
 * - A message this tab deleted stays deleted; one it added or changed is its own version.
 * - Messages another tab added stay, in their place; this tab's additions follow them.
 * - Title and system prompt: this tab's, if it changed them, else the stored ones.
 * With nothing stored (a new conversation, or one deleted elsewhere), this tab's copy is kept whole.
 */
export function mergeConversation(base: Conversation | null, local: Conversation, stored: Conversation | null): Conversation {
  if (!stored) return local;
  const baseMessages = byId(base?.messages ?? []);
  const localMessages = byId(local.messages);
  const messages: StoredMessage[] = [];
  for (const theirs of stored.messages) {
    const mine = localMessages.get(theirs.id);
    const known = baseMessages.get(theirs.id);
    if (!mine) {
      if (!known) messages.push(theirs);
      continue;
    }
    messages.push(known && sameMessage(mine, known) ? theirs : mine);
  }
  const storedIds = new Set(stored.messages.map((message) => message.id));
  for (const mine of local.messages) if (!storedIds.has(mine.id) && !baseMessages.has(mine.id)) messages.push(mine);
  return {
    id: local.id,
    title: local.title !== (base?.title ?? '') ? local.title : stored.title,
    systemPrompt: local.systemPrompt !== (base?.systemPrompt ?? '') ? local.systemPrompt : stored.systemPrompt,
    messages,
    createdAt: stored.createdAt,
    updatedAt: Math.max(local.updatedAt, stored.updatedAt),
  };
}

/**
 * The messages a tab shows once `merged` (computed from its `sent` snapshot)
 * is known, keeping its own message objects wherever they are still current,
 * so an answer that streams on into one of them keeps arriving. What the tab
 * changed since the snapshot stays; what the merge brought in from another
 * tab replaces only messages this tab has not touched since.
 */
export function reconcileMessages<Message extends StoredMessage>(
  current: readonly Message[],
  sent: readonly StoredMessage[],
  merged: readonly StoredMessage[],
): (Message | StoredMessage)[] {
  const currentById = new Map(current.map((message) => [message.id, message]));
  const sentById = byId(sent);
  const mergedIds = new Set(merged.map((message) => message.id));
  const result: (Message | StoredMessage)[] = [];
  for (const next of merged) {
    const mine = currentById.get(next.id);
    const snapshot = sentById.get(next.id);
    if (mine) result.push(snapshot && !sameMessage(snapshot, next) && sameMessage(mine, snapshot) ? next : mine);
    else if (!snapshot) result.push(next);
  }
  for (const mine of current) if (!mergedIds.has(mine.id) && !sentById.has(mine.id)) result.push(mine);
  return result;
}
