/**
 * Shapes of the model store's non-OpenAI methods: what each model costs to
 * download per dtype (`models.sizes`), what the browser has cached
 * (`cache.list`), and deleting a model from the cache (`cache.delete`).
 */
import type { ModelArchitecture } from './memory.ts';
import type { Dtype } from './types.ts';

export interface ModelFile {
  /** Path inside the repository, e.g. `onnx/model_q4.onnx`. */
  path: string;
  bytes: number;
}

export interface DtypeDownload {
  dtype: Dtype;
  /** Everything a load of this dtype fetches: configs, tokenizer, the ONNX graph and its external data. */
  files: ModelFile[];
  download_bytes: number;
  /** The ONNX graph and its external data alone: what the weights take in memory. */
  weights_bytes: number;
  /** Every file of this dtype is in the browser cache. */
  cached: boolean;
}

export interface ModelSizes {
  object: 'model.sizes';
  id: string;
  /** Per dtype the model publishes; null when the hub could not be reached (sizes unknown). */
  dtypes: DtypeDownload[] | null;
  /** From config.json (the hub or the cache); null when neither has it. */
  architecture: ModelArchitecture | null;
  /** Why sizes are unknown, when they are. */
  unavailable_reason: string | null;
}

export interface CachedModel {
  id: string;
  files: ModelFile[];
  /** Bytes of complete files on disk. */
  bytes: number;
  /** Bytes of interrupted downloads kept so the next load resumes them. */
  partial_bytes: number;
  /** Dtypes whose ONNX graph is cached complete. */
  dtypes: Dtype[];
}

export interface CachedModelList {
  object: 'list';
  data: CachedModel[];
}

export interface CacheDeleteResult {
  id: string;
  object: 'model.cache.deleted';
  deleted: boolean;
  files_deleted: number;
  bytes_freed: number;
}
