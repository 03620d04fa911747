/**
 * The engine: model lifecycle plus OpenAI-shaped generation. It runs unchanged
 * in the browser's Web Worker and in Node (engine tests); an `EngineHost` says
 * what differs between the two.
 */
import {
  assembleChatCompletion,
  assembleCompletion,
  cancelled,
  checkTextFitsContext,
  contextLength,
  defaultDtype,
  defaultGenerationParams,
  completionUsageChunk,
  contentChunk,
  finishChunk,
  invalidRequest,
  modelNotFound,
  newChunkContext,
  roleChunk,
  textChunk,
  toolCallChunk,
  usageChunk,
  validateChatRequest,
  validateCompletionRequest,
  validateLoadOptions,
  validateModelField,
  validateText,
  type ChatCompletion,
  type ChatCompletionChunk,
  type Completion,
  type CompletionLogprobs,
  type Device,
  type DeviceReport,
  type Dtype,
  type GenerationParams,
  type LoadedModel,
  type LoadProgress,
  type ModelList,
  type OutputConstraint,
  type SessionReport,
  type TokenLogprob,
  type ToolCall,
  type Usage,
} from '../../src/protocol/index.ts';
import { CausalLM, type FileProgress } from './causal-lm.ts';
import { env } from '@huggingface/transformers';
import { parseGgufModelId, type GgufModelId } from '../../src/protocol/model-id.ts';
import { DownloadGuard } from './download-guard.ts';
import { convertedFetch, convertedGguf, retryingFetch, type ConvertedModel } from './gguf-load.ts';
import { loadFailure } from './load-errors.ts';
import { cacheStorageUsable, type Fetch } from './resumable-download.ts';
import { GraphReading } from './graph-reading.ts';
import { CATALOG, DEFAULT_MODEL_FILE_NAME, GGUF_DTYPES, catalogEntry, resolveModelHost, type CatalogEntry } from './catalog.ts';
import { generate, type ConstrainedOutput, type GenerationResult } from './generate.ts';
import { GrammarCompiler, type CompiledJsonGrammar } from './grammar/index.ts';
import { schemaGrammar } from './grammar/schema-grammar.ts';
import { FIM_TOKENS, TOOL_CALL_OPEN, fimPromptIds, templateMessages, toolCallSchema } from './prompt.ts';
import { RequestQueue, type QueueOptions } from './queue.ts';
import { EngineStatePublisher } from './engine-state.ts';
import { freshSeed } from './sampling/random.ts';
import { tokenLogprobs, type TokenLogprobs } from './sampling/logprobs.ts';

/** A generated token's log probabilities, or a prompt token's, which is null when nothing came before it. */
type PromptTokenLogprobs = TokenLogprobs | { token: number; logprob: null; top: null };

/** A fixed `created` for catalog models: the DeepSeek Coder release date. */
const CATALOG_CREATED = 1698796800;

export interface EngineHost {
  /** Devices this runtime can run: webgpu and wasm in a browser, cpu in Node. */
  devices: readonly Device[];
  detectDevice(): Promise<DeviceReport>;
  /** Where the dev and test servers serve the tiny models in hub layout; null in production. */
  devModelHost: string | null;
  wasmThreads(): number;
  /**
   * Sizes the WASM thread pool before the runtime starts; absent where there
   * is no WASM runtime to size (Node). Throws a 400 naming `wasm_threads`
   * when the page cannot run that many.
   */
  setWasmThreads?(threads: number): void;
  /** Whether a model's files are in the runtime's download cache. */
  isCached(modelId: string): Promise<boolean>;
  /** The fetch model downloads go through (the browser's resumes interrupted files); the runtime's own when absent. */
  downloadFetch?: Fetch;
  /** Checks and repairs the download cache (the browser's); absent where the runtime keeps no cache. */
  modelCache?: ModelCacheCheck;
}

/** The download cache as a load sees it: checked before use, and repaired after a load that failed. */
export interface ModelCacheCheck {
  /** Starts a load: what the model's files must be is learnt when first needed; `onRepair` hears of each damaged file found. */
  beginLoad(modelId: string, host: string, onRepair: (notice: string) => void, graphs: GraphReading): Promise<void>;
  /** Deletes the cached files of the load that fail their checksums; resolves with their paths. */
  repairAfterFailure(): Promise<string[]>;
  /**
   * A file of the load's model whole in the cache, by its URL, as the hub serves it; null when it is not.
   * Absent where the runtime cannot read one a tensor at a time (blob-bytes.ts).
   */
  wholeFile?(url: string): Promise<Blob | null>;
  /** Whether the cache may keep files at all. */
  keepsFiles(): Promise<boolean>;
}

