import { describe, expect, it } from 'vitest';
import { isSoftwareAdapter } from '../../workers/engine/software-adapter.ts';

describe('isSoftwareAdapter', () => {
  it('takes isFallbackAdapter, on the adapter or in its info', () => {
    expect(isSoftwareAdapter({ isFallbackAdapter: true })).toBe(true);
    expect(isSoftwareAdapter({ info: { isFallbackAdapter: true } })).toBe(true);
  });

  it('recognises SwiftShader and other software renderers by their adapter info', () => {
    // What Debian's Chromium reports on a machine without a GPU.
    expect(isSoftwareAdapter({ info: { vendor: 'google', architecture: 'swiftshader', description: '' } })).toBe(true);
    expect(isSoftwareAdapter({ info: { vendor: 'mesa', description: 'llvmpipe (LLVM 17.0.6, 256 bits)' } })).toBe(true);
    expect(isSoftwareAdapter({ info: { vendor: 'microsoft', description: 'Microsoft Basic Render Driver' } })).toBe(true);
  });

  it('keeps real GPUs', () => {
    expect(isSoftwareAdapter({ info: { vendor: 'apple', architecture: 'metal-3' } })).toBe(false);
    expect(isSoftwareAdapter({ info: { vendor: 'nvidia', architecture: 'ampere', description: 'NVIDIA GeForce RTX 3080' } })).toBe(false);
    expect(isSoftwareAdapter({ isFallbackAdapter: false, info: { vendor: 'amd', architecture: 'rdna-3' } })).toBe(false);
    expect(isSoftwareAdapter({})).toBe(false);
  });
});
