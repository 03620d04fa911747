import { describe, expect, it } from 'vitest';
import {
  KV_CACHE_BUDGET_BYTES,
  contextLength,
  estimateLoad,
  fitWarnings,
  kvBytesPerElement,
  kvBytesPerToken,
  type DeviceLimits,
  type ModelArchitecture,
} from '../../src/protocol/memory.ts';

/** DeepSeek Coder 1.3B (see fixtures/deepseek-coder/SOURCES.md): 24 layers, 16 KV heads of 128 dims. */
const CODER_1_3B: ModelArchitecture = {
  layers: 24,
  kv_heads: 16,
  head_dim: 128,
  hidden_size: 2048,
  vocab_size: 32256,
  max_position_embeddings: 16384,
};

/** DeepSeek Coder 6.7B: 32 layers, 32 KV heads of 128 dims. */
const CODER_6_7B: ModelArchitecture = { ...CODER_1_3B, layers: 32, kv_heads: 32, hidden_size: 4096 };

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

const roomy: DeviceLimits = {
  device: 'webgpu',
  device_memory_gib: 8,
  max_buffer_size: 2 * GIB,
  max_storage_buffer_binding_size: 2 * GIB,
  storage_available_bytes: 100 * GIB,
};

describe('KV cache size', () => {
  it('is 2 bytes an element for the fp16 and q4f16 exports and 4 for the others', () => {
    expect(kvBytesPerElement('q4f16')).toBe(2);
    expect(kvBytesPerElement('fp16')).toBe(2);
    expect(kvBytesPerElement('q4')).toBe(4);
    expect(kvBytesPerElement('q8')).toBe(4);
    expect(kvBytesPerElement('fp32')).toBe(4);
  });

  it('is 196608 bytes (192 KiB) a token for the 1.3B model in fp16: 24 × 16 × 128 × 2 (K, V) × 2', () => {
    expect(kvBytesPerToken(CODER_1_3B, 2)).toBe(196_608);
    expect(kvBytesPerToken(CODER_1_3B, 2)).toBe(192 * 1024);
  });

  it('is 393216 bytes (384 KiB) a token for the 1.3B model in fp32', () => {
    expect(kvBytesPerToken(CODER_1_3B, 4)).toBe(393_216);
  });

  it('is 524288 bytes (512 KiB) a token for the 6.7B model in fp16: 32 × 32 × 128 × 2 × 2', () => {
    expect(kvBytesPerToken(CODER_6_7B, 2)).toBe(524_288);
  });
});

describe('context length', () => {
  it("is the 1 GiB budget's worth of tokens: 5461 for the 1.3B model in fp16, 2730 in fp32", () => {
    expect(KV_CACHE_BUDGET_BYTES).toBe(GIB);
    expect(contextLength(196_608, 16384)).toBe(5461);
    expect(contextLength(393_216, 16384)).toBe(2730);
  });

  it('on WASM, also leaves the 4 GiB heap room for the weights, working memory and the cache twice over', () => {
    // q4's 1.07 GB and q8's 1.35 GB leave room for the whole 1 GiB budget.
    expect(contextLength(393_216, 16384, { device: 'wasm', weightsBytes: 1.07e9 })).toBe(2730);
    expect(contextLength(393_216, 16384, { device: 'wasm', weightsBytes: 1.35e9 })).toBe(2730);
    // 2.5 GB of weights leave (4 GiB − 2.5 GB − 512 MiB) / (2 × 384 KiB) tokens.
    expect(contextLength(393_216, 16384, { device: 'wasm', weightsBytes: 2.5e9 })).toBe(Math.floor((4 * GIB - 2.5e9 - 512 * MIB) / (2 * 393_216)));
    // Weights alone past the heap leave no context at all, and WebGPU is not bound by it.
    expect(contextLength(393_216, 16384, { device: 'wasm', weightsBytes: 5.39e9 })).toBe(0);
    expect(contextLength(393_216, 16384, { device: 'webgpu', weightsBytes: 5.39e9 })).toBe(2730);
  });

  it("is the model's maximum when the budget allows more", () => {
    // The tiny test model: 2 layers × 4 heads × 16 dims × 2 × 4 bytes = 1024 B a token.
    expect(contextLength(1024, 16384)).toBe(16384);
  });
});

