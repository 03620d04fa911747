import { describe, expect, it } from 'vitest';
import { isHubFileUrl, parseSegmentKey, segmentKey } from '../../workers/engine/resumable-download.ts';

const FILE = 'https://huggingface.co/onnx-community/deepseek-coder-1.3b-instruct-ONNX/resolve/main/onnx/model_q4f16.onnx';

describe('partial download keys', () => {
  it('name the file and the byte offset, and read back', () => {
    const key = segmentKey(FILE, 8_388_608);
    expect(key).not.toBe(FILE);
    expect(parseSegmentKey(key)).toEqual({ url: FILE, offset: 8_388_608 });
  });

  it('are told apart from the files themselves', () => {
    expect(parseSegmentKey(FILE)).toBeNull();
  });
});

describe('hub file URLs', () => {
  it('are files in hub layout, on the hub or on the dev mirror', () => {
    expect(isHubFileUrl(FILE)).toBe(true);
    expect(isHubFileUrl('http://127.0.0.1:5173/hf-mirror/tiny-random/deepseek-coder-base/resolve/main/config.json')).toBe(true);
  });

  it('are not API calls or the runtime files', () => {
    expect(isHubFileUrl('https://huggingface.co/api/models/onnx-community/deepseek-coder-1.3b-instruct-ONNX/tree/main')).toBe(false);
    expect(isHubFileUrl('http://127.0.0.1:5173/ort/ort-wasm-simd-threaded.asyncify.wasm')).toBe(false);
  });
});
