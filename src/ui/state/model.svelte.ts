import { DEFAULT_MODEL_ID, type ApiError, type DeviceReport, type Device, type Dtype, type LoadedModel, type LoadProgress } from '../../protocol/index.ts';
import { client } from './client.ts';

export type DeviceChoice = 'auto' | Device;
export type DtypeChoice = 'auto' | Dtype;

/** Model loading and the device it runs on, as the UI sees them. */
class ModelState {
  report = $state<DeviceReport | null>(null);
  available = $state<string[]>([DEFAULT_MODEL_ID]);
  selected = $state(DEFAULT_MODEL_ID);
  device = $state<DeviceChoice>('auto');
  dtype = $state<DtypeChoice>('auto');
  loaded = $state<LoadedModel | null>(null);
  progress = $state<LoadProgress | null>(null);
  loading = $state(false);
  error = $state<string | null>(null);
  /** Bytes per second over the current download, for the progress bar. */
  speed = $state(0);

  async init(): Promise<void> {
    const [report, list] = await Promise.all([client().device(), client().models.list()]);
    this.report = report;
    this.available = list.data.map((model) => model.id);
  }

  async load(): Promise<void> {
    this.loading = true;
    this.error = null;
    this.progress = null;
    this.loaded = null;
    const startedAt = performance.now();
    try {
      this.loaded = await client().load(this.selected, {
        device: this.device === 'auto' ? undefined : this.device,
        dtype: this.dtype === 'auto' ? undefined : this.dtype,
        onProgress: (progress) => {
          this.progress = progress;
          const seconds = (performance.now() - startedAt) / 1000;
          this.speed = seconds > 0 ? progress.loaded_bytes / seconds : 0;
        },
      });
    } catch (error) {
      this.error = (error as ApiError).message;
    } finally {
      this.loading = false;
    }
  }
}

export const modelState = new ModelState();
