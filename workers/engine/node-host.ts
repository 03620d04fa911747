import type { EngineHost } from './engine.ts';

/** The engine in Node: onnxruntime-node on the CPU. Used by engine tests and benchmarks. */
export function nodeHost(devModelHost: string | null): EngineHost {
  return {
    devices: ['cpu'],
    devModelHost,
    wasmThreads: () => 0,
    detectDevice: async () => ({
      webgpu: false,
      shader_f16: false,
      adapter: null,
      cross_origin_isolated: false,
      wasm_threads: 0,
      recommended: { device: 'cpu', dtype: 'q4', reason: 'Node.js: onnxruntime-node on the CPU.' },
    }),
  };
}
