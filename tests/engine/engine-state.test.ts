import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineState } from '../../src/protocol/index.ts';
import { BASE, INSTRUCT, startEngine } from './harness.ts';

let harness: Awaited<ReturnType<typeof startEngine>>;
const seen: EngineState[] = [];

beforeAll(async () => {
  harness = await startEngine();
  harness.engine.state.subscribe((state) => seen.push(state));
});

afterAll(() => harness?.close());

describe('the engine publishes its state', () => {
  it('starts with nothing, then a load goes queued, loading, loaded, with growing revisions', async () => {
    expect(seen[0]).toEqual({ revision: 0, loaded: null, load: null, active_requests: 0, generation: null });
    const loaded = await harness.engine.load(INSTRUCT, { dtype: 'q4' });
    const statuses = seen.map((state) => state.load?.status ?? null);
    expect(statuses).toContain('queued');
    expect(statuses).toContain('loading');
    expect(seen.at(-1)).toMatchObject({ loaded, load: null });
    const revisions = seen.map((state) => state.revision);
    expect(revisions).toEqual([...revisions].sort((a, b) => a - b));
    expect(new Set(revisions).size).toBe(revisions.length);
  });

  it('counts a request, and its prompt tokens from the moment it starts', async () => {
    seen.length = 0;
    const usage = (await harness.engine.chat({ model: INSTRUCT, messages: [{ role: 'user', content: 'hi' }], max_tokens: 3, temperature: 0 })).usage;
    const generation = seen.find((state) => state.generation !== null)?.generation;
    expect(generation).toEqual({ model: INSTRUCT, prompt_tokens: usage.prompt_tokens, cached_tokens: usage.prompt_tokens_details?.cached_tokens ?? 0 });
    expect(Math.max(...seen.map((state) => state.active_requests))).toBe(1);
    expect(seen.at(-1)).toMatchObject({ active_requests: 0, generation: null });
  });

  it('a load waiting behind an answer leaves the old model loaded and usable until its turn', async () => {
    seen.length = 0;
    const answer = harness.engine.chat({ model: INSTRUCT, messages: [{ role: 'user', content: 'Explain closures' }], max_tokens: 24, temperature: 0 });
    const load = harness.engine.load(BASE, { dtype: 'q4' });
    // While the load waits, the state names it queued and the instruct model still loaded.
    expect(harness.engine.state.state).toMatchObject({ loaded: { id: INSTRUCT }, load: { model: BASE, status: 'queued' } });
    // A request made now, for the model still loaded, is served by it: it goes ahead of the waiting load.
    const meanwhile = harness.engine.chat({ model: INSTRUCT, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 });
    // One made for the model being loaded is refused: it is not loaded yet.
    await expect(harness.engine.chat({ model: BASE, messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 404 });
    await answer;
    expect((await meanwhile).model).toBe(INSTRUCT);
    await load;
    expect(harness.engine.state.state).toMatchObject({ loaded: { id: BASE }, load: null, active_requests: 0 });
    // The old model went only once the load began.
    const unloaded = seen.find((state) => state.loaded === null);
    expect(unloaded?.load).toEqual({ model: BASE, status: 'loading' });
  });
});
