/**
 * Forward passes over a cached sequence: each pass appends its tokens' keys
 * and values to the cache and returns its logits. Two kinds:
 * - RuntimeKvPasses: the cache is the graph's present outputs, kept as the
 *   runtime returns them (on the GPU under WebGPU), through transformers.js;
 * - HostKvPasses (host-kv-cache.ts): the graph returns only each pass's new
 *   keys and values, and the worker keeps the cache in its own memory.
 */
import { DynamicCache, Tensor, type PreTrainedModel } from '@huggingface/transformers';

/** A pass's logits, [rows, vocab] row-major: the chunk's last rows. Valid until the next pass. */
export interface PassLogits {
  data: Float32Array;
  rows: number;
  vocab: number;
}

export interface CachedPasses {
  /**
   * The graph takes `num_logits_to_keep`, so a pass computes the final rows
   * only for the rows asked for, and a row's logits may round differently
   * with how many rows the pass computed.
   */
  readonly keepsLogitsRows: boolean;
  /** Runs `ids` after the cached positions and keeps their keys and values; `rowsNeeded` is how many last rows are read. */
  run(ids: number[], rowsNeeded: number): Promise<PassLogits>;
  /** Keeps the first `length` cached positions. */
  truncate(length: number): Promise<void>;
  reset(): Promise<void>;
}

type KvData = Float32Array | Uint16Array;

/** The graph's present outputs as the cache, grown by the runtime's Concat. */
export class RuntimeKvPasses implements CachedPasses {
  private cache: DynamicCache | null = null;
  private length = 0;

  constructor(
    private readonly model: PreTrainedModel,
    /** Races GPU work against the device's loss; identity elsewhere. */
    private readonly onDevice: <T>(work: Promise<T>) => Promise<T>,
    readonly keepsLogitsRows: boolean,
  ) {}

  async run(ids: number[], rowsNeeded: number): Promise<PassLogits> {
    const past = this.length;
    const total = past + ids.length;
    const outputs = (await this.onDevice(
      this.model.forward({
        input_ids: new Tensor('int64', BigInt64Array.from(ids, (id) => BigInt(id)), [1, ids.length]),
        attention_mask: new Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
        position_ids: new Tensor('int64', BigInt64Array.from(ids, (_, i) => BigInt(past + i)), [1, ids.length]),
        ...(this.keepsLogitsRows && { num_logits_to_keep: new Tensor('int64', BigInt64Array.of(BigInt(rowsNeeded)), []) }),
        past_key_values: this.cache ?? undefined,
      }),
    )) as Record<string, Tensor>;

    const presents: Record<string, Tensor> = {};
    for (const [name, tensor] of Object.entries(outputs)) {
      if (name.startsWith('present.')) presents[name.replace('present.', 'past_key_values.')] = tensor;
    }
    if (this.cache) this.cache.update(presents);
    else this.cache = new DynamicCache(presents);
    this.length = total;
    const [, rows, vocab] = outputs.logits.dims;
    return { data: outputs.logits.data as Float32Array, rows, vocab };
  }

  /**
   * Tensors on the GPU are read back and sliced here; ORT uploads them again
   * on the next pass, which still costs far less than recomputing the prefix.
   */
  async truncate(length: number): Promise<void> {
    const cache = this.cache;
    if (!cache || length >= this.length) return;
    const kept: Record<string, Tensor> = {};
    for (const [name, tensor] of Object.entries(cache) as [string, Tensor][]) {
      const [batch, heads, sequence, headDim] = tensor.dims;
      const data = tensor.location === 'gpu-buffer' ? await this.onDevice(tensor.ort_tensor.getData()) : tensor.data;
      const sliced = keepLeadingPositions(data as KvData, heads * batch, sequence, headDim, length);
      kept[name] = new Tensor(tensor.type as 'float32', sliced as Float32Array, [batch, heads, length, headDim]);
    }
    await cache.dispose();
    this.cache = new DynamicCache(kept);
    this.length = length;
  }

  async reset(): Promise<void> {
    await this.cache?.dispose();
    this.cache = null;
    this.length = 0;
  }
}

/** Slices a [rows, sequence, headDim] block (rows = batch × heads) down to its first `length` positions. */
export function keepLeadingPositions<T extends KvData>(data: T, rows: number, sequence: number, headDim: number, length: number): T {
  const kept = new (data.constructor as new (size: number) => T)(rows * length * headDim);
  for (let row = 0; row < rows; row++) {
    const from = row * sequence * headDim;
    kept.set(data.subarray(from, from + length * headDim), row * length * headDim);
  }
  return kept;
}
