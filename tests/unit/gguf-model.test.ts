/**
 * A GGUF header → the model's shape, its special tokens and its hub files; the tokenizer
 * rebuilt from the metadata encodes exactly as DeepSeek Coder's real one; and files the
 * converter cannot build are refused with errors that name what is unsupported.
 */
import { mkdtempSync, openAsBlob, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFixtures, hubDir } from '../../scripts/generate-fixtures.ts';
import { ApiError } from '../../src/protocol/errors.ts';
import { DEEPSEEK_CODER_CHAT_TEMPLATE } from '../../workers/model-build/deepseek-chat-template.ts';
import { blobFetch, readGgufHeader, type GgufHeader } from '../../workers/model-build/gguf-file.ts';
import { ggufHubFiles } from '../../workers/model-build/gguf-hub-files.ts';
import { ggufModel } from '../../workers/model-build/gguf-model.ts';
import { loadDeepSeekTokenizer } from './fixture-tokenizer.ts';

const INSTRUCT = 'tiny-random/deepseek-coder-instruct';
const BASE = 'tiny-random/deepseek-coder-base';

async function headerOf(repo: string, file: string): Promise<GgufHeader> {
  return readGgufHeader(`https://hub.test/${repo}/${file}`, blobFetch(await openAsBlob(join(hubDir, repo, file))));
}

let instruct: GgufHeader;
let base: GgufHeader;
let dir = '';

