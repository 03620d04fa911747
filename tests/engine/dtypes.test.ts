/**
 * The three dtypes of the tiny instruct model agree: q4 and q4f16 share their
 * 4-bit weights and differ only in fp16 scales and activations; fp32 holds the
 * weights q4 quantizes. Also: the base model (no chat template) loads and runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dtype } from '../../src/protocol/index.ts';
import type { Engine } from '../../workers/engine/engine.ts';
import { BASE, INSTRUCT, startEngine } from './harness.ts';

const VOCAB_SIZE = 32256;
const TEXTS = ['def fibonacci(n):\n    ', '### Instruction:\nExplain closures\n### Response:\n'];
const DTYPES: readonly Dtype[] = ['fp32', 'q4', 'q4f16'];

let engine: Engine;
let close: () => Promise<void>;
/** logits[dtype][text index] */
const logits = new Map<Dtype, Float32Array[]>();

beforeAll(async () => {
  ({ engine, close } = await startEngine());
  for (const dtype of DTYPES) {
    const info = await engine.load(INSTRUCT, { device: 'cpu', dtype });
    expect(info.dtype).toBe(dtype);
    const rows: Float32Array[] = [];
    for (const text of TEXTS) rows.push(await engine.nextTokenLogits(text));
    logits.set(dtype, rows);
  }
});

afterAll(async () => {
  await close?.();
});

function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

function pearson(a: Float32Array, b: Float32Array): number {
  const n = a.length;
  let meanA = 0;
  let meanB = 0;
  for (let i = 0; i < n; i++) {
    meanA += a[i];
    meanB += b[i];
  }
  meanA /= n;
  meanB /= n;
  let cov = 0;
  let varA = 0;
  let varB = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - meanA;
    const db = b[i] - meanB;
    cov += da * db;
    varA += da * da;
    varB += db * db;
  }
  return cov / Math.sqrt(varA * varB);
}

function rows(dtype: Dtype): Float32Array[] {
  const found = logits.get(dtype);
  if (!found) throw new Error(`no logits for ${dtype}`);
  return found;
}

function row(dtype: Dtype, text: number): Float32Array {
  const found = rows(dtype)[text];
  if (!found) throw new Error(`no logits for ${dtype} on text ${text}`);
  return found;
}

describe('dtype agreement on the instruct model', () => {
  it('every dtype returns finite logits over the full vocabulary', () => {
    for (const dtype of DTYPES) {
      for (const values of rows(dtype)) {
        expect(values).toHaveLength(VOCAB_SIZE);
        expect(values.every(Number.isFinite)).toBe(true);
      }
      // The logits depend on the text.
      expect(maxAbsDiff(row(dtype, 0), row(dtype, 1))).toBeGreaterThan(0.1);
    }
  });

  it('q4 and q4f16 agree up to fp16 rounding', () => {
    TEXTS.forEach((text, i) => {
      const q4 = row('q4', i);
      const q4f16 = row('q4f16', i);
      const diff = maxAbsDiff(q4, q4f16);
      console.log(`q4 vs q4f16 on ${JSON.stringify(text)}: argmax ${argmax(q4)} / ${argmax(q4f16)}, max |diff| ${diff.toFixed(5)}`);
      expect(argmax(q4f16)).toBe(argmax(q4));
      expect(diff).toBeLessThan(0.1);
      // Not the same graph: fp16 must leave some trace.
      expect(diff).toBeGreaterThan(0);
    });
  });

  it('fp32 and q4 are strongly correlated', () => {
    TEXTS.forEach((text, i) => {
      const fp32 = row('fp32', i);
      const q4 = row('q4', i);
      const r = pearson(fp32, q4);
      const diff = maxAbsDiff(fp32, q4);
      console.log(
        `fp32 vs q4 on ${JSON.stringify(text)}: Pearson r ${r.toFixed(5)}, max |diff| ${diff.toFixed(4)}, argmax ${argmax(fp32)} / ${argmax(q4)}`,
      );
      expect(r).toBeGreaterThan(0.95);
      // Quantized, so not identical.
      expect(diff).toBeGreaterThan(0);
    });
  });

  it('logits are reproducible for the same text', async () => {
    // The q4f16 model is the one loaded last.
    expect(engine.loaded?.dtype).toBe('q4f16');
    const again = await engine.nextTokenLogits(TEXTS[0] ?? '');
    expect(maxAbsDiff(again, row('q4f16', 0))).toBe(0);
  });
});

describe('the base model', () => {
  it('loads and returns next-token logits over the full vocabulary', async () => {
    const info = await engine.load(BASE, { device: 'cpu', dtype: 'q4' });
    expect(info).toMatchObject({ id: BASE, device: 'cpu', dtype: 'q4' });
    expect(engine.loaded?.id).toBe(BASE);
    const base = await engine.nextTokenLogits(TEXTS[0] ?? '');
    expect(base).toHaveLength(VOCAB_SIZE);
    expect(base.every(Number.isFinite)).toBe(true);
    // Different random weights from the instruct model.
    expect(maxAbsDiff(base, row('q4', 0))).toBeGreaterThan(0.1);
  });

  it('refuses chat (it has no chat template) and keeps working', async () => {
    expect(engine.loaded?.id).toBe(BASE);
    await expect(engine.chat({ model: BASE, messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 })).rejects.toMatchObject({
      status: 400,
      error: { type: 'invalid_request_error', param: 'model', code: 'model_not_chat' },
    });
    const base = await engine.nextTokenLogits(TEXTS[0] ?? '');
    expect(base).toHaveLength(VOCAB_SIZE);
  });
});
