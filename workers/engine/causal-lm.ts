/**
 * A causal LM as the engine sees it: a tokenizer and an ONNX decoder loaded
 * through transformers.js from the hub layout, and prefill and forward passes
 * over a KV cache we own, whose passes run in cached-passes.ts (the cache as
 * the runtime returns it) or host-kv-cache.ts (kept in the worker, on WASM).
 * Sampling, stopping and streaming live elsewhere.
 */
import { AutoConfig, AutoModelForCausalLM, AutoTokenizer, env, type PreTrainedModel, type PreTrainedTokenizer } from '@huggingface/transformers';
import type { ChatMessage, Device, Dtype, SessionReport } from '../../src/protocol/types.ts';
import { freshKvName } from '../model-build/fresh-kv-outputs.ts';
import { RuntimeKvPasses, type CachedPasses, type PassLogits } from './cached-passes.ts';
import { DTYPE_SUFFIX } from './catalog.ts';
import { DownloadGuard } from './download-guard.ts';
import { BlobBytes } from './blob-bytes.ts';
import { storeReadOrder, storedReadOrder } from './read-order-store.ts';
import { WeightPrefetch, type ByteRange } from './weight-prefetch.ts';
import { GraphReading, splitDataName } from './graph-reading.ts';
import { GpuDeviceWatch, runtimeGpuDevice } from './gpu-device.ts';
import { HostKvPasses, type KvGeometry, type RuntimeSession } from './host-kv-cache.ts';
import { externalDataChunks, type ExternalDataFormat, type LoadConfig } from './model-files.ts';
import type { Fetch } from './resumable-download.ts';
import { TokenTable } from './token-text.ts';

/** Prompt tokens per forward pass during prefill: bounds the logits buffer (chunk × vocab floats) and lets an abort land between chunks. */
const PREFILL_CHUNK = 256;

export interface FileProgress {
  file: string;
  loaded: number;
  total: number;
}

export interface LoadRequest {
  id: string;
  /** Base URL that serves `{model}/resolve/{revision}/{file}`. */
  host: string;
  device: Device;
  dtype: Dtype;
  /** The ONNX graph's base name: `model`, or `decoder_model_merged` in older exports. */
  modelFileName: string;
  /** External-data chunks per ONNX file, where config.json does not declare them. */
  externalData?: ExternalDataFormat;
  /** The repository transformers.js reads at `host`, when not `id`: a converted GGUF model's. */
  repo?: string;
  /** The network fetch downloads go through; the runtime's own by default. */
  fetch?: Fetch;
  /**
   * How the graph is read (graph-reading.ts): on WASM with fresh key and
   * value outputs, so the cache is kept in the worker, and split, with its
   * weights as external data. The model cache must read it the same way.
   * Absent: as the hub serves it.
   */
  reading?: GraphReading;
  /**
   * A file whole in the browser's cache, by its URL, or null. Where present,
   * the weights of a graph read split are read a tensor at a time
   * (blob-bytes.ts) from the cached file: found there, or put there by the
   * load's download. Absent where the thread cannot read a Blob synchronously.
   */
  cachedFile?: (url: string) => Promise<Blob | null>;
  /** Aborting stops the downloads and rejects the load. */
  signal?: AbortSignal;
  onFileProgress: (progress: FileProgress) => void;
  /** Every graph file has arrived: the runtime now builds its session, which takes seconds at full size. */
  onPreparing?: () => void;
}

interface ProgressEvent {
  status: string;
  file?: string;
  loaded?: number;
  total?: number;
}

interface SessionInputMetadata {
  name: string;
  type?: string;
}

/** What is read of the runtime's session: its inputs and outputs. */
interface SessionInfo {
  inputNames?: string[];
  outputNames?: string[];
  inputMetadata?: SessionInputMetadata[];
}