export type ChunkListener = (chunk: ChatCompletionChunk) => void;
export type CompletionChunkListener = (chunk: Completion) => void;

/** What one choice's decode loop reports, before it is dressed as chat or completion chunks. */
interface ChoiceSink {
  onText(text: string, logprobs: TokenLogprobs[]): void;
  onFinish(result: GenerationResult): void;
}

export class Engine {
  private lm: CausalLM | null = null;
  private grammar: GrammarCompiler | null = null;
  private loadedInfo: LoadedModel | null = null;
  /** Whether ONNX Runtime has started, which fixes its WASM thread pool. */
  private runtimeStarted = false;
  private readonly queue = new RequestQueue();
  private deviceReport: Promise<DeviceReport> | null = null;
  private received = 0;
  /** What the engine is doing, for callers to follow: the page subscribes to it. */
  readonly state = new EngineStatePublisher();
  /** The latest load asked for; an older one finishing does not clear what the state says of a newer one. */
  private latestLoad: object | null = null;

  constructor(private readonly host: EngineHost) {}

  /**
   * API requests that reached the engine since it started: chat, completions,
   * model lists and logits, valid or not. Tests read it to prove that a refused
   * HTTP request never got here.
   */
  get requestsReceived(): number {
    return this.received;
  }

  detectDevice(): Promise<DeviceReport> {
    this.deviceReport ??= this.host.detectDevice();
    return this.deviceReport;
  }

  /** How the runtime read the loaded model's graph; null with no model that can run. */
  get sessionReport(): SessionReport | null {
    return this.lm && !this.lm.deviceLost ? this.lm.sessionReport : null;
  }

  /** The model that can run now: none once its GPU device was lost. */
  get loaded(): LoadedModel | null {
    return this.lm?.deviceLost ? null : this.loadedInfo;
  }

  private catalog(): CatalogEntry[] {
    // A model none of this runtime's devices can hold (6.7B where there is no WebGPU) is not offered.
    const runnable = (entry: CatalogEntry) => !entry.devices || entry.devices.some((device) => this.host.devices.includes(device));
    return CATALOG.filter((entry) => !entry.unlisted && runnable(entry) && (entry.source === 'hub' || this.host.devModelHost !== null));
  }

  async listModels(): Promise<ModelList> {
    this.received += 1;
    const entries = this.catalog();
    const loadedId = this.loaded?.id;
    // A model loaded by hub id stays listed while it runs, as OpenAI lists the models a key can use.
    const ids = entries.map((entry) => entry.id);
    if (loadedId && !ids.includes(loadedId)) ids.push(loadedId);
    const data = await Promise.all(
      ids.map(async (id) => ({
        id,
        object: 'model' as const,
        created: CATALOG_CREATED,
        owned_by: entries.find((entry) => entry.id === id)?.owned_by ?? id.split('/')[0],
        loaded: id === loadedId,
        cached: await this.host.isCached(id).catch(() => false),
      })),
    );
    return { object: 'list', data };
  }

  private resolveHost(modelId: string): string {
    return resolveModelHost(modelId, this.host.devModelHost);
  }


  private async chooseRuntime(
    options: { device?: Device; dtype?: Dtype },
    published: readonly Dtype[] | null,
    /** The devices the model may run on, where not every one can hold it. */
    modelDevices?: readonly Device[],
  ): Promise<{ device: Device; dtype: Dtype; reason: string }> {
    const report = await this.detectDevice();
    const recommended = report.recommended.device;
    const device = options.device ?? (modelDevices && !modelDevices.includes(recommended) ? modelDevices[0] : recommended);
    if (!this.host.devices.includes(device)) {
      throw invalidRequest(`Device '${device}' is not available here; use one of ${this.host.devices.join(', ')}.`, 'device');
    }
    if (modelDevices && !modelDevices.includes(device)) {
      throw invalidRequest(
        `This model runs only on ${modelDevices.join(' or ')}: on '${device}' its weights and KV cache would not fit in memory.`,
        'device',
        'model_too_large',
      );
    }
    if (device === 'webgpu' && !report.webgpu) {
      throw invalidRequest('WebGPU is not available in this browser; use device "wasm".', 'device', 'webgpu_unavailable');
    }
    const dtype = options.dtype ?? defaultDtype(device, report, published);
    if (device === 'webgpu' && (dtype === 'fp16' || dtype === 'q4f16') && !report.shader_f16) {
      throw invalidRequest(
        `dtype '${dtype}' needs the WebGPU feature 'shader-f16', which this adapter lacks; use 'q4' or 'fp32'.`,
        'dtype',
        'shader_f16_unavailable',
      );
    }
    let reason =
      options.device || options.dtype
        ? `Chosen by you (${[options.device && 'device', options.dtype && 'dtype'].filter(Boolean).join(' and ')}).`
        : device === recommended
          ? report.recommended.reason
          : `This model needs ${device === 'webgpu' ? 'WebGPU' : device}'s memory.`;
    if (!options.dtype && published && dtype !== defaultDtype(device, report, null)) {
      reason += ` This model is published in ${published.join(', ')} only, so ${dtype}.`;
    }
    return { device, dtype, reason };
  }

