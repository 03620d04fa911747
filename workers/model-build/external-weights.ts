/**
 * A graph file read as two: the graph with its weights moved out as ONNX
 * external data, and the file itself as that data. Each large initializer's
 * `raw_data` becomes an `external_data` reference to where those bytes
 * already sit in the file, so nothing is copied or moved.
 *
 * Why: ONNX Runtime Web parses an inline model's protobuf inside its heap, so
 * while it builds the session the heap holds the file, the parsed protobuf
 * and the weights' tensors. With external data the protobuf is a few hundred
 * KiB and each tensor is copied straight from the mounted file. At full size
 * (q8, 1.35 GB, Chromium, 2 threads) the renderer peaked at 4.3 GB with the
 * inline file and 2.9 GB with this split, and the session took 11–12 s to
 * build against 6–8 s.
 *
 * The walk keeps every field but the weights' bytes: it descends into the
 * model's graph fields and their initializers, and skips a `raw_data` payload
 * by its length. It takes bytes as they stream past, or reads a file at the
 * offsets it asks for (`wants`), reading only the fields it keeps.
 */
import onnxProto from 'onnx-proto';
import { INLINE_BELOW_BYTES } from './external-data.ts';
import { MAX_HEADER_BYTES, MODEL_GRAPH, WIRE_FIXED32, WIRE_FIXED64, WIRE_LENGTH, WIRE_VARINT, encodeVarint, readFieldHeader } from './protobuf-wire.ts';

const { onnx } = onnxProto;

/** Fields walked into or cut (onnx.proto numbering), besides the model's graph. */
const GRAPH_INITIALIZER = 5;
const TENSOR_RAW_DATA = 9;
/** What a file reader asks for at a time: the graph's nodes come in a few reads, each initializer's small fields in one. */
const READ_WINDOW_BYTES = 64 * 1024;

/** A message being walked: the model (depth 0), a graph (1) or an initializer (2). */
interface Frame {
  depth: number;
  /** Its field number in the parent. */
  field: number;
  /** The file offset where it ends. */
  end: number;
  /** The bytes kept of it so far, field by field. */
  parts: Uint8Array[];
  /** An initializer's `raw_data`, moved out. */
  moved: { offset: number; length: number } | null;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return bytes;
}

/**
 * Walks a model file's bytes, in order, and builds the graph that reads its
 * weights from `dataName`: the same file, mounted under that name.
 */
export class WeightSplitter {
  /** The file offset of the next byte the walk reads. */
  private position = 0;
  private skipUntil = 0;
  /** Bytes of the field being kept that are still to come. */
  private keeping = 0;
  private readonly header = new Uint8Array(MAX_HEADER_BYTES);
  private headerLength = 0;
  private readonly frames: Frame[] = [{ depth: 0, field: 0, end: Infinity, parts: [], moved: null }];

  constructor(private readonly dataName: string) {}

  /** The next file offset the walk needs: a reader may leave out the bytes before it. */
  get wants(): number {
    return Math.max(this.position, this.skipUntil);
  }

  /** Takes the file's bytes from `offset`, which is at most `wants`: a stream passes every byte, a reader starts at `wants`. */
  push(chunk: Uint8Array, offset = this.position): void {
    if (offset < this.position || offset > this.wants) throw new Error(`The model file was read out of order: at ${offset}, expected ${this.position}.`);
    this.position = offset;
    let at = 0;
    while (at < chunk.length) {
      const fileOffset = this.position + at;
      if (fileOffset < this.skipUntil) {
        at += Math.min(chunk.length - at, this.skipUntil - fileOffset);
      } else if (this.keeping > 0) {
        const count = Math.min(chunk.length - at, this.keeping);
        // A copy: a view would pin the reader's whole window.
        this.top.parts.push(chunk.slice(at, at + count));
        this.keeping -= count;
        at += count;
      } else {
        if (this.headerLength === 0) this.closeFramesEndingAt(fileOffset);
        this.header[this.headerLength++] = chunk[at++];
        this.readHeader(this.position + at);
      }
    }
    this.position += chunk.length;
  }

