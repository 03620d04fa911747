/**
 * Readable names for hub ids: 'onnx-community/deepseek-coder-1.3b-instruct-ONNX'
 * reads as 'DeepSeek Coder 1.3B Instruct'. The id stays the model's identity;
 * this is only how the playground shows it.
 */
import { ggufQuantizationInName, parseGgufModelId } from '../protocol/model-id.ts';

const SPELLINGS: Record<string, string> = { deepseek: 'DeepSeek', onnx: 'ONNX', gguf: 'GGUF', llama: 'Llama', codellama: 'CodeLlama' };

function word(part: string): string {
  const known = SPELLINGS[part.toLowerCase()];
  if (known) return known;
  // Sizes and versions: 1.3b → 1.3B, 7B stays, v2 stays.
  if (/^\d+(\.\d+)?[bmk]$/i.test(part)) return part.toUpperCase();
  return part.charAt(0).toUpperCase() + part.slice(1);
}

/** The tiny random-weight models the dev and test servers serve (the catalog's dev-mirror entries), GGUF files in them included. */
const TEST_MODEL = /^tiny-random\/deepseek-coder-(\w+)(?:-kquant)?(?:\/[\w.-]+\.gguf)?$/;
/** The full-size random-weight model `npm run fixtures:full` writes, served the same way where it exists. */
const FULL_TEST_MODEL = /^full-random\/deepseek-coder-([\w.]+)-(\w+)(?:\/[\w.-]+\.gguf)?$/;

/** Served by the app's own dev or test server, so usable offline. */
export function isTestModel(id: string): boolean {
  return TEST_MODEL.test(id) || FULL_TEST_MODEL.test(id);
}

/** ' · Q4_0 GGUF' for a GGUF file's id, converted in the tab; '' for an ONNX export. */
function ggufSuffix(id: string): string {
  const gguf = parseGgufModelId(id);
  if (!gguf) return '';
  const quantization = ggufQuantizationInName(gguf.file);
  return ` · ${quantization ? `${quantization} ` : ''}GGUF`;
}

export function modelTitle(id: string): string {
  // Named for what they are, so nobody mistakes them for DeepSeek Coder: they answer with random tokens.
  const test = TEST_MODEL.exec(id);
  if (test) return `Tiny test model (random weights) · ${word(test[1])}${ggufSuffix(id)}`;
  const full = FULL_TEST_MODEL.exec(id);
  if (full) return `Full-size test model (random weights) · ${word(full[1])} ${word(full[2])}${ggufSuffix(id)}`;
  const gguf = parseGgufModelId(id);
  // A GGUF file's name says the model and its quantization: deepseek-coder-6.7b-instruct.Q4_0.gguf.
  const name = gguf ? gguf.file.replace(/\.gguf$/i, '').replace(/\.(I?Q\d\w*|F16|F32|BF16)$/i, '') : id.slice(id.indexOf('/') + 1).replace(/[-_]onnx$/i, '');
  return (name.split(/[-_]+/).filter(Boolean).map(word).join(' ') || id) + ggufSuffix(id);
}

export function modelOwner(id: string): string {
  const slash = id.indexOf('/');
  return slash === -1 ? '' : id.slice(0, slash);
}

/** Titles for a list of ids, with the owner added where two would read the same. */
export function distinctTitles(ids: readonly string[]): Map<string, string> {
  const titles = ids.map((id) => [id, modelTitle(id)] as const);
  const counts = new Map<string, number>();
  for (const [, title] of titles) counts.set(title, (counts.get(title) ?? 0) + 1);
  return new Map(titles.map(([id, title]) => [id, (counts.get(title) ?? 0) > 1 ? `${title} (${modelOwner(id)})` : title]));
}
