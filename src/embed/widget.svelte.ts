/**
 * The widget's state: the model, its load, the device line and the compact
 * chat. It drives the same client as the playground and `window.deepseek`
 * (src/api), and reports what changes to the host link.
 */
import type { ClientLoadOptions, DeepSeekClient } from '../api/client.ts';
import {
  DEFAULT_MODEL_ID,
  toApiError,
  toWire,
  type ChatMessageParam,
  type DeviceReport,
  type LoadedModel,
  type LoadProgress,
  type WidgetOptions,
  type WidgetStatus,
  type WidgetStorage,
  type WireError,
} from '../protocol/index.ts';
import { RateMeter } from '../ui/download-rate.ts';
import { answerError, loadError, loadProblemOf, type PlainError } from '../ui/error-text.ts';

/** What the host link passes on: one of the three at a time. */
export interface WidgetChange {
  status?: WidgetStatus;
  progress?: LoadProgress;
  error?: WireError;
}

export interface WidgetTurn {
  role: 'user' | 'assistant';
  content: string;
  /** How an answer ended, when not by itself. */
  ending?: 'stopped' | 'error';
}

/**
 * This frame's storage. Blocked when Cache Storage refuses to open (third-party
 * storage blocking); partitioned in a frame without unpartitioned storage
 * access (the Storage Access API's view, which follows the top-level site).
 */
async function storageKind(): Promise<WidgetStorage> {
  try {
    await caches.keys();
  } catch {
    return 'blocked';
  }
  if (window.top === window) return 'shared';
  try {
    return (await document.hasStorageAccess()) ? 'shared' : 'partitioned';
  } catch {
    return 'partitioned';
  }
}

class WidgetState {
  options = $state<WidgetOptions>({});
  report = $state.raw<DeviceReport | null>(null);
  // Raw: it crosses the frame in status messages, and a deep proxy cannot be cloned.
  loaded = $state.raw<LoadedModel | null>(null);
  loading = $state(false);
  progress = $state.raw<LoadProgress | null>(null);
  speed = $state(0);
  /** A failed load or answer, in plain words for the visitor, with the runtime's text as details. */
  loadError = $state<PlainError | null>(null);
  storage = $state<WidgetStorage>('shared');
  turns = $state<WidgetTurn[]>([]);
  streaming = $state(false);
  chatError = $state<PlainError | null>(null);
  private client: DeepSeekClient | null = null;
  private stopController: AbortController | null = null;
  private listeners = new Set<(change: WidgetChange) => void>();

  get model(): string {
    return this.options.model ?? (__DEV_MODELS__ ? 'tiny-random/deepseek-coder-instruct' : DEFAULT_MODEL_ID);
  }

  get status(): WidgetStatus {
    return {
      loaded: this.loaded,
      loading: this.loading,
      cross_origin_isolated: globalThis.crossOriginIsolated === true,
      storage: this.storage,
    };
  }

  async init(client: DeepSeekClient): Promise<void> {
    this.client = client;
    this.storage = await storageKind();
    this.announce();
    this.report = await client.device().catch(() => null);
  }

  /** The host link listens here for status and progress to pass on. */
  onChange(listener: (change: WidgetChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private announce(change: WidgetChange = { status: this.status }): void {
    for (const listener of this.listeners) listener(change);
  }

  /** Loads a model (the host's choice when absent); the widget's Load button and the host's `load` both come here. */
  async load(modelId: string = this.model, { onProgress, ...options }: ClientLoadOptions = {}): Promise<LoadedModel> {
    const client = this.requireClient();
    const meter = new RateMeter();
    this.loading = true;
    this.loadError = null;
    this.progress = null;
    this.speed = 0;
    this.announce();
    try {
      this.loaded = await client.load(modelId, {
        ...options,
        onProgress: (progress) => {
          this.progress = progress;
          meter.add(performance.now(), progress.loaded_bytes);
          this.speed = meter.bytesPerSecond;
          onProgress?.(progress);
          this.announce({ progress });
        },
      });
      return this.loaded;
    } catch (error) {
      const apiError = toApiError(error);
      this.loaded = client.loaded;
      this.loadError = loadError(loadProblemOf(apiError), { message: apiError.message, details: apiError.error.details ?? null }, 'widget');
      // The host hears of every failed load, the visitor's own Load included.
      this.announce({ error: toWire(apiError) });
      throw apiError;
    } finally {
      this.loading = false;
      this.announce();
    }
  }

  async send(text: string): Promise<void> {
    const client = this.requireClient();
    const model = this.loaded?.id;
    if (!model || this.streaming || !text.trim()) return;
    const history: ChatMessageParam[] = this.turns.filter((turn) => !turn.ending).map(({ role, content }) => ({ role, content }));
    const system: ChatMessageParam[] = this.options.systemPrompt ? [{ role: 'system', content: this.options.systemPrompt }] : [];
    this.turns.push({ role: 'user', content: text });
    this.turns.push({ role: 'assistant', content: '' });
    const answer = this.turns[this.turns.length - 1];
    this.streaming = true;
    this.chatError = null;
    this.stopController = new AbortController();
    try {
      const stream = await client.chat.completions.create(
        { model, messages: [...system, ...history, { role: 'user', content: text }], stream: true },
        { signal: this.stopController.signal },
      );
      for await (const chunk of stream) answer.content += chunk.choices[0]?.delta.content ?? '';
    } catch (error) {
      const apiError = toApiError(error);
      answer.ending = apiError.status === 499 ? 'stopped' : 'error';
      if (answer.ending === 'error') this.chatError = answerError({ ...apiError.error, message: apiError.message }, 'widget');
    } finally {
      this.streaming = false;
      this.stopController = null;
    }
  }

  stop(): void {
    this.stopController?.abort();
  }

  private requireClient(): DeepSeekClient {
    if (!this.client) throw new Error('The widget has no client yet.');
    return this.client;
  }
}

export const widgetState = new WidgetState();
