import { DEFAULT_MODEL_ID, type ApiError, type DeviceReport, type Device, type Dtype, type FitWarning, type LoadedModel, type LoadProgress } from '../../protocol/index.ts';
import { RateMeter } from '../download-rate.ts';
import { planLoad, type LoadPlan } from '../load-plan.ts';
import { client } from './client.ts';
import { libraryState } from './library.svelte.ts';

export type DeviceChoice = 'auto' | Device;
export type DtypeChoice = 'auto' | Dtype;

/** How a load ended badly, so the panel can say what to do next. */
export type LoadProblem = 'cancelled' | 'network' | 'server' | 'not_found' | 'storage' | 'failed' | 'gpu_lost';

/** navigator.deviceMemory: Chromium only, so not in TypeScript's DOM types. */
function deviceMemoryGib(): number | null {
  const memory = (navigator as Navigator & { deviceMemory?: number }).deviceMemory;
  return typeof memory === 'number' && memory > 0 ? memory : null;
}

function problemOf(error: ApiError): LoadProblem {
  if (error.status === 499) return 'cancelled';
  if (error.error?.code === 'network_error') return 'network';
  if (error.error?.code === 'server_failed') return 'server';
  if (error.status === 404) return 'not_found';
  if (/quota/i.test(error.message)) return 'storage';
  return 'failed';
}

/** Model loading and the device it runs on, as the UI sees them. */
class ModelState {
  report = $state<DeviceReport | null>(null);
  selected = $state(DEFAULT_MODEL_ID);
  device = $state<DeviceChoice>('auto');
  dtype = $state<DtypeChoice>('auto');
  loaded = $state<LoadedModel | null>(null);
  progress = $state<LoadProgress | null>(null);
  /** Waiting for the model's sizes before a load, to check it fits. */
  checking = $state(false);
  loading = $state(false);
  error = $state<string | null>(null);
  problem = $state<LoadProblem | null>(null);
  /** What the last load repaired in the browser cache: damaged files it deleted and fetched again. */
  repairs = $state<string[]>([]);
  /** Set after a load whose files the browser did not keep (storage full). */
  notStored = $state(false);
  /** Reasons the next load may not fit; the load waits for the user to confirm. */
  pendingWarnings = $state<FitWarning[] | null>(null);
  /** Bytes per second over the current download, for the progress bar. */
  speed = $state(0);
  private controller: AbortController | null = null;
  /** Persistent storage is asked for once a session, after the first model is in place. */
  private askedToPersist = false;

  /** Everything the model picker can offer: the catalog plus hub models the user added. */
  get available(): string[] {
    return libraryState.ids;
  }

  /** The selected model's cost on this device, from whatever sizes are known. */
  plan = $derived<LoadPlan | null>(
    this.report
      ? planLoad({
          report: this.report,
          device: this.device,
          dtype: this.dtype,
          sizes: libraryState.readySizes(this.selected),
          cached: libraryState.cachedModel(this.selected),
          deviceMemoryGib: deviceMemoryGib(),
          storageAvailableBytes: libraryState.storage ? Math.max(0, libraryState.storage.quota - libraryState.storage.usage) : null,
        })
      : null,
  );

  async init(): Promise<void> {
    const [report] = await Promise.all([client().device(), libraryState.refresh()]);
    this.report = report;
  }

  select(id: string): void {
    this.selected = id;
    this.pendingWarnings = null;
    void libraryState.lookup(id);
  }

  /**
   * Starts a load of the selected model, unless it may not fit: then the
   * warnings wait for `confirmLoad` or `dismissWarnings`.
   */
  async load(): Promise<void> {
    if (this.loading || this.checking) return;
    this.error = null;
    this.problem = null;
    this.checking = true;
    try {
      await Promise.all([libraryState.lookup(this.selected), libraryState.refreshStorage()]);
    } finally {
      this.checking = false;
    }
    const warnings = this.plan?.warnings ?? [];
    if (warnings.length > 0) {
      this.pendingWarnings = warnings;
      return;
    }
    await this.start();
  }

  confirmLoad(): Promise<void> {
    this.pendingWarnings = null;
    return this.start();
  }

  dismissWarnings(): void {
    this.pendingWarnings = null;
  }

  /**
   * A request failed: if the GPU device was lost, the model is gone, and the
   * panel says so and offers WebGPU again (after a page reload) or WASM.
   */
  noticeFailure(error: ApiError): void {
    if (error.error.code !== 'gpu_device_lost') return;
    this.loaded = null;
    this.problem = 'gpu_lost';
    this.error = error.message;
  }

  /** After a lost GPU device: the same model on WASM, now. */
  loadOnWasm(): Promise<void> {
    this.device = 'wasm';
    this.dtype = 'auto';
    return this.load();
  }

  /** Stops the running load, downloads included. Finished files stay cached, and so does the part of a file already fetched. */
  cancel(): void {
    this.controller?.abort();
  }

  private async start(): Promise<void> {
    this.loading = true;
    this.error = null;
    this.problem = null;
    this.notStored = false;
    this.repairs = [];
    this.progress = null;
    this.loaded = null;
    this.speed = 0;
    this.controller = new AbortController();
    const meter = new RateMeter();
    const id = this.selected;
    try {
      this.loaded = await client().load(id, {
        device: this.device === 'auto' ? undefined : this.device,
        dtype: this.dtype === 'auto' ? undefined : this.dtype,
        signal: this.controller.signal,
        onProgress: (progress) => {
          if (progress.notice) this.repairs.push(progress.notice);
          this.progress = progress;
          meter.add(performance.now(), progress.loaded_bytes);
          this.speed = meter.bytesPerSecond;
        },
      });
    } catch (error) {
      const apiError = error as ApiError;
      this.problem = problemOf(apiError);
      this.error = apiError.message;
    } finally {
      this.loading = false;
      this.controller = null;
    }
    await libraryState.refresh();
    if (this.loaded && !libraryState.cachedModel(id)?.dtypes.includes(this.loaded.dtype)) this.notStored = true;
    // Weights that took minutes to download should not be evicted under storage pressure. Browsers decide on their own
    // (Chromium from site engagement, Firefox by asking), so this asks once, after the first model is in place.
    if (this.loaded && !this.askedToPersist && libraryState.storage?.persisted === false) {
      this.askedToPersist = true;
      void libraryState.persist();
    }
  }
}

export const modelState = new ModelState();
