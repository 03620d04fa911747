/**
 * `npx tsx scripts/measure-gguf-conversion.ts [--gguf PATH | --shape 1.3b|6.7b] [--dtype q4|q4f16]`:
 * converts a GGUF file with the worker's code (header and tensors read by
 * Range requests over the file, the graph's weights streamed to external-data
 * chunks in a temporary folder) and prints the time and the process's peak
 * memory against the file's size. By default it converts the full-size 1.3B
 * random-weight Q4_0 file; `--shape 6.7b`, a random-weight file of DeepSeek
 * Coder 6.7B's shape. Each is written first, with the full-size generator's
 * code, when it is missing (1.3B: ~850 MB, 2 minutes of CPU; 6.7B: 3.8 GB,
 * about 10), under fixtures/hub/full-random/, where the test mirror serves it.
 * The conversion runs in a process of its own, so its peak is its own.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openAsBlob, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chunkFileName } from '../workers/model-build/external-data.ts';
import { convertGguf } from '../workers/model-build/gguf-convert.ts';
import { blobFetch, readGgufHeader } from '../workers/model-build/gguf-file.ts';
import { ggufModel } from '../workers/model-build/gguf-model.ts';
import type { ModelDtype } from '../workers/model-build/graph.ts';
import { FULL_SHAPES, fullModelWeights, type FullShape } from './generate-full-fixture.ts';
import { INSTRUCT_EOS, instructTokenizerConfig, root, writeGgufFile } from './llama-graph/hub-repo.ts';

const argv = process.argv.slice(2);
const option = (flag: string) => {
  const index = argv.indexOf(flag);
  return index === -1 ? undefined : argv[index + 1];
};
const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;

async function measure(path: string, dtype: ModelDtype): Promise<void> {
  const fileBytes = statSync(path).size;
  const started = performance.now();
  const fetchFile = blobFetch(await openAsBlob(path));
  const url = `https://hub.test/model/resolve/main/${path.split('/').pop()}`;
  const header = await readGgufHeader(url, fetchFile);
  const model = ggufModel(header);
  const headerSeconds = (performance.now() - started) / 1000;
  const out = mkdtempSync(join(tmpdir(), 'gguf-conversion-'));
  const modelFileName = `model_${dtype}.onnx`;
  const fds: number[] = [];
  let written = 0;
  let tensors = 0;
  try {
    const converted = await convertGguf({
      url,
      fetch: fetchFile,
      header,
      build: { dtype },
      modelFileName,
      onTensorRead: () => void (tensors += 1),
      sink: (chunk, bytes) => {
        fds[chunk] ??= openSync(join(out, chunkFileName(modelFileName, chunk)), 'w');
        writeSync(fds[chunk], bytes);
        written += bytes.length;
      },
    });
    writeFileSync(join(out, modelFileName), converted.graph);
    for (const [name, json] of Object.entries(converted.files)) writeFileSync(join(out, name), JSON.stringify(json));
    const seconds = (performance.now() - started) / 1000;
    const peak = process.resourceUsage().maxRSS * 1024;
    console.log(`${path}: ${gib(fileBytes)}, ${tensors} tensors, ${model.config.numLayers} layers, hidden ${model.config.hiddenSize}`);
    console.log(`  header read and checked in ${headerSeconds.toFixed(2)} s`);
    console.log(`  converted to ${dtype} in ${seconds.toFixed(1)} s: graph ${(converted.graph.length / 1024).toFixed(0)} KiB, external data ${gib(written)} in ${converted.chunkFileNames.length} chunk(s)`);
    console.log(`  peak RSS ${gib(peak)} = ${(peak / fileBytes).toFixed(2)}× the file`);
  } finally {
    for (const fd of fds) closeSync(fd);
    rmSync(out, { recursive: true, force: true });
  }
}

/** Writes only a full-shape Q4_0 GGUF file; at 1.3B, as `npm run fixtures:full` writes it (the same weights, so the same bytes). */
function writeFullShapeGguf(shape: FullShape, path: string): void {
  mkdirSync(join(root, 'fixtures', 'hub', shape.id), { recursive: true });
  const started = performance.now();
  writeGgufFile(path, shape.id, shape.config, fullModelWeights(shape.config), INSTRUCT_EOS, instructTokenizerConfig());
  console.log(`wrote ${path} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

const dtype = (option('--dtype') ?? 'q4') as ModelDtype;
const shapeName = option('--shape') ?? '1.3b';
if (!(shapeName in FULL_SHAPES)) throw new Error(`--shape must be ${Object.keys(FULL_SHAPES).join(' or ')}, got '${shapeName}'.`);
const shape = FULL_SHAPES[shapeName as keyof typeof FULL_SHAPES];
const path = option('--gguf') ?? join(root, 'fixtures', 'hub', shape.id, shape.gguf);
if (argv.includes('--in-process')) {
  await measure(path, dtype);
} else {
  if (!existsSync(path)) {
    if (option('--gguf')) throw new Error(`${path} does not exist.`);
    writeFullShapeGguf(shape, path);
  }
  const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...argv, '--gguf', path, '--in-process'], { stdio: 'inherit' });
  process.exitCode = child.status ?? 1;
}
