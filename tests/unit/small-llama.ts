import onnxProto from 'onnx-proto';
import { buildGraph, modelProto, type BuildOptions, type LlamaConfig, type Tensor, type WeightSource } from '../../workers/model-build/graph.ts';

const { onnx } = onnxProto;

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

/** A model file's bytes; `nodesLast` puts the nodes in a second graph field after the weights, as the fixture writer does. */
export async function modelFileBytes(config: LlamaConfig, weights: WeightSource, options: BuildOptions, nodesLast = false): Promise<Uint8Array> {
  const initializers: Tensor[] = [];
  const graph = await buildGraph(config, weights, options, (tensor) => void initializers.push(tensor));
  graph.initializer = initializers;
  if (!nodesLast) return onnx.ModelProto.encode(modelProto(graph)).finish();
  const nodes = graph.node;
  graph.node = [];
  const head = onnx.ModelProto.encode(modelProto(graph)).finish();
  const tail = onnx.ModelProto.encode({ graph: { node: nodes } }).finish();
  return new Uint8Array([...head, ...tail]);
}
