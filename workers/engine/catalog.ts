import type { Dtype } from '../../src/protocol/types.ts';

export type ModelTask = 'chat' | 'completion';

export interface CatalogEntry {
  id: string;
  label: string;
  task: ModelTask;
  /** 'hub': huggingface.co. 'dev-mirror': the tiny test models the dev and test servers serve. */
  source: 'hub' | 'dev-mirror';
  dtypes: Dtype[];
  owned_by: string;
}

export const DEFAULT_MODEL_ID = 'onnx-community/deepseek-coder-1.3b-instruct-ONNX';

export const CATALOG: readonly CatalogEntry[] = [
  {
    id: DEFAULT_MODEL_ID,
    label: 'DeepSeek Coder 1.3B Instruct',
    task: 'chat',
    source: 'hub',
    dtypes: ['q4f16', 'q4', 'fp16', 'fp32'],
    owned_by: 'deepseek-ai',
  },
  {
    id: 'tiny-random/deepseek-coder-instruct',
    label: 'Tiny random DeepSeek Coder Instruct (test model)',
    task: 'chat',
    source: 'dev-mirror',
    dtypes: ['q4f16', 'q4', 'fp32'],
    owned_by: 'deepseek-coder-web',
  },
  {
    id: 'tiny-random/deepseek-coder-base',
    label: 'Tiny random DeepSeek Coder Base (test model)',
    task: 'completion',
    source: 'dev-mirror',
    dtypes: ['q4f16', 'q4', 'fp32'],
    owned_by: 'deepseek-coder-web',
  },
];

/** A hub repository id: `owner/name`, the characters the hub allows. */
export function isHubModelId(id: string): boolean {
  return /^[\w.-]+\/[\w.-]+$/.test(id) && !id.includes('..');
}
