import type { ChatCompletionRequest } from '../../protocol/index.ts';

export interface Params {
  temperature: number;
  top_p: number;
  top_k: number;
  max_tokens: number;
  repetition_penalty: number;
}

export const DEFAULT_PARAMS: Params = {
  temperature: 0.7,
  top_p: 0.95,
  top_k: 0,
  max_tokens: 1024,
  repetition_penalty: 1,
};

const STORAGE_KEY = 'deepseek-coder-web:params';

function restore(): Params {
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}') as Partial<Params>;
    const merged = { ...DEFAULT_PARAMS };
    for (const key of Object.keys(DEFAULT_PARAMS) as (keyof Params)[]) {
      if (typeof saved[key] === 'number' && Number.isFinite(saved[key])) merged[key] = saved[key];
    }
    return merged;
  } catch {
    return { ...DEFAULT_PARAMS };
  }
}

/** Sampling parameters for the playground; they persist across reloads. */
class ParamsState {
  values = $state<Params>(restore());

  constructor() {
    $effect.root(() => {
      $effect(() => localStorage.setItem(STORAGE_KEY, JSON.stringify(this.values)));
    });
  }

  reset(): void {
    this.values = { ...DEFAULT_PARAMS };
  }

  /** The request fields for these values; top_k 0 means off, so it is left out. */
  request(): Pick<ChatCompletionRequest, 'temperature' | 'top_p' | 'top_k' | 'max_tokens' | 'repetition_penalty'> {
    const { top_k, ...rest } = this.values;
    return top_k > 0 ? { ...rest, top_k } : rest;
  }
}

export const paramsState = new ParamsState();