  /** The graph, once the whole file has passed; throws if the file is not a whole protobuf. */
  finish(): Uint8Array {
    if (this.headerLength > 0 || this.keeping > 0 || this.skipUntil > this.position) {
      throw new Error(`The model file ended inside a field, at byte ${this.position}.`);
    }
    this.closeFramesEndingAt(this.position);
    if (this.frames.length > 1) throw new Error(`The model file ended inside its graph, at byte ${this.position}.`);
    return concat(this.frames[0].parts);
  }

  private get top(): Frame {
    return this.frames[this.frames.length - 1];
  }

  private readHeader(payload: number): void {
    const end = this.headerLength;
    // The header grows a byte at a time, so it is complete exactly when it first reads whole.
    const header = readFieldHeader(this.header, end);
    if (!header) {
      if (end === MAX_HEADER_BYTES) throw new Error(`The model file has a malformed field at byte ${payload - end}.`);
      return;
    }
    this.headerLength = 0;
    this.beginField(header.number, header.wire, header.length, this.header.slice(0, end), payload);
  }

  private beginField(field: number, wire: number, length: number, header: Uint8Array, payload: number): void {
    const frame = this.top;
    if (wire === WIRE_LENGTH && payload + length > frame.end) throw new Error(`The model file has a field that overruns its message at byte ${payload}.`);
    if (wire === WIRE_LENGTH && this.descends(frame.depth, field)) {
      this.frames.push({ depth: frame.depth + 1, field, end: payload + length, parts: [], moved: null });
      return;
    }
    if (wire === WIRE_LENGTH && frame.depth === 2 && field === TENSOR_RAW_DATA && length >= INLINE_BELOW_BYTES) {
      frame.moved = { offset: payload, length };
      this.skipUntil = payload + length;
      return;
    }
    frame.parts.push(header);
    if (wire === WIRE_LENGTH) this.keeping = length;
    else if (wire === WIRE_FIXED64) this.keeping = 8;
    else if (wire === WIRE_FIXED32) this.keeping = 4;
    else if (wire !== WIRE_VARINT) throw new Error(`The model file has a field of wire type ${wire}, which ONNX does not use, at byte ${payload}.`);
  }

  private descends(depth: number, field: number): boolean {
    return (depth === 0 && field === MODEL_GRAPH) || (depth === 1 && field === GRAPH_INITIALIZER);
  }

  /** Closes the messages that end at `offset`, each into its parent as one field. */
  private closeFramesEndingAt(offset: number): void {
    while (this.frames.length > 1 && this.top.end === offset) {
      const frame = this.frames.pop() as Frame;
      if (frame.moved) frame.parts.push(this.externalReference(frame.moved));
      const bytes = concat(frame.parts);
      this.top.parts.push(new Uint8Array([...encodeVarint((frame.field << 3) | WIRE_LENGTH), ...encodeVarint(bytes.length)]), bytes);
    }
  }

  /** The fields that point a tensor at its bytes in the data file; later fields win, so they may follow the tensor's own. */
  private externalReference({ offset, length }: { offset: number; length: number }): Uint8Array {
    return onnx.TensorProto.encode({
      externalData: [
        { key: 'location', value: this.dataName },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(length) },
      ],
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
    }).finish();
  }
}

/** The graph of a model file, reading from the file only the fields it keeps. */
export async function graphWithExternalWeights(file: Blob, dataName: string): Promise<Uint8Array> {
  const splitter = new WeightSplitter(dataName);
  for (let at = splitter.wants; at < file.size; at = splitter.wants) {
    splitter.push(new Uint8Array(await file.slice(at, Math.min(file.size, at + READ_WINDOW_BYTES)).arrayBuffer()), at);
  }
  return splitter.finish();
}

/** The graph of a model file that streams past, once its last byte has. */
export async function graphOfStream(bytes: ReadableStream<Uint8Array>, dataName: string): Promise<Uint8Array> {
  const splitter = new WeightSplitter(dataName);
  const reader = bytes.getReader();
  try {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) splitter.push(chunk.value);
  } catch (error) {
    await reader.cancel(error).catch(() => undefined);
    throw error;
  }
  return splitter.finish();
}
