/**
 * The engine: model lifecycle plus OpenAI-shaped generation. It runs unchanged
 * in the browser's Web Worker and in Node (engine tests); an `EngineHost` says
 * what differs between the two.
 */
import {
  ApiError,
  assembleChatCompletion,
  contentChunk,
  finishChunk,
  invalidRequest,
  modelNotFound,
  newChunkContext,
  roleChunk,
  usageChunk,
  validateChatRequest,
  validateLoadOptions,
  validateModelField,
  type ChatCompletion,
  type ChatCompletionChunk,
  type Device,
  type DeviceReport,
  type Dtype,
  type LoadedModel,
  type LoadProgress,
  type ModelList,
} from '../../src/protocol/index.ts';
import { CausalLM, type FileProgress } from './causal-lm.ts';
import { CATALOG, isHubModelId, type CatalogEntry } from './catalog.ts';
import { generate } from './generate.ts';
import { RequestQueue } from './queue.ts';

const HUB_HOST = 'https://huggingface.co/';
/** KV-cache memory we let one conversation use; the context length follows from it. */
const KV_CACHE_BUDGET_BYTES = 1024 ** 3;
/** A fixed `created` for catalog models: the DeepSeek Coder release date. */
const CATALOG_CREATED = 1698796800;

export interface EngineHost {
  /** Devices this runtime can run: webgpu and wasm in a browser, cpu in Node. */
  devices: readonly Device[];
  detectDevice(): Promise<DeviceReport>;
  /** Where the dev and test servers serve the tiny models in hub layout; null in production. */
  devModelHost: string | null;
  wasmThreads(): number;
}

export type ChunkListener = (chunk: ChatCompletionChunk) => void;

function defaultDtype(device: Device, report: DeviceReport): Dtype {
  if (device === report.recommended.device) return report.recommended.dtype;
  return device === 'webgpu' && report.shader_f16 ? 'q4f16' : 'q4';
}

export class Engine {
  private lm: CausalLM | null = null;
  private loadedInfo: LoadedModel | null = null;
  private readonly queue = new RequestQueue();
  private deviceReport: Promise<DeviceReport> | null = null;

  constructor(private readonly host: EngineHost) {}

  detectDevice(): Promise<DeviceReport> {
    this.deviceReport ??= this.host.detectDevice();
    return this.deviceReport;
  }

  get loaded(): LoadedModel | null {
    return this.loadedInfo;
  }

  private catalog(): CatalogEntry[] {
    return CATALOG.filter((entry) => entry.source === 'hub' || this.host.devModelHost !== null);
  }

  listModels(): ModelList {
    return {
      object: 'list',
      data: this.catalog().map((entry) => ({
        id: entry.id,
        object: 'model',
        created: CATALOG_CREATED,
        owned_by: entry.owned_by,
      })),
    };
  }

  private resolveHost(modelId: string): string {
    const entry = CATALOG.find((candidate) => candidate.id === modelId);
    if (entry?.source === 'dev-mirror') {
      if (!this.host.devModelHost) throw modelNotFound(modelId, 'is a test model, served only by the dev and test servers.');
      return this.host.devModelHost;
    }
    if (!isHubModelId(modelId)) {
      throw invalidRequest(`'${modelId}' is not a Hugging Face model id of the form 'owner/name'.`, 'model');
    }
    return HUB_HOST;
  }

  private async chooseRuntime(options: { device?: Device; dtype?: Dtype }): Promise<{ device: Device; dtype: Dtype; reason: string }> {
    const report = await this.detectDevice();
    const device = options.device ?? report.recommended.device;
    if (!this.host.devices.includes(device)) {
      throw invalidRequest(`Device '${device}' is not available here; use one of ${this.host.devices.join(', ')}.`, 'device');
    }
    if (device === 'webgpu' && !report.webgpu) {
      throw invalidRequest('WebGPU is not available in this browser; use device "wasm".', 'device', 'webgpu_unavailable');
    }
    const dtype = options.dtype ?? defaultDtype(device, report);
    if (device === 'webgpu' && (dtype === 'fp16' || dtype === 'q4f16') && !report.shader_f16) {
      throw invalidRequest(
        `dtype '${dtype}' needs the WebGPU feature 'shader-f16', which this adapter lacks; use 'q4' or 'fp32'.`,
        'dtype',
        'shader_f16_unavailable',
      );
    }
    const reason =
      options.device || options.dtype
        ? `Chosen by you (${[options.device && 'device', options.dtype && 'dtype'].filter(Boolean).join(' and ')}).`
        : report.recommended.reason;
    return { device, dtype, reason };
  }

