/**
 * Each tiny GGUF file (Q4_0, Q8_0, Q4_K_M), converted by the code the worker runs (header and
 * tensors read by Range requests, weights repacked, the graph written to external data in
 * several chunks), gives the logits of an fp32 graph that the same builder makes from the
 * file's own dequantized weights: within float rounding where the conversion is exact, within a
 * measured error for Q4_K to integer zero points (exact with block biases). The Q4_0 file also
 * matches the q4 ONNX export of the same weights.
 * Run in onnxruntime-node, and the q4 graphs also in onnxruntime-web's WebAssembly build.
 */
import { mkdtempSync, openAsBlob, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KQUANT_GGUF, KQUANT_MODEL_ID, KQUANT_Q4_0_GGUF, generateFixtures, hubDir, kquantFloatWeights } from '../../scripts/generate-fixtures.ts';
import { dequantize } from '../../workers/model-build/ggml-blocks.ts';
import { toLinear } from '../../workers/model-build/ggml-to-matmul-nbits.ts';
import { convertGguf } from '../../workers/model-build/gguf-convert.ts';
import { blobFetch, rangeReader, readGgufHeader, type GgufHeader, type ReadRange } from '../../workers/model-build/gguf-file.ts';
import { ggufModel, GGUF_LINEAR_NAMES, GGUF_NORM_NAMES, type GgufModel } from '../../workers/model-build/gguf-model.ts';
import { tensorByteLength } from '../../workers/model-build/gguf-weights.ts';
import { buildModel, type BuildOptions, type WeightSource } from '../../workers/model-build/graph.ts';
import { ggufRowOfHfRow } from '../../workers/model-build/rope-rows.ts';

type Session = { run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown; dims: readonly number[] }>> };

/** The file's weights as its own dequantization gives them, q and k rows in Hugging Face's order: the fp32 reference. */
function dequantizedSource(model: GgufModel, readRange: ReadRange): WeightSource {
  const read = async (name: string) => {
    const tensor = model.tensors.get(name)!;
    return { tensor, bytes: await readRange(tensor.offset, tensorByteLength(tensor)) };
  };
  const linear = async (name: string, rotated = false) => {
    const { tensor, bytes } = await read(name);
    return toLinear(tensor.type, bytes, tensor.dims[0], tensor.dims[1], rotated ? ggufRowOfHfRow(model.config.headDim) : undefined);
  };
  const vector = async (name: string) => {
    const { tensor, bytes } = await read(name);
    return dequantize(tensor.type, bytes, 0, tensor.dims.reduce((a, b) => a * b, 1));
  };
  return {
    embedTokens: () => vector('token_embd.weight'),
    layerNorm: (layer, norm) => vector(`blk.${layer}.${GGUF_NORM_NAMES[norm]}.weight`),
    layerLinear: (layer, name) => linear(`blk.${layer}.${GGUF_LINEAR_NAMES[name]}.weight`, name === 'self_attn.q_proj' || name === 'self_attn.k_proj'),
    finalNorm: () => vector('output_norm.weight'),
    lmHead: () => linear(model.tiedEmbeddings ? 'token_embd.weight' : 'output.weight'),
  };
}

const PROMPT = [32013, 1551, 16600, 7, 77, 1772, 185, 315, 207, 32021, 4, 58];

/** A prefill of the prompt, then one decode step fed the cache it returned: logits of both. */
async function logitsOf(session: Session, ort: typeof ortNode | typeof ortWeb, model: GgufModel, half: boolean): Promise<Float32Array[]> {
  const { numLayers, numHeads, headDim } = model.config;
  const ids = (values: number[]) => new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), [1, values.length]);
  const empty = () => (half ? new ort.Tensor('float16', new Uint16Array(0), [1, numHeads, 0, headDim]) : new ort.Tensor('float32', new Float32Array(0), [1, numHeads, 0, headDim]));
  const feeds: Record<string, unknown> = {
    input_ids: ids(PROMPT),
    attention_mask: ids(PROMPT.map(() => 1)),
    position_ids: ids(PROMPT.map((_, i) => i)),
  };
  for (let i = 0; i < numLayers; i++) for (const kind of ['key', 'value']) feeds[`past_key_values.${i}.${kind}`] = empty();
  const prefill = await session.run(feeds);
  const next = { input_ids: ids([100]), attention_mask: ids([...PROMPT, 1].map(() => 1)), position_ids: ids([PROMPT.length]) } as Record<string, unknown>;
  for (let i = 0; i < numLayers; i++) for (const kind of ['key', 'value']) next[`past_key_values.${i}.${kind}`] = prefill[`present.${i}.${kind}`];
  const decode = await session.run(next);
  return [prefill.logits.data as Float32Array, decode.logits.data as Float32Array];
}

