import {
  DEFAULT_SAMPLING,
  isDefaultSampling,
  MAX_STOP_SEQUENCES,
  restoreSampling,
  samplingRequest,
  type NumericParam,
  type SamplingRequest,
  type SamplingValues,
} from '../sampling.ts';

const STORAGE_KEY = 'deepseek-coder-web:params';

function defaults(): SamplingValues {
  return { ...DEFAULT_SAMPLING, stop: [] };
}

/** Sampling parameters for the playground; they persist across reloads. */
class ParamsState {
  values = $state<SamplingValues>(restoreSampling(localStorage.getItem(STORAGE_KEY)));

  constructor() {
    $effect.root(() => {
      $effect(() => localStorage.setItem(STORAGE_KEY, JSON.stringify(this.values)));
    });
  }

  reset(): void {
    this.values = defaults();
  }

  resetOne(key: NumericParam | 'seed' | 'stop'): void {
    if (key === 'stop') this.values.stop = [];
    else if (key === 'seed') this.values.seed = null;
    else this.values[key] = DEFAULT_SAMPLING[key];
  }

  /** Whether everything is at the playground's defaults, so "Reset all" has nothing to do. */
  get isDefault(): boolean {
    return isDefaultSampling(this.values);
  }

  /** Adds a stop sequence; false when it is empty, a duplicate, or there are already four. */
  addStop(stop: string): boolean {
    if (stop === '' || this.values.stop.includes(stop) || this.values.stop.length >= MAX_STOP_SEQUENCES) return false;
    this.values.stop.push(stop);
    return true;
  }

  removeStop(index: number): void {
    this.values.stop.splice(index, 1);
  }

  /** The request fields for these values: only those that differ from the API's defaults. */
  request(): SamplingRequest {
    return samplingRequest(this.values);
  }
}

export const paramsState = new ParamsState();
