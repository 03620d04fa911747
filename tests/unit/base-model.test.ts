import { describe, expect, it } from 'vitest';
import { baseModelFor } from '../../src/ui/base-model.ts';

const GGUF_BASE = 'TheBloke/deepseek-coder-1.3b-base-GGUF/deepseek-coder-1.3b-base.Q4_0.gguf';
const PRODUCTION = [
  'onnx-community/deepseek-coder-1.3b-instruct-ONNX',
  GGUF_BASE,
  'TheBloke/deepseek-coder-6.7B-base-GGUF/deepseek-coder-6.7b-base.Q4_0.gguf',
  'Xenova/deepseek-coder-1.3b-base',
];
const DEV = [
  ...PRODUCTION,
  'tiny-random/deepseek-coder-instruct',
  'tiny-random/deepseek-coder-base',
  'tiny-random/deepseek-coder-base/deepseek-coder-base.Q4_0.gguf',
];

describe('baseModelFor', () => {
  it('suggests the tiny base model for the tiny instruct model', () => {
    expect(baseModelFor('tiny-random/deepseek-coder-instruct', DEV, 'wasm')).toBe('tiny-random/deepseek-coder-base');
    expect(baseModelFor('tiny-random/deepseek-coder-instruct', DEV, 'webgpu')).toBe('tiny-random/deepseek-coder-base');
  });

  it('on WebGPU, suggests the 1.3B base model as a 4-bit GGUF, listed first', () => {
    expect(baseModelFor('onnx-community/deepseek-coder-1.3b-instruct-ONNX', PRODUCTION, 'webgpu')).toBe(GGUF_BASE);
  });

  it('on WASM, where 4-bit graphs decode about 10× slower, suggests the 8-bit ONNX export instead', () => {
    expect(baseModelFor('onnx-community/deepseek-coder-1.3b-instruct-ONNX', PRODUCTION, 'wasm')).toBe('Xenova/deepseek-coder-1.3b-base');
    expect(baseModelFor('onnx-community/deepseek-coder-1.3b-instruct-ONNX', DEV, 'wasm')).toBe('Xenova/deepseek-coder-1.3b-base');
  });

  it('prefers the same size over the device: a 6.7B instruct model gets the 6.7B base GGUF', () => {
    expect(baseModelFor('TheBloke/deepseek-coder-6.7B-instruct-GGUF/deepseek-coder-6.7b-instruct.Q4_0.gguf', PRODUCTION, 'webgpu')).toBe(
      'TheBloke/deepseek-coder-6.7B-base-GGUF/deepseek-coder-6.7b-base.Q4_0.gguf',
    );
  });

  it('falls back to a GGUF base model on WASM when it is the only one', () => {
    expect(baseModelFor('onnx-community/deepseek-coder-1.3b-instruct-ONNX', PRODUCTION.slice(0, 2), 'wasm')).toBe(GGUF_BASE);
  });

  it('suggests nothing for a base model, or when the catalog has no base model', () => {
    expect(baseModelFor('tiny-random/deepseek-coder-base', DEV, 'wasm')).toBeNull();
    expect(baseModelFor('Xenova/deepseek-coder-1.3b-base', DEV, 'wasm')).toBeNull();
    expect(baseModelFor(GGUF_BASE, DEV, 'webgpu')).toBeNull();
    expect(baseModelFor('tiny-random/deepseek-coder-instruct', PRODUCTION.slice(0, 1), 'wasm')).toBeNull();
  });
});
