import { afterEach, describe, expect, it } from 'vitest';
import { parseOptions } from '../../scripts/bench-full/options.ts';

describe('bench:full options', () => {
  afterEach(() => {
    delete process.env.BENCH_PROMPT_TOKENS;
    delete process.env.BENCH_ENGINES;
  });

  it("defaults to issue 9's figures on the tiny model, in the dtype the app picks on WASM, all three engines", () => {
    expect(parseOptions([])).toMatchObject({
      model: 'tiny-random/deepseek-coder-instruct',
      dtype: 'q8',
      gguf: null,
      promptTokens: 512,
      decodeTokens: 128,
      historyTokens: 2000,
      threads: 2,
      engines: ['ours', 'transformers.js', 'wllama'],
      fidelity: true,
      fidelitySource: 'onnx',
      skipBuild: false,
    });
  });

  it('takes flags and environment variables; a flag wins', () => {
    process.env.BENCH_PROMPT_TOKENS = '64';
    process.env.BENCH_ENGINES = 'ours,wllama';
    expect(parseOptions([]).promptTokens).toBe(64);
    expect(parseOptions(['--prompt-tokens=32', '--skip-build', '--fidelity=false', '--fidelity-source=gguf'])).toMatchObject({
      promptTokens: 32,
      engines: ['ours', 'wllama'],
      skipBuild: true,
      fidelity: false,
      fidelitySource: 'gguf',
    });
  });

  it('rejects what it cannot run, naming the flag', () => {
    expect(() => parseOptions(['--decode-tokens=1'])).toThrow('--decode-tokens must be an integer ≥ 2');
    expect(() => parseOptions(['--threads=two'])).toThrow('--threads');
    expect(() => parseOptions(['--engines=ours,llama.cpp'])).toThrow('--engines');
    expect(() => parseOptions(['--dtype=q3'])).toThrow('--dtype');
    expect(() => parseOptions(['--fidelity-source=q4'])).toThrow('--fidelity-source');
  });
});
