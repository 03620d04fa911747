/**
 * The engine's Web Worker: model loading and generation run here, off the main
 * thread, so the page never freezes. Comlink carries the calls; errors cross as
 * plain OpenAI error objects because class identity does not survive postMessage.
 */
import { env } from '@huggingface/transformers';
import * as Comlink from 'comlink';
import {
  invalidRequest,
  toApiError,
  toWire,
  type ChatCompletion,
  type ChatCompletionChunk,
  type Completion,
  type EngineState,
  type LoadProgress,
} from '../src/protocol/index.ts';
import { browserHost, configureRuntime, networkFetch } from './engine/browser-host.ts';
import { Engine } from './engine/engine.ts';
import { runtimeGpuDevice } from './engine/gpu-device.ts';
import { plainRuntimeError } from './engine/load-errors.ts';
import { ModelStore } from './engine/model-store.ts';
import { VerifiedCache } from './engine/verified-cache.ts';

configureRuntime(import.meta.env.BASE_URL);
const devModelHost = __DEV_MODELS__ ? new URL(`${import.meta.env.BASE_URL}hf-mirror/`, self.location.origin).href : null;
// Model files go through the checked cache, in the same Cache Storage transformers.js would use.
const verifiedCache = new VerifiedCache();
env.useCustomCache = true;
env.customCache = verifiedCache;
const store = new ModelStore(devModelHost, networkFetch, verifiedCache);
const engine = new Engine(browserHost(devModelHost, store, verifiedCache));
const inFlight = new Map<string, AbortController>();

async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toWire(toApiError(plainRuntimeError(error)));
  }
}

function streamed<Chunk, Result>(
  requestId: string,
  onChunk: ((chunk: Chunk) => Promise<void>) | undefined,
  run: (listener: ((chunk: Chunk) => void) | undefined, signal: AbortSignal) => Promise<Result>,
): Promise<Result> {
  const controller = new AbortController();
  inFlight.set(requestId, controller);
  let lastDelivery: Promise<void> = Promise.resolve();
  const listener = onChunk
    ? (chunk: Chunk) => {
        lastDelivery = onChunk(chunk);
      }
    : undefined;
  return guarded(async () => {
    try {
      const result = await run(listener, controller.signal);
      await lastDelivery;
      return result;
    } finally {
      inFlight.delete(requestId);
    }
  });
}

const api = {
  detectDevice: () => guarded(() => engine.detectDevice()),
  models: () => guarded(() => engine.listModels()),
  /** Calls `listener` with the engine's state now and on every change: the page follows loads whoever made them. */
  watch: (listener: (state: EngineState) => void) => {
    engine.state.subscribe(listener);
  },
  /**
   * Loads a model; `abort(requestId)` cancels it, downloads included. The state comes with the result, since the
   * watcher's messages travel on their own port and may arrive after it.
   */
  load: (modelId: unknown, options: unknown, requestId: string, onProgress?: (progress: LoadProgress) => void) => {
    const controller = new AbortController();
    inFlight.set(requestId, controller);
    return guarded(async () => ({ model: await engine.load(modelId, options, onProgress, controller.signal), state: engine.state.state })).finally(
      () => inFlight.delete(requestId),
    );
  },
  modelSizes: (modelId: unknown) => guarded(() => store.sizes(modelId)),
  cachedModels: () => guarded(() => store.list()),
  deleteCachedModel: (modelId: unknown) => guarded(() => store.delete(modelId)),
  unload: () =>
    guarded(async () => {
      await engine.unload();
      return engine.state.state;
    }),

  /**
   * Runs one chat request. Chunks go to `onChunk` over their own port; the
   * result is sent only after the last chunk is acknowledged, so a caller never
   * sees the end before the content.
   */
  chat: (body: unknown, requestId: string, onChunk?: (chunk: ChatCompletionChunk) => Promise<void>): Promise<ChatCompletion> =>
    streamed(requestId, onChunk, (listener, signal) => engine.chat(body, listener, signal)),

  /** Runs one completions request (raw or fill-in-the-middle), streamed like `chat`. */
  complete: (body: unknown, requestId: string, onChunk?: (chunk: Completion) => Promise<void>): Promise<Completion> =>
    streamed(requestId, onChunk, (listener, signal) => engine.complete(body, listener, signal)),

  abort(requestId: string): void {
    inFlight.get(requestId)?.abort();
  },

  nextTokenLogits: (text: unknown) => guarded(() => engine.nextTokenLogits(text)),

  requestsReceived: async () => engine.requestsReceived,

  sessionReport: async () => engine.sessionReport,

  /** Dev and test builds only: destroys ONNX Runtime's WebGPU device, as a driver reset would, to test device loss. */
  destroyGpuDevice: () =>
    guarded(async () => {
      if (!__DEV_MODELS__) throw invalidRequest('destroyGpuDevice exists only in dev and test builds.', null, 'unsupported');
      const device = engine.loaded?.device === 'webgpu' ? await runtimeGpuDevice() : null;
      device?.destroy();
      return device !== null;
    }),
};

export type EngineApi = typeof api;

Comlink.expose(api);
