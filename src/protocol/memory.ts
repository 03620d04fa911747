/**
 * What loading a model costs in memory, before it is loaded: the weights (the
 * download of the chosen dtype) plus the KV cache for the context the engine
 * will allow. The engine sizes `context_length` with the same budget, so the
 * estimate and the loaded model agree.
 */
import type { Device, Dtype } from './types.ts';

/** KV-cache memory one conversation may use; the context length follows from it. */
export const KV_CACHE_BUDGET_BYTES = 1024 ** 3;

/** WebAssembly memory is 32-bit: one WASM instance addresses at most 4 GiB. */
export const WASM_MEMORY_LIMIT_BYTES = 4 * 1024 ** 3;

const GIB = 1024 ** 3;

/** The layer geometry a KV cache is sized from, as config.json gives it. */
export interface ModelArchitecture {
  layers: number;
  kv_heads: number;
  head_dim: number;
  hidden_size: number;
  vocab_size: number;
  max_position_embeddings: number;
}

/**
 * Bytes per KV-cache element. The q4f16 and fp16 exports keep past_key_values
 * in float16; every other export keeps them in float32.
 */
export function kvBytesPerElement(dtype: Dtype): number {
  return dtype === 'fp16' || dtype === 'q4f16' ? 2 : 4;
}

/** Keys and values, for every layer and KV head: 2 × layers × kv_heads × head_dim × bytes. */
export function kvBytesPerToken(architecture: Pick<ModelArchitecture, 'layers' | 'kv_heads' | 'head_dim'>, bytesPerElement: number): number {
  return 2 * architecture.layers * architecture.kv_heads * architecture.head_dim * bytesPerElement;
}

/**
 * What a forward pass needs in the WASM heap beside the weights and the
 * cache: a 256-token prefill chunk's activations, attention scores and logits.
 */
export const WASM_WORKING_BYTES = 512 * 1024 ** 2;

/** Where the model runs, for the limits that depend on it. */
export interface Placement {
  device: Device;
  weightsBytes: number;
}

/**
 * The context the engine allows: the KV budget's worth of tokens, or the
 * model's maximum if smaller. On WASM, also what fits the 4 GiB heap beside
 * the weights: during a pass the heap holds the cache twice, the past keys
 * and values copied in and the present ones coming out.
 */
export function contextLength(bytesPerToken: number, maxPositionEmbeddings: number, placement?: Placement): number {
  let tokens = Math.min(maxPositionEmbeddings, Math.floor(KV_CACHE_BUDGET_BYTES / bytesPerToken));
  if (placement?.device === 'wasm') {
    const heapLeft = WASM_MEMORY_LIMIT_BYTES - placement.weightsBytes - WASM_WORKING_BYTES;
    tokens = Math.min(tokens, Math.max(0, Math.floor(heapLeft / (2 * bytesPerToken))));
  }
  return tokens;
}

export interface LoadEstimate {
  weights_bytes: number;
  kv_bytes_per_token: number;
  context_tokens: number;
  kv_cache_bytes: number;
  /** The largest single tensor, the token embedding (vocab × hidden), which must fit one GPU buffer. */
  largest_tensor_bytes: number;
  total_bytes: number;
}

export function estimateLoad(architecture: ModelArchitecture, dtype: Dtype, weightsBytes: number, device?: Device): LoadEstimate {
  const perToken = kvBytesPerToken(architecture, kvBytesPerElement(dtype));
  const tokens = contextLength(perToken, architecture.max_position_embeddings, device && { device, weightsBytes });
  const kvCache = perToken * tokens;
  return {
    weights_bytes: weightsBytes,
    kv_bytes_per_token: perToken,
    context_tokens: tokens,
    kv_cache_bytes: kvCache,
    largest_tensor_bytes: architecture.vocab_size * architecture.hidden_size * kvBytesPerElement(dtype),
    total_bytes: weightsBytes + kvCache,
  };
}

/** What the browser says it has. Any field may be unknown. */
export interface DeviceLimits {
  device: Device;
  /** navigator.deviceMemory: GiB of RAM, rounded down and capped by the browser (Chrome reports at most 8). */
  device_memory_gib: number | null;
  /** The WebGPU adapter's maxBufferSize and maxStorageBufferBindingSize. */
  max_buffer_size: number | null;
  max_storage_buffer_binding_size: number | null;
  /** Storage quota left (quota − usage), from navigator.storage.estimate(). */
  storage_available_bytes: number | null;
}

export type FitProblem = 'device_memory' | 'wasm_memory' | 'gpu_buffer' | 'storage';

export interface FitWarning {
  problem: FitProblem;
  message: string;
}

/** "512 MiB" below a GiB, "1.8 GiB" above. */
function amount(bytes: number): string {
  if (bytes < GIB) return `${Math.round(bytes / 1024 ** 2)} MiB`;
  return `${(bytes / GIB).toFixed(bytes < 10 * GIB ? 1 : 0)} GiB`;
}

/**
 * Reasons a load may not fit, each a sentence for people. Empty when nothing
 * known is exceeded; unknown limits are not guessed at.
 * `downloadBytes` is what still has to be downloaded (not already cached).
 */
export function fitWarnings(estimate: LoadEstimate, limits: DeviceLimits, downloadBytes: number): FitWarning[] {
  const warnings: FitWarning[] = [];
  if (limits.device_memory_gib !== null && estimate.total_bytes > limits.device_memory_gib * GIB) {
    warnings.push({
      problem: 'device_memory',
      message: `Needs about ${amount(estimate.total_bytes)} of memory, but this device reports ${amount(limits.device_memory_gib * GIB)} of RAM. The tab may crash; pick a smaller dtype.`,
    });
  }
  if (limits.device === 'wasm' && estimate.total_bytes > WASM_MEMORY_LIMIT_BYTES) {
    warnings.push({
      problem: 'wasm_memory',
      message: `Needs about ${amount(estimate.total_bytes)}, more than the 4 GiB WebAssembly can address. Pick a 4-bit dtype or use WebGPU.`,
    });
  }
  if (limits.device === 'webgpu') {
    const bufferLimit = Math.min(limits.max_buffer_size ?? Infinity, limits.max_storage_buffer_binding_size ?? Infinity);
    if (estimate.largest_tensor_bytes > bufferLimit) {
      warnings.push({
        problem: 'gpu_buffer',
        message: `The largest weight tensor is about ${amount(estimate.largest_tensor_bytes)}, but this GPU allows at most ${amount(bufferLimit)} in one buffer.`,
      });
    }
  }
  if (limits.storage_available_bytes !== null && downloadBytes > limits.storage_available_bytes) {
    warnings.push({
      problem: 'storage',
      message: `The download is ${amount(downloadBytes)}, but only ${amount(limits.storage_available_bytes)} of browser storage is free. Delete cached models or allow persistent storage.`,
    });
  }
  return warnings;
}
