export * from './types.ts';
export * from './errors.ts';
export * from './validation.ts';
export * from './chunks.ts';
export * from './memory.ts';
export * from './storage.ts';
export * from './runtime.ts';
export * from './widget.ts';