  /**
   * Loads a model, replacing the current one. Queued behind running generations.
   * On failure nothing is loaded and the engine stays usable: load again.
   */
  async load(
    modelIdInput: unknown,
    optionsInput: unknown,
    onProgress?: (progress: LoadProgress) => void,
    signal?: AbortSignal,
  ): Promise<LoadedModel> {
    const modelId = validateModelField(modelIdInput);
    const options = validateLoadOptions(optionsInput);
    const ticket = {};
    this.latestLoad = ticket;
    this.state.update({ load: { model: modelId, status: 'queued' } });
    const loading = this.queue.run(signal, async () => {
      if (this.latestLoad === ticket) this.state.update({ load: { model: modelId, status: 'loading' } });
      if (options.wasm_threads !== undefined) this.useWasmThreads(options.wasm_threads);
      const host = this.resolveHost(modelId);
      const entry = catalogEntry(modelId);
      const gguf = parseGgufModelId(modelId);
      const listed = entry?.dtypes ?? (gguf ? GGUF_DTYPES : undefined);
      const runtime = await this.chooseRuntime(options, listed ?? null, entry?.devices);
      if (listed && !listed.includes(runtime.dtype)) {
        throw invalidRequest(
          `'${modelId}' is published in ${listed.join(', ')}; it has no '${runtime.dtype}' weights.`,
          'dtype',
          'dtype_unavailable',
        );
      }
      await this.unloadNow();

      const files = new Map<string, FileProgress>();
      let lastProgress: LoadProgress = { stage: 'download', loaded_bytes: 0, total_bytes: 0, percent: 0 };
      const report = (progress: FileProgress) => {
        files.set(progress.file, progress);
        let loaded = 0;
        let total = 0;
        for (const file of files.values()) {
          loaded += file.loaded;
          total += file.total;
        }
        lastProgress = {
          stage: 'download',
          loaded_bytes: loaded,
          total_bytes: total,
          percent: total > 0 ? Math.min(100, (loaded / total) * 100) : 0,
          file: progress.file,
        };
        onProgress?.(lastProgress);
      };
      // On WASM the KV cache is kept in the worker, so each pass copies only its new keys and values out of the runtime.
      // On every device the graph is read apart from its weights, so the runtime does not parse them inside its heap
      // (on WebGPU they go from the file straight to the GPU).
      const reading = new GraphReading(runtime.device === 'wasm', true);
      // The runtime reads a split graph's weights from the cached file, where the cache can keep it.
      const modelCache = this.host.modelCache;
      const cachedFile = modelCache?.wholeFile && (await modelCache.keepsFiles()) ? modelCache.wholeFile.bind(modelCache) : undefined;
      // From the first session on, ONNX Runtime's thread pool is fixed for the page.
      this.runtimeStarted = true;
      const attempt = () =>
        CausalLM.load({
          id: modelId,
          host: converted?.host ?? host,
          ...runtime,
          modelFileName: entry?.modelFileName ?? DEFAULT_MODEL_FILE_NAME,
          externalData: converted?.externalData ?? entry?.externalData,
          repo: converted?.repo,
          fetch: converted && this.host.downloadFetch ? convertedFetch(converted, this.host.downloadFetch) : this.host.downloadFetch,
          reading,
          cachedFile,
          signal,
          onFileProgress: report,
          onPreparing: () => {
            const totals = [...files.values()].reduce((sum, file) => sum + file.total, 0);
            onProgress?.({ stage: 'prepare', loaded_bytes: totals, total_bytes: totals, percent: 100 });
          },
        });
      const converted = gguf
        ? await this.prepareGguf(gguf, host, runtime, signal, (read, total) =>
            onProgress?.({ stage: 'convert', loaded_bytes: read, total_bytes: total, percent: total > 0 ? (read / total) * 100 : 0 }),
          )
        : null;
      const cache = this.host.modelCache;
      const tell = (notice: string) => onProgress?.({ ...lastProgress, notice });
      await cache?.beginLoad(modelId, host, tell, reading);
      let lm: CausalLM;
      try {
        try {
          lm = await attempt();
        } catch (error) {
          // A damaged cached file (a flipped bit keeps its size) fails only when the runtime reads it: repair, then try once more.
          if (signal?.aborted || !cache || (await cache.repairAfterFailure()).length === 0) throw error;
          files.clear();
          lm = await attempt();
        }
      } catch (error) {
        throw signal?.aborted ? cancelled() : loadFailure(modelId, error);
      }
      // Cancelled after the downloads, while the runtime built its session: the caller already has its 499.
      if (signal?.aborted) {
        await lm.dispose();
        throw cancelled();
      }
      const weightsBytes = converted?.weightsBytes ?? [...files.values()].reduce((sum, file) => sum + file.total, 0);
      const context = contextLength(lm.kvBytesPerToken, lm.maxPositionEmbeddings, { device: runtime.device, weightsBytes });
      this.lm = lm;
      this.loadedInfo = {
        id: modelId,
        device: runtime.device,
        dtype: runtime.dtype,
        reason: runtime.reason,
        wasm_threads: this.host.wasmThreads(),
        context_length: context,
        kv_bytes_per_token: lm.kvBytesPerToken,
      };
      // One update, so no watcher ever sees the model loaded while the load still runs.
      const finished = this.latestLoad === ticket;
      if (finished) this.latestLoad = null;
      this.state.update({ loaded: this.loadedInfo, ...(finished && { load: null }) });
      onProgress?.({ stage: 'ready', loaded_bytes: weightsBytes, total_bytes: weightsBytes, percent: 100 });
      return this.loadedInfo;
    }, { load: true });
    try {
      return await loading;
    } finally {
      // An older load ending does not clear what the state says of a newer one.
      if (this.latestLoad === ticket) {
        this.latestLoad = null;
        this.state.update({ load: null });
      }
    }
  }

