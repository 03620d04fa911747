/**
 * The KV cache kept in the worker's own memory, for graphs that return each
 * pass's new keys and values (fresh-kv-outputs.ts): a pass fetches the logits
 * and those new rows only, never the whole grown cache, which onnxruntime-web
 * on WASM would copy out of its heap every step.
 *
 * Each layer's keys, and its values, are one [heads, stride, headDim] buffer.
 * The stride is the cached length rounded up to a block, and the past goes in
 * as the whole buffer, its unused positions zero and masked out by
 * attention_mask. So a pass's rows are written in place, and a buffer is
 * rebuilt only when the length crosses a block. The stride depends on the
 * length alone, so a pass at a given length sees the same tensors whatever
 * led there: a repeated request stays on the cold run's arithmetic.
 */
import { Tensor } from '@huggingface/transformers';
import { freshKvName, type KvKind } from '../model-build/fresh-kv-outputs.ts';
import type { CachedPasses, PassLogits } from './cached-passes.ts';

/** Positions the stride grows by: larger wastes more of each pass's input copy, smaller rebuilds buffers more often. */
export const STRIDE_BLOCK = 64;

const KINDS: readonly KvKind[] = ['key', 'value'];

export interface KvGeometry {
  layers: number;
  heads: number;
  headDim: number;
  /** The cache's element type, as the graph declares its past inputs. */
  type: 'float32' | 'float16';
}

export function strideFor(length: number): number {
  return Math.ceil(length / STRIDE_BLOCK) * STRIDE_BLOCK;
}

/** The buffers, and what they hold. Pure bookkeeping: no runtime calls, so it is tested on its own. */
export class HostKvStore {
  /** Per layer, keys then values: [heads, stride, headDim] elements, as bytes. */
  private buffers: Uint8Array[] = [];
  private lengthValue = 0;

  constructor(readonly geometry: KvGeometry) {}

  get length(): number {
    return this.lengthValue;
  }

  get stride(): number {
    return strideFor(this.lengthValue);
  }

  private get rowBytes(): number {
    return this.geometry.headDim * (this.geometry.type === 'float16' ? 2 : 4);
  }

  private index(layer: number, kind: KvKind): number {
    return layer * 2 + (kind === 'value' ? 1 : 0);
  }

  /** One layer's keys or values as the pass's past input: [heads, stride, headDim], positions past `length` zero. */
  past(layer: number, kind: KvKind): Uint8Array {
    return this.buffers[this.index(layer, kind)] ?? new Uint8Array(0);
  }

  /** attention_mask for a pass of `count` tokens: the cached positions, the unused ones masked, then the pass's own. */
  attentionMask(count: number): BigInt64Array {
    const mask = new BigInt64Array(this.stride + count).fill(1n);
    mask.fill(0n, this.lengthValue, this.stride);
    return mask;
  }

  /**
   * Appends a pass's `count` positions; `fresh` gives each layer's new keys or
   * values as [heads, count, headDim] bytes.
   */
  append(count: number, fresh: (layer: number, kind: KvKind) => Uint8Array): void {
    const { heads, layers } = this.geometry;
    const rowBytes = this.rowBytes;
    // Every layer's rows are checked before anything changes, so a bad pass leaves the store as it was.
    const passRows: Uint8Array[] = [];
    for (let layer = 0; layer < layers; layer++) {
      for (const kind of KINDS) {
        const rows = fresh(layer, kind);
        if (rows.length !== heads * count * rowBytes) throw new Error(`${freshKvName(layer, kind)} has ${rows.length} bytes, not ${heads * count * rowBytes}`);
        passRows[this.index(layer, kind)] = rows;
      }
    }
    const length = this.lengthValue + count;
    const stride = strideFor(length);
    if (stride !== this.stride) this.rebuild(stride);
    passRows.forEach((rows, i) => {
      for (let head = 0; head < heads; head++) {
        const from = head * count * rowBytes;
        this.buffers[i].set(rows.subarray(from, from + count * rowBytes), (head * stride + this.lengthValue) * rowBytes);
      }
    });
    this.lengthValue = length;
  }

  /** Keeps the first `length` positions; the rest are zeroed, as a cold run at that length has them. */
  truncate(length: number): void {
    if (length >= this.lengthValue) return;
    if (strideFor(length) !== this.stride) {
      const oldStride = this.stride;
      this.lengthValue = length;
      this.rebuild(strideFor(length), oldStride);
      return;
    }
    const rowBytes = this.rowBytes;
    const stride = this.stride;
    for (const buffer of this.buffers) {
      for (let head = 0; head < this.geometry.heads; head++) buffer.fill(0, (head * stride + length) * rowBytes, (head * stride + this.lengthValue) * rowBytes);
    }
    this.lengthValue = length;
  }

