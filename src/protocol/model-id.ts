/**
 * The two forms a model id takes. An ONNX export is a hub repository,
 * `owner/name`. A GGUF checkpoint, which the engine converts in the tab, is a
 * file in one: `owner/name/file.gguf` (the file at the repository's root, where
 * GGUF publishers keep them).
 */

const SEGMENT = '[\\w.-]+';
const HUB_REPO = new RegExp(`^${SEGMENT}/${SEGMENT}$`);
const GGUF_FILE = new RegExp(`^(${SEGMENT}/${SEGMENT})/(${SEGMENT}\\.gguf)$`, 'i');

export interface GgufModelId {
  /** The hub repository, `owner/name`. */
  repo: string;
  /** The file's name in it. */
  file: string;
}

/** A hub repository id: `owner/name`, in the characters the hub allows. */
export function isHubModelId(id: string): boolean {
  return HUB_REPO.test(id) && !id.includes('..');
}

/** The repository and file of a GGUF model id, or null when `id` is not one. */
export function parseGgufModelId(id: string): GgufModelId | null {
  const match = GGUF_FILE.exec(id);
  if (!match || id.includes('..')) return null;
  return { repo: match[1], file: match[2] };
}

/**
 * The quantization a GGUF file's name declares (`….Q4_K_M.gguf` → `Q4_K_M`), as
 * publishers name them; null when the name says none. The file's own tensor
 * types are what the engine goes by.
 */
export function ggufQuantizationInName(file: string): string | null {
  return /[.-](I?Q\d_[A-Z0-9_]+|Q\d_\d|F16|F32|BF16)\.gguf$/i.exec(file)?.[1].toUpperCase() ?? null;
}
