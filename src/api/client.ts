/**
 * The OpenAI-shaped in-page client: `window.deepseek`. It validates at the
 * boundary, then talks to the engine worker through comlink. The playground is
 * just one of its callers.
 */
import * as Comlink from 'comlink';
import {
  ApiError,
  cancelled,
  modelNotFound,
  toApiError,
  validateChatRequest,
  validateCompletionRequest,
  validateLoadOptions,
  validateModelField,
  validateText,
  type ChatCompletion,
  type ChatCompletionChunk,
  type ChatCompletionRequest,
  type CachedModelList,
  type CacheDeleteResult,
  type Completion,
  type CompletionRequest,
  type DeviceReport,
  type EngineState,
  type LoadedModel,
  type LoadOptions,
  type LoadProgress,
  type ModelList,
  type ModelObject,
  type ModelSizes,
  type SessionReport,
} from '../protocol/index.ts';
import type { EngineApi } from '../../workers/engine.worker.ts';
import { ChunkStream } from './chunk-stream.ts';

export interface RequestOptions {
  signal?: AbortSignal;
}

export interface ClientLoadOptions extends LoadOptions {
  onProgress?: (progress: LoadProgress) => void;
  /** Aborting cancels the load, downloads included; it then rejects with a 499 `cancelled` error. */
  signal?: AbortSignal;
}

type StreamingRequest = ChatCompletionRequest & { stream: true };
type NonStreamingRequest = ChatCompletionRequest & { stream?: false | null };
type StreamingCompletionRequest = CompletionRequest & { stream: true };
type NonStreamingCompletionRequest = CompletionRequest & { stream?: false | null };

/** How one engine call delivers a streamed request's chunks and returns its assembled result. */
type EngineCall<Chunk, Result> = (requestId: string, deliver?: (chunk: Chunk) => Promise<void>) => Promise<Result>;

/** Errors from the worker arrive as plain objects; every method rethrows them as ApiError. */
async function call<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toApiError(error);
  }
}

export type EngineStateListener = (state: EngineState) => void;

export class DeepSeekClient {
  private readonly engine: Comlink.Remote<EngineApi>;
  /** The engine's state as last published: what is loaded is what requests are checked against. */
  private engineState: EngineState = { revision: 0, loaded: null, load: null, active_requests: 0, generation: null };
  private readonly stateListeners = new Set<EngineStateListener>();
  /** Loads and requests under way, from every caller: the playground, `window.deepseek`, `/v1`, the widget. */
  private running = 0;
  private idleWaiters: Array<() => void> = [];

  readonly chat = {
    completions: {
      create: ((body: ChatCompletionRequest, options?: RequestOptions) => this.createChatCompletion(body, options)) as {
        (body: StreamingRequest, options?: RequestOptions): Promise<AsyncIterable<ChatCompletionChunk>>;
        (body: NonStreamingRequest, options?: RequestOptions): Promise<ChatCompletion>;
        (body: ChatCompletionRequest, options?: RequestOptions): Promise<ChatCompletion | AsyncIterable<ChatCompletionChunk>>;
      },
    },
  };

  readonly completions = {
    create: ((body: CompletionRequest, options?: RequestOptions) => this.createCompletion(body, options)) as {
      (body: StreamingCompletionRequest, options?: RequestOptions): Promise<AsyncIterable<Completion>>;
      (body: NonStreamingCompletionRequest, options?: RequestOptions): Promise<Completion>;
      (body: CompletionRequest, options?: RequestOptions): Promise<Completion | AsyncIterable<Completion>>;
    },
  };

  readonly models = {
    list: (): Promise<ModelList> => call(() => this.engine.models()),
    retrieve: async (modelId: string): Promise<ModelObject> => {
      const model = (await this.models.list()).data.find((candidate) => candidate.id === modelId);
      if (!model) throw modelNotFound(modelId, 'does not exist.');
      return model;
    },
    /** Not in OpenAI's API: download size per dtype from the hub, and which dtypes are cached. */
    sizes: (modelId: string): Promise<ModelSizes> => call(() => this.engine.modelSizes(modelId)),
  };

  /** Not in OpenAI's API: the models the browser keeps in Cache Storage. */
  readonly cache = {
    list: (): Promise<CachedModelList> => call(() => this.engine.cachedModels()),
    /** Deletes a model's cached files; a loaded model keeps running, and its next load downloads again. */
    delete: (modelId: string): Promise<CacheDeleteResult> => call(() => this.engine.deleteCachedModel(modelId)),
  };

  constructor(worker: Worker) {
    this.engine = Comlink.wrap<EngineApi>(worker);
    void this.engine.watch(Comlink.proxy((state: EngineState) => this.applyState(state)));
  }

  /** The model requests can use now, or null. A load waiting its turn leaves the current one in place. */
  get loaded(): LoadedModel | null {
    return this.engineState.loaded;
  }

  /** Not in OpenAI's API: what the engine is doing, whoever asked it (this page, another script, or /v1). */
  get state(): EngineState {
    return this.engineState;
  }

  /** Calls `listener` with the state now and on every change; returns the function that stops it. */
  onStateChange(listener: EngineStateListener): () => void {
    this.stateListeners.add(listener);
    listener(this.engineState);
    return () => this.stateListeners.delete(listener);
  }