interface ModelConfig {
  eos_token_id?: number | number[];
  vocab_size?: number;
  max_position_embeddings?: number;
  num_hidden_layers: number;
  num_key_value_heads?: number;
  num_attention_heads: number;
  hidden_size: number;
  head_dim?: number;
}

const BYTES_PER_ELEMENT: Record<KvGeometry['type'], number> = { float32: 4, float16: 2 };

/** An ONNX graph or one of its external-data files. */
const GRAPH_FILE = /\.onnx(_data(_\d+)?)?$/;

/** transformers.js's own fetch, captured before any load replaces `env.fetch`. */
const RUNTIME_FETCH: Fetch = env.fetch;

/** Receives one position's next-token logits; the array is only valid during the call. */
export type LogitsRowListener = (logits: Float32Array, position: number) => void;

export interface Prefill {
  /** Next-token logits after the whole prompt. */
  logits: Float32Array;
  /** Leading prompt tokens whose keys and values were already cached, so were not computed again. */
  reusedTokens: number;
}

export class CausalLM {
  private readonly passes: CachedPasses;
  /** The tokens whose keys and values the cache holds, in order. */
  private cachedIds: number[] = [];
  /**
   * The next-token logits after the cache's first `length` tokens, as the
   * prefill (or prompt scoring) that last ran left them. While the cache still
   * holds those tokens, a prefill of them again (a repeat, or the next of `n`
   * choices) takes these rather than running a pass. Read-only: handed out as copies.
   */
  private prefillEnd: { length: number; logits: Float32Array } | null = null;
  private tokenTableInstance: TokenTable | null = null;
  private vocabularyInstance: Map<string, number> | null = null;
  private longestTokenCharsValue: number | null = null;

  private constructor(
    readonly id: string,
    readonly tokenizer: PreTrainedTokenizer,
    private readonly model: PreTrainedModel,
    readonly device: Device,
    readonly dtype: Dtype,
    /** The WebGPU device's loss, raced by every pass; null on other devices. */
    private readonly gpu: GpuDeviceWatch | null,
    /** Whether the runtime read the weights a tensor at a time from a Blob (blob-bytes.ts), not from a copy of the whole file. */
    private readonly weightsPerTensor: boolean,
    /** How many of those reads a helper had read ahead (weight-prefetch.ts). */
    private readonly weightsReadAhead: number,
  ) {
    const session = this.session;
    // A graph given fresh key and value outputs at load (WASM) keeps its cache here; any other, as the runtime returns it.
    this.passes =
      session?.outputNames?.includes(freshKvName(0, 'key'))
        ? new HostKvPasses(model.sessions.model as RuntimeSession, this.kvGeometry)
        : new RuntimeKvPasses(model, (work) => this.onDevice(work), session?.inputNames?.includes('num_logits_to_keep') ?? false);
  }

  /** Whether this model keeps its KV cache in the worker's memory (HostKvPasses) rather than as the runtime returns it. */
  get keepsCacheInWorker(): boolean {
    return this.passes instanceof HostKvPasses;
  }

  /** Whether a pass computes logits only for the rows asked for: the graph takes `num_logits_to_keep`, its own or added when it was read split. */
  get keepsLogitsRows(): boolean {
    return this.passes.keepsLogitsRows;
  }

  /** How the runtime read the graph: split and rewritten or not, with fresh outputs or not, its weights a tensor at a time or not. */
  get sessionReport(): SessionReport {
    const session = this.session;
    return { inputs: [...(session?.inputNames ?? [])], outputs: [...(session?.outputNames ?? [])], weights_per_tensor: this.weightsPerTensor, weights_read_ahead: this.weightsReadAhead };
  }

  /** Set once the GPU device this model ran on was lost: the model cannot run any more. */
  get deviceLost(): Error | null {
    return this.gpu?.lost ?? null;
  }

  private onDevice<T>(work: Promise<T>): Promise<T> {
    return this.gpu ? this.gpu.race(work) : work;
  }

