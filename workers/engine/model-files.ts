/**
 * Which files a model needs in the cache before one of its dtypes counts as
 * cached: every file a load of that dtype reads, not just the graph. A
 * download cut short (a delete while it ran, a failed network) can leave some
 * files without the rest; the library must not call that a model.
 */
import type { Dtype } from '../../src/protocol/types.ts';
import { DTYPE_SUFFIX } from './catalog.ts';

/** transformers.js's `use_external_data_format`: a chunk count (true = 1), or counts by graph file name or base name. */
export type ExternalDataFormat = boolean | number | Record<string, boolean | number>;

/** The part of config.json that decides which files a load reads. */
export interface LoadConfig {
  'transformers.js_config'?: { use_external_data_format?: ExternalDataFormat };
}

/**
 * Read by every load, whatever the dtype: transformers.js fetches them as
 * required files (config.json for the model, the other two for the tokenizer).
 * generation_config.json is fetched too, but as an optional file: a
 * repository may lack it (the tiny base model does), and the cache cannot
 * tell a missing one from one the repository never had, so it is not required.
 */
const REQUIRED_SUPPORT_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json'];

/** A finished GGUF conversion's record, `conversion-{dtype}.json`, written after every file it lists. */
export const conversionRecordPath = (dtype: Dtype): string => `conversion-${dtype}.json`;

/** How many external-data chunks a graph has, as transformers.js 4.3.1 resolves it (`resolveExternalDataFormat`). */
export function externalDataChunks(format: ExternalDataFormat | undefined, graphFile: string, modelFileName: string): number {
  if (format === undefined || format === false) return 0;
  if (typeof format === 'object') return Number(format[graphFile] ?? format[modelFileName] ?? 0);
  return Number(format);
}

/** `{graph}_data`, `{graph}_data_1`, …: the chunk names transformers.js fetches next to a graph. */
export function externalDataNames(graphPath: string, chunks: number): string[] {
  return Array.from({ length: chunks }, (_, index) => `${graphPath}_data${index === 0 ? '' : `_${index}`}`);
}

/**
 * Every file a load of `dtype` reads: the required support files, the graph
 * `onnx/{modelFileName}{suffix}.onnx`, and its external-data chunks. The chunk
 * count comes from the catalog where it gives one (the engine passes it to
 * transformers.js, which then ignores config.json's), else from config.json.
 */
export function filesOfDtype(dtype: Dtype, modelFileName: string, config: LoadConfig, catalogExternalData?: ExternalDataFormat): string[] {
  const graphFile = `${modelFileName}${DTYPE_SUFFIX[dtype]}.onnx`;
  const graph = `onnx/${graphFile}`;
  const format = catalogExternalData ?? config['transformers.js_config']?.use_external_data_format;
  return [...REQUIRED_SUPPORT_FILES, graph, ...externalDataNames(graph, externalDataChunks(format, graphFile, modelFileName))];
}

/** What the cache holds of one model: each stored file's size by path, and config.json's content when stored and readable. */
export interface StoredFiles {
  sizes: ReadonlyMap<string, number>;
  config: LoadConfig | null;
}

/** The dtypes of an ONNX model whose every file is stored; none without a readable config.json. */
export function completeDtypes(
  stored: StoredFiles,
  dtypes: readonly Dtype[],
  modelFileName: string,
  catalogExternalData?: ExternalDataFormat,
): Dtype[] {
  const { config } = stored;
  if (!config) return [];
  return dtypes.filter((dtype) => filesOfDtype(dtype, modelFileName, config, catalogExternalData).every((path) => stored.sizes.has(path)));
}

/** A GGUF conversion's record: the converted files and their sizes. */
export interface ConversionFiles {
  files: Record<string, number>;
}

/**
 * Whether a converted GGUF model's dtype is whole: its record was written
 * (last, so the conversion finished) and every file it lists is still stored
 * at its size.
 */
export function conversionComplete(stored: ReadonlyMap<string, number>, record: ConversionFiles | null): boolean {
  if (!record || typeof record.files !== 'object' || record.files === null) return false;
  return Object.entries(record.files).every(([path, bytes]) => stored.get(path) === bytes);
}
