import type { Device, DeviceReport, Dtype } from './types.ts';

/**
 * The dtypes a device runs best, fastest first, as measured at DeepSeek Coder
 * 1.3B's full size (README, Benchmarks):
 * - WASM: 8-bit weights. ORT's WebAssembly build has integer SIMD kernels for
 *   the q8 graph's MatMulInteger, but none for 4-bit MatMulNBits, which it
 *   computes by unpacking each weight matrix to fp32 on every call: q8
 *   decodes several times faster than q4 there.
 * - WebGPU: 4-bit weights, with fp16 math where the adapter has shader-f16.
 * - Node's CPU provider (onnxruntime-node) has native 4-bit kernels.
 */
export function preferredDtypes(device: Device, report: Pick<DeviceReport, 'shader_f16'>): readonly Dtype[] {
  if (device === 'wasm') return ['q8', 'q4', 'q4f16', 'fp32', 'fp16'];
  if (device === 'webgpu') return report.shader_f16 ? ['q4f16', 'q4', 'fp16', 'fp32'] : ['q4', 'fp32'];
  return ['q4', 'q8', 'q4f16', 'fp32'];
}

/**
 * The dtype a load uses when the caller names none: the device's most
 * preferred one that the model is published in, or, for a model published
 * in none of those, the first dtype it is published in. The engine loads
 * with it and the UI estimates memory with it.
 */
export function defaultDtype(device: Device, report: Pick<DeviceReport, 'shader_f16'>, published: readonly Dtype[] | null): Dtype {
  const preferred = preferredDtypes(device, report);
  if (!published || published.length === 0) return preferred[0];
  return preferred.find((dtype) => published.includes(dtype)) ?? published[0];
}

/**
 * WebAssembly threads when the caller names none: every core, up to 4, past
 * which ONNX Runtime's WASM kernels gain little. Measured at full size on a
 * 2-core machine (q8, streaming): 2 threads decoded 29 % faster than 1, and
 * the page kept 60 frames a second with no long task either way, since ORT's
 * idle threads wait rather than spin (README, Benchmarks). One where the page
 * is not cross-origin isolated: threads need SharedArrayBuffer.
 */
export function defaultWasmThreads(cores: number, crossOriginIsolated: boolean): number {
  if (!crossOriginIsolated) return 1;
  return Math.max(1, Math.min(4, cores));
}