  /** The converted graph of a GGUF load: stored by an earlier load, or converted now, stored as it is made. */
  private async prepareGguf(
    id: GgufModelId,
    host: string,
    runtime: { device: Device; dtype: Dtype },
    signal: AbortSignal | undefined,
    onConvertProgress: (read: number, total: number) => void,
  ): Promise<ConvertedModel> {
    const downloads = new DownloadGuard(retryingFetch(this.host.downloadFetch ?? ((input, init) => fetch(input, init))), signal);
    const cache = (await cacheStorageUsable()) ? await caches.open(env.cacheKey) : null;
    return downloads.race(convertedGguf({ id, host, ...runtime, fetch: downloads.fetch, cache, onConvertProgress }));
  }

  /** Applies a load's `wasm_threads`, which only the first load of a page can change. */
  private useWasmThreads(threads: number): void {
    if (!this.host.setWasmThreads) {
      throw invalidRequest("'wasm_threads' sizes the browser's WebAssembly runtime; this runtime has none.", 'wasm_threads');
    }
    const current = this.host.wasmThreads();
    if (threads === current) return;
    if (this.runtimeStarted) {
      throw invalidRequest(
        `ONNX Runtime already runs ${current} WebAssembly thread${current === 1 ? '' : 's'} in this page and cannot change them once started; reload the page to use ${threads}.`,
        'wasm_threads',
        'wasm_threads_fixed',
      );
    }
    this.host.setWasmThreads(threads);
  }

  private async unloadNow(): Promise<void> {
    const previous = this.lm;
    this.lm = null;
    this.loadedInfo = null;
    if (this.state.state.loaded) this.state.update({ loaded: null });
    this.grammar?.dispose();
    this.grammar = null;
    await previous?.dispose();
  }

  unload(): Promise<void> {
    return this.queue.run(undefined, () => this.unloadNow());
  }

  /** A request for the model loaded now goes ahead of loads still waiting: that model serves until a load starts. */
  private queueOptions(model: string): QueueOptions {
    return { overtakeLoads: model === this.loadedInfo?.id };
  }