describe('load estimate', () => {
  it('adds the weights to the KV cache of the allowed context', () => {
    const estimate = estimateLoad(CODER_1_3B, 'q4f16', 853 * MIB);
    expect(estimate.kv_bytes_per_token).toBe(196_608);
    expect(estimate.context_tokens).toBe(5461);
    expect(estimate.kv_cache_bytes).toBe(5461 * 196_608);
    expect(estimate.total_bytes).toBe(853 * MIB + 5461 * 196_608);
  });

  it('sizes the largest tensor as the token embedding: 32256 × 2048 × 4 bytes in fp32', () => {
    expect(estimateLoad(CODER_1_3B, 'q4', 0).largest_tensor_bytes).toBe(264_241_152);
    expect(estimateLoad(CODER_1_3B, 'q4f16', 0).largest_tensor_bytes).toBe(132_120_576);
  });
});

describe('fit warnings', () => {
  const q4f16 = estimateLoad(CODER_1_3B, 'q4f16', 853 * MIB);

  it('are empty when every known limit is met', () => {
    expect(fitWarnings(q4f16, roomy, 853 * MIB)).toEqual([]);
  });

  it('are empty when nothing is known', () => {
    const unknown: DeviceLimits = {
      device: 'webgpu',
      device_memory_gib: null,
      max_buffer_size: null,
      max_storage_buffer_binding_size: null,
      storage_available_bytes: null,
    };
    expect(fitWarnings(q4f16, unknown, 853 * MIB)).toEqual([]);
  });

  it('warn when the estimate exceeds the RAM the device reports', () => {
    const warnings = fitWarnings(q4f16, { ...roomy, device_memory_gib: 1 }, 0);
    expect(warnings.map((warning) => warning.problem)).toEqual(['device_memory']);
    // 853 MiB + 1 GiB of KV cache ≈ 1.8 GiB.
    expect(warnings[0].message).toContain('1.8 GiB');
    expect(warnings[0].message).toContain('1.0 GiB of RAM');
  });

  it('warn when a WASM load exceeds the 4 GiB WebAssembly can address, and only on WASM', () => {
    const fp32 = estimateLoad(CODER_1_3B, 'fp32', 5.39e9);
    const wasm: DeviceLimits = { ...roomy, device: 'wasm', device_memory_gib: 16 };
    expect(fitWarnings(fp32, wasm, 0).map((warning) => warning.problem)).toEqual(['wasm_memory']);
    expect(fitWarnings(fp32, { ...wasm, device: 'webgpu' }, 0)).toEqual([]);
  });

  it('warn when the embedding does not fit one GPU buffer, on WebGPU only', () => {
    const q4 = estimateLoad(CODER_1_3B, 'q4', 1.07e9);
    const small: DeviceLimits = { ...roomy, max_storage_buffer_binding_size: 128 * MIB };
    const warnings = fitWarnings(q4, small, 0);
    expect(warnings.map((warning) => warning.problem)).toEqual(['gpu_buffer']);
    expect(warnings[0].message).toContain('252 MiB');
    expect(warnings[0].message).toContain('128 MiB');
    expect(fitWarnings(q4, { ...small, device: 'wasm' }, 0)).toEqual([]);
  });

  it('warn when the download is larger than the free storage quota', () => {
    const warnings = fitWarnings(q4f16, { ...roomy, storage_available_bytes: 500 * MIB }, 853 * MIB);
    expect(warnings.map((warning) => warning.problem)).toEqual(['storage']);
    expect(warnings[0].message).toContain('853 MiB');
    expect(warnings[0].message).toContain('500 MiB');
  });
});