function compare(a: Float32Array[], b: Float32Array[]) {
  let maxError = 0;
  let squares = 0;
  let count = 0;
  let maxLogit = 0;
  let sameArgmax = 0;
  let rows = 0;
  const vocab = 32256;
  for (let step = 0; step < a.length; step++) {
    for (let row = 0; row < a[step].length / vocab; row++) {
      let bestA = 0;
      let bestB = 0;
      for (let v = 0; v < vocab; v++) {
        const i = row * vocab + v;
        maxError = Math.max(maxError, Math.abs(a[step][i] - b[step][i]));
        squares += (a[step][i] - b[step][i]) ** 2;
        count += 1;
        maxLogit = Math.max(maxLogit, Math.abs(b[step][i]));
        if (a[step][i] > a[step][row * vocab + bestA]) bestA = v;
        if (b[step][i] > b[step][row * vocab + bestB]) bestB = v;
      }
      rows += 1;
      if (bestA === bestB) sameArgmax += 1;
    }
  }
  return { maxError, rmsError: Math.sqrt(squares / count), maxLogit, argmaxAgreement: sameArgmax / rows };
}

const cases = [
  // Chunks just above each model's largest initializer, so every model spans several.
  { label: 'Q4_0', repo: 'tiny-random/deepseek-coder-instruct', file: 'deepseek-coder-instruct.Q4_0.gguf', chunkBytes: 9e6, kQuants: 'zero-points' },
  { label: 'Q8_0', repo: 'tiny-random/deepseek-coder-instruct', file: 'deepseek-coder-instruct.Q8_0.gguf', chunkBytes: 3e6, kQuants: 'zero-points' },
  { label: 'Q4_K_M', repo: KQUANT_MODEL_ID, file: KQUANT_GGUF, chunkBytes: 9e6, kQuants: 'zero-points' },
  { label: 'Q4_K_M exact', repo: KQUANT_MODEL_ID, file: KQUANT_GGUF, chunkBytes: 9e6, kQuants: 'exact' },
  // As llama.cpp writes Q4_0: token_embd in Q4_0 (GatherBlockQuantized, 4 bits), output.weight in Q6_K.
  { label: 'Q4_0 as llama.cpp', repo: KQUANT_MODEL_ID, file: KQUANT_Q4_0_GGUF, chunkBytes: 9e6, kQuants: 'zero-points' },
] as const;
/** Where the conversion is exact (every tensor but Q4_K ones), logits differ by float rounding alone. */
const EXACT_TOLERANCE = 1e-3;
/** fp16 activations, scales and KV cache round at 2^-11 relative: logits up to ~15 move by some hundredths. */
const HALF_TOLERANCE = 0.1;

