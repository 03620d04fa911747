import type { EngineState } from '../../src/protocol/index.ts';

export type EngineStateListener = (state: EngineState) => void;

/** The engine's state as its callers see it, sent to every subscriber on each change. */
export class EngineStatePublisher {
  private current: EngineState = { revision: 0, loaded: null, load: null, active_requests: 0, generation: null };
  private readonly listeners = new Set<EngineStateListener>();

  get state(): EngineState {
    return this.current;
  }

  /** Calls `listener` with the state now and on every change, until the returned function is called. */
  subscribe(listener: EngineStateListener): () => void {
    this.listeners.add(listener);
    listener(this.current);
    return () => this.listeners.delete(listener);
  }

  update(change: Partial<Omit<EngineState, 'revision'>>): void {
    this.current = { ...this.current, ...change, revision: this.current.revision + 1 };
    for (const listener of this.listeners) listener(this.current);
  }

  /** Counts a chat or completion request as active until `work` settles. */
  async track<T>(work: Promise<T>): Promise<T> {
    this.update({ active_requests: this.current.active_requests + 1 });
    try {
      return await work;
    } finally {
      this.update({ active_requests: this.current.active_requests - 1 });
    }
  }
}
