import type { LlamaConfig } from '../../workers/model-build/graph.ts';

/** A Llama that builds in milliseconds, with DeepSeek Coder's norm and rotary settings; each test overrides what it needs. */
export const SMALL_LLAMA: LlamaConfig = {
  vocabSize: 320,
  hiddenSize: 64,
  intermediateSize: 96,
  numLayers: 2,
  numHeads: 4,
  headDim: 16,
  rmsNormEps: 1e-6,
  ropeTheta: 100000,
  ropeLinearFactor: 4,
};