  static async load(request: LoadRequest): Promise<CausalLM> {
    env.remoteHost = request.host;
    env.allowRemoteModels = true;
    env.allowLocalModels = false;
    // Stays installed after the load: a request transformers.js makes late, for a load already cancelled, must fail too.
    const network = request.fetch ?? RUNTIME_FETCH;
    const reading = request.reading ?? new GraphReading(false, false);
    const downloads = new DownloadGuard(reading.fetch(network), request.signal);
    env.fetch = downloads.fetch;
    const repo = request.repo ?? request.id;
    const graphFiles = new Set<string>();
    const arrivedGraphFiles = new Set<string>();
    const progress_callback = (event: ProgressEvent) => {
      const file = event.file && reading.progressPath(repo, event.file);
      if (event.status === 'progress' && file) request.onFileProgress({ file, loaded: event.loaded ?? 0, total: event.total ?? 0 });
      if (!event.file || !GRAPH_FILE.test(event.file)) return;
      if (event.status === 'initiate') graphFiles.add(event.file);
      if (event.status === 'done') {
        arrivedGraphFiles.add(event.file);
        if (arrivedGraphFiles.size === graphFiles.size) request.onPreparing?.();
      }
    };
    const loading = (async () => {
      const tokenizer = await AutoTokenizer.from_pretrained(repo, { progress_callback });
      const externalData = await externalDataToRead(request, repo, reading);
      let readAhead = 0;
      const model = await AutoModelForCausalLM.from_pretrained(repo, {
        device: request.device,
        dtype: request.dtype,
        model_file_name: request.modelFileName,
        ...(externalData.format && { use_external_data_format: externalData.format }),
        ...(externalData.mounted && { session_options: { externalData: [externalData.mounted] } }),
        progress_callback,
      }).then(
        (model) => {
          readAhead = externalData.settle?.(true) ?? 0;
          return model;
        },
        (error: unknown) => {
          externalData.settle?.(false);
          throw error;
        },
      );
      const device = request.device === 'webgpu' ? await runtimeGpuDevice() : null;
      const gpu = device ? new GpuDeviceWatch(device) : null;
      return new CausalLM(request.id, tokenizer, model, request.device, request.dtype, gpu, externalData.mounted !== undefined, readAhead);
    })();
    try {
      return await downloads.race(loading);
    } catch (error) {
      // A model that finishes loading after the load failed is released, never left holding memory.
      void loading.then((lm) => lm.dispose(), () => undefined);
      throw error;
    }
  }

  private get config(): ModelConfig {
    return this.model.config as unknown as ModelConfig;
  }

  /** Token ids that end generation: the model's EOS ids plus the tokenizer's. */
  get eosTokenIds(): Set<number> {
    const ids = new Set<number>();
    const fromConfig = this.config.eos_token_id;
    for (const id of Array.isArray(fromConfig) ? fromConfig : [fromConfig]) if (typeof id === 'number') ids.add(id);
    if (typeof this.tokenizer.eos_token_id === 'number') ids.add(this.tokenizer.eos_token_id);
    return ids;
  }

  private get vocabulary(): Map<string, number> {
    if (!this.vocabularyInstance) {
      const vocabulary = this.tokenizer.get_vocab() as Map<string, number> | Record<string, number>;
      this.vocabularyInstance = vocabulary instanceof Map ? vocabulary : new Map(Object.entries(vocabulary));
    }
    return this.vocabularyInstance;
  }

  /** The id of a token spelled exactly `text` (e.g. a FIM marker), or null when the vocabulary lacks it. */
  tokenId(text: string): number | null {
    return this.vocabulary.get(text) ?? null;
  }

  get bosTokenId(): number | null {
    return typeof this.tokenizer.bos_token_id === 'number' ? this.tokenizer.bos_token_id : null;
  }

