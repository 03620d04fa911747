/**
 * Gives a decoder graph that lacks it the `num_logits_to_keep` input, as the
 * builder's own graphs have it (graph.ts): the positions past the last
 * attention then run only for the rows asked for.
 *
 * Why: a prefill needs the next-token logits after the prompt's last token
 * alone, but the hub's export runs the last layer's MLP, the final norm and
 * lm_head for every position: at full size about 100M of the 1.3B weights'
 * multiply-adds a token, some 7% of a prefill's work, thrown away.
 *
 * Where to cut is found from the graph's structure, not from node names
 * (exports name their nodes differently): walking back from `logits`, each
 * tensor that every path to it passes through is a candidate, and the cut
 * goes at the earliest one after which every op works on each position
 * alone (elementwise ops, norms over the hidden axis, products with constant
 * weights). In a Llama graph that is the residual sum after the last
 * attention. A graph where no cut is found is left as it was.
 *
 * One number changes with the cut: where an activation is quantized with
 * one scale for the whole tensor (DynamicQuantizeLinear, the q8 export), the
 * scale is now taken over the rows kept.
 */
import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';
import { GraphBuilder, NUM_LOGITS_TO_KEEP, lastPositionsSlicer } from './graph.ts';

const { onnx } = onnxProto;

type Node = OnnxTypes.INodeProto;
type Graph = OnnxTypes.IGraphProto;

/** Ops that treat each position on its own, whatever their inputs (those that come from the cut). */
const POSITION_WISE = new Set([
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Pow',
  'Sqrt',
  'Reciprocal',
  'Neg',
  'Sigmoid',
  'Tanh',
  'Erf',
  'Cast',
  'Identity',
  // One scale for the whole tensor: the numbers change a little with the rows kept, the positions do not mix.
  'DynamicQuantizeLinear',
  'MatMulNBits',
  'SimplifiedLayerNormalization',
  'SkipSimplifiedLayerNormalization',
  'LayerNormalization',
]);
/** Products that treat each position on its own when their second operand is a constant weight. */
const WEIGHT_PRODUCTS = new Set(['MatMul', 'MatMulInteger']);
/** Axes of a [batch, sequence, hidden] tensor that are the hidden one. */
const HIDDEN_AXES = new Set([-1, 2]);
/** The output's sequence axis once only the rows asked for are kept. */
const KEPT_ROWS_DIM = 'logits_sequence_length';

/**
 * The model with `num_logits_to_keep` added, or null where it has the input
 * already, has no `logits` output, or no cut is found. Meant for a graph
 * whose weights are external data: the whole protobuf is decoded.
 */
export function withNumLogitsToKeep(model: Uint8Array): Uint8Array | null {
  const decoded = onnx.ModelProto.decode(model);
  const graph = decoded.graph;
  if (!graph?.node || graph.input?.some((input) => input.name === NUM_LOGITS_TO_KEEP)) return null;
  const logits = graph.output?.find((output) => output.name === 'logits');
  const cut = logits ? positionWiseCut(graph) : null;
  if (!logits || cut === null) return null;

  const names = new Set([...(graph.initializer ?? []).map((tensor) => tensor.name), ...graph.node.flatMap((node) => node.output ?? [])]);
  const initializers: OnnxTypes.ITensorProto[] = [];
  const g = new GraphBuilder((tensor) => void initializers.push(tensor), 'keep_logits_rows/');
  const kept = lastPositionsSlicer(g)(cut.tensor);
  // The added names must be new to the graph.
  if (initializers.some((tensor) => names.has(tensor.name)) || g.nodes.some((node) => node.output.some((name) => names.has(name)))) return null;

  for (const node of graph.node.slice(cut.producer + 1)) node.input = (node.input ?? []).map((name) => (name === cut.tensor ? kept : name));
  graph.node.splice(cut.producer + 1, 0, ...g.nodes);
  graph.initializer = [...(graph.initializer ?? []), ...initializers];
  graph.input = [...(graph.input ?? []), { name: NUM_LOGITS_TO_KEEP, type: { tensorType: { elemType: onnx.TensorProto.DataType.INT64, shape: { dim: [] } } } }];
  const dims = logits.type?.tensorType?.shape?.dim;
  if (dims && dims.length > 1) dims[1] = { dimParam: KEPT_ROWS_DIM };
  // Shapes recorded for tensors past the cut would still say every row.
  const pastCut = new Set(graph.node.slice(cut.producer + 1).flatMap((node) => node.output ?? []));
  graph.valueInfo = (graph.valueInfo ?? []).filter((info) => !pastCut.has(info.name ?? ''));
  return onnx.ModelProto.encode(decoded).finish();
}

