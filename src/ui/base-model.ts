import { parseGgufModelId } from '../protocol/model-id.ts';
import type { Device } from '../protocol/types.ts';

const INSTRUCT = /instruct/i;
const BASE = /base/i;
const SIZE = /\d+(?:\.\d+)?b/i;

function owner(id: string): string {
  return id.split('/')[0];
}

/**
 * Whether a model runs at its best speed on the device. A GGUF file converts to
 * a 4-bit MatMulNBits graph, which ONNX Runtime's WASM build computes by
 * unpacking the weights to fp32 on every call: on the full-size model it
 * decoded about 10× slower than an 8-bit graph (README, "Why q8 on WASM").
 * WebGPU runs 4-bit graphs natively, and their download is the smallest.
 */
function fastOn(id: string, device: Device): boolean {
  return device !== 'wasm' || parseGgufModelId(id) === null;
}

/**
 * The base model to suggest for fill-in-the-middle when an instruct model is
 * loaded: instruct tuning weakens infilling. Among the catalog's base models it
 * prefers the same owner (the tiny test models go together), then the same
 * size, then one the device runs fast; ties go to the catalog's order. null when
 * the loaded model is not an instruct model or there is no base model.
 */
export function baseModelFor(loadedId: string, catalog: readonly string[], device: Device): string | null {
  if (!INSTRUCT.test(loadedId)) return null;
  const size = SIZE.exec(loadedId)?.[0].toLowerCase();
  let best: { id: string; score: number } | null = null;
  for (const id of catalog) {
    if (!BASE.test(id) || INSTRUCT.test(id)) continue;
    const sameOwner = owner(id) === owner(loadedId);
    const sameSize = size !== undefined && SIZE.exec(id)?.[0].toLowerCase() === size;
    const score = (sameOwner ? 4 : 0) + (sameSize ? 2 : 0) + (fastOn(id, device) ? 1 : 0);
    if (!best || score > best.score) best = { id, score };
  }
  return best?.id ?? null;
}
