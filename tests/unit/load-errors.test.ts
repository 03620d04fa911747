import { describe, expect, it } from 'vitest';
import { DownloadGuard } from '../../workers/engine/download-guard.ts';
import { DownloadServerError, loadFailure, plainRuntimeError } from '../../workers/engine/load-errors.ts';

const FILE = 'https://huggingface.co/onnx-community/deepseek-coder-1.3b-instruct-ONNX/resolve/main/onnx/model_q4f16.onnx';

describe('the download guard', () => {
  it('fails the load as the server’s fault on a 5xx, naming the file', async () => {
    const guard = new DownloadGuard(async () => new Response('boom', { status: 500 }), undefined);
    await expect(guard.fetch(FILE)).rejects.toBeInstanceOf(DownloadServerError);
    const error = await guard.failed.catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ status: 500, file: 'onnx/model_q4f16.onnx' });
    const api = loadFailure('m/x', error);
    expect(api.error).toMatchObject({ code: 'server_failed', type: 'server_error' });
    expect(api.message).toMatch(/server failed .*HTTP 500.*Retry/);
  });
});

describe('load failures', () => {
  it('put a plain sentence before the runtime’s words, and keep those apart in details', () => {
    const raw = "Can't create a session. ERROR_CODE: 7, ERROR_MESSAGE: Failed to load model because protobuf parsing failed.";
    const api = loadFailure('m/x', new Error(raw));
    expect(api.message).not.toContain('ERROR_CODE');
    expect(api.message).toMatch(/^Loading 'm\/x' failed: the runtime could not read the model files/);
    expect(api.error.details).toBe(raw);
  });
});

describe('runtime failures while running', () => {
  it('become a plain sentence with the runtime’s words in details; API errors and other errors pass as they are', () => {
    const raw = 'failed to call OrtRun(). ERROR_CODE: 1, ERROR_MESSAGE: Failed to download data from buffer.';
    expect(plainRuntimeError(new Error(raw))).toMatchObject({ status: 500, error: { code: 'runtime_error', details: raw } });
    expect((plainRuntimeError(new Error(raw)) as Error).message).not.toContain('ERROR_CODE');
    const other = new Error('something else');
    expect(plainRuntimeError(other)).toBe(other);
  });
});