let dir = '';
beforeAll(async () => {
  await generateFixtures();
  dir = mkdtempSync(join(tmpdir(), 'gguf-convert-'));
  ortWeb.env.wasm.numThreads = 1;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(cases)('the $label GGUF file, converted', ({ label, repo, file, chunkBytes, kQuants }) => {
  let header: GgufHeader;
  let model: GgufModel;
  let readRange: ReadRange;
  let reference: Float32Array[];
  /** Every conversion is exact but Q4_K's to integer zero points. */
  const exact = label !== 'Q4_K_M';

  beforeAll(async () => {
    const fetchFile = blobFetch(await openAsBlob(join(hubDir, repo, file)));
    const url = `https://hub.test/${repo}/resolve/main/${file}`;
    header = await readGgufHeader(url, fetchFile);
    model = ggufModel(header);
    readRange = rangeReader(url, fetchFile);
    const fp32 = await buildModel(model.config, dequantizedSource(model, readRange), { dtype: 'fp32' });
    reference = await logitsOf(await ortNode.InferenceSession.create(fp32), ortNode, model, false);
  });

  /** Converts into a folder of `dir`, in chunks of at most `chunkBytes`; returns the graph's path and its chunks. */
  async function convert(options: BuildOptions, maxChunkBytes: number = chunkBytes) {
    const out = mkdtempSync(join(dir, `${label.replace(/\W+/g, '-')}-${options.dtype}-`));
    const modelFileName = `model_${options.dtype}.onnx`;
    const tensorsRead: string[] = [];
    const converted = await convertGguf({
      url: `https://hub.test/${repo}/resolve/main/${file}`,
      fetch: () => Promise.reject(new Error('the header and a reader are given')),
      header,
      readRange,
      build: options,
      modelFileName,
      maxChunkBytes,
      kQuants,
      sink: (chunk, bytes) => appendFileSync(join(out, `${modelFileName}_data${chunk === 0 ? '' : `_${chunk}`}`), bytes),
      onTensorRead: (name) => tensorsRead.push(name),
    });
    writeFileSync(join(out, modelFileName), converted.graph);
    expect(converted.files['config.json']).toMatchObject({ 'transformers.js_config': { use_external_data_format: { [modelFileName]: converted.chunkFileNames.length } } });
    return { path: join(out, modelFileName), chunkFileNames: converted.chunkFileNames, tensorsRead };
  }

  /** The graph in onnxruntime-web's WebAssembly build, its external data handed over as transformers.js does in a browser. */
  function webSession(path: string, chunkFileNames: string[]) {
    const externalData = chunkFileNames.map((name) => ({ path: name, data: new Uint8Array(readFileSync(join(path, '..', name))) }));
    return ortWeb.InferenceSession.create(new Uint8Array(readFileSync(path)), { externalData, executionProviders: ['wasm'] });
  }

  it('matches the fp32 graph of the file\u2019s own weights (q4: fp32 activations), in onnxruntime-node and -web', async () => {
    const { path, chunkFileNames, tensorsRead } = await convert({ dtype: 'q4' });
    expect(chunkFileNames.length).toBeGreaterThan(1);
    expect(new Set(tensorsRead).size).toBe(model.tensors.size);
    const converted = await logitsOf(await ortNode.InferenceSession.create(path), ortNode, model, false);
    const result = compare(converted, reference);
    console.log(
      `${label} → q4: max |logit error| ${result.maxError.toExponential(2)}, RMS ${result.rmsError.toExponential(2)} ` +
        `(logits up to ${result.maxLogit.toFixed(1)}), argmax agreement ${(result.argmaxAgreement * 100).toFixed(0)}%`,
    );
    if (exact) {
      expect(result.maxError).toBeLessThanOrEqual(EXACT_TOLERANCE);
      expect(result.argmaxAgreement).toBe(1);
    } else {
      // Q4_K's zero points are rounded to integers: the conversion may lose about as much as the
      // quantization itself did (measured on its weights: 89%), and no more than half as much again.
      const original = await buildModel(model.config, kquantFloatWeights(), { dtype: 'fp32' });
      const quantization = compare(reference, await logitsOf(await ortNode.InferenceSession.create(original), ortNode, model, false));
      console.log(`${label}: the file's own quantization moved the logits by RMS ${quantization.rmsError.toExponential(2)} (max ${quantization.maxError.toExponential(2)})`);
      expect(result.rmsError).toBeLessThanOrEqual(1.5 * quantization.rmsError);
    }
    const onWeb = compare(await logitsOf(await webSession(path, chunkFileNames), ortWeb, model, false), converted);
    expect(onWeb.maxError).toBeLessThanOrEqual(EXACT_TOLERANCE);
  });

  it('matches it in q4f16 too (fp16 scales, activations and KV cache), in onnxruntime-web', async () => {
    // onnxruntime-node 1.30 under Node 24 reads fp16 inputs (Float16Array) as empty, so the KV cache cannot go back in there.
    const { path, chunkFileNames } = await convert({ dtype: 'q4f16' });
    const converted = await logitsOf(await webSession(path, chunkFileNames), ortWeb, model, true);
    const result = compare(converted, reference);
    console.log(`${label} → q4f16: max |logit error| ${result.maxError.toExponential(2)}, RMS ${result.rmsError.toExponential(2)}`);
    if (exact) expect(result.maxError).toBeLessThanOrEqual(HALF_TOLERANCE);
    const q4 = compare(converted, await logitsOf(await ortNode.InferenceSession.create((await convert({ dtype: 'q4' })).path), ortNode, model, false));
    expect(q4.maxError).toBeLessThanOrEqual(HALF_TOLERANCE);
  });

  if (label === 'Q4_K_M exact') it('gives the same logits with the quantized embedding dequantized into a float table', async () => {
    // An fp32 table of 32256 × 256 takes 33 MB: chunks of 40 MB.
    const { path, chunkFileNames } = await convert({ dtype: 'q4', quantizedEmbedding: 'dequantize' }, 40e6);
    const written = readFileSync(path);
    expect(written.includes(Buffer.from('GatherBlockQuantized'))).toBe(false);
    expect(chunkFileNames.length).toBeGreaterThan(0);
    const result = compare(await logitsOf(await ortNode.InferenceSession.create(path), ortNode, model, false), reference);
    expect(result.maxError).toBeLessThanOrEqual(EXACT_TOLERANCE);
  });

  if (label === 'Q4_0') it('equals the q4 ONNX export of the same weights', async () => {
    const { path } = await convert({ dtype: 'q4' });
    const converted = await logitsOf(await ortNode.InferenceSession.create(path), ortNode, model, false);
    const exported = await logitsOf(await ortNode.InferenceSession.create(join(hubDir, repo, 'onnx', 'model_q4.onnx')), ortNode, model, false);
    const result = compare(converted, exported);
    console.log(`Q4_0 → q4 against model_q4.onnx: max |logit difference| ${result.maxError.toExponential(2)}`);
    expect(result.maxError).toBe(0);
  });
});
