/**
 * The order in which the runtime read a graph's weights at its last load
 * (weight-prefetch.ts), kept per graph file in Cache Storage beside the model
 * cache, under the file's own URL, and deleted with the model (model-store.ts).
 */
import type { ByteRange } from './weight-prefetch.ts';

export const READ_ORDER_CACHE_NAME = 'deepseek-coder-web-read-order';
/** More reads than any graph has tensors: a stored order past it is not one this app wrote. */
const MAX_READS = 100_000;

export function isReadOrder(value: unknown): value is ByteRange[] {
  return (
    Array.isArray(value) &&
    value.length <= MAX_READS &&
    value.every(
      (range) =>
        Array.isArray(range) && range.length === 2 && Number.isSafeInteger(range[0]) && Number.isSafeInteger(range[1]) && range[0] >= 0 && range[1] >= range[0],
    )
  );
}

async function readOrderCache(): Promise<Cache | null> {
  if (typeof caches === 'undefined') return null;
  return caches.open(READ_ORDER_CACHE_NAME).catch(() => null);
}

/** The order last recorded for the graph file at `graphUrl`; null where none was, or it cannot be read. */
export async function storedReadOrder(graphUrl: string): Promise<ByteRange[] | null> {
  try {
    const stored = await (await readOrderCache())?.match(graphUrl);
    const order: unknown = stored ? await stored.json() : null;
    return isReadOrder(order) ? order : null;
  } catch {
    return null;
  }
}

/** Records `order` for the graph file at `graphUrl`. Best effort: a load never fails for want of it. */
export async function storeReadOrder(graphUrl: string, order: readonly ByteRange[]): Promise<void> {
  try {
    await (await readOrderCache())?.put(graphUrl, new Response(JSON.stringify(order), { headers: { 'content-type': 'application/json' } }));
  } catch {
    // Storage full or unavailable: the next load reads where the runtime asks, as this one may have.
  }
}