  /** Token bytes and text for log probabilities, built on first use. */
  get tokenTable(): TokenTable {
    this.tokenTableInstance ??= new TokenTable({
      vocabulary: this.vocabulary,
      decodeOne: (id) => this.tokenizer.decode([id], { skip_special_tokens: false }),
    });
    return this.tokenTableInstance;
  }

  /**
   * The most text one token can stand for, in UTF-16 code units: the longest
   * spelling in the vocabulary. A byte-level spelling has one character per byte,
   * so never fewer than the text it decodes to. Bounds a prompt's token count from
   * its length alone, before tokenizing.
   */
  get longestTokenChars(): number {
    if (this.longestTokenCharsValue === null) {
      let longest = 1;
      for (const spelling of this.vocabulary.keys()) if (spelling.length > longest) longest = spelling.length;
      this.longestTokenCharsValue = longest;
    }
    return this.longestTokenCharsValue;
  }

  /** Ids at or past this have no tokenizer entry (lm_head padding rows); they are never sampled. */
  get vocabularyLimit(): number {
    return this.vocabulary.size;
  }

  /** Width of the logits: the embedding rows, which may exceed the tokenizer's vocabulary. */
  get logitsWidth(): number {
    return this.config.vocab_size ?? this.vocabularyLimit;
  }

  get maxPositionEmbeddings(): number {
    return this.config.max_position_embeddings ?? 16384;
  }

  /** KV-cache bytes per token, from the layer geometry and the cache dtype the graph declares. */
  get kvBytesPerToken(): number {
    const { layers, heads, headDim, type } = this.kvGeometry;
    return 2 * layers * heads * headDim * BYTES_PER_ELEMENT[type];
  }

  /** The cache's shape per token, from the layer geometry and the cache dtype the graph declares. */
  private get kvGeometry(): KvGeometry {
    const { num_hidden_layers, num_attention_heads, hidden_size } = this.config;
    const kvInput = this.session?.inputMetadata?.find((input) => input.name.startsWith('past_key_values.'));
    return {
      layers: num_hidden_layers,
      heads: this.config.num_key_value_heads ?? num_attention_heads,
      headDim: this.config.head_dim ?? hidden_size / num_attention_heads,
      type: kvInput?.type === 'float16' ? 'float16' : 'float32',
    };
  }

  /** Base (completion) models ship no chat template. */
  get hasChatTemplate(): boolean {
    return typeof (this.tokenizer as { chat_template?: unknown }).chat_template === 'string';
  }

  /** The chat template's prompt, ready for the answer; `answerStart` is text the answer is made to begin with. */
  chatPromptIds(messages: ChatMessage[], answerStart = ''): number[] {
    const text = this.tokenizer.apply_chat_template(messages, { tokenize: false, add_generation_prompt: true }) as string;
    return this.encode(text + answerStart);
  }

