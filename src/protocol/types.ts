/**
 * The OpenAI-shaped wire types. Every transport (the in-page client, the worker,
 * later the service worker) speaks these; nothing else re-declares them.
 */

/** The model the playground and the docs start from: DeepSeek Coder 1.3B Instruct. */
export const DEFAULT_MODEL_ID = 'onnx-community/deepseek-coder-1.3b-instruct-ONNX';

export type Role = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: Role;
  content: string;
}

export interface StreamOptions {
  include_usage?: boolean;
}

/** A chat request as a caller writes it. Unvalidated: see `validateChatRequest`. */
export interface ChatCompletionRequest {
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  top_p?: number;
  top_k?: number;
  min_p?: number;
  max_tokens?: number;
  repetition_penalty?: number;
  stop?: string | string[];
  seed?: number;
  stream?: boolean;
  stream_options?: StreamOptions;
}

/** A validated request with every default filled in: what the engine runs. */
export interface GenerationParams {
  temperature: number;
  topP: number;
  topK: number;
  minP: number;
  maxTokens: number | null;
  repetitionPenalty: number;
  stop: string[];
  seed: number | null;
}

export interface ValidChatRequest {
  model: string;
  messages: ChatMessage[];
  params: GenerationParams;
  stream: boolean;
  includeUsage: boolean;
}

export type FinishReason = 'stop' | 'length';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/**
 * Our documented extra field on completions and final chunks: how long things took.
 * OpenAI clients ignore unknown fields, so this rides along safely.
 */
export interface Timings {
  /** Milliseconds from request start (after queueing) to the first generated token. */
  time_to_first_token_ms: number;
  prefill_tokens_per_second: number;
  decode_tokens_per_second: number;
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  system_fingerprint: string;
  choices: {
    index: number;
    message: { role: 'assistant'; content: string };
    logprobs: null;
    finish_reason: FinishReason;
  }[];
  usage: Usage;
  timings: Timings;
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  system_fingerprint: string;
  choices: {
    index: number;
    delta: { role?: 'assistant'; content?: string };
    logprobs: null;
    finish_reason: FinishReason | null;
  }[];
  usage?: Usage | null;
  timings?: Timings;
}

export interface ModelObject {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

export interface ModelList {
  object: 'list';
  data: ModelObject[];
}

export type Device = 'webgpu' | 'wasm' | 'cpu';
export type Dtype = 'fp32' | 'fp16' | 'q4' | 'q4f16' | 'q8';

export interface LoadOptions {
  device?: Device;
  dtype?: Dtype;
}

export interface LoadedModel {
  id: string;
  device: Device;
  dtype: Dtype;
  /** Why this device/dtype pair was chosen, for people reading the UI. */
  reason: string;
  /** ORT's WASM thread count; 1 when the page is not cross-origin isolated. */
  wasm_threads: number;
  context_length: number;
}

export interface LoadProgress {
  /** 'download' while files arrive (from the network or the browser cache), 'ready' once the model can run. */
  stage: 'download' | 'ready';
  loaded_bytes: number;
  total_bytes: number;
  /** 0..100 over all files whose size is known. */
  percent: number;
  file?: string;
}

export interface DeviceReport {
  webgpu: boolean;
  shader_f16: boolean;
  adapter: string | null;
  cross_origin_isolated: boolean;
  wasm_threads: number;
  recommended: { device: Device; dtype: Dtype; reason: string };
}

export interface ApiErrorBody {
  message: string;
  type: 'invalid_request_error' | 'server_error' | 'not_found_error' | 'cancelled';
  param: string | null;
  code: string | null;
}