  private applyState(state: EngineState): void {
    if (state.revision <= this.engineState.revision) return;
    this.engineState = state;
    for (const listener of this.stateListeners) listener(state);
  }

  /** Whether a load or a request is under way, so that an app update can wait for it. */
  get busy(): boolean {
    return this.running > 0;
  }

  /** Resolves once nothing loads or generates. */
  whenIdle(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Counts one piece of work as running; the returned function, called once, ends it. */
  private begin(): () => void {
    this.running += 1;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.running -= 1;
      if (this.running > 0) return;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    };
  }

  device(): Promise<DeviceReport> {
    return call(() => this.engine.detectDevice());
  }

  /** Downloads (or reads from the browser cache) and starts a model. Resolves with what runs: id, device, dtype. */
  async load(modelId: string, options: ClientLoadOptions = {}): Promise<LoadedModel> {
    const { onProgress, signal, ...rest } = options;
    const model = validateModelField(modelId);
    const loadOptions = validateLoadOptions(rest);
    if (signal?.aborted) throw cancelled();
    const progress = onProgress ? Comlink.proxy(onProgress) : undefined;
    const requestId = crypto.randomUUID();
    const abort = () => void this.engine.abort(requestId);
    signal?.addEventListener('abort', abort, { once: true });
    const end = this.begin();
    try {
      const { model: loaded, state } = await call(() => this.engine.load(model, loadOptions, requestId, progress));
      this.applyState(state);
      return loaded;
    } finally {
      end();
      signal?.removeEventListener('abort', abort);
    }
  }

  async unload(): Promise<void> {
    this.applyState(await call(() => this.engine.unload()));
  }

  // Async, so that an invalid request rejects the returned promise rather than throwing at the call, as OpenAI's SDK does.
  private async createChatCompletion(
    body: ChatCompletionRequest,
    options: RequestOptions = {},
  ): Promise<ChatCompletion | AsyncIterable<ChatCompletionChunk>> {
    const request = validateChatRequest(body, this.engineState.loaded?.id ?? null);
    return this.send<ChatCompletionChunk, ChatCompletion>(request.stream, options, (requestId, deliver) =>
      this.engine.chat(body, requestId, deliver && Comlink.proxy(deliver)),
    );
  }

  private async createCompletion(body: CompletionRequest, options: RequestOptions = {}): Promise<Completion | AsyncIterable<Completion>> {
    const request = validateCompletionRequest(body, this.engineState.loaded?.id ?? null);
    return this.send<Completion, Completion>(request.stream, options, (requestId, deliver) =>
      this.engine.complete(body, requestId, deliver && Comlink.proxy(deliver)),
    );
  }

  /**
   * Sends a validated request to the engine. Without streaming it resolves with
   * the result; with streaming it resolves at once with an async iterable of
   * chunks. Either way `signal` aborts it, queued or running.
   */
  private async send<Chunk, Result>(
    stream: boolean,
    { signal }: RequestOptions,
    engineCall: EngineCall<Chunk, Result>,
  ): Promise<Result | AsyncIterable<Chunk>> {
    if (signal?.aborted) throw cancelled();
    const requestId = crypto.randomUUID();
    const abort = () => void this.engine.abort(requestId);
    signal?.addEventListener('abort', abort, { once: true });
    const end = this.begin();
    const finished = () => {
      end();
      signal?.removeEventListener('abort', abort);
    };

    if (!stream) {
      try {
        return await call(() => engineCall(requestId));
      } finally {
        finished();
      }
    }

    const chunks = new ChunkStream<Chunk>(abort);
    const abandon = () => chunks.abandon(cancelled());
    signal?.addEventListener('abort', abandon, { once: true });
    call(() => engineCall(requestId, async (chunk) => chunks.push(chunk)))
      .then(() => chunks.end())
      .catch((error: ApiError) => chunks.fail(error))
      .finally(() => {
        finished();
        signal?.removeEventListener('abort', abandon);
      });
    return chunks;
  }

  /** Diagnostics, used by tests and benchmarks. */
  readonly internals = {
    /** Next-token logits for raw text under the loaded model. */
    nextTokenLogits: async (text: string): Promise<Float32Array> => {
      // The engine bounds its length before tokenizing; the type is checked before it crosses to the worker.
      validateText(text, 'text');
      return call(() => this.engine.nextTokenLogits(text));
    },
    /** API requests the engine has received since it started (chat, completions, model lists, logits), valid or not. */
    requestsReceived: (): Promise<number> => call(() => this.engine.requestsReceived()),
    /** How the runtime read the loaded model's graph (split, rewritten, its weights from the cache); null with no model loaded. */
    sessionReport: (): Promise<SessionReport | null> => call(() => this.engine.sessionReport()),
    /** Dev and test builds only: destroys the WebGPU device the model runs on, as a driver reset would. Resolves with whether there was one. */
    destroyGpuDevice: (): Promise<boolean> => call(() => this.engine.destroyGpuDevice()),
  };
}

export function createClient(): DeepSeekClient {
  const worker = new Worker(new URL('../../workers/engine.worker.ts', import.meta.url), { type: 'module', name: 'deepseek-engine' });
  return new DeepSeekClient(worker);
}
