import { describe, expect, it } from 'vitest';
import { completeDtypes, conversionComplete, externalDataChunks, filesOfDtype, type LoadConfig } from '../../workers/engine/model-files.ts';

const SUPPORT = ['config.json', 'tokenizer.json', 'tokenizer_config.json'];

function stored(paths: string[], config: LoadConfig | null = {}) {
  return { sizes: new Map(paths.map((path) => [path, 100])), config };
}

describe('the files a load of one dtype reads', () => {
  it('are the config, the tokenizer files and the graph when config.json declares no external data', () => {
    expect(filesOfDtype('q4', 'model', {})).toEqual([...SUPPORT, 'onnx/model_q4.onnx']);
    expect(filesOfDtype('fp32', 'decoder_model_merged', {})).toEqual([...SUPPORT, 'onnx/decoder_model_merged.onnx']);
  });

  it('add the external-data chunks config.json declares, named as transformers.js fetches them', () => {
    const config: LoadConfig = { 'transformers.js_config': { use_external_data_format: 3 } };
    expect(filesOfDtype('q4f16', 'model', config).slice(3)).toEqual([
      'onnx/model_q4f16.onnx',
      'onnx/model_q4f16.onnx_data',
      'onnx/model_q4f16.onnx_data_1',
      'onnx/model_q4f16.onnx_data_2',
    ]);
  });

  it('take the catalog’s chunk count over config.json’s, by graph file name, as the engine passes it', () => {
    const catalog = { 'decoder_model_merged.onnx': 1 };
    expect(filesOfDtype('fp32', 'decoder_model_merged', {}, catalog).at(-1)).toBe('onnx/decoder_model_merged.onnx_data');
    // The 8-bit graph of the same export has its weights inside.
    expect(filesOfDtype('q8', 'decoder_model_merged', {}, catalog).at(-1)).toBe('onnx/decoder_model_merged_quantized.onnx');
  });

  it('resolve use_external_data_format as transformers.js does: true is one chunk, false none, a map by file or base name', () => {
    expect(externalDataChunks(true, 'model_q4.onnx', 'model')).toBe(1);
    expect(externalDataChunks(false, 'model_q4.onnx', 'model')).toBe(0);
    expect(externalDataChunks(undefined, 'model_q4.onnx', 'model')).toBe(0);
    expect(externalDataChunks({ 'model_q4.onnx': 2 }, 'model_q4.onnx', 'model')).toBe(2);
    expect(externalDataChunks({ model: 4 }, 'model_q4.onnx', 'model')).toBe(4);
    expect(externalDataChunks({ 'model_fp16.onnx': 2 }, 'model_q4.onnx', 'model')).toBe(0);
  });
});

describe('a dtype counts as cached', () => {
  it('when every file it reads is stored', () => {
    expect(completeDtypes(stored([...SUPPORT, 'onnx/model_q4.onnx']), ['q4f16', 'q4', 'fp32'], 'model')).toEqual(['q4']);
  });

  it('not when only config.json and the graph are: a download cut short left the tokenizer out', () => {
    expect(completeDtypes(stored(['config.json', 'onnx/model_q4.onnx']), ['q4'], 'model')).toEqual([]);
    expect(completeDtypes(stored(['config.json', 'tokenizer.json', 'onnx/model_q4.onnx']), ['q4'], 'model')).toEqual([]);
  });

  it('not without config.json, or with one that is not JSON: the load could not start', () => {
    expect(completeDtypes(stored(['tokenizer.json', 'tokenizer_config.json', 'onnx/model_q4.onnx'], null), ['q4'], 'model')).toEqual([]);
  });

  it('not while an external-data chunk is missing', () => {
    const config: LoadConfig = { 'transformers.js_config': { use_external_data_format: 2 } };
    const graph = [...SUPPORT, 'onnx/model_fp16.onnx', 'onnx/model_fp16.onnx_data'];
    expect(completeDtypes(stored(graph, config), ['fp16'], 'model')).toEqual([]);
    expect(completeDtypes(stored([...graph, 'onnx/model_fp16.onnx_data_1'], config), ['fp16'], 'model')).toEqual(['fp16']);
  });

  it('without generation_config.json, which a repository may lack and a load reads only where it exists', () => {
    expect(completeDtypes(stored([...SUPPORT, 'onnx/model.onnx']), ['fp32'], 'model')).toEqual(['fp32']);
  });
});

describe('a converted GGUF model counts as cached', () => {
  const record = { files: { 'config.json': 600, 'tokenizer.json': 2000, 'onnx/model_q4.onnx': 5000, 'onnx/model_q4.onnx_data': 90_000 } };

  it('when its conversion record was written and every file it lists is stored at its size', () => {
    expect(conversionComplete(new Map(Object.entries(record.files)), record)).toBe(true);
  });

  it('not without the record: the conversion did not finish', () => {
    expect(conversionComplete(new Map(Object.entries(record.files)), null)).toBe(false);
  });

  it('not when a listed file is gone or has another size', () => {
    const sizes = new Map(Object.entries(record.files));
    sizes.delete('onnx/model_q4.onnx_data');
    expect(conversionComplete(sizes, record)).toBe(false);
    expect(conversionComplete(new Map([...Object.entries(record.files), ['onnx/model_q4.onnx', 4999]]), record)).toBe(false);
  });
});
