import { describe, expect, it } from 'vitest';
import { defaultDtype, defaultWasmThreads, preferredDtypes } from '../../src/protocol/runtime.ts';

const withF16 = { shader_f16: true };
const withoutF16 = { shader_f16: false };

describe('default dtype', () => {
  it('is q8 on WASM, where only 8-bit weights have integer SIMD kernels', () => {
    expect(defaultDtype('wasm', withoutF16, null)).toBe('q8');
    expect(defaultDtype('wasm', withoutF16, ['q4f16', 'q4', 'q8', 'fp16', 'fp32'])).toBe('q8');
  });

  it('falls back along the preference order for a model not published in q8', () => {
    // The tiny test models: q4 beats q4f16 on the CPU.
    expect(defaultDtype('wasm', withoutF16, ['q4f16', 'q4', 'fp32'])).toBe('q4');
    expect(defaultDtype('wasm', withoutF16, ['fp32'])).toBe('fp32');
  });

  it('is 4-bit on WebGPU, with fp16 math only where the adapter has shader-f16', () => {
    expect(defaultDtype('webgpu', withF16, ['q4f16', 'q4', 'q8'])).toBe('q4f16');
    expect(defaultDtype('webgpu', withoutF16, ['q4f16', 'q4', 'q8'])).toBe('q4');
    // Xenova's base export: q8 and fp32 only; MatMulInteger has no WebGPU kernel, so fp32.
    expect(defaultDtype('webgpu', withoutF16, ['q8', 'fp32'])).toBe('fp32');
  });

  it('takes the first published dtype when none is preferred', () => {
    expect(defaultDtype('webgpu', withoutF16, ['q8'])).toBe('q8');
  });

  it('never prefers fp16 math on an adapter without shader-f16', () => {
    expect(preferredDtypes('webgpu', withoutF16)).not.toContain('q4f16');
    expect(preferredDtypes('webgpu', withoutF16)).not.toContain('fp16');
  });
});

describe('default WASM threads', () => {
  it('are every core, from 1 up to 4', () => {
    expect(defaultWasmThreads(1, true)).toBe(1);
    expect(defaultWasmThreads(2, true)).toBe(2);
    expect(defaultWasmThreads(4, true)).toBe(4);
    expect(defaultWasmThreads(16, true)).toBe(4);
  });

  it('are 1 without cross-origin isolation, which threads need', () => {
    expect(defaultWasmThreads(8, false)).toBe(1);
  });
});
