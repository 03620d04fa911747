import { describe, expect, it } from 'vitest';
import { baseModelFor } from '../../src/ui/base-model.ts';

const PRODUCTION = ['onnx-community/deepseek-coder-1.3b-instruct-ONNX', 'Xenova/deepseek-coder-1.3b-base'];
const DEV = [...PRODUCTION, 'tiny-random/deepseek-coder-instruct', 'tiny-random/deepseek-coder-base'];

describe('baseModelFor', () => {
  it('suggests the tiny base model for the tiny instruct model', () => {
    expect(baseModelFor('tiny-random/deepseek-coder-instruct', DEV)).toBe('tiny-random/deepseek-coder-base');
  });

  it('suggests the 1.3B base model for the 1.3B instruct model, from another owner', () => {
    expect(baseModelFor('onnx-community/deepseek-coder-1.3b-instruct-ONNX', DEV)).toBe('Xenova/deepseek-coder-1.3b-base');
    expect(baseModelFor('onnx-community/deepseek-coder-1.3b-instruct-ONNX', PRODUCTION)).toBe('Xenova/deepseek-coder-1.3b-base');
  });

  it('suggests nothing for a base model, or when the catalog has no base model', () => {
    expect(baseModelFor('tiny-random/deepseek-coder-base', DEV)).toBeNull();
    expect(baseModelFor('Xenova/deepseek-coder-1.3b-base', DEV)).toBeNull();
    expect(baseModelFor('tiny-random/deepseek-coder-instruct', PRODUCTION.slice(0, 1))).toBeNull();
  });
});
