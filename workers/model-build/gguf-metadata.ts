/** Typed reads of a GGUF header's metadata, and the error for what the converter cannot take. */
import { GGMLQuantizationType } from '@huggingface/gguf';
import { invalidRequest, type ApiError } from '../../src/protocol/errors.ts';
import type { GgufMetadataValue } from './gguf-file.ts';

export type GgufMetadata = Record<string, GgufMetadataValue>;

/** A 400 naming what the converter does not support: the OpenAI-shaped error the API returns. */
export function unsupportedGguf(message: string): ApiError {
  return invalidRequest(message, 'model', 'unsupported_gguf');
}

/** ggml's name for a tensor type: Q4_K, IQ2_XS, … */
export function typeName(type: number): string {
  return GGMLQuantizationType[type] ?? `type ${type}`;
}

export function metaNumber(metadata: GgufMetadata, key: string, fallback?: number): number {
  const value = metadata[key];
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value === undefined && fallback !== undefined) return fallback;
  throw unsupportedGguf(`The GGUF file has no numeric '${key}' in its metadata.`);
}

export function metaString(metadata: GgufMetadata, key: string): string | undefined {
  const value = metadata[key];
  return typeof value === 'string' ? value : undefined;
}

export function metaBoolean(metadata: GgufMetadata, key: string): boolean | undefined {
  const value = metadata[key];
  return typeof value === 'boolean' ? value : undefined;
}

export function metaStrings(metadata: GgufMetadata, key: string): string[] | undefined {
  const value = metadata[key];
  return Array.isArray(value) && value.every((item) => typeof item === 'string') ? (value as string[]) : undefined;
}

export function metaNumbers(metadata: GgufMetadata, key: string): number[] | undefined {
  const value = metadata[key];
  return Array.isArray(value) ? value.map(Number) : undefined;
}

/** The first of `keys` present, as a number; null when none is. */
export function optionalId(metadata: GgufMetadata, ...keys: string[]): number | null {
  for (const key of keys) if (metadata[key] !== undefined) return metaNumber(metadata, key);
  return null;
}

/** A few names of a list, and how many more: what an error message can hold. */
export function someOf(names: string[], shown = 4): string {
  return names.length <= shown ? names.join(', ') : `${names.slice(0, shown).join(', ')} and ${names.length - shown} more`;
}
