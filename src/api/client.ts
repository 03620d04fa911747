/**
 * The OpenAI-shaped in-page client: `window.deepseek`. It validates at the
 * boundary, then talks to the engine worker through comlink. The playground is
 * just one of its callers.
 */
import * as Comlink from 'comlink';
import {
  ApiError,
  cancelled,
  toApiError,
  validateChatRequest,
  validateLoadOptions,
  validateModelField,
  type ChatCompletion,
  type ChatCompletionChunk,
  type ChatCompletionRequest,
  type DeviceReport,
  type LoadedModel,
  type LoadOptions,
  type LoadProgress,
  type ModelList,
} from '../protocol/index.ts';
import type { EngineApi } from '../../workers/engine.worker.ts';
import { ChunkStream } from './chunk-stream.ts';

export interface RequestOptions {
  signal?: AbortSignal;
}

export interface ClientLoadOptions extends LoadOptions {
  onProgress?: (progress: LoadProgress) => void;
}

type StreamingRequest = ChatCompletionRequest & { stream: true };
type NonStreamingRequest = ChatCompletionRequest & { stream?: false | null };

/** Errors from the worker arrive as plain objects; every method rethrows them as ApiError. */
async function call<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toApiError(error);
  }
}

export class DeepSeekClient {
  private readonly engine: Comlink.Remote<EngineApi>;
  private loadedModel: LoadedModel | null = null;

  readonly chat = {
    completions: {
      create: ((body: ChatCompletionRequest, options?: RequestOptions) => this.createChatCompletion(body, options)) as {
        (body: StreamingRequest, options?: RequestOptions): Promise<AsyncIterable<ChatCompletionChunk>>;
        (body: NonStreamingRequest, options?: RequestOptions): Promise<ChatCompletion>;
        (body: ChatCompletionRequest, options?: RequestOptions): Promise<ChatCompletion | AsyncIterable<ChatCompletionChunk>>;
      },
    },
  };

  readonly models = {
    list: (): Promise<ModelList> => call(() => this.engine.models()),
  };

  constructor(worker: Worker) {
    this.engine = Comlink.wrap<EngineApi>(worker);
  }

  /** What was loaded last, or null. */
  get loaded(): LoadedModel | null {
    return this.loadedModel;
  }

  device(): Promise<DeviceReport> {
    return call(() => this.engine.detectDevice());
  }

  /** Downloads (or reads from the browser cache) and starts a model. Resolves with what runs: id, device, dtype. */
  async load(modelId: string, options: ClientLoadOptions = {}): Promise<LoadedModel> {
    const { onProgress, ...rest } = options;
    const model = validateModelField(modelId);
    const loadOptions = validateLoadOptions(rest);
    this.loadedModel = null;
    const progress = onProgress ? Comlink.proxy(onProgress) : undefined;
    this.loadedModel = await call(() => this.engine.load(model, loadOptions, progress));
    return this.loadedModel;
  }

  async unload(): Promise<void> {
    this.loadedModel = null;
    await call(() => this.engine.unload());
  }

  private async createChatCompletion(
    body: ChatCompletionRequest,
    options: RequestOptions = {},
  ): Promise<ChatCompletion | AsyncIterable<ChatCompletionChunk>> {
    const request = validateChatRequest(body, this.loadedModel?.id ?? null);
    const { signal } = options;
    if (signal?.aborted) throw cancelled();
    const requestId = crypto.randomUUID();
    const abort = () => void this.engine.abort(requestId);
    signal?.addEventListener('abort', abort, { once: true });
    const finished = () => signal?.removeEventListener('abort', abort);

    if (!request.stream) {
      try {
        return await call(() => this.engine.chat(body, requestId));
      } finally {
        finished();
      }
    }

    const stream = new ChunkStream<ChatCompletionChunk>(abort);
    const deliver = Comlink.proxy(async (chunk: ChatCompletionChunk) => stream.push(chunk));
    call(() => this.engine.chat(body, requestId, deliver))
      .then(() => stream.end())
      .catch((error: ApiError) => stream.fail(error))
      .finally(finished);
    return stream;
  }

  /** Diagnostics: next-token logits for raw text under the loaded model. Used by tests and benchmarks. */
  readonly internals = {
    nextTokenLogits: (text: string): Promise<Float32Array> => call(() => this.engine.nextTokenLogits(text)),
  };
}

export function createClient(): DeepSeekClient {
  const worker = new Worker(new URL('../../workers/engine.worker.ts', import.meta.url), { type: 'module', name: 'deepseek-engine' });
  return new DeepSeekClient(worker);
}
