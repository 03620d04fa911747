import { describe, expect, it } from 'vitest';
import { distinctTitles, modelOwner, modelTitle } from '../../src/ui/model-names.ts';

describe('modelTitle', () => {
  it('reads the catalog ids as people name the models', () => {
    expect(modelTitle('onnx-community/deepseek-coder-1.3b-instruct-ONNX')).toBe('DeepSeek Coder 1.3B Instruct');
    expect(modelTitle('Xenova/deepseek-coder-1.3b-base')).toBe('DeepSeek Coder 1.3B Base');
    expect(modelTitle('tiny-random/deepseek-coder-instruct')).toBe('Tiny test model (random weights) · Instruct');
    expect(modelTitle('tiny-random/deepseek-coder-base')).toBe('Tiny test model (random weights) · Base');
    expect(modelTitle('full-random/deepseek-coder-1.3b-instruct')).toBe('Full-size test model (random weights) · 1.3B Instruct');
  });

  it('keeps versions and mixed case of other models, and upper-cases sizes', () => {
    expect(modelTitle('onnx-community/Qwen2.5-Coder-0.5B-Instruct')).toBe('Qwen2.5 Coder 0.5B Instruct');
    expect(modelTitle('someone/tiny_coder-v2_ONNX')).toBe('Tiny Coder V2');
    expect(modelTitle('a/b-7b')).toBe('B 7B');
  });

  it('falls back to the id when nothing is left to read', () => {
    expect(modelTitle('owner/-onnx')).toBe('owner/-onnx');
  });
});

describe('modelOwner and distinctTitles', () => {
  it('splits the owner off', () => {
    expect(modelOwner('Xenova/deepseek-coder-1.3b-base')).toBe('Xenova');
    expect(modelOwner('no-owner')).toBe('');
  });

  it('adds the owner only where two titles would be the same', () => {
    const titles = distinctTitles(['a/deepseek-coder-1.3b-base', 'b/deepseek-coder-1.3b-base', 'c/other']);
    expect([...titles.values()]).toEqual(['DeepSeek Coder 1.3B Base (a)', 'DeepSeek Coder 1.3B Base (b)', 'Other']);
  });
});
