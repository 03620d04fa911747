/**
 * Adds each layer's keys and values for a pass's new tokens to a decoder's
 * outputs, as `fresh.{layer}.key` and `fresh.{layer}.value`, beside the
 * whole grown cache (`present.*`) that the hub's export returns.
 *
 * Why: onnxruntime-web on WASM copies every output it returns out of its heap
 * into a new JS array. The present keys and values are the whole cache, so a
 * decode step copied the cache out once more than it copied it in: at 512
 * tokens of context, about 400 of a 700 ms step on the full-size q8 graph. A
 * caller that fetches only the fresh rows keeps the cache itself
 * (workers/engine/host-kv-cache.ts).
 *
 * It applies to graphs that grow the cache by `Concat(past_key_values.N.K,
 * fresh)` into `present.N.K`, which is how the hub's export and this
 * project's plain graph do it; graphs that grow it inside a fused op get
 * nothing added.
 *
 * The file streams through a scanner that walks its protobuf fields as they
 * pass, keeping the graph's nodes and outputs and skipping the weights, so
 * nothing is held or copied. The additions go in a second `graph` field
 * appended after the file: protobuf merges repeated occurrences of an
 * embedded message, so the runtime parses one graph with the extra Identity
 * nodes and outputs. The appendix always has the same size, padded with a
 * doc_string, so a reader can be told the file's final length before the
 * walk has seen the graph; it ends with a marker, so a stored copy can shed it.
 */
import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';
import { MAX_HEADER_BYTES, MODEL_GRAPH, WIRE_FIXED32, WIRE_FIXED64, WIRE_LENGTH, WIRE_VARINT, readFieldHeader, type FieldHeader } from './protobuf-wire.ts';

const { onnx } = onnxProto;

/** The appendix's fixed size: room for the additions of 100 layers with long tensor names. */
export const FRESH_KV_APPENDIX_BYTES = 64 * 1024;
const MARKER = new TextEncoder().encode(' deepseek-coder-web fresh-kv outputs v1');

/** Fields of ModelProto and GraphProto read here (onnx.proto numbering). */
const MODEL_DOC_STRING = 6;
const GRAPH_NODE = 1;
const GRAPH_OUTPUT = 12;
/** A node or output larger than this is not one the walk needs: it gives up and adds nothing. */
const MAX_KEPT_FIELD_BYTES = 1 << 20;

const PRESENT = /^present\.(\d+)\.(key|value)$/;

export type KvKind = 'key' | 'value';

export function freshKvName(layer: number, kind: KvKind): string {
  return `fresh.${layer}.${kind}`;
}

/**
 * Walks an ONNX model's protobuf as its bytes arrive, keeping what the fresh
 * outputs need: each Concat that grows the cache, and the present outputs.
 */
