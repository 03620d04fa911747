import {
  DEFAULT_MODEL_ID,
  type ApiError,
  type DeviceReport,
  type Device,
  type Dtype,
  type EngineState,
  type FitWarning,
  type LoadedModel,
  type LoadProgress,
} from '../../protocol/index.ts';
import { RateMeter } from '../download-rate.ts';
import { loadProblemOf, type LoadProblem } from '../error-text.ts';
import { planLoad, type LoadPlan } from '../load-plan.ts';
import { isTestModel } from '../model-names.ts';
import { client } from './client.ts';
import { libraryState } from './library.svelte.ts';

export type DeviceChoice = 'auto' | Device;
export type DtypeChoice = 'auto' | Dtype;


/** navigator.deviceMemory: Chromium only, so not in TypeScript's DOM types. */
function deviceMemoryGib(): number | null {
  const memory = (navigator as Navigator & { deviceMemory?: number }).deviceMemory;
  return typeof memory === 'number' && memory > 0 ? memory : null;
}

/** Model loading and the device it runs on, as the UI sees them. */
class ModelState {
  report = $state<DeviceReport | null>(null);
  selected = $state(DEFAULT_MODEL_ID);
  device = $state<DeviceChoice>('auto');
  dtype = $state<DtypeChoice>('auto');
  /** The engine's state, whoever changed it: this page, a script using `window.deepseek`, or a request to /v1. */
  engine = $state<EngineState>({ revision: 0, loaded: null, load: null, active_requests: 0, generation: null });
  progress = $state<LoadProgress | null>(null);
  /** Waiting for the model's sizes before a load, to check it fits. */
  checking = $state(false);
  /** A load this panel started is running or waiting. */
  loading = $state(false);
  error = $state<string | null>(null);
  /** The runtime's own words about the last load error, for the Details disclosure. */
  errorDetails = $state<string | null>(null);
  /** Why the engine could not start (the worker failed, or the device could not be read). */
  startError = $state<string | null>(null);
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
  private cancelledWhileWaiting = false;

  /** The model requests can use now. */
  get loaded(): LoadedModel | null {
    return this.engine.loaded;
  }

  /** This panel's load waits its turn behind requests still running, an answer on screen among them. */
  get waiting(): boolean {
    return this.loading && this.engine.load?.status === 'queued';
  }

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
    client().onStateChange((state) => {
      const loadedBefore = this.engine.loaded;
      this.engine = state;
      // A load from outside this panel: the library's cached state and the picker follow it.
      if (state.loaded && state.loaded.id !== loadedBefore?.id && !this.loading && this.available.includes(state.loaded.id)) {
        this.selected = state.loaded.id;
        void libraryState.refresh();
      }
    });
    const [report] = await Promise.all([client().device(), libraryState.refresh()]);
    this.report = report;
    // One question to the hub for the preselected model: its size, and whether the hub can be reached at all, so an
    // offline first visit learns at once which models work without it, not from a failed Load.
    void libraryState.lookup(this.selected);
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
    this.problem = 'gpu_lost';
    this.error = error.message;
    this.errorDetails = error.error.details ?? null;
  }

  /** After a lost GPU device: the same model on WASM, now. */
  loadOnWasm(): Promise<void> {
    this.device = 'wasm';
    this.dtype = 'auto';
    return this.load();
  }

  /** Stops the running load, downloads included. Finished files stay cached, and so does the part of a file already fetched. */
  cancel(): void {
    // A load that never left the queue has nothing to resume: it ends quietly.
    this.cancelledWhileWaiting = this.waiting;
    this.controller?.abort();
  }

  private async start(): Promise<void> {
    this.loading = true;
    this.error = null;
    this.problem = null;
    this.notStored = false;
    this.repairs = [];
    this.progress = null;
    this.speed = 0;
    this.controller = new AbortController();
    const meter = new RateMeter();
    const id = this.selected;
    let loaded: LoadedModel | null = null;
    try {
      loaded = await client().load(id, {
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
      if (!this.cancelledWhileWaiting) {
        this.problem = loadProblemOf(apiError);
        this.error = apiError.message;
        this.errorDetails = apiError.error?.details ?? null;
        if (this.problem === 'network' && !isTestModel(id)) libraryState.hubReachable = false;
      }
    } finally {
      this.loading = false;
      this.controller = null;
      this.cancelledWhileWaiting = false;
    }
    await libraryState.refresh();
    if (loaded && !libraryState.cachedModel(id)?.dtypes.includes(loaded.dtype)) this.notStored = true;
    // Weights that took minutes to download should not be evicted under storage pressure. Browsers decide on their own
    // (Chromium from site engagement, Firefox by asking), so this asks once, after the first model is in place.
    if (loaded && !this.askedToPersist && libraryState.storage?.persisted === false) {
      this.askedToPersist = true;
      void libraryState.persist();
    }
  }
}

export const modelState = new ModelState();
