export * from './types.ts';
export * from './errors.ts';
export * from './validation.ts';
export * from './chunks.ts';
