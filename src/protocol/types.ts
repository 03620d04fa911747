/**
 * The OpenAI-shaped wire types. Every transport (the in-page client, the worker,
 * later the service worker) speaks these; nothing else re-declares them.
 */

/** The model the playground and the docs start from: DeepSeek Coder 1.3B Instruct. */
export const DEFAULT_MODEL_ID = 'onnx-community/deepseek-coder-1.3b-instruct-ONNX';

export type Role = 'system' | 'user' | 'assistant' | 'tool';

export interface TextContentPart {
  type: 'text';
  text: string;
}

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** A message as a caller may write it: content as a string or as text parts. */
export interface ChatMessageParam {
  role: Role;
  content: string | TextContentPart[] | null;
  name?: string;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
}

/** A validated message: content flattened to a string. */
export interface ChatMessage {
  role: Role;
  content: string;
  name?: string;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
}

export interface StreamOptions {
  include_usage?: boolean;
}

/** A JSON Schema, as plain JSON. */
export type JsonSchema = Record<string, unknown>;

export interface FunctionTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: JsonSchema; strict?: boolean | null };
}

export type ToolChoice = 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; json_schema: { name: string; description?: string; schema?: JsonSchema; strict?: boolean | null } };

/** The sampling and length parameters chat and completions share. */
export interface SamplingRequestFields {
  temperature?: number | null;
  top_p?: number | null;
  top_k?: number | null;
  min_p?: number | null;
  max_tokens?: number | null;
  frequency_penalty?: number | null;
  presence_penalty?: number | null;
  repetition_penalty?: number | null;
  logit_bias?: Record<string, number> | null;
  stop?: string | string[] | null;
  seed?: number | null;
  n?: number | null;
  user?: string;
  stream?: boolean | null;
  stream_options?: StreamOptions | null;
}

/** A chat request as a caller writes it. Unvalidated: see `validateChatRequest`. */
export interface ChatCompletionRequest extends SamplingRequestFields {
  model: string;
  messages: ChatMessageParam[];
  max_completion_tokens?: number | null;
  logprobs?: boolean | null;
  top_logprobs?: number | null;
  response_format?: ResponseFormat | null;
  tools?: FunctionTool[] | null;
  tool_choice?: ToolChoice | null;
  parallel_tool_calls?: boolean | null;
}

/** A completions request: raw text, or fill-in-the-middle when `suffix` is given. */
export interface CompletionRequest extends SamplingRequestFields {
  model: string;
  prompt: string | string[];
  suffix?: string | null;
  echo?: boolean | null;
  /** The legacy API's count of top alternatives per token, 0 to 20. */
  logprobs?: number | null;
}

/** A validated request with every default filled in: what the decode loop runs. */
export interface GenerationParams {
  temperature: number;
  topP: number;
  topK: number;
  minP: number;
  maxTokens: number | null;
  frequencyPenalty: number;
  presencePenalty: number;
  repetitionPenalty: number;
  /** Token id → bias added to its logit. */
  logitBias: ReadonlyMap<number, number>;
  stop: string[];
  seed: number | null;
  /** How many alternatives to report per token; null when log probabilities are off. */
  topLogprobs: number | null;
}

/** What shapes the output beyond sampling: free text, a JSON grammar, or tool calls. */
export type OutputConstraint =
  | { kind: 'text' }
  | { kind: 'json_object' }
  | { kind: 'json_schema'; schema: JsonSchema; param: string }
  | { kind: 'tools'; tools: FunctionTool[]; choice: 'auto' | 'required' | { name: string } };

export interface ValidChatRequest {
  model: string;
  messages: ChatMessage[];
  params: GenerationParams;
  n: number;
  stream: boolean;
  includeUsage: boolean;
  output: OutputConstraint;
  /** Tools described to the model in the prompt; empty when tool_choice is 'none' or there are none. */
  tools: FunctionTool[];
}

export interface ValidCompletionRequest {
  model: string;
  prompt: string;
  suffix: string | null;
  echo: boolean;
  params: GenerationParams;
  n: number;
  stream: boolean;
  includeUsage: boolean;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /**
   * As in OpenAI's usage: `cached_tokens` is how much of the prompt the engine's
   * KV cache already held (from the previous request), so prefill skipped it.
   * Always present in our responses; optional because older exports lack it.
   */
  prompt_tokens_details?: { cached_tokens: number };
}

/**
 * Our documented extra field on completions and final chunks: how long things took.
 * OpenAI clients ignore unknown fields, so this rides along safely.
 */
export interface Timings {
  /** Milliseconds from request start (after queueing) to the first generated token. */
  time_to_first_token_ms: number;
  /** Over the prompt tokens actually computed: those found in the KV cache (`usage.prompt_tokens_details.cached_tokens`) are left out. */
  prefill_tokens_per_second: number;
  decode_tokens_per_second: number;
}

export interface TopLogprob {
  token: string;
  logprob: number;
  /** The token's UTF-8 bytes: a token can hold part of a character, which `token` cannot show. */
  bytes: number[] | null;
}

export interface TokenLogprob extends TopLogprob {
  top_logprobs: TopLogprob[];
}

export interface ChatLogprobs {
  content: TokenLogprob[] | null;
  refusal: null;
}

export interface AssistantMessage {
  role: 'assistant';
  content: string | null;
  refusal: null;
  tool_calls?: ToolCall[];
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  system_fingerprint: string;
  choices: {
    index: number;
    message: AssistantMessage;
    logprobs: ChatLogprobs | null;
    finish_reason: FinishReason;
  }[];
  usage: Usage;
  timings: Timings;
}

