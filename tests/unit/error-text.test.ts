import { describe, expect, it } from 'vitest';
import { answerError, loadError } from '../../src/ui/error-text.ts';

describe('errors in plain words', () => {
  it('leads an answer error with what happened and what to do, and keeps the runtime text as details', () => {
    const runtime = "This model's context is 16384 tokens, but the messages take 20003. Shorten the conversation.";
    const plain = answerError({ message: runtime, code: 'context_length_exceeded' });
    expect(plain.message).toMatch(/^The conversation no longer fits in the model’s context\. Start a new conversation/);
    expect(plain.details).toBe(runtime);
    expect(answerError({ message: 'RuntimeError: memory access out of bounds', code: null }).message).toMatch(/^The answer failed\. Press Retry/);
  });

  it('says what each failed load means, with the runtime text behind it (none for a cancel)', () => {
    expect(loadError('network', { message: 'Failed to fetch', details: null }).message).toMatch(/^The download stopped.*a retry fetches only the rest\.$/);
    expect(loadError('network', { message: 'Failed to fetch', details: null }).details).toBe('Failed to fetch');
    expect(loadError('cancelled', { message: 'cancelled', details: null })).toEqual({ message: expect.stringMatching(/^Download cancelled\./), details: null });
    for (const problem of ['not_found', 'storage', 'failed'] as const) expect(loadError(problem, { message: 'It failed.', details: null }).message).toMatch(/\. [A-Z]/);
  });
});