export class CacheGrowthScanner {
  /** The file offset of the next byte pushed. */
  private position = 0;
  /** Where the graph field being walked ends, or null at the model's top level. */
  private graphEnd: number | null = null;
  private readonly header = new Uint8Array(MAX_HEADER_BYTES);
  private headerLength = 0;
  private skipUntil = 0;
  private kept: { field: number; bytes: Uint8Array; filled: number } | null = null;
  private failed = false;
  private readonly fresh = new Map<string, string>();
  private readonly presentOutputs: OnnxTypes.IValueInfoProto[] = [];

  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length && !this.failed) {
      const offset = this.position + at;
      if (offset < this.skipUntil) {
        at += Math.min(chunk.length - at, this.skipUntil - offset);
      } else if (this.kept) {
        const kept = this.kept;
        const count = Math.min(chunk.length - at, kept.bytes.length - kept.filled);
        kept.bytes.set(chunk.subarray(at, at + count), kept.filled);
        kept.filled += count;
        at += count;
        if (kept.filled === kept.bytes.length) this.keep(kept.field, kept.bytes);
      } else {
        if (this.headerLength === 0 && this.graphEnd !== null && offset >= this.graphEnd) this.graphEnd = null;
        this.header[this.headerLength++] = chunk[at++];
        const header = readFieldHeader(this.header, this.headerLength);
        if (header) {
          this.headerLength = 0;
          this.begin(header, this.position + at);
        } else if (this.headerLength === MAX_HEADER_BYTES) this.failed = true;
      }
    }
    this.position += chunk.length;
  }

  /** Starts on a field whose payload begins at `payload`: walks into the graph, keeps its nodes and outputs, skips the rest. */
  private begin(header: FieldHeader, payload: number): void {
    if (header.wire === WIRE_FIXED64) this.skipUntil = payload + 8;
    else if (header.wire === WIRE_FIXED32) this.skipUntil = payload + 4;
    else if (header.wire !== WIRE_LENGTH) {
      if (header.wire !== WIRE_VARINT) this.failed = true;
    } else if (this.graphEnd === null && header.number === MODEL_GRAPH) {
      this.graphEnd = payload + header.length;
    } else if (this.graphEnd !== null && (header.number === GRAPH_NODE || header.number === GRAPH_OUTPUT)) {
      if (header.length > MAX_KEPT_FIELD_BYTES) this.failed = true;
      else if (header.length === 0) this.keep(header.number, new Uint8Array(0));
      else this.kept = { field: header.number, bytes: new Uint8Array(header.length), filled: 0 };
    } else this.skipUntil = payload + header.length;
  }

  private keep(field: number, bytes: Uint8Array): void {
    this.kept = null;
    if (field === GRAPH_OUTPUT) {
      const output = onnx.ValueInfoProto.decode(bytes);
      if (PRESENT.test(output.name)) this.presentOutputs.push(output);
      return;
    }
    const node = onnx.NodeProto.decode(bytes);
    const match = node.opType === 'Concat' && node.output.length === 1 ? PRESENT.exec(node.output[0]) : null;
    if (match && node.input.length === 2 && node.input[0] === `past_key_values.${match[1]}.${match[2]}`) {
      this.fresh.set(node.output[0], node.input[1]);
    }
  }

  /** The additions: Identity nodes naming each fresh tensor, and the outputs; null when the graph is not one this applies to. */
  private additions(): Uint8Array | null {
    const { fresh, presentOutputs } = this;
    if (this.failed || presentOutputs.length === 0 || presentOutputs.some((output) => !fresh.has(output.name ?? ''))) return null;
    const nodes: OnnxTypes.INodeProto[] = [];
    const outputs: OnnxTypes.IValueInfoProto[] = [];
    for (const present of presentOutputs) {
      const [, layer, kind] = PRESENT.exec(present.name ?? '') ?? [];
      const name = freshKvName(Number(layer), kind as KvKind);
      nodes.push({ opType: 'Identity', name: `/fresh_kv/${layer}/${kind}`, input: [fresh.get(present.name ?? '') ?? ''], output: [name] });
      outputs.push({ name, type: freshType(present) });
    }
    return onnx.ModelProto.encode({ graph: { node: nodes, output: outputs } }).finish();
  }

  /** The bytes to append once the whole file has passed: the additions, padded to FRESH_KV_APPENDIX_BYTES. */
  appendix(): Uint8Array {
    let additions = this.additions() ?? new Uint8Array(0);
    // The padding keeps at least 2^14 bytes, so its length is a 3-byte varint in canonical form.
    if (additions.length > FRESH_KV_APPENDIX_BYTES - 4 - (1 << 14)) additions = new Uint8Array(0);
    const appendix = new Uint8Array(FRESH_KV_APPENDIX_BYTES);
    appendix.set(additions);
    // The padding is a doc_string field, which a later copy in the file simply overrides.
    const paddingLength = FRESH_KV_APPENDIX_BYTES - additions.length - 4;
    let at = additions.length;
    appendix[at++] = (MODEL_DOC_STRING << 3) | WIRE_LENGTH;
    appendix.set([(paddingLength & 0x7f) | 0x80, ((paddingLength >> 7) & 0x7f) | 0x80, paddingLength >> 14], at);
    appendix.fill(0x20, at + 3);
    appendix.set(MARKER, FRESH_KV_APPENDIX_BYTES - MARKER.length);
    return appendix;
  }
}

/** The fresh output's type: the present's element type and shape, its sequence axis the pass's new tokens. */
function freshType(present: OnnxTypes.IValueInfoProto): OnnxTypes.ITypeProto {
  const tensor = present.type?.tensorType;
  const dims = tensor?.shape?.dim ?? [];
  return {
    tensorType: {
      elemType: tensor?.elemType,
      shape: { dim: dims.map((dim, axis) => (axis === 2 ? { dimParam: 'sequence_length' } : dim)) },
    },
  };
}

/** A model's bytes, streamed, with the appendix after them. */
export function withFreshKvOutputs(model: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const scanner = new CacheGrowthScanner();
  return model.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        scanner.push(chunk);
        controller.enqueue(chunk);
      },
      flush(controller) {
        controller.enqueue(scanner.appendix());
      },
    }),
  );
}

/** The model as it was before `withFreshKvOutputs`: a file that ends with the appendix loses it. */
export async function withoutFreshKvAppendix(file: Blob): Promise<Blob> {
  if (file.size < FRESH_KV_APPENDIX_BYTES) return file;
  const tail = new Uint8Array(await file.slice(file.size - MARKER.length).arrayBuffer());
  return tail.every((byte, i) => byte === MARKER[i]) ? file.slice(0, file.size - FRESH_KV_APPENDIX_BYTES) : file;
}