  /** The loaded model, if it is still the one the request named when it was made. */
  private current(model: string): { lm: CausalLM; info: LoadedModel } {
    const lm = this.lm;
    const info = this.loadedInfo;
    if (!lm || !info || info.id !== model) {
      throw modelNotFound(model, 'was unloaded or replaced before this request ran.');
    }
    if (lm.deviceLost) throw lm.deviceLost;
    return { lm, info };
  }

  /**
   * Rejects text too long for the context from its length alone: before the
   * request waits in the queue, and before megabytes are tokenized.
   */
  private checkLength(chars: number, param: string, what: string): void {
    const lm = this.lm;
    const info = this.loadedInfo;
    if (!lm || !info) return;
    checkTextFitsContext(chars, { tokens: info.context_length, longestTokenChars: lm.longestTokenChars }, param, what);
  }

  /**
   * How many tokens a choice may generate; a prompt that leaves no room is a 400,
   * not a truncated answer. `prompt` names the parameter to blame and how the
   * message calls what it holds.
   */
  private room(info: LoadedModel, promptLength: number, params: GenerationParams, prompt: { param: string; what: string }): number {
    const room = info.context_length - promptLength;
    if (room < 1) {
      throw invalidRequest(
        `This model's context is ${info.context_length} tokens, fewer than the ${promptLength} tokens of the ${prompt.what}. Shorten the ${prompt.what}.`,
        prompt.param,
        'context_length_exceeded',
      );
    }
    const requested = params.maxTokens;
    if (requested !== null && requested > room) {
      throw invalidRequest(
        `This model's context is ${info.context_length} tokens and ${promptLength} of them hold the ${prompt.what}, so 'max_tokens' can be at most ${room}; you asked for ${requested}.`,
        'max_tokens',
        'context_length_exceeded',
      );
    }
    return requested ?? room;
  }

  private checkLogitBias(params: GenerationParams, lm: CausalLM): void {
    for (const token of params.logitBias.keys()) {
      if (token >= lm.vocabularyLimit) {
        throw invalidRequest(
          `'logit_bias' names token ${token}, but this model's vocabulary ends at ${lm.vocabularyLimit - 1}.`,
          `logit_bias.${token}`,
        );
      }
    }
  }

  /**
   * The grammar for a request, compiled before anything streams, so a schema it
   * cannot express is a 400 rather than a broken stream.
   */
  private async constrainedOutput(output: OutputConstraint, lm: CausalLM): Promise<ConstrainedOutput | null> {
    if (output.kind === 'text') return null;
    this.grammar ??= new GrammarCompiler(lm.tokenizer, { vocabSize: lm.logitsWidth, stopTokenIds: [...lm.eosTokenIds] });
    const constrained = (compiled: CompiledJsonGrammar, trigger: string | null, capture: boolean): ConstrainedOutput => ({
      create: (budget) => compiled.constrain(budget),
      trigger,
      capture,
    });
    switch (output.kind) {
      case 'json_object':
        return constrained(await this.grammar.jsonObject(), null, false);
      case 'json_schema':
        return constrained(await this.grammar.jsonSchema(output.schema, output.param), null, false);
      case 'tools': {
        const { choice } = output;
        const named = typeof choice === 'object' ? output.tools.findIndex((tool) => tool.function.name === choice.name) : -1;
        const tools = named === -1 ? output.tools : [output.tools[named]];
        // Each schema alone first (converted, not compiled: that is cheap), so an error names the tool whose parameters the grammar cannot express.
        for (const tool of tools) {
          schemaGrammar(tool.function.parameters ?? { type: 'object' }, `tools[${output.tools.indexOf(tool)}].function.parameters`);
        }
        const compiled = await this.grammar.jsonSchema(toolCallSchema(tools), 'tools');
        return constrained(compiled, choice === 'auto' ? TOOL_CALL_OPEN : null, true);
      }
    }
  }

  /**
   * Runs `n` choices one after another on one prompt. Each gets its own seed:
   * the request's seed plus its index, so a seeded request is reproducible as a whole.
   * Each choice after the first reuses the prompt's KV cache.
   */
  private async runChoices(
    lm: CausalLM,
    args: Parameters<Engine['decodeChoices']>[1],
    signal: AbortSignal | undefined,
    sinkFor: (index: number) => ChoiceSink,
  ): Promise<Usage> {
    // The context this generation starts from, for the page's meter, from the moment it is known.
    this.state.update({ generation: { model: lm.id, prompt_tokens: args.promptIds.length, cached_tokens: args.cachedTokens } });
    try {
      return await this.decodeChoices(lm, args, signal, sinkFor);
    } finally {
      this.state.update({ generation: null });
    }
  }