  encode(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false });
  }

  /** Raw text as a base model reads it: the beginning-of-sequence token, then the text. */
  encodePrompt(text: string): number[] {
    const bos = this.bosTokenId;
    return bos === null ? this.encode(text) : [bos, ...this.encode(text)];
  }

  decode(ids: number[]): string {
    if (ids.length === 0) return '';
    return this.tokenizer.decode(ids, { skip_special_tokens: false });
  }

  /** Forgets the KV cache, so the next `forward` starts a new sequence. */
  async reset(): Promise<void> {
    this.cachedIds = [];
    this.prefillEnd = null;
    await this.passes.reset();
  }

  /**
   * How many leading tokens of `ids` a `prefill` now would take from the
   * cache: all of them when the cache holds them and their logits are
   * remembered, else all it shares with them but the last.
   */
  reusablePrefix(ids: number[]): number {
    const shared = sharedPrefixLength(this.cachedIds, ids);
    if (ids.length > 0 && shared === ids.length && this.prefillEnd?.length === ids.length) return ids.length;
    return Math.max(0, Math.min(shared, ids.length - 1));
  }

  /**
   * Starts a sequence at `ids`, reusing the cache for the longest prefix it
   * shares with what the cache holds: a chat's earlier turns, or the prompt
   * again for the next of `n` choices.
   *
   * A cold prefill runs the prompt in chunks from its start, the last token
   * in the last chunk. A repeat of the prompt, or the next of `n` choices,
   * runs no pass at all: it takes the logits that prefill left. Kernels for
   * one row and for many round differently, so this keeps a repeated
   * request, and each choice, on exactly the arithmetic of the cold run: the
   * same seed then gives the same tokens whatever ran before.
   */
  async prefill(ids: number[], checkpoint: () => void = () => {}): Promise<Prefill> {
    const reusedTokens = this.reusablePrefix(ids);
    if (reusedTokens === 0) await this.reset();
    else if (reusedTokens < this.cachedIds.length) await this.truncateCache(reusedTokens);
    const remembered = reusedTokens === ids.length ? this.prefillEnd : null;
    if (remembered) return { logits: remembered.logits.slice(), reusedTokens };
    const logits = await this.forward(ids.slice(reusedTokens), checkpoint);
    this.prefillEnd = { length: ids.length, logits: logits.slice() };
    return { logits, reusedTokens };
  }

  /**
   * Starts a fresh sequence and hands `onRow` the next-token logits after each
   * token of `ids` but the last (the row at `position` predicts
   * `ids[position + 1]`), to score a prompt. It runs the chunks a cold
   * `prefill` of `ids` runs, so a `prefill` of the same ids that follows
   * gives the cold run's logits: the last row, remembered, where every row
   * is computed alike; else the last chunk again, one row kept as a cold
   * prefill keeps it (its keys and values do not depend on the rows kept).
   */
  async scorePrompt(ids: number[], onRow: LogitsRowListener, checkpoint: () => void = () => {}): Promise<void> {
    await this.reset();
    const lastPosition = ids.length - 1;
    const logits = await this.forward(ids, checkpoint, (row, position) => {
      if (position < lastPosition) onRow(row, position);
    });
    if (!this.passes.keepsLogitsRows) this.prefillEnd = { length: ids.length, logits };
    else if (ids.length > 0) await this.truncateCache(Math.floor(lastPosition / PREFILL_CHUNK) * PREFILL_CHUNK);
  }

  /**
   * Appends `ids` to the cached sequence and returns the next-token logits.
   * Long inputs run in chunks; `checkpoint` runs between them so an abort lands quickly.
   */
  async forward(ids: number[], checkpoint: () => void = () => {}, onRow?: LogitsRowListener): Promise<Float32Array> {
    let logits: Float32Array = new Float32Array(0);
    for (let start = 0; start < ids.length; start += PREFILL_CHUNK) {
      if (start > 0) checkpoint();
      logits = await this.forwardChunk(ids.slice(start, start + PREFILL_CHUNK), onRow);
    }
    return logits;
  }

  /** Keeps the first `length` cached positions. */
  private async truncateCache(length: number): Promise<void> {
    if (this.prefillEnd && this.prefillEnd.length > length) this.prefillEnd = null;
    await this.passes.truncate(length);
    this.cachedIds = this.cachedIds.slice(0, length);
  }

  private get session(): SessionInfo | undefined {
    return this.model.sessions.model as SessionInfo | undefined;
  }

  private async forwardChunk(ids: number[], onRow?: LogitsRowListener): Promise<Float32Array> {
    const total = this.cachedIds.length + ids.length;
    // Only the last row is read, unless every row's logits are listened to. (The graph reads 0 as every row.)
    const rowsNeeded = onRow ? ids.length : 1;
    let logits: PassLogits;
    try {
      logits = await this.passes.run(ids, rowsNeeded);
    } catch (error) {
      // A pass that failed part way may have left the cache behind its ids: start the next sequence afresh.
      await this.reset().catch(() => undefined);
      throw error;
    }
    // No spread: an argument list this long would overflow the stack.
    for (const id of ids) this.cachedIds.push(id);

    // The rows are the chunk's last ones, all of them in a graph without num_logits_to_keep.
    const { data, rows, vocab } = logits;
    if (onRow) for (let row = 0; row < rows; row++) onRow(data.subarray(row * vocab, (row + 1) * vocab), total - rows + row);
    return data.slice((rows - 1) * vocab, rows * vocab);
  }

  async dispose(): Promise<void> {
    // On a lost device there is nothing left to free, and releasing may never settle.
    if (this.deviceLost) return;
    await this.reset();
    await this.model.dispose();
  }
}

