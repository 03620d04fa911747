/**
 * Errors in people's words: each failure the UI shows opens with what happened
 * and what to do, by the API error's code; the runtime's own message goes
 * behind a "Details" disclosure (components/ErrorNotice.svelte).
 */
export interface PlainError {
  message: string;
  /** The runtime's text, verbatim. */
  details: string | null;
}

interface ErrorLike {
  message: string;
  code?: string | null;
  /** The runtime's own words, where the engine kept them apart from its plain sentence. */
  details?: string | null;
}

/** An answer (chat, prompt or infill) that ended in an error: what happened and what to do, by its code. */
export function answerError(error: ErrorLike): PlainError {
  const lead = (() => {
    switch (error.code) {
      case 'context_length_exceeded':
        return 'The conversation no longer fits in the model’s context. Start a new conversation, clear this one, edit an earlier message to shorten it, or lower Max tokens.';
      case 'model_not_found':
        return 'The model was unloaded or replaced. Load it again in the Model panel, then press Retry.';
      case 'invalid_value':
      case 'invalid_type':
        return 'A parameter was refused (the details name it). Adjust it in the Parameters panel, then press Retry.';
      case 'gpu_device_lost':
        return 'The GPU device was lost, and the model with it. The Model panel offers to reload the page for WebGPU, or to load the model on WASM now; then press Retry.';
      case 'model_not_chat':
        return 'This is a base model, with no chat format. Use it in Prompt or Code infill, or load an instruct model for chat.';
      default:
        return 'The answer failed. Press Retry to try again; if it keeps failing, reload the model in the Model panel.';
    }
  })();
  return { message: lead, details: error.details ?? error.message };
}

/** A load that ended badly, by what the panel made of it. */
export function loadError(
  problem: 'cancelled' | 'network' | 'server' | 'not_found' | 'storage' | 'failed' | 'gpu_lost',
  error: { message: string; details: string | null },
): PlainError {
  const message = {
    cancelled:
      'Download cancelled. Files that finished downloading stay cached, and a large file stopped part-way resumes where it stopped. Press Resume to continue.',
    network: 'The download stopped: the network request did not complete. The files already downloaded are kept, so a retry fetches only the rest.',
    server: `${error.message} Nothing is wrong with this device or the files already downloaded.`,
    not_found: 'This model was not found on the Hugging Face hub. Check the model id, or pick a model from the list.',
    storage: 'Browser storage is full. Delete cached models in Downloads & storage, or allow persistent storage, then load again.',
    // The engine's sentence names what failed (a runtime that could not read the files, say); the advice follows it.
    failed: `${error.message} Try another dtype or device, or reload the page.`,
    gpu_lost: `${error.message} WebGPU works again after a page reload. WASM runs on the CPU, more slowly, and works now.`,
  }[problem];
  const details = problem === 'cancelled' ? null : (error.details ?? (message.startsWith(error.message) ? null : error.message));
  return { message, details };
}