  private async decodeChoices(
    lm: CausalLM,
    args: {
      promptIds: number[];
      params: GenerationParams;
      n: number;
      maxNewTokens: number;
      constrained: ConstrainedOutput | null;
      /** When the request's turn in the queue began. */
      startedAt: number;
      /** Prompt tokens the KV cache held from earlier requests when this one began. */
      cachedTokens: number;
    },
    signal: AbortSignal | undefined,
    sinkFor: (index: number) => ChoiceSink,
  ): Promise<Usage> {
    const baseSeed = args.params.seed;
    let completionTokens = 0;
    for (let index = 0; index < args.n; index++) {
      const sink = sinkFor(index);
      const result = await generate(lm, {
        promptIds: args.promptIds,
        params: args.params,
        seed: baseSeed === null ? freshSeed() : (baseSeed + index) >>> 0,
        maxNewTokens: args.maxNewTokens,
        startedAt: index === 0 ? args.startedAt : undefined,
        signal,
        constrained: args.constrained,
        onText: (text, logprobs) => sink.onText(text, logprobs),
      });
      completionTokens += result.completionTokens;
      sink.onFinish(result);
    }
    const promptTokens = args.promptIds.length;
    return {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      prompt_tokens_details: { cached_tokens: args.cachedTokens },
    };
  }

  private chatLogprobs(lm: CausalLM, entries: TokenLogprobs[]): TokenLogprob[] {
    const table = lm.tokenTable;
    return entries.map((entry) => ({
      token: table.text(entry.token),
      logprob: entry.logprob,
      bytes: table.bytes(entry.token),
      top_logprobs: entry.top.map((alternative) => ({
        token: table.text(alternative.token),
        logprob: alternative.logprob,
        bytes: table.bytes(alternative.token),
      })),
    }));
  }

  /**
   * One chat completion. Every chunk goes to `onChunk` as it is made (for
   * streaming); the assembled completion is the result either way.
   */
  async chat(body: unknown, onChunk?: ChunkListener, signal?: AbortSignal): Promise<ChatCompletion> {
    this.received += 1;
    const request = validateChatRequest(body, this.loadedInfo?.id ?? null);
    // The tools' descriptions are written into the prompt too; a lower bound need not count the rest.
    const messageChars = request.messages.reduce((sum, message) => sum + message.content.length, 0);
    const toolChars = request.tools.reduce((sum, tool) => sum + (tool.function.description?.length ?? 0), 0);
    this.checkLength(
      messageChars + toolChars,
      toolChars > messageChars ? 'tools' : 'messages',
      toolChars > 0 ? 'messages and tool descriptions' : 'messages',
    );
    return this.state.track(this.queue.run(signal, async () => {
      const startedAt = performance.now();
      const { lm, info } = this.current(request.model);
      if (!lm.hasChatTemplate) {
        throw invalidRequest(
          `'${request.model}' is a base model with no chat template; use it for completions, or load an instruct model for chat.`,
          'model',
          'model_not_chat',
        );
      }
      this.checkLogitBias(request.params, lm);
      const constrained = await this.constrainedOutput(request.output, lm);
      const forcedCall = constrained?.capture === true && constrained.trigger === null;
      const promptIds = lm.chatPromptIds(templateMessages(request.messages, request.tools), forcedCall ? TOOL_CALL_OPEN : '');
      const maxNewTokens = this.room(info, promptIds.length, request.params, { param: 'messages', what: 'messages' });

      const context = newChunkContext(request.model, 'chatcmpl', request.includeUsage);
      const chunks: ChatCompletionChunk[] = [];
      const emit = (chunk: ChatCompletionChunk) => {
        chunks.push(chunk);
        onChunk?.(chunk);
      };
      const wantLogprobs = request.params.topLogprobs !== null;
      const usage = await this.runChoices(
        lm,
        { promptIds, params: request.params, n: request.n, maxNewTokens, constrained, startedAt, cachedTokens: lm.reusablePrefix(promptIds) },
        signal,
        (index) => {
          emit(roleChunk(context, index));
          return {
            onText: (text, logprobs) => emit(contentChunk(context, text, index, wantLogprobs ? this.chatLogprobs(lm, logprobs) : null)),
            onFinish: (result) => {
              let reason = result.finishReason;
              if (result.captured !== null) {
                const call = reason === 'tool_calls' ? parseToolCall(result.captured) : null;
                if (call) emit(toolCallChunk(context, [call], index));
                else {
                  // A call cut off by max_tokens is not a call; what was written is still shown.
                  emit(contentChunk(context, result.captured, index));
                  if (reason === 'tool_calls') reason = 'stop';
                }
              }
              emit(finishChunk(context, reason, result.timings, index));
            },
          };
        },
      );
      if (request.includeUsage) emit(usageChunk(context, usage));
      return assembleChatCompletion(chunks, usage);
    }, this.queueOptions(request.model)));
  }

