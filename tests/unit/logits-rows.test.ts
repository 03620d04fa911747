/**
 * `num_logits_to_keep` added to a graph built without it. The rewritten
 * graph must compute, bit for bit, what the builder's own graph with that
 * input computes from the same weights (both cut after the last attention),
 * keep every row when asked for 0, and leave graphs it cannot cut alone.
 */
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { randomWeights } from '../../scripts/llama-graph/random-weights.ts';
import type { BuildOptions, LlamaConfig } from '../../workers/model-build/graph.ts';
import { withNumLogitsToKeep } from '../../workers/model-build/logits-rows.ts';
import { SMALL_LLAMA, modelFileBytes } from './small-llama.ts';

const { onnx } = onnxProto;

const config: LlamaConfig = { ...SMALL_LLAMA, numLayers: 3 };
const weights = randomWeights(config, { seed: 23, tokenizerSize: 300, logitGain: 4 });
const TOKENS = [1, 17, 42, 99, 7];

/** Logits of one pass over TOKENS from a fresh session, `keep` fed where the graph takes it. */
async function logits(model: Uint8Array, options: BuildOptions, keep?: number): Promise<{ data: Float32Array; rows: number }> {
  const session = await ort.InferenceSession.create(model);
  const ids = (values: number[]) => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [1, values.length]);
  const feeds: Record<string, ort.Tensor> = {
    input_ids: ids(TOKENS),
    attention_mask: ids(TOKENS.map(() => 1)),
    position_ids: ids(TOKENS.map((_, i) => i)),
  };
  if (keep !== undefined) feeds.num_logits_to_keep = new ort.Tensor('int64', BigInt64Array.of(BigInt(keep)), []);
  for (const name of session.inputNames) {
    if (!name.startsWith('past_key_values.')) continue;
    const empty = options.dtype === 'q4f16' ? new ort.Tensor('float16', new Uint16Array(0), [1, config.numHeads, 0, config.headDim]) : null;
    feeds[name] = empty ?? new ort.Tensor('float32', new Float32Array(0), [1, config.numHeads, 0, config.headDim]);
  }
  const output = (await session.run(feeds, ['logits'])).logits;
  await session.release();
  return { data: output.data as Float32Array, rows: output.dims[1] };
}

describe.each<BuildOptions>([{ dtype: 'fp32' }, { dtype: 'q4' }, { dtype: 'q4f16' }, { dtype: 'q8' }])('a $dtype graph without num_logits_to_keep', (options) => {
  it('gets the input, and then computes what the graph built with it computes', async () => {
    const plain = await modelFileBytes(config, weights, options);
    const rewritten = withNumLogitsToKeep(plain);
    if (!rewritten) throw new Error('no cut found');
    const graph = onnx.ModelProto.decode(rewritten).graph;
    expect(graph?.input?.map((input) => input.name)).toContain('num_logits_to_keep');
    expect(graph?.output?.[0].type?.tensorType?.shape?.dim?.[1].dimParam).toBe('logits_sequence_length');

    const built = await modelFileBytes(config, weights, { ...options, numLogitsToKeep: true });
    for (const keep of [1, 2]) {
      const ours = await logits(rewritten, options, keep);
      expect(ours.rows).toBe(keep);
      expect([...ours.data]).toEqual([...(await logits(built, options, keep)).data]);
    }
    // 0 keeps every row, as the graph computed them before.
    const all = await logits(rewritten, options, 0);
    expect(all.rows).toBe(TOKENS.length);
    expect([...all.data]).toEqual([...(await logits(plain, options)).data]);
  });
});

describe('graphs left as they are', () => {
  it('one that has the input already', async () => {
    expect(withNumLogitsToKeep(await modelFileBytes(config, weights, { dtype: 'q4', numLogitsToKeep: true }))).toBeNull();
  });

  it('one whose logits mix positions after every tensor all paths pass through', () => {
    // logits = MatMul(x, transpose(x)): a product of two activations, like attention's.
    const model = onnx.ModelProto.encode({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name: 'mixing',
        node: [
          { opType: 'Transpose', input: ['x'], output: ['xt'], attribute: [{ name: 'perm', ints: [0, 2, 1], type: onnx.AttributeProto.AttributeType.INTS }] },
          { opType: 'MatMul', input: ['x', 'xt'], output: ['logits'] },
        ],
        input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }, { dimParam: 's' }, { dimValue: 4 }] } } } }],
        output: [{ name: 'logits', type: { tensorType: { elemType: 1 } } }],
      },
    }).finish();
    expect(withNumLogitsToKeep(model)).toBeNull();
  });
});
