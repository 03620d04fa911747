/**
 * Errors in people's words: each failure the UI shows opens with what happened
 * and what to do, by the API error's code; the runtime's own message goes
 * behind a "Details" disclosure (components/ErrorNotice.svelte).
 *
 * The playground and the embedded widget share the sentences about what happened;
 * what to do differs, since the widget has no Model panel, Retry or library (`Surface`).
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

/** Where the error shows: the playground, or the widget a host page embeds (a Load button and a composer, nothing more). */
export type Surface = 'app' | 'widget';

/** What the status and code of an API error say about a failed load. */
export interface LoadFailure {
  status: number;
  message: string;
  error?: { code?: string | null } | null;
}

/** How a load ended badly, so the panel can say what to do next. */
export type LoadProblem = 'cancelled' | 'network' | 'server' | 'not_found' | 'refused' | 'storage' | 'failed' | 'gpu_lost';

export function loadProblemOf(error: LoadFailure): LoadProblem {
  if (error.status === 499) return 'cancelled';
  if (error.error?.code === 'network_error') return 'network';
  if (error.error?.code === 'server_failed') return 'server';
  if (error.status === 404) return 'not_found';
  if (/quota/i.test(error.message)) return 'storage';
  if (error.status === 400) return 'refused';
  return 'failed';
}

/** An answer (chat, prompt or infill) that ended in an error: what happened and what to do, by its code. */
export function answerError(error: ErrorLike, surface: Surface = 'app'): PlainError {
  const app = surface === 'app';
  const lead = (() => {
    switch (error.code) {
      case 'context_length_exceeded':
        return app
          ? 'The conversation no longer fits in the model’s context. Start a new conversation, clear this one, edit an earlier message to shorten it, or lower Max tokens.'
          : 'The conversation no longer fits in the model’s context. Reload the page to start a new conversation.';
      case 'model_not_found':
        return app
          ? 'The model was unloaded or replaced. Load it again in the Model panel, then press Retry.'
          : 'The model was unloaded or replaced. Press Load, then send your message again.';
      case 'invalid_value':
      case 'invalid_type':
        return app
          ? 'A parameter was refused (the details name it). Adjust it in the Parameters panel, then press Retry.'
          : 'The page that embeds this chat set a parameter the model refused (the details name it). Its owner can fix it.';
      case 'gpu_device_lost':
        return app
          ? 'The GPU device was lost, and the model with it. The Model panel offers to reload the page for WebGPU, or to load the model on WASM now; then press Retry.'
          : 'The GPU device was lost, and the model with it. Reload the page, press Load, then send your message again.';
      case 'model_not_chat':
        return app
          ? 'This is a base model, with no chat format. Use it in Prompt or Code infill, or load an instruct model for chat.'
          : 'This is a base model, with no chat format. The page that embeds this chat needs to choose an instruct model.';
      default:
        return app
          ? 'The answer failed. Press Retry to try again; if it keeps failing, reload the model in the Model panel.'
          : 'The answer failed. Send your message again; if it keeps failing, reload the page.';
    }
  })();
  return { message: lead, details: error.details ?? error.message };
}

/** A load that ended badly, by what the panel made of it. */
export function loadError(problem: LoadProblem, error: { message: string; details: string | null }, surface: Surface = 'app'): PlainError {
  const app = surface === 'app';
  const message = {
    cancelled: app
      ? 'Download cancelled. Files that finished downloading stay cached, and a large file stopped part-way resumes where it stopped. Press Resume to continue.'
      : 'Download cancelled. Files that finished downloading stay cached. Press Load to continue.',
    network: 'The download stopped: the network request did not complete. The files already downloaded are kept, so a retry fetches only the rest.',
    server: `${error.message} Nothing is wrong with this device or the files already downloaded.`,
    not_found: app
      ? 'This model was not found on the Hugging Face hub. Check the model id, or pick a model from the list.'
      : 'This model was not found on the Hugging Face hub. The page that embeds this chat names it; its owner can correct the id.',
    refused: app
      ? 'The model id or a load option was refused (the details say which). Pick a model from the list, or correct the id.'
      : 'The page that embeds this chat asked for a model or option that was refused (the details say which). Its owner can fix it.',
    storage: app
      ? 'Browser storage is full. Delete cached models in Downloads & storage, or allow persistent storage, then load again.'
      : 'Browser storage is full. Free space for this site in the browser’s settings, then press Load again.',
    // The engine's sentence names what failed (a runtime that could not read the files, say); the advice follows it.
    failed: app ? `${error.message} Try another dtype or device, or reload the page.` : `${error.message} Reload the page and press Load again.`,
    gpu_lost: app
      ? `${error.message} WebGPU works again after a page reload. WASM runs on the CPU, more slowly, and works now.`
      : `${error.message} WebGPU works again after a page reload.`,
  }[problem];
  const details = problem === 'cancelled' ? null : (error.details ?? (message.startsWith(error.message) ? null : error.message));
  return { message, details };
}

/** Why the hub could not tell a model's download sizes, by the error's code; loading may still work. */
export function sizeLookupError(error: ErrorLike): PlainError {
  const message = (() => {
    switch (error.code) {
      case 'model_not_found':
        return 'The hub has no public model with this id (it may be misspelled, private or gated). Check the id, or pick a model from the list.';
      case 'model_not_onnx':
        return 'This repository has no ONNX weights this app can load. Pick an ONNX export made for transformers.js, such as one from onnx-community.';
      case 'invalid_value':
      case 'invalid_type':
        return 'This is not a model id the hub knows how to read. Use the owner/name form, as on huggingface.co.';
      default:
        return 'Download sizes could not be looked up. Check the connection and look again; a cached model still loads.';
    }
  })();
  return { message, details: error.details ?? error.message };
}

/** Why conversations are not being saved: storage would not open at all, or one write failed. */
export function conversationStorageError(failure: 'unavailable' | 'write', error: ErrorLike): PlainError {
  const message =
    failure === 'unavailable'
      ? 'This browser does not let the page save conversations (private browsing, or storage turned off), so they last only until you close the tab. Export any you want to keep as JSON.'
      : 'The last change to your conversations could not be saved; the next change tries again. If storage is full, delete cached models in Downloads & storage, and export conversations you want to keep.';
  return { message, details: error.details ?? error.message };
}
