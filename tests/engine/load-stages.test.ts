import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LoadProgress } from '../../src/protocol/index.ts';
import type { Engine } from '../../workers/engine/engine.ts';
import { INSTRUCT, startEngine } from './harness.ts';

let engine: Engine;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ engine, close } = await startEngine());
});

afterAll(() => close());

it('says when the download is over and the runtime builds its session, between the last byte and ready', async () => {
  const events: LoadProgress[] = [];
  await engine.load(INSTRUCT, { dtype: 'q4' }, (progress) => events.push(progress));
  const stages = events.map((event) => event.stage).filter((stage, i, all) => stage !== all[i - 1]);
  expect(stages).toEqual(['download', 'prepare', 'ready']);
  const prepare = events.find((event) => event.stage === 'prepare')!;
  const lastDownload = events.filter((event) => event.stage === 'download').at(-1)!;
  expect(prepare.total_bytes).toBe(lastDownload.total_bytes);
  expect(prepare.loaded_bytes).toBe(prepare.total_bytes);
});
