/**
 * The one place that touches transformers.js: loading a tokenizer and an ONNX
 * causal LM from the hub layout, and running forward passes with a KV cache we
 * own. Sampling, stopping and streaming live elsewhere.
 */
import {
  AutoModelForCausalLM,
  AutoTokenizer,
  DynamicCache,
  Tensor,
  env,
  type PreTrainedModel,
  type PreTrainedTokenizer,
} from '@huggingface/transformers';
import type { ChatMessage, Device, Dtype } from '../../src/protocol/types.ts';

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
  onFileProgress: (progress: FileProgress) => void;
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

interface ModelConfig {
  eos_token_id?: number | number[];
  max_position_embeddings?: number;
  num_hidden_layers: number;
  num_key_value_heads?: number;
  num_attention_heads: number;
  hidden_size: number;
  head_dim?: number;
}

const BYTES_PER_ELEMENT: Record<string, number> = { float32: 4, float16: 2 };

export class CausalLM {
  private cache: DynamicCache | null = null;
  private cachedLength = 0;

  private constructor(
    readonly id: string,
    readonly tokenizer: PreTrainedTokenizer,
    private readonly model: PreTrainedModel,
    readonly device: Device,
    readonly dtype: Dtype,
  ) {}

  static async load(request: LoadRequest): Promise<CausalLM> {
    env.remoteHost = request.host;
    env.allowRemoteModels = true;
    env.allowLocalModels = false;
    const progress_callback = (event: ProgressEvent) => {
      if (event.status === 'progress' && event.file) {
        request.onFileProgress({ file: event.file, loaded: event.loaded ?? 0, total: event.total ?? 0 });
      }
    };
    const tokenizer = await AutoTokenizer.from_pretrained(request.id, { progress_callback });
    const model = await AutoModelForCausalLM.from_pretrained(request.id, {
      device: request.device,
      dtype: request.dtype,
      progress_callback,
    });
    return new CausalLM(request.id, tokenizer, model, request.device, request.dtype);
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

  /** Ids at or past this have no tokenizer entry (lm_head padding rows); they are never sampled. */
  get vocabularyLimit(): number {
    const vocabulary = this.tokenizer.get_vocab() as Map<string, number> | Record<string, number>;
    return vocabulary instanceof Map ? vocabulary.size : Object.keys(vocabulary).length;
  }

  get maxPositionEmbeddings(): number {
    return this.config.max_position_embeddings ?? 16384;
  }

  /** KV-cache bytes per token, from the layer geometry and the cache dtype the graph declares. */
  get kvBytesPerToken(): number {
    const { num_hidden_layers, num_attention_heads, hidden_size } = this.config;
    const kvHeads = this.config.num_key_value_heads ?? num_attention_heads;
    const headDim = this.config.head_dim ?? hidden_size / num_attention_heads;
    const session = this.model.sessions.model as { inputMetadata?: SessionInputMetadata[] } | undefined;
    const kvInput = session?.inputMetadata?.find((input) => input.name.startsWith('past_key_values.'));
    const bytes = BYTES_PER_ELEMENT[kvInput?.type ?? 'float32'] ?? 4;
    return 2 * num_hidden_layers * kvHeads * headDim * bytes;
  }

  /** Base (completion) models ship no chat template. */
  get hasChatTemplate(): boolean {
    return typeof (this.tokenizer as { chat_template?: unknown }).chat_template === 'string';
  }

  chatPromptIds(messages: ChatMessage[]): number[] {
    const text = this.tokenizer.apply_chat_template(messages, { tokenize: false, add_generation_prompt: true }) as string;
    return this.encode(text);
  }

  encode(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false });
  }

  decode(ids: number[]): string {
    if (ids.length === 0) return '';
    return this.tokenizer.decode(ids, { skip_special_tokens: false });
  }

  /** Forgets the KV cache, so the next `forward` starts a new sequence. */
  async reset(): Promise<void> {
    await this.cache?.dispose();
    this.cache = null;
    this.cachedLength = 0;
  }

  /**
   * Appends `ids` to the cached sequence and returns the next-token logits.
   * Long inputs run in chunks; `checkpoint` runs between them so an abort lands quickly.
   */
  async forward(ids: number[], checkpoint: () => void = () => {}): Promise<Float32Array> {
    let logits: Float32Array = new Float32Array(0);
    for (let start = 0; start < ids.length; start += PREFILL_CHUNK) {
      if (start > 0) checkpoint();
      logits = await this.forwardChunk(ids.slice(start, start + PREFILL_CHUNK));
    }
    return logits;
  }

  private async forwardChunk(ids: number[]): Promise<Float32Array> {
    const past = this.cachedLength;
    const total = past + ids.length;
    const outputs = (await this.model.forward({
      input_ids: new Tensor('int64', BigInt64Array.from(ids, (id) => BigInt(id)), [1, ids.length]),
      attention_mask: new Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
      position_ids: new Tensor('int64', BigInt64Array.from(ids, (_, i) => BigInt(past + i)), [1, ids.length]),
      past_key_values: this.cache ?? undefined,
    })) as Record<string, Tensor>;

    const presents: Record<string, Tensor> = {};
    for (const [name, tensor] of Object.entries(outputs)) {
      if (name.startsWith('present.')) presents[name.replace('present.', 'past_key_values.')] = tensor;
    }
    if (this.cache) this.cache.update(presents);
    else this.cache = new DynamicCache(presents);
    this.cachedLength = total;

    const logits = outputs.logits;
    const vocab = logits.dims[2];
    const data = logits.data as Float32Array;
    const last = data.slice((ids.length - 1) * vocab, ids.length * vocab);
    logits.dispose();
    return last;
  }

  async dispose(): Promise<void> {
    await this.reset();
    await this.model.dispose();
  }
}
