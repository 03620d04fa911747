import { describe, expect, it } from 'vitest';
import { mergeConversation, reconcileMessages } from '../../src/ui/state/conversation-merge.ts';
import type { Conversation, StoredMessage } from '../../src/ui/state/conversation.ts';

function message(id: string, content = id, extra: Partial<StoredMessage> = {}): StoredMessage {
  return { id, role: id.startsWith('u') ? 'user' : 'assistant', content, ...extra };
}

function conversation(messages: StoredMessage[], fields: Partial<Conversation> = {}): Conversation {
  return { id: 'c', title: '', systemPrompt: '', messages, createdAt: 1, updatedAt: 1, ...fields };
}

const ids = (conversation: Conversation) => conversation.messages.map((item) => item.id);
const first = [message('u0'), message('a0')];

describe('mergeConversation', () => {
  it('keeps both turns when two tabs append to the same conversation', () => {
    const base = conversation(first);
    const tabA = conversation([...first, message('u1'), message('a1')], { updatedAt: 5 });
    const storedByA = mergeConversation(base, tabA, base);
    const tabB = conversation([...first, message('u2'), message('a2')], { updatedAt: 4 });
    const merged = mergeConversation(base, tabB, storedByA);
    expect(ids(merged)).toEqual(['u0', 'a0', 'u1', 'a1', 'u2', 'a2']);
    expect(merged.updatedAt).toBe(5);
  });

  it('a rename in a stale tab keeps the turns another tab added', () => {
    const base = conversation(first);
    const stored = conversation([...first, message('u1'), message('a1')]);
    const renamed = conversation(first, { title: 'Renamed' });
    const merged = mergeConversation(base, renamed, stored);
    expect(merged.title).toBe('Renamed');
    expect(ids(merged)).toEqual(['u0', 'a0', 'u1', 'a1']);
  });

  it('keeps a title set elsewhere when this tab did not rename', () => {
    const merged = mergeConversation(conversation(first), conversation(first), conversation(first, { title: 'Theirs', systemPrompt: 'Be brief' }));
    expect(merged).toMatchObject({ title: 'Theirs', systemPrompt: 'Be brief' });
  });

  it('an answer streaming here wins over the older copy it wrote before, and turns added meanwhile stay', () => {
    const partial = message('a1', 'Hel');
    const base = conversation([...first, message('u1'), partial]);
    const stored = conversation([...first, message('u1'), partial, message('u2'), message('a2')]);
    const local = conversation([...first, message('u1'), message('a1', 'Hello', { finish: 'stop' })]);
    const merged = mergeConversation(base, local, stored);
    expect(ids(merged)).toEqual(['u0', 'a0', 'u1', 'a1', 'u2', 'a2']);
    expect(merged.messages[3]).toMatchObject({ content: 'Hello', finish: 'stop' });
  });

  it('an edit here (truncate and answer again) drops what it replaced, and nothing else', () => {
    const base = conversation([...first, message('u1'), message('a1')]);
    const local = conversation([...first, message('u1b'), message('a1b')]);
    expect(ids(mergeConversation(base, local, base))).toEqual(['u0', 'a0', 'u1b', 'a1b']);
  });

  it('takes another tab’s edit of a message this tab left alone', () => {
    const base = conversation(first);
    const stored = conversation([message('u0'), message('a0', 'regenerated')]);
    expect(mergeConversation(base, conversation(first), stored).messages[1].content).toBe('regenerated');
  });

  it('with nothing stored, or no base yet, loses nothing', () => {
    const local = conversation(first);
    expect(mergeConversation(null, local, null)).toBe(local);
    expect(mergeConversation(conversation(first), local, null)).toBe(local);
    const stored = conversation([message('u9'), message('a9')]);
    expect(ids(mergeConversation(null, local, stored))).toEqual(['u9', 'a9', 'u0', 'a0']);
  });

  it('compares messages by value, whatever order their fields were set in', () => {
    const base = conversation([message('u0'), { id: 'a0', role: 'assistant', content: 'x', finish: 'stop', usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }]);
    const local = conversation([message('u0'), { usage: { total_tokens: 2, completion_tokens: 1, prompt_tokens: 1 }, finish: 'stop', content: 'x', role: 'assistant', id: 'a0' }]);
    const stored = conversation([message('u0'), message('a0', 'theirs')]);
    expect(mergeConversation(base, local, stored).messages[1].content).toBe('theirs');
  });
});

describe('reconcileMessages', () => {
  it('keeps this tab’s objects, so an answer streaming into one goes on arriving', () => {
    const current = [message('u0'), message('a0', 'Hello wor')];
    const sent = [message('u0'), message('a0', 'Hello')];
    const merged = [message('u0'), message('a0', 'Hello'), message('u1'), message('a1')];
    const result = reconcileMessages(current, sent, merged);
    expect(result[0]).toBe(current[0]);
    expect(result[1]).toBe(current[1]);
    expect(result.map((item) => item.id)).toEqual(['u0', 'a0', 'u1', 'a1']);
  });

  it('takes another tab’s version of a message untouched here, and keeps what was added here since the snapshot', () => {
    const current = [message('u0'), message('a0'), message('u5')];
    const sent = [message('u0'), message('a0')];
    const merged = [message('u0'), message('a0', 'theirs')];
    const result = reconcileMessages(current, sent, merged);
    expect(result.map((item) => item.content)).toEqual(['u0', 'theirs', 'u5']);
  });

  it('leaves out what was deleted here since the snapshot', () => {
    expect(reconcileMessages([message('u0')], [message('u0'), message('a0')], [message('u0'), message('a0')]).map((item) => item.id)).toEqual(['u0']);
  });
});
