/**
 * The engine's Web Worker: model loading and generation run here, off the main
 * thread, so the page never freezes. Comlink carries the calls; errors cross as
 * plain OpenAI error objects because class identity does not survive postMessage.
 */
import * as Comlink from 'comlink';
import { toApiError, toWire, type ChatCompletion, type ChatCompletionChunk, type LoadProgress } from '../src/protocol/index.ts';
import { browserHost, configureRuntime } from './engine/browser-host.ts';
import { Engine } from './engine/engine.ts';

configureRuntime(import.meta.env.BASE_URL);
const devModelHost = __DEV_MODELS__ ? new URL(`${import.meta.env.BASE_URL}hf-mirror/`, self.location.origin).href : null;
const engine = new Engine(browserHost(devModelHost));
const inFlight = new Map<string, AbortController>();

async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toWire(toApiError(error));
  }
}

const api = {
  detectDevice: () => guarded(() => engine.detectDevice()),
  models: () => guarded(async () => engine.listModels()),
  loaded: async () => engine.loaded,
  load: (modelId: unknown, options: unknown, onProgress?: (progress: LoadProgress) => void) =>
    guarded(() => engine.load(modelId, options, onProgress)),
  unload: () => guarded(() => engine.unload()),

  /**
   * Runs one chat request. Chunks go to `onChunk` over their own port; the
   * result is sent only after the last chunk is acknowledged, so a caller never
   * sees the end before the content.
   */
  chat(body: unknown, requestId: string, onChunk?: (chunk: ChatCompletionChunk) => Promise<void>): Promise<ChatCompletion> {
    const controller = new AbortController();
    inFlight.set(requestId, controller);
    let lastDelivery: Promise<void> = Promise.resolve();
    const listener = onChunk
      ? (chunk: ChatCompletionChunk) => {
          lastDelivery = onChunk(chunk);
        }
      : undefined;
    return guarded(async () => {
      try {
        const completion = await engine.chat(body, listener, controller.signal);
        await lastDelivery;
        return completion;
      } finally {
        inFlight.delete(requestId);
      }
    });
  },

  abort(requestId: string): void {
    inFlight.get(requestId)?.abort();
  },

  nextTokenLogits: (text: string) => guarded(() => engine.nextTokenLogits(text)),
};

export type EngineApi = typeof api;

Comlink.expose(api);