/** The earliest tensor after which `logits` is computed position by position, and the index of the node that makes it. */
function positionWiseCut(graph: Graph): { tensor: string; producer: number } | null {
  const nodes = graph.node ?? [];
  const producer = new Map<string, number>();
  nodes.forEach((node, index) => node.output?.forEach((name) => producer.set(name, index)));
  const initializers = new Map((graph.initializer ?? []).map((tensor) => [tensor.name ?? '', tensor]));
  const constants = new Set(initializers.keys());
  nodes.forEach((node) => {
    if (node.opType === 'Constant') node.output?.forEach((name) => constants.add(name));
  });

  let cut: { tensor: string; producer: number } | null = null;
  let target = 'logits';
  for (;;) {
    const dominator = positionWiseDominator(target, nodes, producer, constants, initializers);
    if (dominator === null) return cut;
    cut = dominator;
    target = dominator.tensor;
  }
}

/**
 * Walks back from `target` in the graph's order until every path to it
 * passes through one tensor: that tensor, if each node on the way treats
 * positions on their own; null where one does not, or a path reaches a graph input.
 */
function positionWiseDominator(
  target: string,
  nodes: readonly Node[],
  producer: ReadonlyMap<string, number>,
  constants: ReadonlySet<string>,
  initializers: ReadonlyMap<string, OnnxTypes.ITensorProto>,
): { tensor: string; producer: number } | null {
  // The tensors still to walk back from, by the index of the node that makes them.
  const frontier = new Map<number, Set<string>>();
  const add = (name: string): boolean => {
    const index = producer.get(name);
    if (index === undefined) return false;
    const names = frontier.get(index) ?? new Set<string>();
    names.add(name);
    frontier.set(index, names);
    return true;
  };
  if (!add(target)) return null;
  for (;;) {
    const latest = Math.max(...frontier.keys());
    const names = frontier.get(latest) as Set<string>;
    if (frontier.size === 1 && names.size === 1) {
      const [tensor] = names;
      if (tensor !== target) return { tensor, producer: latest };
    }
    frontier.delete(latest);
    const node = nodes[latest];
    if (!treatsPositionsAlone(node, constants, initializers)) return null;
    for (const input of node.input ?? []) {
      if (input === '' || constants.has(input)) continue;
      if (!add(input)) return null;
    }
    if (frontier.size === 0) return null;
  }
}

function treatsPositionsAlone(node: Node, constants: ReadonlySet<string>, initializers: ReadonlyMap<string, OnnxTypes.ITensorProto>): boolean {
  const op = node.opType ?? '';
  if (POSITION_WISE.has(op)) return true;
  if (WEIGHT_PRODUCTS.has(op)) return constants.has(node.input?.[1] ?? '');
  if (op === 'ReduceMean') {
    const axes = reducedAxes(node, initializers);
    return axes.length > 0 && axes.every((axis) => HIDDEN_AXES.has(axis));
  }
  return false;
}

/** A ReduceMean's axes: its attribute (opset 17 and before) or its constant second input (opset 18). */
function reducedAxes(node: Node, initializers: ReadonlyMap<string, OnnxTypes.ITensorProto>): number[] {
  const attribute = node.attribute?.find((candidate) => candidate.name === 'axes');
  if (attribute) return (attribute.ints ?? []).map(Number);
  const tensor = initializers.get(node.input?.[1] ?? '');
  if (!tensor) return [];
  if (tensor.int64Data?.length) return tensor.int64Data.map(Number);
  const raw = tensor.rawData;
  if (!raw || raw.length % 8 !== 0) return [];
  return Array.from(new BigInt64Array(raw.slice().buffer), Number);
}