  /**
   * Loads a model, replacing the current one. Queued behind running generations.
   * On failure nothing is loaded and the engine stays usable: load again.
   */
  async load(modelIdInput: unknown, optionsInput: unknown, onProgress?: (progress: LoadProgress) => void): Promise<LoadedModel> {
    const modelId = validateModelField(modelIdInput);
    const options = validateLoadOptions(optionsInput);
    return this.queue.run(undefined, async () => {
      const host = this.resolveHost(modelId);
      const runtime = await this.chooseRuntime(options);
      const listed = CATALOG.find((entry) => entry.id === modelId)?.dtypes;
      if (listed && !listed.includes(runtime.dtype)) {
        throw invalidRequest(
          `'${modelId}' is published in ${listed.join(', ')}; it has no '${runtime.dtype}' weights.`,
          'dtype',
          'dtype_unavailable',
        );
      }
      await this.unloadNow();

      const files = new Map<string, FileProgress>();
      const report = (progress: FileProgress) => {
        files.set(progress.file, progress);
        let loaded = 0;
        let total = 0;
        for (const file of files.values()) {
          loaded += file.loaded;
          total += file.total;
        }
        onProgress?.({
          stage: 'download',
          loaded_bytes: loaded,
          total_bytes: total,
          percent: total > 0 ? Math.min(100, (loaded / total) * 100) : 0,
          file: progress.file,
        });
      };
      let lm: CausalLM;
      try {
        lm = await CausalLM.load({ id: modelId, host, ...runtime, onFileProgress: report });
      } catch (error) {
        throw loadFailure(modelId, error);
      }
      const contextLength = Math.min(lm.maxPositionEmbeddings, Math.floor(KV_CACHE_BUDGET_BYTES / lm.kvBytesPerToken));
      this.lm = lm;
      this.loadedInfo = {
        id: modelId,
        device: runtime.device,
        dtype: runtime.dtype,
        reason: runtime.reason,
        wasm_threads: this.host.wasmThreads(),
        context_length: contextLength,
      };
      const totals = [...files.values()].reduce((sum, file) => sum + file.total, 0);
      onProgress?.({ stage: 'ready', loaded_bytes: totals, total_bytes: totals, percent: 100 });
      return this.loadedInfo;
    });
  }

  private async unloadNow(): Promise<void> {
    const previous = this.lm;
    this.lm = null;
    this.loadedInfo = null;
    await previous?.dispose();
  }

  unload(): Promise<void> {
    return this.queue.run(undefined, () => this.unloadNow());
  }

  /**
   * One chat completion. Every chunk goes to `onChunk` as it is made (for
   * streaming); the assembled completion is the result either way.
   */
  async chat(body: unknown, onChunk?: ChunkListener, signal?: AbortSignal): Promise<ChatCompletion> {
    const request = validateChatRequest(body, this.loadedInfo?.id ?? null);
    return this.queue.run(signal, async () => {
      const lm = this.lm;
      const info = this.loadedInfo;
      if (!lm || !info || info.id !== request.model) {
        throw modelNotFound(request.model, 'was unloaded or replaced before this request ran.');
      }
      if (!lm.hasChatTemplate) {
        throw invalidRequest(
          `'${request.model}' is a base model with no chat template; use it for completions, or load an instruct model for chat.`,
          'model',
          'model_not_chat',
        );
      }
      const promptIds = lm.chatPromptIds(request.messages);
      const room = info.context_length - promptIds.length;
      if (room < 1) {
        throw invalidRequest(
          `This model's context is ${info.context_length} tokens, but the messages take ${promptIds.length}. Shorten the conversation.`,
          'messages',
          'context_length_exceeded',
        );
      }
      const requested = request.params.maxTokens;
      if (requested !== null && requested > room) {
        throw invalidRequest(
          `This model's context is ${info.context_length} tokens and the messages take ${promptIds.length}, so 'max_tokens' can be at most ${room}; you asked for ${requested}.`,
          'max_tokens',
          'context_length_exceeded',
        );
      }

      const context = newChunkContext(request.model);
      const chunks: ChatCompletionChunk[] = [];
      const emit = (chunk: ChatCompletionChunk) => {
        chunks.push(chunk);
        onChunk?.(chunk);
      };
      emit(roleChunk(context));
      const result = await generate(lm, {
        promptIds,
        params: request.params,
        maxNewTokens: requested ?? room,
        signal,
        onText: (text) => emit(contentChunk(context, text)),
      });
      const usage = {
        prompt_tokens: promptIds.length,
        completion_tokens: result.completionTokens,
        total_tokens: promptIds.length + result.completionTokens,
      };
      emit(finishChunk(context, result.finishReason, result.timings));
      if (request.includeUsage) emit(usageChunk(context, usage));
      return assembleChatCompletion(chunks, usage);
    });
  }

  /** Next-token logits for raw text: a diagnostic used to compare runtimes and dtypes. */
  nextTokenLogits(text: string): Promise<Float32Array> {
    return this.queue.run(undefined, async () => {
      if (!this.lm) throw modelNotFound('(none)', 'is not loaded; call load() first.');
      await this.lm.reset();
      return this.lm.forward(this.lm.encode(text));
    });
  }
}

function loadFailure(modelId: string, error: unknown) {
  const message = error instanceof Error ? error.message : String(error);
  if (/Could not locate file|404|not found/i.test(message)) {
    return modelNotFound(modelId, `could not be found on the hub (${message}).`);
  }
  if (/failed to fetch|network|load failed/i.test(message)) {
    return new ApiError(
      {
        message: `Downloading '${modelId}' failed: the network request did not complete (${message}). Check your connection and press Load again; files already downloaded stay cached.`,
        type: 'server_error',
        param: 'model',
        code: 'network_error',
      },
      502,
    );
  }
  return new ApiError(
    { message: `Loading '${modelId}' failed: ${message}`, type: 'server_error', param: 'model', code: 'model_load_failed' },
    502,
  );
}
