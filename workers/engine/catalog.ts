import { invalidRequest, modelNotFound } from '../../src/protocol/errors.ts';
import { isHubModelId, parseGgufModelId } from '../../src/protocol/model-id.ts';
import { DEFAULT_MODEL_ID, type Device, type Dtype } from '../../src/protocol/types.ts';

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
  /** The devices it may run on, where not every one can hold it (a 6.7B model needs WebGPU's memory). */
  devices?: Device[];
}

/**
 * A GGUF checkpoint's dtypes are the converted graph's compute precision: q4f16
 * computes and keeps its KV cache in fp16 (WebGPU with shader-f16), q4 in fp32.
 * Its weights stay in the file's own quantization either way.
 */
export const GGUF_DTYPES: Dtype[] = ['q4f16', 'q4'];

function gguf(id: string, source: CatalogEntry['source'], extra: Partial<CatalogEntry> = {}): CatalogEntry {
  return { id, source, dtypes: GGUF_DTYPES, owned_by: source === 'hub' ? 'deepseek-ai' : 'deepseek-coder-web', modelFileName: DEFAULT_MODEL_FILE_NAME, ...extra };
}

/**
 * The 6.7B models come as GGUF files, converted in the tab: their ONNX exports
 * on the hub hold fp16 (14.6 GB) or fp32 (27 GB) weights and no 4-bit ones.
 * The 1.3B base model's 4-bit GGUF (TheBloke's) comes before Xenova's 8-bit
 * ONNX export, so it is the one infill suggests on WebGPU (on WASM, where 4-bit
 * graphs are slow, `baseModelFor` suggests the 8-bit export).
 */
export const CATALOG: readonly CatalogEntry[] = [
  {
    id: DEFAULT_MODEL_ID,
    source: 'hub',
    dtypes: ['q4f16', 'q4', 'q8', 'fp16', 'fp32'],
    owned_by: 'deepseek-ai',
    modelFileName: DEFAULT_MODEL_FILE_NAME,
  },
  gguf('TheBloke/deepseek-coder-1.3b-base-GGUF/deepseek-coder-1.3b-base.Q4_0.gguf', 'hub'),
  gguf('TheBloke/deepseek-coder-6.7B-instruct-GGUF/deepseek-coder-6.7b-instruct.Q4_0.gguf', 'hub', { devices: ['webgpu'] }),
  gguf('TheBloke/deepseek-coder-6.7B-instruct-GGUF/deepseek-coder-6.7b-instruct.Q4_K_M.gguf', 'hub', { devices: ['webgpu'] }),
  gguf('TheBloke/deepseek-coder-6.7B-base-GGUF/deepseek-coder-6.7b-base.Q4_0.gguf', 'hub', { devices: ['webgpu'] }),
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
  // The tiny models' weights as GGUF files, in each quantization the converter reads.
  gguf('tiny-random/deepseek-coder-instruct/deepseek-coder-instruct.Q4_0.gguf', 'dev-mirror'),
  gguf('tiny-random/deepseek-coder-instruct/deepseek-coder-instruct.Q8_0.gguf', 'dev-mirror'),
  gguf('tiny-random/deepseek-coder-instruct-kquant/deepseek-coder-instruct-kquant.Q4_K_M.gguf', 'dev-mirror'),
  gguf('tiny-random/deepseek-coder-base/deepseek-coder-base.Q4_0.gguf', 'dev-mirror'),
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
  gguf('full-random/deepseek-coder-1.3b-instruct/deepseek-coder-1.3b-instruct.Q4_0.gguf', 'dev-mirror', { unlisted: true }),
  // DeepSeek Coder 6.7B's shape, only as a GGUF file (scripts/measure-gguf-browser.ts), on WebGPU only as the hub's 6.7B files.
  gguf('full-random/deepseek-coder-6.7b-instruct/deepseek-coder-6.7b-instruct.Q4_0.gguf', 'dev-mirror', { unlisted: true, devices: ['webgpu'] }),
];

export function catalogEntry(id: string): CatalogEntry | undefined {
  return CATALOG.find((entry) => entry.id === id);
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
  if (!isHubModelId(modelId) && !parseGgufModelId(modelId)) {
    throw invalidRequest(`'${modelId}' is not a Hugging Face model id of the form 'owner/name', nor a GGUF file 'owner/name/file.gguf'.`, 'model');
  }
  return HUB_HOST;
}
