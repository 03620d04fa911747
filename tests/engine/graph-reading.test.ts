import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { BlobBytes } from '../../workers/engine/blob-bytes.ts';
import { GraphReading } from '../../workers/engine/graph-reading.ts';

const REPO = 'tiny-random/deepseek-coder-instruct';
const GRAPH_PATH = 'onnx/model_q4.onnx';
const GRAPH_URL = `http://mirror.test/${REPO}/resolve/main/${GRAPH_PATH}`;

/** A split graph mounted on its download, as a load from the network reads it; `stored` is what the cache kept. */
async function readMounted(stored: (file: Blob) => Blob | null) {
  const file = new Blob([await readFile(`fixtures/hub/${REPO}/${GRAPH_PATH}`)]);
  const progress: Array<[number, number]> = [];
  let downloads = 0;
  const data = new BlobBytes();
  const reading = new GraphReading(false, true);
  reading.split(REPO, GRAPH_PATH);
  reading.mount(GRAPH_URL, { data, storedFile: async () => stored(file), onProgress: (loaded, total) => progress.push([loaded, total]) });
  const download = async () => {
    downloads += 1;
    // Small chunks, as a network delivers them, so progress has steps to report.
    const chunks = Array.from({ length: Math.ceil(file.size / 65_536) }, (_, i) => file.slice(i * 65_536, (i + 1) * 65_536));
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const chunk = chunks.shift();
        if (chunk) controller.enqueue(new Uint8Array(await chunk.arrayBuffer()));
        else controller.close();
      },
    });
    return new Response(body, { headers: { 'content-length': String(file.size) } });
  };
  const graph = await reading.fetch(download)(GRAPH_URL);
  expect(graph.status).toBe(200);
  // The graph part alone: the weights are left to the mounted data.
  expect((await graph.arrayBuffer()).byteLength).toBeLessThan(file.size / 10);
  return { file, data, progress, downloads };
}

it('reads the weights from the cached file once the download that filled it has passed', async () => {
  const { file, data, progress, downloads } = await readMounted((file) => file);
  expect(downloads).toBe(1);
  expect(data.byteLength).toBe(file.size);
  expect(progress.length).toBeGreaterThan(2);
  expect(progress.at(-1)).toEqual([file.size, file.size]);
});

it('downloads the weights again where the cache could not keep them, and reports that download from zero', async () => {
  const { file, data, progress, downloads } = await readMounted(() => null);
  expect(downloads).toBe(2);
  expect(data.byteLength).toBe(file.size);
  const restart = progress.findIndex(([loaded]) => loaded === 0);
  expect(restart).toBeGreaterThan(0);
  expect(progress[restart - 1]).toEqual([file.size, file.size]);
  const again = progress.slice(restart);
  expect(again.length).toBeGreaterThan(2);
  expect(again.every(([, total]) => total === file.size)).toBe(true);
  expect(again.every(([loaded], i) => i === 0 || loaded > again[i - 1]![0])).toBe(true);
  expect(again.at(-1)).toEqual([file.size, file.size]);
});
