import { DEFAULT_MODEL_ID, type Dtype } from '../../src/protocol/types.ts';

export interface CatalogEntry {
  id: string;
  /** 'hub': huggingface.co. 'dev-mirror': the tiny test models the dev and test servers serve. */
  source: 'hub' | 'dev-mirror';
  dtypes: Dtype[];
  owned_by: string;
}

export const CATALOG: readonly CatalogEntry[] = [
  {
    id: DEFAULT_MODEL_ID,
    source: 'hub',
    dtypes: ['q4f16', 'q4', 'fp16', 'fp32'],
    owned_by: 'deepseek-ai',
  },
  {
    id: 'tiny-random/deepseek-coder-instruct',
    source: 'dev-mirror',
    dtypes: ['q4f16', 'q4', 'fp32'],
    owned_by: 'deepseek-coder-web',
  },
  {
    id: 'tiny-random/deepseek-coder-base',
    source: 'dev-mirror',
    dtypes: ['q4f16', 'q4', 'fp32'],
    owned_by: 'deepseek-coder-web',
  },
];

/** A hub repository id: `owner/name`, the characters the hub allows. */
export function isHubModelId(id: string): boolean {
  return /^[\w.-]+\/[\w.-]+$/.test(id) && !id.includes('..');
}
