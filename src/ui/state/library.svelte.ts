import { toApiError, type ApiError, type CachedModel, type ModelObject, type ModelSizes } from '../../protocol/index.ts';
import { isTestModel } from '../model-names.ts';
import { client } from './client.ts';

const CUSTOM_MODELS_KEY = 'deepseek-coder-web:custom-models';

/** A failed lookup keeps the API error's message and code; `sizeLookupError` (error-text.ts) words it for people. */
export type SizesLookup =
  | { status: 'loading' }
  | { status: 'ready'; sizes: ModelSizes }
  | { status: 'error'; message: string; code: string | null };

export interface StorageReport {
  usage: number;
  quota: number;
  /** Whether the browser promised not to evict the cache under storage pressure. */
  persisted: boolean;
}

function restoreCustomModels(): string[] {
  try {
    const saved: unknown = JSON.parse(localStorage.getItem(CUSTOM_MODELS_KEY) ?? '[]');
    return Array.isArray(saved) ? saved.filter((id): id is string => typeof id === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * The models the user can pick, what each costs to download, what the browser
 * keeps of them, and the storage they live in. Sizes come from the hub only on
 * demand (a model picked, the library opened, a load started), so an idle page
 * makes no request to anyone.
 */
class LibraryState {
  listed = $state<ModelObject[]>([]);
  custom = $state<string[]>(restoreCustomModels());
  cached = $state<CachedModel[]>([]);
  sizes = $state<Record<string, SizesLookup>>({});
  storage = $state<StorageReport | null>(null);
  /** The model whose cache deletion is running. */
  deleting = $state<string | null>(null);
  error = $state<string | null>(null);
  /** Whether the Hugging Face hub answered the last time it was asked; null before it was. */
  hubReachable = $state<boolean | null>(null);

  ids = $derived([...this.listed.map((model) => model.id), ...this.custom.filter((id) => !this.listed.some((model) => model.id === id))]);

  cachedModel(id: string): CachedModel | null {
    return this.cached.find((model) => model.id === id) ?? null;
  }

  /** Models that load without the hub: the test models the app's server serves, and those the browser has cached. */
  get usableOffline(): string[] {
    return this.ids.filter((id) => isTestModel(id) || (this.cachedModel(id)?.dtypes.length ?? 0) > 0);
  }

  readySizes(id: string): ModelSizes | null {
    const lookup = this.sizes[id];
    return lookup?.status === 'ready' ? lookup.sizes : null;
  }

  /** Re-reads what is listed, cached and stored: after loads, deletions, and at start. */
  async refresh(): Promise<void> {
    const [list, cached] = await Promise.all([client().models.list(), client().cache.list()]);
    this.listed = list.data;
    this.cached = cached.data;
    await this.refreshStorage();
  }

  async refreshStorage(): Promise<void> {
    if (!navigator.storage?.estimate) return;
    const [estimate, persisted] = await Promise.all([navigator.storage.estimate(), navigator.storage.persisted()]);
    this.storage = { usage: estimate.usage ?? 0, quota: estimate.quota ?? 0, persisted };
  }

  /** Asks the browser to keep downloads under storage pressure; it may grant at once, ask the user, or refuse. */
  async persist(): Promise<boolean> {
    const granted = await navigator.storage.persist();
    await this.refreshStorage();
    return granted;
  }

  /** Fetches a model's sizes per dtype; a later call for the same model reuses the answer unless `force`. */
  async lookup(id: string, { force = false } = {}): Promise<SizesLookup> {
    const known = this.sizes[id];
    if (known && known.status !== 'error' && !force) return known;
    this.sizes[id] = { status: 'loading' };
    try {
      const sizes = await client().models.sizes(id);
      this.sizes[id] = { status: 'ready', sizes };
      if (!isTestModel(id)) this.hubReachable = sizes.dtypes !== null;
    } catch (error) {
      // An answer about the model (not found, gated) is an answer from the hub.
      if (!isTestModel(id)) this.hubReachable = true;
      const apiError = toApiError(error);
      this.sizes[id] = { status: 'error', message: apiError.message, code: apiError.error.code };
    }
    return this.sizes[id];
  }

  /** Deletes a model's cached files and refreshes what depends on them. */
  async remove(id: string): Promise<void> {
    this.deleting = id;
    this.error = null;
    try {
      await client().cache.delete(id);
      await this.refresh();
      if (this.sizes[id]) await this.lookup(id, { force: true });
    } catch (error) {
      this.error = (error as ApiError).message;
    } finally {
      this.deleting = null;
    }
  }

  /**
   * Adds a hub model by id once the hub confirms it has ONNX weights; resolves
   * with the reason when it does not, or null on success.
   */
  async addCustom(input: string): Promise<string | null> {
    const id = input.trim();
    const lookup = await this.lookup(id, { force: true });
    if (lookup.status === 'error') {
      delete this.sizes[id];
      return lookup.message;
    }
    if (!this.ids.includes(id)) {
      this.custom = [...this.custom, id];
      localStorage.setItem(CUSTOM_MODELS_KEY, JSON.stringify(this.custom));
    }
    return null;
  }

  removeCustom(id: string): void {
    this.custom = this.custom.filter((candidate) => candidate !== id);
    localStorage.setItem(CUSTOM_MODELS_KEY, JSON.stringify(this.custom));
  }
}

export const libraryState = new LibraryState();
