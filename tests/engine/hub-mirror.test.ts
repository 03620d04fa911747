import { createHash } from 'node:crypto';
import { readFileSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubDir } from '../../scripts/generate-fixtures.ts';
import { startMirrorServer } from '../../scripts/hub-mirror.ts';

interface TreeEntry {
  path: string;
  oid: string;
  lfs?: { oid: string; size: number };
}

const MODEL = 'tiny-random/deepseek-coder-instruct';
const GRAPH = join(hubDir, MODEL, 'onnx', 'model_q4.onnx');
const RECORD = join(hubDir, MODEL, 'onnx', '.model_q4.onnx.digests.json');

describe('the hub mirror lists files the way the hub does', () => {
  let mirror: Awaited<ReturnType<typeof startMirrorServer>>;
  beforeAll(async () => {
    mirror = await startMirrorServer();
  });
  afterAll(() => mirror.close());

  const list = async (): Promise<TreeEntry[]> => {
    const response = await fetch(`${mirror.host}api/models/${MODEL}/tree/main/onnx`);
    expect(response.status).toBe(200);
    return (await response.json()) as TreeEntry[];
  };

  it('gives an LFS file its SHA-256 and git blob id, and keeps them in a record beside the file for the next run', async () => {
    rmSync(RECORD, { force: true });
    const content = readFileSync(GRAPH);
    const graph = (await list()).find((entry) => entry.path === 'onnx/model_q4.onnx');
    expect(graph?.lfs).toEqual(expect.objectContaining({ oid: createHash('sha256').update(content).digest('hex'), size: content.length }));
    expect(graph?.oid).toBe(createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex'));
    expect(existsSync(RECORD)).toBe(true);
    expect(JSON.parse(readFileSync(RECORD, 'utf8'))).toMatchObject({ sha256: graph?.lfs?.oid, size: content.length });
    // The record is not a file of the repository.
    expect((await list()).some((entry) => entry.path.includes('digests'))).toBe(false);
  });
});
