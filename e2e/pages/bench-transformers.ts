/**
 * Benchmark-only page (in `--mode test` builds, never in production): bare
 * transformers.js in a Web Worker, driven by scripts/bench-full.ts through
 * `window.benchEngine`.
 */
import type { BenchEngine, EngineLoad, GenerateRun } from './bench-types.ts';
import type { WorkerReply, WorkerRequest } from './bench-transformers.worker.ts';

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

const worker = new Worker(new URL('./bench-transformers.worker.ts', import.meta.url), { type: 'module' });
const pending = new Map<number, Pending>();
let nextId = 1;

worker.onmessage = (event: MessageEvent<WorkerReply>) => {
  const reply = event.data;
  const waiter = pending.get(reply.id);
  pending.delete(reply.id);
  if (reply.ok) waiter?.resolve(reply.result);
  else waiter?.reject(new Error(reply.message));
};

function call<T>(request: WithoutId<WorkerRequest>): Promise<T> {
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    pending.set(id, { resolve: (value) => resolve(value as T), reject });
    worker.postMessage({ ...request, id });
  });
}

const engine: BenchEngine = {
  load: (options) => call<EngineLoad>({ kind: 'load', options }),
  generate: (options) => call<GenerateRun>({ kind: 'generate', options }),
  dispose: () => call<void>({ kind: 'dispose' }),
};
window.benchEngine = engine;
