import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { env } from '@huggingface/transformers';
import { generateFixtures } from '../../scripts/generate-fixtures.ts';
import { startMirrorServer } from '../../scripts/hub-mirror.ts';
import { Engine } from '../../workers/engine/engine.ts';
import { nodeHost } from '../../workers/engine/node-host.ts';

export const INSTRUCT = 'tiny-random/deepseek-coder-instruct';
export const BASE = 'tiny-random/deepseek-coder-base';

/**
 * An engine in Node over the tiny models, loaded through a local server in hub
 * layout, so the real hub-loading code runs. A fresh disk cache per run, so
 * each run reads the freshly generated files.
 */
export async function startEngine() {
  await generateFixtures();
  env.cacheDir = mkdtempSync(join(tmpdir(), 'deepseek-coder-web-cache-'));
  const mirror = await startMirrorServer();
  const engine = new Engine(nodeHost(mirror.host));
  return { engine, mirror, close: () => mirror.close() };
}
