import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { healRuntimeChains } from '../../scripts/runtime-chains-plugin.ts';

const BUNDLE = readFileSync('node_modules/@huggingface/transformers/dist/transformers.web.js', 'utf8');

/** Runs the bundle's own chain code (as healed or not) over a failing call and a good one. */
async function secondCallAfterAFailure(code: string): Promise<string> {
  const line = code.split('\n').find((text) => text.includes('webInitChain = webInitChain'))!;
  const call = /\(apis\.IS_WEB_ENV \? (.*) : load\(\)\)/.exec(line)![1];
  const run = new Function('state', 'load', `let webInitChain = state.chain; const result = ${call}; state.chain = webInitChain; return result;`) as (
    state: { chain: Promise<unknown> },
    load: () => Promise<string>,
  ) => Promise<string>;
  const state = { chain: Promise.resolve() as Promise<unknown> };
  await run(state, () => Promise.reject(new Error('protobuf parsing failed'))).catch(() => undefined);
  return run(state, () => Promise.resolve('second session'));
}

describe('transformers.js runtime chains', () => {
  it('as shipped, one failed session creation fails every later one', async () => {
    await expect(secondCallAfterAFailure(BUNDLE)).rejects.toThrow('protobuf parsing failed');
  });

  it('healed, the next session is created after a failure', async () => {
    await expect(secondCallAfterAFailure(healRuntimeChains(BUNDLE))).resolves.toBe('second session');
  });

  it('heals both chains, and refuses a bundle where they are not found', () => {
    const healed = healRuntimeChains(BUNDLE);
    expect(healed).toContain('webInitChain.catch(() => undefined).then(load)');
    expect(healed).toContain('webInferenceChain.catch(() => undefined).then(run)');
    expect(() => healRuntimeChains('const x = 1;')).toThrow(/transformers\.js changed/);
  });
});