  clear(): void {
    this.buffers = [];
    this.lengthValue = 0;
  }

  /** Copies the first `length` positions of every buffer into zeroed buffers of a new stride. */
  private rebuild(stride: number, oldStride = this.stride): void {
    const { heads, layers } = this.geometry;
    const rowBytes = this.rowBytes;
    const keptBytes = this.lengthValue * rowBytes;
    const rebuilt: Uint8Array[] = [];
    for (let i = 0; i < layers * 2; i++) {
      const next = new Uint8Array(heads * stride * rowBytes);
      const old = this.buffers[i];
      if (old) for (let head = 0; head < heads; head++) next.set(old.subarray(head * oldStride * rowBytes, head * oldStride * rowBytes + keptBytes), head * stride * rowBytes);
      rebuilt.push(next);
    }
    this.buffers = rebuilt;
  }
}

/** The part of onnxruntime's InferenceSession used here. */
export interface RuntimeSession {
  readonly inputNames: readonly string[];
  run(feeds: Record<string, unknown>, fetches: readonly string[]): Promise<Record<string, RuntimeTensor>>;
}

interface RuntimeTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
  dispose(): void;
}

function bytesOf(data: unknown): Uint8Array {
  if (!ArrayBuffer.isView(data)) throw new Error('a key or value output not on the CPU');
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * A runtime tensor over cache bytes. fp16 data stays a Uint16Array: the
 * runtime's Tensor would view it as a Float16Array where one exists, which
 * onnxruntime-node cannot read (transformers.js undoes it the same way).
 */
function cacheTensor(type: KvGeometry['type'], bytes: Uint8Array, dims: number[]): unknown {
  if (type === 'float32') return new Tensor(type, new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4), dims).ort_tensor;
  const data = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  const tensor = new Tensor(type, data, dims).ort_tensor as unknown as { cpuData: unknown };
  tensor.cpuData = data;
  return tensor;
}

/** Forward passes on a graph with fresh key and value outputs, its cache in a HostKvStore. */
export class HostKvPasses implements CachedPasses {
  private readonly store: HostKvStore;
  private readonly fetches: string[];
  readonly keepsLogitsRows: boolean;

  constructor(
    private readonly session: RuntimeSession,
    geometry: KvGeometry,
  ) {
    this.store = new HostKvStore(geometry);
    this.keepsLogitsRows = session.inputNames.includes('num_logits_to_keep');
    this.fetches = ['logits'];
    for (let layer = 0; layer < geometry.layers; layer++) for (const kind of KINDS) this.fetches.push(freshKvName(layer, kind));
  }

  async run(ids: number[], rowsNeeded: number): Promise<PassLogits> {
    const { layers, heads, headDim, type } = this.store.geometry;
    const past = this.store.length;
    const stride = this.store.stride;
    const feeds: Record<string, unknown> = {
      input_ids: new Tensor('int64', BigInt64Array.from(ids, (id) => BigInt(id)), [1, ids.length]).ort_tensor,
      attention_mask: new Tensor('int64', this.store.attentionMask(ids.length), [1, stride + ids.length]).ort_tensor,
      position_ids: new Tensor('int64', BigInt64Array.from(ids, (_, i) => BigInt(past + i)), [1, ids.length]).ort_tensor,
    };
    if (this.keepsLogitsRows) {
      feeds.num_logits_to_keep = new Tensor('int64', BigInt64Array.of(BigInt(rowsNeeded)), []).ort_tensor;
    }
    for (let layer = 0; layer < layers; layer++) {
      for (const kind of KINDS) {
        feeds[`past_key_values.${layer}.${kind}`] = cacheTensor(type, this.store.past(layer, kind), [1, heads, stride, headDim]);
      }
    }
    const outputs = await this.session.run(feeds, this.fetches);
    try {
      this.store.append(ids.length, (layer, kind) => bytesOf(outputs[freshKvName(layer, kind)].data));
      const [, rows, vocab] = outputs.logits.dims;
      return { data: outputs.logits.data as Float32Array, rows, vocab };
    } finally {
      for (const name of this.fetches) if (name !== 'logits') outputs[name]?.dispose();
    }
  }

  async truncate(length: number): Promise<void> {
    this.store.truncate(length);
  }

  async reset(): Promise<void> {
    this.store.clear();
  }
}
