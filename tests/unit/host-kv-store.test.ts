/**
 * The worker-kept KV cache's bookkeeping: where each pass's rows land, what
 * the mask hides, and that a store at a given length holds the same bytes
 * however it got there (the cold-run arithmetic of a repeated request rests
 * on it). Its numbers against the runtime-kept cache are checked in
 * tests/engine/prefix-cache.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { HostKvStore, STRIDE_BLOCK, strideFor, type KvGeometry } from '../../workers/engine/host-kv-cache.ts';
import type { KvKind } from '../../workers/model-build/fresh-kv-outputs.ts';

const geometry: KvGeometry = { layers: 2, heads: 3, headDim: 2, type: 'float32' };

/** A value naming its layer, kind, head, position and dim, so misplaced rows show. */
function valueAt(layer: number, kind: KvKind, head: number, position: number, dim: number): number {
  return layer * 1e6 + (kind === 'value' ? 5e5 : 0) + head * 1e4 + position * 10 + dim + 1;
}

/** A pass's fresh rows for positions [from, from + count): [heads, count, headDim] floats, as bytes. */
function freshRows(from: number, count: number) {
  return (layer: number, kind: KvKind): Uint8Array => {
    const rows = new Float32Array(geometry.heads * count * geometry.headDim);
    for (let head = 0; head < geometry.heads; head++) {
      for (let i = 0; i < count; i++) {
        for (let dim = 0; dim < geometry.headDim; dim++) rows[(head * count + i) * geometry.headDim + dim] = valueAt(layer, kind, head, from + i, dim);
      }
    }
    return new Uint8Array(rows.buffer);
  };
}

function floats(store: HostKvStore, layer: number, kind: KvKind): Float32Array {
  const bytes = store.past(layer, kind);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

/** Checks every position: the cached ones hold their values, the rest of the stride is zero. */
function expectHolds(store: HostKvStore, length: number): void {
  expect(store.length).toBe(length);
  expect(store.stride).toBe(strideFor(length));
  for (let layer = 0; layer < geometry.layers; layer++) {
    for (const kind of ['key', 'value'] as const) {
      const data = floats(store, layer, kind);
      expect(data.length).toBe(geometry.heads * store.stride * geometry.headDim);
      for (let head = 0; head < geometry.heads; head++) {
        for (let position = 0; position < store.stride; position++) {
          for (let dim = 0; dim < geometry.headDim; dim++) {
            const expected = position < length ? valueAt(layer, kind, head, position, dim) : 0;
            expect(data[(head * store.stride + position) * geometry.headDim + dim]).toBe(expected);
          }
        }
      }
    }
  }
}

describe('strideFor', () => {
  it('rounds a length up to whole blocks, and 0 stays 0', () => {
    expect(strideFor(0)).toBe(0);
    expect(strideFor(1)).toBe(STRIDE_BLOCK);
    expect(strideFor(STRIDE_BLOCK)).toBe(STRIDE_BLOCK);
    expect(strideFor(STRIDE_BLOCK + 1)).toBe(2 * STRIDE_BLOCK);
  });
});

describe('HostKvStore', () => {
  it('starts empty, with empty pasts and a mask of the pass alone', () => {
    const store = new HostKvStore(geometry);
    expect(store.past(0, 'key').length).toBe(0);
    expect([...store.attentionMask(3)]).toEqual([1n, 1n, 1n]);
  });

  it('writes each pass in place, per head, and grows the stride block by block', () => {
    const store = new HostKvStore(geometry);
    store.append(5, freshRows(0, 5));
    expectHolds(store, 5);
    store.append(STRIDE_BLOCK - 5, freshRows(5, STRIDE_BLOCK - 5));
    expectHolds(store, STRIDE_BLOCK);
    store.append(1, freshRows(STRIDE_BLOCK, 1));
    expectHolds(store, STRIDE_BLOCK + 1);
  });

  it('masks the unused positions between the cache and the pass', () => {
    const store = new HostKvStore(geometry);
    store.append(3, freshRows(0, 3));
    const mask = store.attentionMask(2);
    expect(mask.length).toBe(STRIDE_BLOCK + 2);
    expect([...mask.subarray(0, 3)]).toEqual([1n, 1n, 1n]);
    expect(mask.subarray(3, STRIDE_BLOCK).every((bit) => bit === 0n)).toBe(true);
    expect([...mask.subarray(STRIDE_BLOCK)]).toEqual([1n, 1n]);
  });

  it('a store cut back holds exactly what one that only ever reached that length holds', () => {
    for (const [grown, cut] of [
      [2 * STRIDE_BLOCK + 7, STRIDE_BLOCK + 3], // into a smaller stride
      [STRIDE_BLOCK + 40, STRIDE_BLOCK + 2], // within the same stride
      [50, 0],
    ]) {
      const store = new HostKvStore(geometry);
      store.append(grown, freshRows(0, grown));
      store.truncate(cut);
      const direct = new HostKvStore(geometry);
      if (cut > 0) direct.append(cut, freshRows(0, cut));
      expectHolds(store, cut);
      for (let layer = 0; layer < geometry.layers; layer++) expect(floats(store, layer, 'value')).toEqual(floats(direct, layer, 'value'));
      // And it grows again from there.
      store.append(grown - cut, freshRows(cut, grown - cut));
      expectHolds(store, grown);
    }
  });

  it('refuses rows of the wrong size, and clears', () => {
    const store = new HostKvStore(geometry);
    store.append(2, freshRows(0, 2));
    expect(() => store.append(STRIDE_BLOCK, () => new Uint8Array(4))).toThrow(/fresh\.0\.key has 4 bytes/);
    expectHolds(store, 2);
    store.clear();
    expect(store.length).toBe(0);
    expect(store.past(1, 'value').length).toBe(0);
  });

  it('keeps fp16 caches at two bytes an element', () => {
    const store = new HostKvStore({ ...geometry, type: 'float16' });
    store.append(1, () => new Uint8Array(geometry.heads * geometry.headDim * 2).fill(7));
    expect(store.past(0, 'key').length).toBe(geometry.heads * STRIDE_BLOCK * geometry.headDim * 2);
  });
});
