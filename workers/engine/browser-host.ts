import { env } from '@huggingface/transformers';
import { invalidRequest } from '../../src/protocol/errors.ts';
import { defaultWasmThreads } from '../../src/protocol/runtime.ts';
import type { DeviceReport, GpuAdapterReport } from '../../src/protocol/types.ts';
import type { EngineHost } from './engine.ts';
import type { ModelStore } from './model-store.ts';
import { resumableFetch } from './resumable-download.ts';
import type { VerifiedCache } from './verified-cache.ts';
import { isSoftwareAdapter } from './software-adapter.ts';
import { canReadBlobsSynchronously } from './blob-bytes.ts';

/** The slice of the WebGPU API we read; declared here to keep @webgpu/types out of the build. */
interface GpuAdapterLike {
  features: { has(feature: string): boolean };
  /** Older Chromium; newer ones moved it to `info`. */
  isFallbackAdapter?: boolean;
  info?: { vendor?: string; architecture?: string; description?: string; device?: string; isFallbackAdapter?: boolean };
  limits?: { maxBufferSize?: number; maxStorageBufferBindingSize?: number };
}
interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<GpuAdapterLike | null>;
}

/**
 * Points ONNX Runtime at the app's own copy of its WASM files, so nothing comes
 * from a CDN and the app works offline, and sizes the WASM thread pool: threads
 * need SharedArrayBuffer, which needs cross-origin isolation.
 */
export function configureRuntime(baseUrl: string): void {
  const wasm = env.backends.onnx.wasm;
  if (!wasm) throw new Error('onnxruntime-web did not initialise its WASM backend.');
  const ortBase = new URL(`${baseUrl}ort/`, self.location.origin).href;
  wasm.wasmPaths = {
    mjs: `${ortBase}ort-wasm-simd-threaded.asyncify.mjs`,
    wasm: `${ortBase}ort-wasm-simd-threaded.asyncify.wasm`,
  };
  wasm.numThreads = defaultWasmThreads(navigator.hardwareConcurrency || 1, self.crossOriginIsolated);
}

function describeAdapter(adapter: GpuAdapterLike): string {
  const info = adapter.info ?? {};
  const parts = [info.vendor, info.architecture, info.description || info.device].filter((part) => part);
  return parts.length > 0 ? parts.join(' · ') : 'WebGPU adapter';
}

function adapterReport(adapter: GpuAdapterLike): GpuAdapterReport {
  const info = adapter.info ?? {};
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    description: info.description || info.device || '',
    max_buffer_size: adapter.limits?.maxBufferSize ?? 0,
    max_storage_buffer_binding_size: adapter.limits?.maxStorageBufferBindingSize ?? 0,
    software: isSoftwareAdapter(adapter),
  };
}

/** The network fetch, bound: `fetch` called detached from `self` throws "Illegal invocation". */
export const networkFetch = (input: string | URL, init?: RequestInit) => self.fetch(input, init);

export function browserHost(devModelHost: string | null, store: ModelStore, cache: VerifiedCache): EngineHost {
  const wasmThreads = () => env.backends.onnx.wasm?.numThreads ?? 1;
  return {
    devices: ['webgpu', 'wasm'],
    devModelHost,
    wasmThreads,
    setWasmThreads(threads) {
      if (threads > 1 && !self.crossOriginIsolated) {
        throw invalidRequest(
          "More than one WebAssembly thread needs a cross-origin isolated page (COOP and COEP headers); this one is not, so 'wasm_threads' can only be 1.",
          'wasm_threads',
        );
      }
      const wasm = env.backends.onnx.wasm;
      if (wasm) wasm.numThreads = threads;
    },
    isCached: (modelId) => store.isCached(modelId),
    downloadFetch: resumableFetch(networkFetch, (url, file, headers) => cache.putFile(url, file, headers)),
    modelCache: {
      beginLoad: async (modelId, host, onRepair, graphs) => cache.beginLoad(modelId, () => store.manifest(modelId, host), onRepair, graphs),
      repairAfterFailure: () => cache.repairAfterFailure(),
      keepsFiles: () => cache.keepsFiles(),
      ...(canReadBlobsSynchronously() && { wholeFile: (url: string) => cache.wholeFile(url) }),
    },
    async detectDevice(): Promise<DeviceReport> {
      const gpu = (navigator as Navigator & { gpu?: GpuLike }).gpu;
      const adapter = gpu ? await gpu.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null) : null;
      const shaderF16 = adapter?.features.has('shader-f16') ?? false;
      const threads = wasmThreads();
      const recommended: DeviceReport['recommended'] = !adapter
        ? {
            device: 'wasm',
            dtype: 'q8',
            reason: gpu
              ? 'WebGPU is present but no adapter was granted, so the model runs on the CPU with WebAssembly.'
              : 'This browser has no WebGPU, so the model runs on the CPU with WebAssembly.',
          }
        : isSoftwareAdapter(adapter)
          ? {
              device: 'wasm',
              dtype: 'q8',
              reason:
                'The WebGPU adapter is a software renderer, not a GPU, and decodes many times slower than WebAssembly on the CPU, so the model runs with WebAssembly. Choose webgpu to use it anyway.',
            }
          : shaderF16
          ? { device: 'webgpu', dtype: 'q4f16', reason: 'WebGPU with shader-f16: 4-bit weights with fp16 math.' }
          : { device: 'webgpu', dtype: 'q4', reason: 'WebGPU without shader-f16: 4-bit weights with fp32 math.' };
      return {
        webgpu: adapter !== null,
        shader_f16: shaderF16,
        adapter: adapter ? describeAdapter(adapter) : null,
        gpu: adapter ? adapterReport(adapter) : null,
        cross_origin_isolated: self.crossOriginIsolated,
        wasm_threads: threads,
        recommended,
      };
    },
  };
}