beforeAll(async () => {
  await generateFixtures();
  instruct = await headerOf(INSTRUCT, 'deepseek-coder-instruct.Q4_0.gguf');
  base = await headerOf(BASE, 'deepseek-coder-base.Q4_0.gguf');
  dir = mkdtempSync(join(tmpdir(), 'gguf-tokenizer-'));
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The header with some metadata replaced or removed (undefined), and the tensor table edited. */
function edited(header: GgufHeader, metadata: Record<string, unknown>, tensors = header.tensors): GgufHeader {
  const copy = { ...header.metadata, ...metadata } as GgufHeader['metadata'];
  for (const [key, value] of Object.entries(metadata)) if (value === undefined) delete copy[key];
  return { metadata: copy, tensors };
}

function refusal(work: () => unknown): ApiError {
  try {
    work();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected the header to be refused');
}

describe('a GGUF header read over Range requests', () => {
  it('gives the Llama shape, context length and special tokens', () => {
    const model = ggufModel(instruct);
    expect(model.config).toEqual({
      vocabSize: 32256,
      hiddenSize: 64,
      intermediateSize: 128,
      numLayers: 2,
      numHeads: 4,
      headDim: 16,
      rmsNormEps: expect.closeTo(1e-6, 12),
      ropeTheta: 100000,
      ropeLinearFactor: 4,
    });
    expect(model.contextLength).toBe(16384);
    expect(model.tiedEmbeddings).toBe(false);
    expect(model.specialTokens).toEqual({ bos: 32013, eos: 32021, pad: 32014, fim: { prefix: 32016, suffix: 32015, middle: 32017 } });
    expect(model.tensors.get('blk.1.attn_q.weight')).toMatchObject({ type: 2, dims: [64, 64] });
  });

  it('gives config.json and generation_config.json as the hub export of the same model has them', () => {
    const files = ggufHubFiles(instruct, ggufModel(instruct));
    const onHub = (file: string) => JSON.parse(readFileSync(join(hubDir, INSTRUCT, file), 'utf8')) as unknown;
    // The GGUF file keeps eps as float32: 1e-6 comes back as 9.99999997e-7.
    expect(files['config.json']).toEqual({ ...(onHub('config.json') as object), rms_norm_eps: expect.closeTo(1e-6, 12) });
    expect(files['generation_config.json']).toEqual(onHub('generation_config.json'));
    const withChunks = ggufHubFiles(instruct, ggufModel(instruct), { externalData: { modelFileName: 'model_q4.onnx', chunkCount: 2 } });
    expect(withChunks['config.json']).toMatchObject({ 'transformers.js_config': { use_external_data_format: { 'model_q4.onnx': 2 } } });
  });

  it('refuses a file that is not GGUF, saying so', async () => {
    const blob = new Blob([new Uint8Array(4096).fill(7)]);
    const error = await readGgufHeader('https://hub.test/x/y.gguf', blobFetch(blob)).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).error).toMatchObject({ code: 'invalid_gguf', param: 'model' });
  });
});

describe('the tokenizer rebuilt from GGUF metadata', () => {
  let real: PreTrainedTokenizer;
  let rebuilt: PreTrainedTokenizer;
  let rebuiltConfig: Record<string, unknown>;

  beforeAll(async () => {
    real = await loadDeepSeekTokenizer();
    const files = ggufHubFiles(instruct, ggufModel(instruct));
    rebuiltConfig = files['tokenizer_config.json'] as Record<string, unknown>;
    mkdirSync(join(dir, 'rebuilt'));
    writeFileSync(join(dir, 'rebuilt', 'tokenizer.json'), JSON.stringify(files['tokenizer.json']));
    writeFileSync(join(dir, 'rebuilt', 'tokenizer_config.json'), JSON.stringify(rebuiltConfig));
    env.localModelPath = `${dir}/`;
    rebuilt = await AutoTokenizer.from_pretrained('rebuilt');
  }, 120_000);

  const texts = [
    'def fibonacci(n):\n    if n < 2:\n        return n\n    return fibonacci(n - 1) + fibonacci(n - 2)\n',
    'const x = { a: [1, 2, 3], "b": null }; // 12345 67890\r\n\tlet y = x?.a ?? [];',
    'Hello, world! Ünïcödé façade — naïve café. 你好，世界。 안녕하세요 こんにちは 🙂👩‍💻',
    '   leading spaces\n\n\ntrailing   \t',
    '<｜fim▁begin｜>def add(a, b):\n<｜fim▁hole｜>\n    return c<｜fim▁end｜>',
    '<｜begin▁of▁sentence｜>### Instruction:\nhi\n### Response:\nok\n<|EOT|>\n<｜end▁of▁sentence｜>',
    'õ÷Áý special-looking <pad> <|User|> <|Assistant|> chars',
    'SELECT * FROM users WHERE id = 42 AND name LIKE \'%o\\\'n%\';',
    '',
  ];

  it('encodes text, code, FIM and special tokens to the same ids as DeepSeek Coder\u2019s tokenizer', () => {
    for (const text of texts) {
      expect(rebuilt.encode(text, { add_special_tokens: false }), JSON.stringify(text)).toEqual(real.encode(text, { add_special_tokens: false }));
    }
  });

  it('decodes every id back to the same text', () => {
    const ids = Array.from({ length: 32022 }, (_, id) => id).filter((id) => id % 97 === 0 || id >= 32000);
    for (const id of ids) expect(rebuilt.decode([id]), `id ${id}`).toBe(real.decode([id]));
  });

  it('has the same special tokens and chat template', () => {
    expect([rebuilt.bos_token_id, rebuilt.eos_token_id, rebuilt.pad_token_id]).toEqual([32013, 32021, 32014]);
    const messages = [
      { role: 'user', content: 'Write a sort.' },
      { role: 'assistant', content: 'sorted(xs)' },
      { role: 'user', content: 'In place?' },
    ];
    const render = (tokenizer: PreTrainedTokenizer) => tokenizer.apply_chat_template(messages, { tokenize: false, add_generation_prompt: true });
    expect(render(rebuilt)).toBe(render(real));
    expect(rebuiltConfig.model_max_length).toBe(16384);
  });

  it('gives the base model no chat template, and an instruct file without one DeepSeek\u2019s', () => {
    expect(ggufHubFiles(base, ggufModel(base))['tokenizer_config.json']).not.toHaveProperty('chat_template');
    const withoutTemplate = edited(instruct, { 'tokenizer.chat_template': undefined });
    expect(ggufHubFiles(withoutTemplate, ggufModel(withoutTemplate))['tokenizer_config.json']).toHaveProperty('chat_template', DEEPSEEK_CODER_CHAT_TEMPLATE);
    const fixtureTemplate = (JSON.parse(readFileSync('fixtures/deepseek-coder/tokenizer_config.json', 'utf8')) as { chat_template: string }).chat_template;
    expect(DEEPSEEK_CODER_CHAT_TEMPLATE).toBe(fixtureTemplate);
  });
});

describe('files the converter cannot build', () => {
  const expectRefusal = (header: GgufHeader, ...words: (string | RegExp)[]) => {
    const error = refusal(() => ggufModel(header));
    expect(error.status).toBe(400);
    expect(error.error).toMatchObject({ type: 'invalid_request_error', param: 'model', code: 'unsupported_gguf' });
    for (const word of words) expect(error.message).toMatch(word);
  };

  it('names an architecture other than llama', () => {
    expectRefusal(edited(instruct, { 'general.architecture': 'qwen2' }), "'qwen2'", "'llama'");
  });

  it('names each unsupported tensor type and a few of its tensors', () => {
    const tensors = instruct.tensors.map((tensor) =>
      tensor.name.includes('attn_q') ? { ...tensor, type: 10 } : tensor.name.includes('ffn_up') ? { ...tensor, type: 20 } : tensor,
    );
    expectRefusal(edited(instruct, {}, tensors), /Q2_K \(blk\.0\.attn_q\.weight, blk\.1\.attn_q\.weight\)/, /IQ4_NL \(blk\.0\.ffn_up\.weight/);
  });

  it('names missing and unknown tensors, and wrong shapes', () => {
    expectRefusal(edited(instruct, {}, instruct.tensors.filter((tensor) => tensor.name !== 'blk.1.ffn_down.weight')), 'blk.1.ffn_down.weight');
    expectRefusal(edited(instruct, {}, [...instruct.tensors, { name: 'blk.0.attn_q.bias', type: 0, dims: [64], offset: 0 }]), 'blk.0.attn_q.bias');
    const reshaped = instruct.tensors.map((tensor) => (tensor.name === 'blk.0.ffn_gate.weight' ? { ...tensor, dims: [64, 96] } : tensor));
    expectRefusal(edited(instruct, {}, reshaped), 'blk.0.ffn_gate.weight', '[64, 96]', '[64, 128]');
  });

  it('refuses grouped-query attention, other rope scaling, and tokenizers it cannot rebuild', () => {
    expectRefusal(edited(instruct, { 'llama.attention.head_count_kv': 2 }), '2 key/value heads for 4 heads');
    expectRefusal(edited(instruct, { 'llama.rope.scaling.type': 'yarn' }), "'yarn'");
    expectRefusal(edited(instruct, { 'tokenizer.ggml.model': 'llama' }), "'llama'", 'BPE');
    expectRefusal(edited(instruct, { 'tokenizer.ggml.pre': 'llama-bpe' }), "'llama-bpe'");
  });

  it('takes a file with no pre-tokenizer name as DeepSeek Coder\u2019s, as older files are', () => {
    expect(ggufModel(edited(instruct, { 'tokenizer.ggml.pre': undefined })).config.numLayers).toBe(2);
  });
});