/** The graph's external data, as transformers.js reads it. */
interface ExternalDataToRead {
  /** The files transformers.js fetches and hands to the runtime (`use_external_data_format`). */
  format?: ExternalDataFormat;
  /** The file handed to the runtime as it is (`session_options.externalData`), read from the cache when the runtime asks. */
  mounted?: { path: string; data: Uint8Array };
  /**
   * Called once the session is built, or failed to be: stops the read-ahead,
   * records the order of the runtime's reads for the next load of the file, and
   * returns how many of them had been read ahead.
   */
  settle?: (built: boolean) => number;
}

/**
 * The external data transformers.js is told to read: the catalog's, or
 * config.json's; and where the graph has none and is read split, the graph
 * file itself as its one chunk. Where the thread can read a Blob a tensor at a
 * time, that chunk is mounted (blob-bytes.ts): the cached file, or the
 * download's once it has passed; else transformers.js fetches it whole.
 */
async function externalDataToRead(request: LoadRequest, repo: string, reading: GraphReading): Promise<ExternalDataToRead> {
  if (!reading.externalWeights) return { format: request.externalData };
  const config = (await AutoConfig.from_pretrained(repo)) as LoadConfig;
  const declared = request.externalData ?? config['transformers.js_config']?.use_external_data_format;
  const graphFile = `${request.modelFileName}${DTYPE_SUFFIX[request.dtype]}.onnx`;
  if (externalDataChunks(declared, graphFile, request.modelFileName) > 0) return { format: declared };
  const graphPath = `onnx/${graphFile}`;
  reading.split(repo, graphPath);
  if (!request.cachedFile) return { format: { ...(typeof declared === 'object' && declared), [graphFile]: 1 } };
  const graphUrl = `${request.host}${repo}/resolve/main/${graphPath}`;
  const cached = await request.cachedFile(graphUrl);
  const recorded = await storedReadOrder(graphUrl);
  const data = new BlobBytes(cached, cached && recorded ? WeightPrefetch.start(cached, recorded) : null);
  const onProgress = (loaded: number, total: number) => request.onFileProgress({ file: graphPath, loaded, total });
  // A cached file needs no download: the load says so, as it would of a cached file read whole.
  if (cached) onProgress(cached.size, cached.size);
  else reading.mount(graphUrl, { data, storedFile: () => request.cachedFile!(graphUrl), onProgress });
  const settle = (built: boolean) => {
    const { asked, readAhead } = data.finish();
    if (built && asked.length > 0 && !sameReads(asked, recorded)) void storeReadOrder(graphUrl, asked);
    return readAhead;
  };
  return { format: declared, mounted: { path: splitDataName(graphFile), data }, settle };
}

function sameReads(a: readonly ByteRange[], b: readonly ByteRange[] | null): boolean {
  return b !== null && a.length === b.length && a.every(([start, end], i) => b[i]![0] === start && b[i]![1] === end);
}

function sharedPrefixLength(a: readonly number[], b: readonly number[]): number {
  const limit = Math.min(a.length, b.length);
  let length = 0;
  while (length < limit && a[length] === b[length]) length += 1;
  return length;
}
