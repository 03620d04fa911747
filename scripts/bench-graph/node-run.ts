/**
 * One variant's passes in Node, on onnxruntime-node's CPU provider: a prefill
 * of the prompt in one pass, then greedy decode steps feeding each pass's
 * present keys and values back, as the engine does. With profiling on, ORT's
 * per-node profile of the same passes.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { summarizeProfile, type ProfileEvent, type ProfileSummary } from './profile.ts';

export interface PassTimes {
  prefillMs: number;
  /** Wall time of each decode step. */
  decodeMs: number[];
}

export interface RunShape {
  threads: number;
  promptIds: number[];
  decodeTokens: number;
  kvHeads: number;
  headDim: number;
}

type Feeds = Record<string, ort.Tensor>;

function argmaxLastRow(logits: ort.Tensor): number {
  const [, rows, vocab] = logits.dims;
  const data = logits.data as Float32Array;
  let best = 0;
  const base = (rows - 1) * vocab;
  for (let i = 1; i < vocab; i++) if (data[base + i] > data[base + best]) best = i;
  return best;
}

/** The passes the engine would run for the prompt and `decodeTokens` greedy tokens, timed. */
export async function runPasses(session: ort.InferenceSession, shape: RunShape): Promise<PassTimes> {
  const layers = session.inputNames.filter((name) => name.startsWith('past_key_values.')).length / 2;
  let past: Feeds = {};
  for (let i = 0; i < layers; i++) {
    for (const kind of ['key', 'value']) past[`past_key_values.${i}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [1, shape.kvHeads, 0, shape.headDim]);
  }
  const keepsLogits = session.inputNames.includes('num_logits_to_keep');
  let length = 0;
  const pass = async (ids: number[]) => {
    const total = length + ids.length;
    const feeds: Feeds = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from(ids, (_, i) => BigInt(length + i)), [1, ids.length]),
      ...past,
    };
    if (keepsLogits) feeds.num_logits_to_keep = new ort.Tensor('int64', BigInt64Array.of(1n), []);
    const started = performance.now();
    const outputs = await session.run(feeds);
    const elapsed = performance.now() - started;
    past = {};
    for (const [name, tensor] of Object.entries(outputs)) if (name.startsWith('present.')) past[name.replace('present.', 'past_key_values.')] = tensor;
    length = total;
    return { elapsed, next: argmaxLastRow(outputs.logits) };
  };
  const prefill = await pass(shape.promptIds);
  const decodeMs: number[] = [];
  let next = prefill.next;
  for (let step = 0; step < shape.decodeTokens; step++) {
    const result = await pass([next]);
    decodeMs.push(result.elapsed);
    next = result.next;
  }
  return { prefillMs: prefill.elapsed, decodeMs };
}

export function createSession(path: string, threads: number, profilePrefix?: string): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(path, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    ...(profilePrefix && { enableProfiling: true, profileFilePrefix: profilePrefix }),
  });
}

/** The same passes with ORT's profiler on, summarized per op type and per part of the model. */
export async function profilePasses(path: string, shape: RunShape): Promise<{ times: PassTimes; profile: ProfileSummary }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-graph-profile-'));
  try {
    const session = await createSession(path, shape.threads, join(dir, 'profile'));
    const times = await runPasses(session, shape);
    session.endProfiling();
    await session.release();
    const file = readdirSync(dir).find((name) => name.endsWith('.json'));
    if (!file) throw new Error(`onnxruntime-node wrote no profile in ${dir}`);
    const events = JSON.parse(readFileSync(join(dir, file), 'utf8')) as ProfileEvent[];
    return { times, profile: summarizeProfile(events, [times.prefillMs, ...times.decodeMs]) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
