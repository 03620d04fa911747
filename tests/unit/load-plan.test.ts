import { describe, expect, it } from 'vitest';
import type { CachedModel, DeviceReport, ModelSizes } from '../../src/protocol/index.ts';
import { planLoad, type PlanInputs } from '../../src/ui/load-plan.ts';

const MIB = 1024 ** 2;

const webgpuF16: DeviceReport = {
  webgpu: true,
  shader_f16: true,
  adapter: 'apple · metal-3',
  gpu: { vendor: 'apple', architecture: 'metal-3', description: '', max_buffer_size: 4 * 1024 ** 3, max_storage_buffer_binding_size: 4 * 1024 ** 3, software: false },
  cross_origin_isolated: true,
  wasm_threads: 4,
  recommended: { device: 'webgpu', dtype: 'q4f16', reason: 'WebGPU with shader-f16.' },
};

/** The 1.3B instruct export's graphs, sized as the hub lists them, with a 2 MiB tokenizer and configs. */
const support = [
  { path: 'config.json', bytes: 855 },
  { path: 'tokenizer.json', bytes: 2 * MIB },
];
const sizes: ModelSizes = {
  object: 'model.sizes',
  id: 'onnx-community/deepseek-coder-1.3b-instruct-ONNX',
  dtypes: [
    { dtype: 'q4f16', files: [...support, { path: 'onnx/model_q4f16.onnx', bytes: 853 * MIB }], download_bytes: 855 + 2 * MIB + 853 * MIB, weights_bytes: 853 * MIB, cached: false },
    { dtype: 'q4', files: [...support, { path: 'onnx/model_q4.onnx', bytes: 1070 * MIB }], download_bytes: 855 + 2 * MIB + 1070 * MIB, weights_bytes: 1070 * MIB, cached: false },
  ],
  architecture: { layers: 24, kv_heads: 16, head_dim: 128, hidden_size: 2048, vocab_size: 32256, max_position_embeddings: 16384 },
  unavailable_reason: null,
};

const inputs: PlanInputs = {
  report: webgpuF16,
  device: 'auto',
  dtype: 'auto',
  sizes,
  cached: null,
  deviceMemoryGib: 8,
  storageAvailableBytes: 50 * 1024 ** 3,
};

describe('load plan', () => {
  it("takes the device's recommended dtype and prices it: weights plus 5461 tokens of fp16 KV cache", () => {
    const plan = planLoad(inputs);
    expect([plan.device, plan.dtype]).toEqual(['webgpu', 'q4f16']);
    expect(plan.estimate?.total_bytes).toBe(853 * MIB + 5461 * 196_608);
    expect(plan.remaining_bytes).toBe(855 + 2 * MIB + 853 * MIB);
    expect(plan.warnings).toEqual([]);
  });

  it('uses q4 and fp32 KV on WASM, and counts only files not yet cached as the download', () => {
    const cached: CachedModel = { id: sizes.id, files: support, bytes: 855 + 2 * MIB, partial_bytes: 0, dtypes: [] };
    const plan = planLoad({ ...inputs, device: 'wasm', cached });
    expect(plan.dtype).toBe('q4');
    expect(plan.estimate?.kv_bytes_per_token).toBe(393_216);
    expect(plan.remaining_bytes).toBe(1070 * MIB);
  });

  it("falls back to the model's first published dtype when the device's usual one is not published", () => {
    const q8Only: ModelSizes = { ...sizes, dtypes: [{ ...sizes.dtypes![1], dtype: 'q8' }] };
    expect(planLoad({ ...inputs, sizes: q8Only }).dtype).toBe('q8');
  });

  it('warns when the device reports too little memory', () => {
    const plan = planLoad({ ...inputs, deviceMemoryGib: 1 });
    expect(plan.warnings.map((warning) => warning.problem)).toEqual(['device_memory']);
  });

  it('has no estimate and no warnings while sizes are unknown', () => {
    const plan = planLoad({ ...inputs, sizes: null, deviceMemoryGib: 0.25 });
    expect(plan.dtype).toBe('q4f16');
    expect(plan.estimate).toBeNull();
    expect(plan.remaining_bytes).toBeNull();
    expect(plan.warnings).toEqual([]);
  });

  it('has no download for a dtype the model does not publish', () => {
    expect(planLoad({ ...inputs, dtype: 'fp32' }).download).toBeNull();
  });
});
