/**
 * What a failed load tells the user: one plain sentence about what went
 * wrong and what to do, with the runtime's own words (such as "ERROR_CODE: 7,
 * protobuf parsing failed") kept apart in `details`, never in place of it.
 */
import { ApiError, modelNotFound } from '../../src/protocol/errors.ts';

/** Whether the browser says it is offline; outside a browser (Node) nothing says so. */
export function browserOffline(): boolean {
  return globalThis.navigator?.onLine === false;
}

/** A download the server answered with an error status (5xx), or with part of a file asked for whole. */
export class DownloadServerError extends Error {
  constructor(
    readonly status: number,
    readonly url: string,
  ) {
    super(`The server answered HTTP ${status} for ${url}.`);
    this.name = 'DownloadServerError';
  }

  /** The file's path in its repository: `onnx/model_q4.onnx`. */
  get file(): string {
    return decodeURIComponent(/\/resolve\/[^/]+\/(.+)$/.exec(new URL(this.url).pathname)?.[1] ?? this.url);
  }
}

/** Words of the runtime (ONNX Runtime, protobuf) that mean it could not build a session from the model's bytes. */
const RUNTIME_FAILURE = /ERROR_CODE|protobuf|Can't create a session|failed to load model|Deserialize tensor|ORT_|ONNX/i;

/** A runtime failure while running a model: a plain sentence, the runtime's words in `details`; anything else as it is. */
export function plainRuntimeError(error: unknown): unknown {
  if (error instanceof ApiError || !(error instanceof Error) || !RUNTIME_FAILURE.test(error.message)) return error;
  return new ApiError(
    { message: 'The model runtime failed while running the model. Try again; if it keeps failing, load the model again.', type: 'server_error', param: null, code: 'runtime_error', details: error.message },
    500,
  );
}

export function loadFailure(modelId: string, error: unknown): ApiError {
  const raw = error instanceof Error ? error.message : String(error);
  if (error instanceof DownloadServerError) {
    return new ApiError(
      {
        message: `The model server failed while sending '${error.file}' (HTTP ${error.status}). This is the server's fault, not this device's: press Retry; files already downloaded stay cached.`,
        type: 'server_error',
        param: 'model',
        code: 'server_failed',
      },
      502,
    );
  }
  if (/Could not locate file|404|not found/i.test(raw)) {
    return modelNotFound(modelId, `could not be found on the hub (${raw}).`);
  }
  if (/failed to fetch|network|load failed/i.test(raw) && browserOffline()) {
    return new ApiError(
      {
        message: `'${modelId}' is not downloaded, and the browser is offline: loading it needs the network. Models marked "Available offline" in the library load without it.`,
        type: 'server_error',
        param: 'model',
        code: 'network_error',
      },
      503,
    );
  }
  if (/failed to fetch|network|load failed/i.test(raw)) {
    return new ApiError(
      {
        message: `Downloading '${modelId}' failed: the network request did not complete (${raw}). Check your connection and press Load again; files already downloaded stay cached.`,
        type: 'server_error',
        param: 'model',
        code: 'network_error',
      },
      502,
    );
  }
  const message = RUNTIME_FAILURE.test(raw)
    ? `Loading '${modelId}' failed: the runtime could not read the model files, although the cached copies were checked and fetched again where damaged.`
    : `Loading '${modelId}' failed.`;
  return new ApiError({ message, type: 'server_error', param: 'model', code: 'model_load_failed', details: raw }, 502);
}