  /**
   * One text completion: raw continuation, or fill-in-the-middle when the
   * request has a suffix. Chunks go to `onChunk` as they are made.
   */
  async complete(body: unknown, onChunk?: CompletionChunkListener, signal?: AbortSignal): Promise<Completion> {
    this.received += 1;
    const request = validateCompletionRequest(body, this.loadedInfo?.id ?? null);
    const { prompt, suffix } = request;
    // The longer part is the one to shorten.
    const blamed = suffix !== null && suffix.length > prompt.length ? 'suffix' : 'prompt';
    this.checkLength(prompt.length + (suffix?.length ?? 0), blamed, suffix === null ? 'prompt' : 'prompt and suffix');
    return this.state.track(this.queue.run(signal, async () => {
      const startedAt = performance.now();
      const { lm, info } = this.current(request.model);
      this.checkLogitBias(request.params, lm);
      const fim = suffix === null ? null : this.fimIds(lm, prompt, suffix);
      const promptIds = fim?.ids ?? lm.encodePrompt(prompt);
      const maxNewTokens = this.room(
        info,
        promptIds.length,
        request.params,
        fim === null
          ? { param: 'prompt', what: 'prompt' }
          : { param: fim.suffixTokens > fim.prefixTokens ? 'suffix' : 'prompt', what: 'prompt and suffix' },
      );

      const context = newChunkContext(request.model, 'cmpl', request.includeUsage);
      const chunks: Completion[] = [];
      const emit = (chunk: Completion) => {
        chunks.push(chunk);
        onChunk?.(chunk);
      };
      const topCount = request.params.topLogprobs;
      const cachedTokens = lm.reusablePrefix(promptIds);
      const promptScores = request.echo && topCount !== null ? await this.scorePrompt(lm, promptIds, topCount, signal) : null;
      const usage = await this.runChoices(
        lm,
        // Scoring recomputes the whole prompt, so then nothing came from an earlier request.
        { promptIds, params: request.params, n: request.n, maxNewTokens, constrained: null, startedAt, cachedTokens: promptScores ? 0 : cachedTokens },
        signal,
        (index) => {
          const offsets = new TextOffsets();
          const send = (text: string, logprobs: CompletionLogprobs | null, finish: GenerationResult | null) => {
            emit(textChunk(context, { index, text, logprobs, finish_reason: finish?.finishReason ?? null }, finish?.timings));
          };
          if (request.echo) {
            if (promptScores) send(request.prompt, this.legacyLogprobs(lm, promptScores, offsets), null);
            else {
              offsets.skip(request.prompt);
              send(request.prompt, null, null);
            }
          }
          return {
            onText: (text, logprobs) => send(text, topCount === null ? null : this.legacyLogprobs(lm, logprobs, offsets), null),
            onFinish: (result) => send('', topCount === null ? null : emptyLegacyLogprobs(), result),
          };
        },
      );
      if (request.includeUsage) emit(completionUsageChunk(context, usage));
      return assembleCompletion(chunks, usage);
    }, this.queueOptions(request.model)));
  }

  /** The fill-in-the-middle prompt, with how many tokens each side took, so a prompt too long blames the longer side. */
  private fimIds(lm: CausalLM, prefix: string, suffix: string): { ids: number[]; prefixTokens: number; suffixTokens: number } {
    const begin = lm.tokenId(FIM_TOKENS.begin);
    const hole = lm.tokenId(FIM_TOKENS.hole);
    const end = lm.tokenId(FIM_TOKENS.end);
    if (begin === null || hole === null || end === null) {
      throw invalidRequest(
        `'${lm.id}' has no fill-in-the-middle tokens, so 'suffix' cannot be used with it; load a DeepSeek Coder model.`,
        'suffix',
      );
    }
    const counts = new Map<string, number>();
    const encode = (text: string) => {
      const ids = lm.encode(text);
      counts.set(text, ids.length);
      return ids;
    };
    const ids = fimPromptIds(encode, { begin, hole, end }, lm.bosTokenId, prefix, suffix);
    return { ids, prefixTokens: counts.get(prefix) ?? 0, suffixTokens: counts.get(suffix) ?? 0 };
  }