export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function: { name?: string; arguments: string };
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  system_fingerprint: string;
  choices: {
    index: number;
    delta: { role?: 'assistant'; content?: string; tool_calls?: ToolCallDelta[] };
    logprobs: ChatLogprobs | null;
    finish_reason: FinishReason | null;
  }[];
  usage?: Usage | null;
  /** On the chunk that finishes each choice. */
  timings?: Timings;
}

/** The legacy completions API's log probabilities: parallel arrays, one entry per token. */
export interface CompletionLogprobs {
  tokens: string[];
  token_logprobs: (number | null)[];
  top_logprobs: (Record<string, number> | null)[];
  text_offset: number[];
}

export interface CompletionChoice {
  index: number;
  text: string;
  logprobs: CompletionLogprobs | null;
  finish_reason: FinishReason | null;
}

/** A completion, and also the shape of each streamed completion chunk (as in OpenAI's API). */
export interface Completion {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  system_fingerprint: string;
  choices: CompletionChoice[];
  usage?: Usage | null;
  timings?: Timings;
}

export type CompletionChunk = Completion;

export interface ModelObject {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
  /** Our extras: whether the model is running now, and whether its files are in the browser cache. */
  loaded: boolean;
  cached: boolean;
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
  /**
   * WebAssembly threads (1 to MAX_WASM_THREADS). ONNX Runtime fixes its
   * thread pool when it starts, at a page's first load: a later load may only
   * repeat the number.
   */
  wasm_threads?: number;
}

export const MAX_WASM_THREADS = 16;

export interface LoadedModel {
  id: string;
  device: Device;
  dtype: Dtype;
  /** Why this device/dtype pair was chosen, for people reading the UI. */
  reason: string;
  /** ORT's WASM thread count; 1 when the page is not cross-origin isolated. */
  wasm_threads: number;
  context_length: number;
  /** KV-cache bytes one token of context costs, from the model's layers and its cache dtype. */
  kv_bytes_per_token: number;
}

/** How the runtime read the loaded model's graph: a diagnostic for tests and benchmarks. */
export interface SessionReport {
  /** The session's input names: `num_logits_to_keep` where the graph takes it, its own or added when it was read split. */
  inputs: string[];
  /** The session's output names: `fresh.*` where the worker keeps the KV cache (WASM). */
  outputs: string[];
  /** Whether the runtime read the weights a tensor at a time from a Blob (the cached file, on disk), rather than from a copy of the whole file handed over. */
  weights_per_tensor: boolean;
  /** How many of those tensors a helper thread had read ahead, in the order an earlier load of the file recorded; 0 where none. */
  weights_read_ahead: number;
}

/**
 * What the engine is doing, whoever asked it: published to the page on every
 * change, so the playground follows loads made through `window.deepseek` or /v1.
 */
export interface EngineState {
  /** Grows with every change, so a message that arrives late never replaces a newer state. */
  revision: number;
  /** The model requests can use now. It stays while a load waits its turn, until that load starts replacing it. */
  loaded: LoadedModel | null;
  /** The latest load asked for: waiting behind requests in the queue, or running. */
  load: { model: string; status: 'queued' | 'loading' } | null;
  /** Chat and completion requests running or waiting in the queue. */
  active_requests: number;
  /** The running generation's prompt, once tokenized: the context it starts from. */
  generation: { model: string; prompt_tokens: number; cached_tokens: number } | null;
}

export interface LoadProgress {
  /**
   * 'convert' while a GGUF file is read and converted into an ONNX graph (bytes
   * of the file); 'download' while files arrive (from the network or the
   * browser cache); 'prepare' once they all have, while the runtime builds its
   * session from them (seconds for a 1 GB model); 'ready' once the model can run.
   */
  stage: 'convert' | 'download' | 'prepare' | 'ready';
  loaded_bytes: number;
  total_bytes: number;
  /** 0..100 over all files whose size is known. */
  percent: number;
  file?: string;
  /** Said once, when the load repairs the browser cache: which cached files were damaged and are fetched again. */
  notice?: string;
}

/** The WebGPU adapter as GPUAdapterInfo and GPUSupportedLimits describe it. */
export interface GpuAdapterReport {
  vendor: string;
  architecture: string;
  description: string;
  /** Bytes one GPU buffer may hold, and one storage binding may see: a weight tensor must fit both. */
  max_buffer_size: number;
  max_storage_buffer_binding_size: number;
  /**
   * A software renderer (SwiftShader and the like: `isFallbackAdapter`, or its adapter info says so), not a GPU. It
   * decodes many times slower than WebAssembly, so the automatic choice treats it as no GPU.
   */
  software: boolean;
}

export interface DeviceReport {
  webgpu: boolean;
  shader_f16: boolean;
  adapter: string | null;
  /** Null without a WebGPU adapter. */
  gpu: GpuAdapterReport | null;
  cross_origin_isolated: boolean;
  wasm_threads: number;
  recommended: { device: Device; dtype: Dtype; reason: string };
}

export interface ApiErrorBody {
  message: string;
  type: 'invalid_request_error' | 'server_error' | 'not_found_error' | 'cancelled';
  param: string | null;
  code: string | null;
  /**
   * Not in OpenAI's shape: the runtime's own words ("ERROR_CODE: 7, …") when the
   * message is a plain sentence about them, for a "details" disclosure.
   */
  details?: string;
}
