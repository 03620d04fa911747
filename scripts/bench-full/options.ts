/**
 * The benchmark's parameters. Each is a CLI flag (`--prompt-tokens=512`) or an
 * environment variable (`BENCH_PROMPT_TOKENS=512`); the flag wins. Defaults are
 * issue 9's figures, which the tiny model also runs in seconds.
 */
import type { Dtype } from '../../src/protocol/types.ts';

export const ENGINE_NAMES = ['ours', 'transformers.js', 'wllama'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

export interface BenchOptions {
  /** Hub id of the ONNX model under the mirror; its repository also holds the GGUF. */
  model: string;
  dtype: Dtype;
  /** The GGUF file in the model's repository; null: the first `.gguf` its listing shows. */
  gguf: string | null;
  promptTokens: number;
  decodeTokens: number;
  historyTokens: number;
  threads: number;
  /** Tokens decoded on WebGPU (SwiftShader, seconds a token on a CPU): a correctness check, kept short. */
  webgpuTokens: number;
  webgpuPromptTokens: number;
  engines: EngineName[];
  fidelity: boolean;
  /** Run only the fidelity check: at full size on a small machine the speed figures take an hour. */
  fidelityOnly: boolean;
  /**
   * What our side of the fidelity check loads: 'onnx', the repository's q4 graph; 'gguf', the GGUF file
   * itself, converted in the tab, so llama.cpp checks the converter's graph on the file it reads.
   */
  fidelitySource: 'onnx' | 'gguf';
  /** Port of the preview server; 0 picks a free one. */
  port: number;
  /** Where the JSON result goes. */
  out: string;
  /** Reuse the test build already in `dist-test-bench` instead of building it again. */
  skipBuild: boolean;
}

const DTYPES: readonly Dtype[] = ['q4', 'q4f16', 'q8', 'fp16', 'fp32'];

function raw(name: string, argv: string[]): string | undefined {
  const flag = argv.find((argument) => argument === `--${name}` || argument.startsWith(`--${name}=`));
  if (flag !== undefined) return flag.includes('=') ? flag.slice(flag.indexOf('=') + 1) : 'true';
  return process.env[`BENCH_${name.toUpperCase().replaceAll('-', '_')}`];
}

function count(name: string, argv: string[], fallback: number, min: number): number {
  const value = raw(name, argv);
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min) throw new Error(`--${name} must be an integer ≥ ${min}, got "${value}".`);
  return parsed;
}

function flag(name: string, argv: string[], fallback: boolean): boolean {
  const value = raw(name, argv);
  if (value === undefined) return fallback;
  if (value !== 'true' && value !== 'false' && value !== '1' && value !== '0') throw new Error(`--${name} must be true or false, got "${value}".`);
  return value === 'true' || value === '1';
}

function fidelitySource(argv: string[]): BenchOptions['fidelitySource'] {
  const value = raw('fidelity-source', argv) ?? 'onnx';
  if (value !== 'onnx' && value !== 'gguf') throw new Error(`--fidelity-source must be onnx or gguf, got "${value}".`);
  return value;
}

export function parseOptions(argv: string[]): BenchOptions {
  const dtype = (raw('dtype', argv) ?? 'q8') as Dtype;
  if (!DTYPES.includes(dtype)) throw new Error(`--dtype must be one of ${DTYPES.join(', ')}, got "${dtype}".`);
  const engines = (raw('engines', argv) ?? ENGINE_NAMES.join(',')).split(',').map((name) => name.trim());
  for (const name of engines) {
    if (!(ENGINE_NAMES as readonly string[]).includes(name)) throw new Error(`--engines takes ${ENGINE_NAMES.join(', ')}; got "${name}".`);
  }
  return {
    model: raw('model', argv) ?? 'tiny-random/deepseek-coder-instruct',
    dtype,
    gguf: raw('gguf', argv) ?? null,
    promptTokens: count('prompt-tokens', argv, 512, 2),
    decodeTokens: count('decode-tokens', argv, 128, 2),
    historyTokens: count('history-tokens', argv, 2000, 16),
    threads: count('threads', argv, 2, 1),
    webgpuTokens: count('webgpu-tokens', argv, 4, 0),
    webgpuPromptTokens: count('webgpu-prompt-tokens', argv, 16, 2),
    engines: engines as EngineName[],
    fidelity: flag('fidelity', argv, true),
    fidelityOnly: flag('fidelity-only', argv, false),
    fidelitySource: fidelitySource(argv),
    port: count('port', argv, 0, 0),
    out: raw('out', argv) ?? '.test-output/bench-full.json',
    skipBuild: flag('skip-build', argv, false),
  };
}
