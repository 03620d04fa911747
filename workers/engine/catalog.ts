import { invalidRequest, modelNotFound } from '../../src/protocol/errors.ts';
import { DEFAULT_MODEL_ID, type Dtype } from '../../src/protocol/types.ts';

export const HUB_HOST = 'https://huggingface.co/';

/** The ONNX file names transformers.js loads: `onnx/{model file name}{dtype suffix}.onnx`. */
export const DEFAULT_MODEL_FILE_NAME = 'model';

/** transformers.js 4.3.1's DEFAULT_DTYPE_SUFFIX_MAPPING, for the dtypes this app offers. */
export const DTYPE_SUFFIX: Record<Dtype, string> = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  q4: '_q4',
  q4f16: '_q4f16',
};

export interface CatalogEntry {
  id: string;
  /** 'hub': huggingface.co. 'dev-mirror': the tiny test models the dev and test servers serve. */
  source: 'hub' | 'dev-mirror';
  dtypes: Dtype[];
  owned_by: string;
  /**
   * The ONNX graph's base name. Optimum's newer exports name it `model`; the
   * older ones (Xenova's repositories) `decoder_model_merged`.
   */
  modelFileName: string;
  /**
   * External-data chunks per ONNX file, for repositories whose config.json
   * does not declare them (transformers.js reads `use_external_data_format`
   * from there otherwise).
   */
  externalData?: Record<string, number>;
  /**
   * Not listed, but loadable by id wherever the dev mirror serves it: the
   * full-size model (made only on request, `npm run fixtures:full`) and
   * variants that exist for tests.
   */
  unlisted?: true;
}

/**
 * No 6.7B entry: its ONNX exports on the hub hold fp16 (14.6 GB) or fp32
 * (27 GB) weights and no 4-bit ones, more than a browser tab can download and
 * hold. A hub id typed into the playground can still name one.
 */
export const CATALOG: readonly CatalogEntry[] = [
  {
    id: DEFAULT_MODEL_ID,
    source: 'hub',
    dtypes: ['q4f16', 'q4', 'q8', 'fp16', 'fp32'],
    owned_by: 'deepseek-ai',
    modelFileName: DEFAULT_MODEL_FILE_NAME,
  },
  {
    // The base model, for completion and fill-in-the-middle. Xenova's export:
    // an 8-bit graph (1.36 GB) and an fp32 graph whose weights sit in
    // `decoder_model_merged.onnx_data` (5.39 GB).
    id: 'Xenova/deepseek-coder-1.3b-base',
    source: 'hub',
    dtypes: ['q8', 'fp32'],
    owned_by: 'deepseek-ai',
    modelFileName: 'decoder_model_merged',
    externalData: { 'decoder_model_merged.onnx': 1 },
  },
  {
    id: 'tiny-random/deepseek-coder-instruct',
    source: 'dev-mirror',
    dtypes: ['q4f16', 'q4', 'fp32'],
    owned_by: 'deepseek-coder-web',
    modelFileName: DEFAULT_MODEL_FILE_NAME,
  },
  {
    // Laid out like Xenova's base export, so the legacy file names are tested.
    id: 'tiny-random/deepseek-coder-base',
    source: 'dev-mirror',
    dtypes: ['q4f16', 'q4', 'fp32'],
    owned_by: 'deepseek-coder-web',
    modelFileName: 'decoder_model_merged',
  },
  {
    // The tiny instruct model's weights in the fused graph (ORT contrib ops for norms and attention,
    // and a num_logits_to_keep input): tests compare it with the plain graph on every runtime.
    id: 'tiny-random/deepseek-coder-instruct-fused',
    source: 'dev-mirror',
    dtypes: ['q4f16', 'q4', 'fp32'],
    owned_by: 'deepseek-coder-web',
    modelFileName: DEFAULT_MODEL_FILE_NAME,
    unlisted: true,
  },
  {
    // DeepSeek Coder 1.3B's exact shape with random weights, for the benchmarks and real-size checks.
    id: 'full-random/deepseek-coder-1.3b-instruct',
    source: 'dev-mirror',
    dtypes: ['q4', 'q4f16', 'q8'],
    owned_by: 'deepseek-coder-web',
    modelFileName: DEFAULT_MODEL_FILE_NAME,
    unlisted: true,
  },
];

export function catalogEntry(id: string): CatalogEntry | undefined {
  return CATALOG.find((entry) => entry.id === id);
}

/** A hub repository id: `owner/name`, the characters the hub allows. */
export function isHubModelId(id: string): boolean {
  return /^[\w.-]+\/[\w.-]+$/.test(id) && !id.includes('..');
}

/**
 * The base URL serving a model's files in hub layout: the dev mirror for the
 * test models (only where one runs), huggingface.co for any other hub id.
 */
export function resolveModelHost(modelId: string, devModelHost: string | null): string {
  if (catalogEntry(modelId)?.source === 'dev-mirror') {
    if (!devModelHost) throw modelNotFound(modelId, 'is a test model, served only by the dev and test servers.');
    return devModelHost;
  }
  if (!isHubModelId(modelId)) {
    throw invalidRequest(`'${modelId}' is not a Hugging Face model id of the form 'owner/name'.`, 'model');
  }
  return HUB_HOST;
}
