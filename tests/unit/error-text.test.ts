import { describe, expect, it } from 'vitest';
import { answerError, conversationStorageError, loadError, loadProblemOf, sizeLookupError } from '../../src/ui/error-text.ts';

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

  it('words a failed size lookup by its code, with the hub’s own sentence as details', () => {
    const missing = "The model 'nobody/missing' was not found on the Hugging Face hub. Check the owner/name spelling.";
    expect(sizeLookupError({ message: missing, code: 'model_not_found' })).toEqual({
      message: expect.stringMatching(/^The hub has no public model with this id .* Check the id, or pick a model from the list\.$/),
      details: missing,
    });
    expect(sizeLookupError({ message: "'x/y' has no ONNX weights", code: 'model_not_onnx' }).message).toMatch(/^This repository has no ONNX weights this app can load\. Pick/);
    expect(sizeLookupError({ message: 'Failed to fetch', code: null }).message).toMatch(/^Download sizes could not be looked up\. .*a cached model still loads\.$/);
  });

  it('says why conversations are not saved and what to do, never with the runtime text inline', () => {
    const quota = 'QuotaExceededError: The quota has been exceeded.';
    const write = conversationStorageError('write', { message: quota });
    expect(write.message).toMatch(/^The last change to your conversations could not be saved; the next change tries again\./);
    expect(write.message).not.toContain('Quota');
    expect(write.details).toBe(quota);
    const unavailable = conversationStorageError('unavailable', { message: 'UnknownError: Internal error opening backing store' });
    expect(unavailable.message).toMatch(/last only until you close the tab\. Export any you want to keep as JSON\.$/);
    expect(unavailable.message).not.toContain('backing store');
  });

  it('tells the widget’s visitor what the widget lets them do, not the playground’s panels', () => {
    for (const code of ['context_length_exceeded', 'model_not_found', 'invalid_value', 'gpu_device_lost', 'model_not_chat', null]) {
      const plain = answerError({ message: 'runtime text', code }, 'widget');
      expect(plain.message).not.toMatch(/Model panel|Parameters panel|Retry|Max tokens/);
      expect(plain.details).toBe('runtime text');
    }
    expect(answerError({ message: 'gone', code: 'model_not_found' }, 'widget').message).toBe('The model was unloaded or replaced. Press Load, then send your message again.');
    for (const problem of ['cancelled', 'not_found', 'refused', 'storage', 'failed', 'gpu_lost'] as const) {
      expect(loadError(problem, { message: 'It failed.', details: null }, 'widget').message).not.toMatch(/Resume|Downloads & storage|dtype|from the list|WASM/);
    }
  });

  it('reads a failed load from its status and code', () => {
    expect(loadProblemOf({ status: 499, message: 'The request was aborted.' })).toBe('cancelled');
    expect(loadProblemOf({ status: 502, message: 'x', error: { code: 'network_error' } })).toBe('network');
    expect(loadProblemOf({ status: 404, message: 'x' })).toBe('not_found');
    expect(loadProblemOf({ status: 500, message: 'QuotaExceededError' })).toBe('storage');
    expect(loadProblemOf({ status: 400, message: "'model' must be a non-empty string" })).toBe('refused');
    expect(loadProblemOf({ status: 500, message: 'RuntimeError' })).toBe('failed');
    const refused = loadError('refused', { message: "'not a model id' is not a model id", details: null }, 'widget');
    expect(refused.message).toMatch(/^The page that embeds this chat asked for a model or option that was refused/);
    expect(refused.details).toBe("'not a model id' is not a model id");
  });
});