  /**
   * Log probabilities of the prompt's own tokens, for `echo` with `logprobs`:
   * each token's under the model's raw distribution after the tokens before it,
   * as OpenAI scores a prompt (no sampling parameter applies to text already
   * written). The BOS token is not text and gets no entry; the first text token
   * is scored after it, or gets null where there is no BOS.
   */
  private async scorePrompt(lm: CausalLM, promptIds: number[], topCount: number, signal: AbortSignal | undefined): Promise<PromptTokenLogprobs[]> {
    const firstText = promptIds[0] === lm.bosTokenId ? 1 : 0;
    const scores: PromptTokenLogprobs[] = firstText === 0 ? [{ token: promptIds[0], logprob: null, top: null }] : [];
    const vocabulary = lm.vocabularyLimit;
    await lm.scorePrompt(
      promptIds,
      (logits, position) => {
        if (position + 1 >= firstText) scores.push(tokenLogprobs(logits.subarray(0, vocabulary), promptIds[position + 1], topCount));
      },
      () => {
        if (signal?.aborted) throw cancelled();
      },
    );
    return scores;
  }

  /** The legacy shape: parallel arrays, alternatives keyed by their text (the likelier one wins when two tokens read the same). */
  private legacyLogprobs(lm: CausalLM, entries: PromptTokenLogprobs[], offsets: TextOffsets): CompletionLogprobs {
    const table = lm.tokenTable;
    const logprobs = emptyLegacyLogprobs();
    for (const entry of entries) {
      const text = table.text(entry.token);
      logprobs.tokens.push(text);
      logprobs.token_logprobs.push(entry.logprob);
      let top: Record<string, number> | null = null;
      if (entry.top !== null) {
        top = {};
        for (const alternative of entry.top) {
          const key = table.text(alternative.token);
          if (!(key in top)) top[key] = alternative.logprob;
        }
      }
      logprobs.top_logprobs.push(top);
      logprobs.text_offset.push(offsets.next(table.bytes(entry.token)));
    }
    return logprobs;
  }

  /** Next-token logits for raw text: a diagnostic used to compare runtimes and dtypes. */
  async nextTokenLogits(input: unknown): Promise<Float32Array> {
    this.received += 1;
    const text = validateText(input, 'text');
    this.checkLength(text.length, 'text', 'text');
    return this.queue.run(undefined, async () => {
      if (!this.lm || !this.loadedInfo) throw modelNotFound('(none)', 'is not loaded; call load() first.');
      if (this.lm.deviceLost) throw this.lm.deviceLost;
      const ids = this.lm.encode(text);
      this.room(this.loadedInfo, ids.length, { ...defaultGenerationParams(), maxTokens: null }, { param: 'text', what: 'text' });
      await this.lm.reset();
      return this.lm.forward(ids);
    });
  }
}

/**
 * `text_offset` for the legacy logprobs: where each token starts in the choice's
 * text. Counted from the tokens' bytes, since a token holding part of a
 * character has no text of its own; it starts where that character does.
 */
class TextOffsets {
  private readonly decoder = new TextDecoder('utf-8');
  private length = 0;

  skip(text: string): void {
    this.length += text.length;
  }

  next(bytes: number[]): number {
    const offset = this.length;
    this.length += this.decoder.decode(Uint8Array.from(bytes), { stream: true }).length;
    return offset;
  }
}

function emptyLegacyLogprobs(): CompletionLogprobs {
  return { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
}

/** The grammar guarantees the shape; parsing here only separates the name from the arguments. */
function parseToolCall(text: string): ToolCall | null {
  try {
    const parsed = JSON.parse(text) as { name?: unknown; arguments?: unknown };
    if (typeof parsed.name !== 'string') return null;
    return {
      id: `call_${crypto.randomUUID().replaceAll('-', '').slice(0, 24)}`,
      type: 'function',
      function: { name: parsed.name, arguments: JSON.stringify(parsed.arguments ?? {}) },
    };
  } catch {
    return null;
  }
}
