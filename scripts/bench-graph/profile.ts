/**
 * ORT's profile (Chrome trace events) summed per op type and per part of the
 * model: the graph builder names each node after its part ("norm/Mul/…",
 * "kv-cache/Concat/…"), so nodes ORT made itself while optimizing are the
 * only ones without one. The first `model_run` is the prefill; the rest are
 * decode steps, averaged.
 */

export interface ProfileEvent {
  cat: string;
  name: string;
  ts: number;
  dur: number;
  args?: { op_name?: string };
}

export interface PhaseTimes {
  prefillMs: number;
  /** Mean over the decode steps. */
  decodeMs: number;
}

export interface ProfileSummary {
  byOp: Record<string, PhaseTimes>;
  byPart: Record<string, PhaseTimes>;
  /**
   * Per phase: the wall time of session.run, ORT's own time for the run
   * (model_run), and the kernels' sum. Wall minus model_run is the binding's
   * work outside ORT: above all copying every output (the whole present KV
   * cache and the logits) into JavaScript memory.
   */
  runs: { wall: PhaseTimes; ort: PhaseTimes; kernels: PhaseTimes };
}

const PARTS = new Set(['embedding', 'norm', 'linear', 'attention', 'rotary', 'kv-cache', 'mask', 'mlp', 'logits', 'lm_head']);

function phaseTimes(totals: number[]): PhaseTimes {
  const decode = totals.slice(1);
  return { prefillMs: totals[0] ?? 0, decodeMs: decode.length ? decode.reduce((a, b) => a + b, 0) / decode.length : 0 };
}

export function partOf(nodeName: string): string {
  const part = nodeName.split('/')[0];
  return PARTS.has(part) ? part : 'made by ORT';
}

/** `wallMs`: session.run's wall time per run, in order (prefill first). */
export function summarizeProfile(events: ProfileEvent[], wallMs: number[]): ProfileSummary {
  const runs = events.filter((event) => event.cat === 'Session' && event.name === 'model_run').sort((a, b) => a.ts - b.ts);
  if (runs.length !== wallMs.length) throw new Error(`the profile has ${runs.length} runs, ${wallMs.length} were timed`);
  const runOf = (ts: number) => runs.findIndex((run) => ts >= run.ts && ts <= run.ts + run.dur);
  const byOp = new Map<string, number[]>();
  const byPart = new Map<string, number[]>();
  const kernels = runs.map(() => 0);
  const add = (table: Map<string, number[]>, key: string, run: number, ms: number) => {
    if (!table.has(key)) table.set(key, runs.map(() => 0));
    const totals = table.get(key);
    if (totals) totals[run] += ms;
  };
  for (const event of events) {
    if (event.cat !== 'Node' || !event.name.endsWith('_kernel_time')) continue;
    const run = runOf(event.ts);
    if (run < 0) continue;
    const ms = event.dur / 1000;
    kernels[run] += ms;
    add(byOp, event.args?.op_name ?? '?', run, ms);
    add(byPart, partOf(event.name.slice(0, -'_kernel_time'.length)), run, ms);
  }
  const table = (totals: Map<string, number[]>) =>
    Object.fromEntries([...totals].map(([key, values]) => [key, phaseTimes(values)]).sort((a, b) => (b[1] as PhaseTimes).prefillMs - (a[1] as PhaseTimes).prefillMs));
  return {
    byOp: table(byOp),
    byPart: table(byPart),
    runs: { wall: phaseTimes(wallMs), ort: phaseTimes(runs.map((run) => run.dur / 1000)), kernels: phaseTimes(kernels) },
  };
}
