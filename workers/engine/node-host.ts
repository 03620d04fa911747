import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { env } from '@huggingface/transformers';
import type { EngineHost } from './engine.ts';

/** The engine in Node: onnxruntime-node on the CPU. Used by engine tests and benchmarks. */
export function nodeHost(devModelHost: string | null): EngineHost {
  return {
    devices: ['cpu'],
    devModelHost,
    wasmThreads: () => 0,
    async isCached(modelId: string): Promise<boolean> {
      // transformers.js's file cache keeps `{cacheDir}/{model id}/{file}` for the main revision.
      const files = await readdir(join(env.cacheDir ?? '', modelId, 'onnx')).catch(() => []);
      return files.some((file) => file.endsWith('.onnx'));
    },
    detectDevice: async () => ({
      webgpu: false,
      shader_f16: false,
      adapter: null,
      gpu: null,
      cross_origin_isolated: false,
      wasm_threads: 0,
      recommended: { device: 'cpu', dtype: 'q4', reason: 'Node.js: onnxruntime-node on the CPU.' },
    }),
  };
}
