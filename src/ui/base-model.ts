const INSTRUCT = /instruct/i;
const BASE = /base/i;
const SIZE = /\d+(?:\.\d+)?b/i;

function owner(id: string): string {
  return id.split('/')[0];
}

/**
 * The base model to suggest for fill-in-the-middle when an instruct model is
 * loaded: instruct tuning weakens infilling. Among the catalog's base models it
 * prefers the same owner (the tiny test models go together), then the same
 * size. null when the loaded model is not an instruct model or there is no base model.
 */
export function baseModelFor(loadedId: string, catalog: readonly string[]): string | null {
  if (!INSTRUCT.test(loadedId)) return null;
  const size = SIZE.exec(loadedId)?.[0].toLowerCase();
  let best: { id: string; score: number } | null = null;
  for (const id of catalog) {
    if (!BASE.test(id) || INSTRUCT.test(id)) continue;
    const score = (owner(id) === owner(loadedId) ? 2 : 0) + (size !== undefined && SIZE.exec(id)?.[0].toLowerCase() === size ? 1 : 0);
    if (!best || score > best.score) best = { id, score };
  }
  return best?.id ?? null;
}
